#include "explain/bounce_facts.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/ascii.hpp"

namespace maildog::explain {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
  return lines;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// "<a@b>", " a@b ", "a@b," -> "a@b"; empty unless it looks like an address.
std::string address_in(std::string_view text) {
  text = ascii::trim(text, " \t<>,;\"'");
  if (text.find('@') == std::string_view::npos || text.find_first_of(" \t<>") != std::string_view::npos) {
    return {};
  }
  return std::string(text);
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) {
    list.push_back(std::move(value));
  }
}

// Who wrote the bounce or the log line, from markers only that MTA writes: its notification
// texts and headers, or its log programs. The bounce's own markers come first, so a Postfix bounce
// that quotes another server's reply is still Postfix's.
std::string mta_of(std::string_view lowered) {
  struct Marker {
    std::string_view mta;
    std::vector<std::string_view> phrases;
  };
  static const std::vector<Marker> k_markers{
      {"Exim",
       {"this message was created automatically by mail delivery software", "smtp error from remote mail server after",
        "with local (exim"}},
      {"Postfix", {"x-postfix-queue-id:", "this is the mail system at host", "this is the postfix program at host"}},
      {"Sendmail", {"----- transcript of session follows -----", "----- the following addresses had permanent"}},
      {"qmail", {"this is the qmail-send program"}},
      {"Microsoft Exchange",
       {"x-ms-exchange-message-is-ndr", "x-dsncontext:", "diagnostic information for administrators"}},
      {"Gmail", {"google tried to deliver your message", "mailer-daemon@googlemail.com"}},
      {"Symantec Email Security.cloud", {"symantec email security.cloud", "messagelabs.com>"}},
      // Log lines: the program names the syslog prefix carries, and Exim's delivery-line fields.
      {"Postfix",
       {"postfix/smtpd[", "postfix/smtp[", "postfix/lmtp[", "postfix/cleanup[", "postfix/postscreen[", "/smtpd[",
        "postfix-"}},
      {"Sendmail", {"sm-mta[", "sendmail[", "sm-acceptingconnections[", "ruleset=check_"}},
      {"Exim", {" ** ", " == "}},
  };
  for (const auto& marker : k_markers) {
    for (const auto phrase : marker.phrases) {
      if (lowered.find(phrase) != std::string_view::npos) {
        // " ** " and " == " only in an Exim delivery line, which names its router.
        if ((phrase == " ** " || phrase == " == ") && lowered.find(" r=") == std::string_view::npos) {
          continue;
        }
        return std::string(marker.mta);
      }
    }
  }
  return {};
}

// A header of the top-level message (the lines before the first blank one), unfolded.
std::string top_header(const std::vector<std::string_view>& lines, std::string_view name) {
  for (std::size_t i = 0; i < lines.size() && !lines[i].empty(); ++i) {
    const std::string_view line = lines[i];
    if (line.size() <= name.size() || line[name.size()] != ':' || !ascii::iequals(line.substr(0, name.size()), name)) {
      continue;
    }
    std::string value(line.substr(name.size() + 1));
    for (std::size_t j = i + 1; j < lines.size() && !lines[j].empty() && is_space(lines[j].front()); ++j) {
      value += ' ';
      value += lines[j];
    }
    return value;
  }
  return {};
}

// The value after "rfc822;" in every "NAME: rfc822; a@b" field of the text (DSN per-recipient fields).
std::vector<std::string> dsn_addresses(const std::vector<std::string_view>& lines, std::string_view name) {
  std::vector<std::string> found;
  for (const auto line : lines) {
    const std::string_view trimmed = ascii::trim(line);
    if (trimmed.size() <= name.size() || trimmed[name.size()] != ':' ||
        !ascii::iequals(trimmed.substr(0, name.size()), name)) {
      continue;
    }
    std::string_view value = trimmed.substr(name.size() + 1);
    if (const std::size_t semicolon = value.find(';'); semicolon != std::string_view::npos) {
      value = value.substr(semicolon + 1);
    }
    add_unique(found, address_in(value));
  }
  return found;
}

// Every address a log writes after `key` ("to=<a@b>", "F=<a@b>", "arg1=<a@b>").
std::vector<std::string> log_addresses(const std::vector<std::string_view>& lines, std::string_view key) {
  std::vector<std::string> found;
  for (const auto line : lines) {
    for (std::size_t at = line.find(key); at != std::string_view::npos; at = line.find(key, at + 1)) {
      if (at > 0 && !is_space(line[at - 1]) && line[at - 1] != ',') {
        continue;
      }
      std::string_view rest = line.substr(at + key.size());
      rest = rest.substr(0, rest.find_first_of(", \t"));
      add_unique(found, address_in(rest));
    }
  }
  return found;
}

// Exim's delivery lines: "<id> ** a@b R=...", "<id> == a@b <orig@b> R=...".
std::vector<std::string> exim_log_addresses(const std::vector<std::string_view>& lines) {
  std::vector<std::string> found;
  for (const auto line : lines) {
    for (const std::string_view flag : {std::string_view(" ** "), std::string_view(" == ")}) {
      const std::size_t at = line.find(flag);
      if (at == std::string_view::npos) {
        continue;
      }
      std::string_view rest = line.substr(at + flag.size());
      add_unique(found, address_in(rest.substr(0, rest.find_first_of(" \t"))));
    }
  }
  return found;
}

std::size_t find_ci(std::string_view text, std::string_view needle) {
  if (needle.size() > text.size()) {
    return std::string_view::npos;
  }
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (ascii::iequals(text.substr(i, needle.size()), needle)) {
      return i;
    }
  }
  return std::string_view::npos;
}

// The text with every line's indentation dropped and the lines joined by spaces: Postfix folds
// "(in reply to RCPT TO command)" anywhere, even inside "in reply\n    to".
std::string unfolded(const std::vector<std::string_view>& lines) {
  std::string flat;
  for (const auto line : lines) {
    const std::string_view trimmed = ascii::trim(line);
    if (!trimmed.empty()) {
      flat += flat.empty() ? "" : " ";
      flat += trimmed;
    }
  }
  return flat;
}

// The command named after the first `marker`, up to `end`: Postfix's "(in reply to RCPT TO
// command)", Exim's "after RCPT TO:<a@b>:", qmail's "most progress was RCPT TO response".
std::string stage_after(std::string_view flat, std::string_view marker, std::string_view end) {
  const std::size_t at = find_ci(flat, marker);
  if (at == std::string_view::npos) {
    return {};
  }
  const std::string_view words = flat.substr(at + marker.size(), 80);
  return stage_name(words.substr(0, find_ci(words, end)));
}

// Sendmail's transcript: ">>> RCPT To:<a@b>" directly followed by the refusing "<<< 550 ...".
std::string transcript_stage(const std::vector<std::string_view>& lines) {
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].starts_with("<<< ") && lines[i].size() > 4 && (lines[i][4] == '4' || lines[i][4] == '5') &&
        lines[i - 1].starts_with(">>> ")) {
      return stage_name(lines[i - 1].substr(4));
    }
  }
  return {};
}

// Sendmail's log names the ruleset that refused: check_relay runs at connect.
std::string ruleset_stage(std::string_view lowered) {
  if (lowered.find("ruleset=check_relay") != std::string_view::npos) {
    return "connect";
  }
  if (lowered.find("ruleset=check_mail") != std::string_view::npos) {
    return "MAIL FROM";
  }
  if (lowered.find("ruleset=check_rcpt") != std::string_view::npos) {
    return "RCPT TO";
  }
  return {};
}

}  // namespace

std::string stage_name(std::string_view words) {
  struct Stage {
    std::string_view contains;
    std::string_view name;
  };
  static constexpr std::array k_stages{
      Stage{"end of data", "end of DATA"},
      Stage{"end-of-message", "end of DATA"},
      Stage{"rcpt", "RCPT TO"},
      Stage{"mail from", "MAIL FROM"},
      Stage{"mail", "MAIL FROM"},
      Stage{"data", "DATA"},
      Stage{"ehlo", "EHLO"},
      Stage{"helo", "EHLO"},
      Stage{"starttls", "STARTTLS"},
      Stage{"auth", "AUTH"},
      Stage{"connect", "connect"},
      Stage{"greeting", "connect"},
  };
  for (const auto& stage : k_stages) {
    if (find_ci(words, stage.contains) != std::string_view::npos) {
      return std::string(stage.name);
    }
  }
  return {};
}

std::string_view scenario_stage(std::string_view stage_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> k_stages{{
      {"connect", "connect"},
      {"EHLO", "helo"},
      {"STARTTLS", "starttls"},
      {"AUTH", "auth"},
      {"MAIL FROM", "mail"},
      {"RCPT TO", "rcpt"},
      {"DATA", "data"},
      {"end of DATA", "end_of_data"},
  }};
  for (const auto& [name, stage] : k_stages) {
    if (name == stage_name) {
      return stage;
    }
  }
  return {};
}

BounceFacts bounce_facts(std::string_view input) {
  const auto lines = split_lines(input);
  const std::string lowered = ascii::lower(input);
  BounceFacts facts;
  facts.mta = mta_of(lowered);

  const std::string failed = top_header(lines, "X-Failed-Recipients");
  for (std::string_view rest = failed; !rest.empty();) {
    const std::size_t comma = rest.find(',');
    add_unique(facts.recipients, address_in(rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (facts.recipients.empty()) {
    facts.recipients = dsn_addresses(lines, "Final-Recipient");
  }
  if (facts.recipients.empty()) {
    facts.recipients = log_addresses(lines, "to=<");
  }
  if (facts.recipients.empty()) {
    facts.recipients = log_addresses(lines, "arg1=<");
  }
  if (facts.recipients.empty()) {
    facts.recipients = exim_log_addresses(lines);
  }

  if (auto senders = dsn_addresses(lines, "X-Postfix-Sender"); !senders.empty()) {
    facts.sender = senders.front();
  } else if (auto from = log_addresses(lines, "from=<"); !from.empty()) {
    facts.sender = from.front();
  } else if (auto exim_from = log_addresses(lines, "F=<"); !exim_from.empty()) {
    facts.sender = exim_from.front();
  }

  const std::string flat = unfolded(lines);
  for (auto stage :
       {stage_after(flat, "in reply to ", "command"), stage_after(flat, "remote mail server after ", ":"),
        transcript_stage(lines), stage_after(flat, "most progress was ", "response"), ruleset_stage(lowered)}) {
    if (!stage.empty()) {
      facts.stage = std::move(stage);
      break;
    }
  }
  return facts;
}

}  // namespace maildog::explain
