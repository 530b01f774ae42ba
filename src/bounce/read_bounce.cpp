// Reads a bounce into facts. The reply comes from explain::find_reply (one reply finder for the
// whole tool); this file adds what a scenario needs beside it: who was refused, who sent, which
// MTA wrote it and, from the bounce's own words, the command the reply answered.
#include <algorithm>
#include <array>
#include <tuple>

#include "bounce/facts.hpp"
#include "bounce/text_scan.hpp"
#include "core/ascii.hpp"

namespace maildog::bounce {

namespace {

using scan::contains_ci;
using scan::find_ci;
using scan::Lines;

// A header field's value with its folded continuation lines.
std::string unfolded(const Lines& lines, std::size_t index, std::string_view first) {
  std::string value(first);
  for (std::size_t next = index + 1;
       next < lines.size() && !lines[next].empty() && (lines[next].front() == ' ' || lines[next].front() == '\t');
       ++next) {
    value += ' ';
    value += scan::trim(lines[next]);
  }
  return value;
}

// Every value of a field named `name` (several per-recipient blocks in one DSN).
std::vector<std::string> field_values(const Lines& lines, std::string_view name) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view value;
    if (scan::header_value(lines[i], name, value)) {
      values.push_back(unfolded(lines, i, value));
    }
  }
  return values;
}

// "dns; mx.example.net" -> "mx.example.net" (RFC 3464 2.2.2, 2.3.5).
std::string without_type(std::string_view value) {
  const std::size_t semicolon = value.find(';');
  return std::string(scan::trim(semicolon == std::string_view::npos ? value : value.substr(semicolon + 1)));
}

// Where the returned copy of the refused message starts: addresses after it are the message's
// own, not the bounce's.
std::size_t returned_message_line(const Lines& lines) {
  static constexpr std::array<std::string_view, 7> k_markers{
      "content-type: message/rfc822",  "content-type: text/rfc822-headers",
      "this is a copy of the message", "below this line is a copy of the message",
      "original message headers",      "----- original message -----",
      "content-type: message/global"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (const auto marker : k_markers) {
      if (contains_ci(lines[i], marker)) {
        return i;
      }
    }
  }
  return lines.size();
}

void add_unique(std::vector<std::string>& list, std::string address) {
  const bool known =
      std::any_of(list.begin(), list.end(), [&](const std::string& a) { return ascii::iequals(a, address); });
  if (!known && !address.empty()) {
    list.push_back(std::move(address));
  }
}

void add_all(std::vector<std::string>& list, std::string_view text) {
  for (auto& address : addresses_in(text)) {
    add_unique(list, std::move(address));
  }
}

// The address right after `marker` ("to=<", ">>> RCPT To:<") on every line that has it.
std::vector<std::string> after_marker(const Lines& lines, std::size_t end, std::string_view marker) {
  std::vector<std::string> found;
  for (std::size_t i = 0; i < end; ++i) {
    for (std::size_t at = find_ci(lines[i], marker); at != std::string_view::npos;
         at = find_ci(lines[i], marker, at + marker.size())) {
      std::string_view rest = lines[i].substr(at + marker.size());
      rest = rest.substr(0, rest.find_first_of(">, \t"));
      add_all(found, rest);
    }
  }
  return found;
}

std::vector<std::string> recipients_of(const Lines& lines, std::size_t end, std::string_view reply_text,
                                       bool sender_refusal) {
  std::vector<std::string> found;
  for (const auto& value :
       field_values(Lines(lines.begin(), lines.begin() + static_cast<long>(end)), "Final-Recipient")) {
    add_all(found, without_type(value));
  }
  if (found.empty()) {
    for (const auto& value :
         field_values(Lines(lines.begin(), lines.begin() + static_cast<long>(end)), "Original-Recipient")) {
      add_all(found, without_type(value));
    }
  }
  if (!found.empty()) {
    return found;
  }
  for (const auto& value : field_values(lines, "X-Failed-Recipients")) {
    add_all(found, value);
  }
  if (!found.empty()) {
    return found;
  }
  for (const auto marker : {"to=<", ">>> RCPT To:<", "after RCPT TO:<", "after pipelined RCPT TO:<"}) {
    for (auto& address : after_marker(lines, end, marker)) {
      add_unique(found, std::move(address));
    }
  }
  if (!found.empty()) {
    return found;
  }
  // Postfix and qmail bounce texts: "<ghost@example.net>: host ... said:" or "<ghost@example.net>:" alone.
  for (std::size_t i = 0; i < end; ++i) {
    const std::string_view line = scan::trim(lines[i]);
    if (line.starts_with('<') && line.find(">:") != std::string_view::npos) {
      add_all(found, line.substr(0, line.find(">:")));
    }
  }
  // Exchange: "Delivery has failed to these recipients or groups:" then the addresses.
  for (std::size_t i = 0; found.empty() && i < end; ++i) {
    if (contains_ci(lines[i], "failed to these recipients") || contains_ci(lines[i], "your message to ")) {
      for (std::size_t j = i; j < std::min(end, i + 4) && found.empty(); ++j) {
        add_all(found, lines[j]);
      }
    }
  }
  if (found.empty() && !sender_refusal) {
    add_all(found, reply_text);
  }
  return found;
}

std::optional<std::string> first_address(std::string_view text) {
  auto found = addresses_in(text);
  return found.empty() ? std::nullopt : std::optional<std::string>(found.front());
}

std::optional<std::string> sender_of(const Lines& lines, std::size_t returned, std::string_view reply_text,
                                     bool sender_refusal) {
  for (const auto marker : {"from=<", ">>> MAIL From:<", "after MAIL FROM:<"}) {
    auto found = after_marker(lines, returned, marker);
    if (!found.empty()) {
      return found.front();
    }
  }
  for (const auto name : {"X-Postfix-Sender", "X-Original-Sender"}) {
    for (const auto& value : field_values(lines, name)) {
      if (auto address = first_address(without_type(value))) {
        return address;
      }
    }
  }
  if (sender_refusal) {
    if (auto address = first_address(reply_text)) {
      return address;
    }
  }
  // The returned message's own envelope and author.
  for (const auto name : {"Return-Path", "From"}) {
    for (std::size_t i = returned; i < lines.size(); ++i) {
      std::string_view value;
      if (scan::header_value(lines[i], name, value)) {
        if (auto address = first_address(unfolded(lines, i, value))) {
          return address;
        }
      }
    }
  }
  // A bounce goes to the envelope sender: its own To: in the first header block.
  for (std::size_t i = 0; i < lines.size() && !scan::trim(lines[i]).empty(); ++i) {
    std::string_view value;
    if (scan::header_value(lines[i], "To", value)) {
      return first_address(unfolded(lines, i, value));
    }
  }
  return std::nullopt;
}

std::string mta_of(std::string_view input, const std::string& reporting_mta) {
  struct Sign {
    std::string_view phrase;
    std::string_view mta;
  };
  static constexpr std::array k_signs{
      Sign{"X-Postfix", "Postfix"},
      Sign{"postfix/", "Postfix"},
      Sign{"This is the mail system at host", "Postfix"},
      Sign{"X-Failed-Recipients", "Exim"},
      Sign{"Mail delivery failed: returning message to sender", "Exim"},
      Sign{"exim[", "Exim"},
      Sign{" exim ", "Exim"},
      Sign{"qmail-send", "qmail"},
      Sign{"qmail", "qmail"},
      Sign{"sendmail[", "Sendmail"},
      Sign{"Transcript of session follows", "Sendmail"},
      Sign{"sendmail", "Sendmail"},
      Sign{"Remote Server returned", "Exchange / Microsoft 365"},
      Sign{"Diagnostic information for administrators", "Exchange / Microsoft 365"},
      Sign{"Google tried to deliver", "Gmail"},
      Sign{"mailer-daemon@googlemail.com", "Gmail"},
      Sign{"Yahoo", "Yahoo"},
  };
  for (const auto& sign : k_signs) {
    if (contains_ci(input, sign.phrase)) {
      return std::string(sign.mta);
    }
  }
  if (contains_ci(reporting_mta, "exim")) {
    return "Exim";
  }
  return {};
}

Stage stage_named(std::string_view name) {
  struct Named {
    std::string_view name;
    Stage stage;
  };
  static constexpr std::array k_names{
      Named{"RCPT TO", Stage::rcpt}, Named{"MAIL FROM", Stage::mail}, Named{"end of DATA", Stage::end_of_data},
      Named{"DATA", Stage::data},    Named{"EHLO", Stage::helo},      Named{"STARTTLS", Stage::helo},
      Named{"AUTH", Stage::auth},    Named{"connect", Stage::connect}};
  for (const auto& named : k_names) {
    if (name == named.name) {
      return named.stage;
    }
  }
  return Stage::unknown;
}

// The words around `at` up to the end of the phrase, as the evidence quoted in the scenario.
std::string phrase_at(std::string_view line, std::size_t at, std::string_view until) {
  std::string_view rest = line.substr(at);
  const std::size_t end = find_ci(rest, until);
  rest = rest.substr(0, end == std::string_view::npos ? std::min<std::size_t>(rest.size(), 60) : end + until.size());
  return std::string(scan::trim(rest));
}

// Sendmail's transcript: the last ">>> COMMAND" before the first "<<< 4xx/5xx" line.
std::optional<std::pair<Stage, std::string>> sendmail_stage(const Lines& lines) {
  std::string_view last_command;
  for (const auto line : lines) {
    const std::string_view trimmed = scan::trim(line);
    if (trimmed.starts_with(">>> ")) {
      last_command = trimmed;
    } else if (trimmed.starts_with("<<< ") && trimmed.size() > 4 && (trimmed[4] == '4' || trimmed[4] == '5') &&
               !last_command.empty()) {
      const std::string_view command = scan::trim(last_command.substr(4));
      Stage stage = Stage::unknown;
      if (command == ".") {
        stage = Stage::end_of_data;
      } else if (find_ci(command, "RCPT") == 0) {
        stage = Stage::rcpt;
      } else if (find_ci(command, "MAIL") == 0) {
        stage = Stage::mail;
      } else if (find_ci(command, "DATA") == 0) {
        stage = Stage::data;
      } else if (find_ci(command, "EHLO") == 0 || find_ci(command, "HELO") == 0) {
        stage = Stage::helo;
      }
      if (stage != Stage::unknown) {
        return std::pair{stage, std::string(last_command.substr(0, std::min<std::size_t>(last_command.size(), 60)))};
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// qmail-remote says what went wrong in words rather than naming the command.
std::optional<std::pair<Stage, std::string>> qmail_stage(const Lines& lines) {
  struct Phrase {
    std::string_view words;
    Stage stage;
  };
  static constexpr std::array k_phrases{
      Phrase{"does not like recipient", Stage::rcpt}, Phrase{"but sender was rejected", Stage::mail},
      Phrase{"but greeting failed", Stage::connect}, Phrase{"failed on DATA command", Stage::data},
      Phrase{"failed after I sent the message", Stage::end_of_data}};
  for (const auto line : lines) {
    for (const auto& phrase : k_phrases) {
      if (contains_ci(line, phrase.words)) {
        return std::pair{phrase.stage, std::string(phrase.words)};
      }
    }
  }
  return std::nullopt;
}

// The phrase that made find_reply name a stage, quoted back as the evidence.
std::string stage_phrase(const Lines& lines) {
  struct Phrase {
    std::string_view start;
    std::string_view until;
  };
  static constexpr std::array k_phrases{Phrase{"in reply to ", "command"}, Phrase{"remote mail server after ", ":"},
                                        Phrase{"reject: ", " from"}};
  for (const auto& phrase : k_phrases) {
    for (const auto line : lines) {
      if (const std::size_t at = find_ci(line, phrase.start); at != std::string_view::npos) {
        return phrase_at(line, at, phrase.until);
      }
    }
  }
  return {};
}

// The bounce's own words for the command, read over folded lines ("(in reply to end of DATA\n
// command)"), when find_reply's reply (a DSN's Diagnostic-Code) did not carry them.
std::optional<std::pair<Stage, std::string>> stage_in_words(const Lines& lines) {
  std::string joined;
  for (const auto line : lines) {
    joined += ' ';
    joined += scan::trim(line);
  }
  struct Lead {
    std::string_view start;
    std::string_view until;
  };
  static constexpr std::array k_leads{Lead{"in reply to ", "command"}, Lead{"remote mail server after ", ":"},
                                      Lead{"ruleset=check_", ","}};
  struct Words {
    std::string_view words;
    Stage stage;
  };
  static constexpr std::array k_words{Words{"end of data", Stage::end_of_data},
                                      Words{"rcpt", Stage::rcpt},
                                      Words{"mail", Stage::mail},
                                      Words{"data", Stage::data},
                                      Words{"ehlo", Stage::helo},
                                      Words{"helo", Stage::helo},
                                      Words{"relay", Stage::connect},
                                      Words{"connect", Stage::connect},
                                      Words{"greeting", Stage::connect}};
  for (const auto& lead : k_leads) {
    const std::size_t at = find_ci(joined, lead.start);
    if (at == std::string::npos) {
      continue;
    }
    const std::string phrase = phrase_at(joined, at, lead.until);
    const std::string_view named = std::string_view(phrase).substr(lead.start.size());
    for (const auto& words : k_words) {
      if (contains_ci(named, words.words)) {
        return std::pair{words.stage, phrase};
      }
    }
  }
  return std::nullopt;
}

// Postfix's reject log lines end in "; from=<...> to=<...> proto=ESMTP helo=<...>": not the reply.
void cut_log_trailer(explain::FoundReply& reply) {
  if (reply.source != explain::ReplySource::log) {
    return;
  }
  for (const std::string_view trailer : {"; from=<", "; to=<", "; proto=", "; helo=<"}) {
    if (const std::size_t at = reply.text.find(trailer); at != std::string::npos) {
      reply.text.erase(at);
    }
  }
}

// find_reply drops punctuation a log wraps around a reply text, and with it the ": " a Postfix
// reply itself can start with ("450 4.7.1 : Helo command rejected", for an empty HELO name): put
// back what stood between the codes and the text in the input, so the text is the wire's.
void restore_leading_punctuation(explain::FoundReply& reply, std::string_view input) {
  if (reply.code == 0 || reply.text.empty()) {
    return;
  }
  const std::string codes =
      std::to_string(reply.code) + ' ' + (reply.enhanced ? reply.enhanced->str() + ' ' : std::string());
  for (std::size_t at = input.find(codes); at != std::string_view::npos; at = input.find(codes, at + 1)) {
    const std::size_t start = at + codes.size();
    std::size_t text = start;
    while (text < input.size() && std::string_view(":;,- ").find(input[text]) != std::string_view::npos) {
      ++text;
    }
    if (text > start && input.substr(text).starts_with(reply.text)) {
      reply.text.insert(0, input.substr(start, text - start));
      return;
    }
  }
}

bool refuses_sender(std::string_view text) {
  return contains_ci(text, "sender address") || contains_ci(text, "sender rejected") ||
         contains_ci(text, "sender denied") || contains_ci(text, "sender is");
}

}  // namespace

BounceRead read_bounce(std::string_view input) {
  input = input.substr(0, std::min(input.size(), explain::k_input_max));
  auto search = explain::find_reply(input);
  if (!search.reply) {
    return {std::nullopt, search.error};
  }
  const Lines lines = scan::split_lines(input);
  const std::size_t returned = returned_message_line(lines);
  const Lines bounce_part(lines.begin(), lines.begin() + static_cast<long>(returned));

  BounceFacts facts;
  facts.reply = std::move(*search.reply);
  cut_log_trailer(facts.reply);
  restore_leading_punctuation(facts.reply, input);
  const bool sender_refusal = refuses_sender(facts.reply.text);
  auto first_field = [&](std::string_view name) {
    auto values = field_values(bounce_part, name);
    return values.empty() ? std::string() : values.front();
  };
  facts.action = std::string(scan::trim(first_field("Action")));
  facts.status = std::string(scan::trim(first_field("Status")));
  facts.remote_mta = without_type(first_field("Remote-MTA"));
  facts.reporting_mta = without_type(first_field("Reporting-MTA"));
  facts.mta = mta_of(input, facts.reporting_mta);
  facts.recipients = recipients_of(lines, returned, facts.reply.text, sender_refusal);
  facts.sender = sender_of(lines, returned, facts.reply.text, sender_refusal);
  if (facts.sender) {
    // A refused sender is not also a refused recipient.
    std::erase_if(facts.recipients, [&](const std::string& r) { return ascii::iequals(r, *facts.sender); });
  }
  for (auto& address : addresses_in(facts.reply.text)) {
    const bool named = (facts.sender && ascii::iequals(*facts.sender, address)) ||
                       std::any_of(facts.recipients.begin(), facts.recipients.end(),
                                   [&](const std::string& r) { return ascii::iequals(r, address); });
    if (!named) {
      add_unique(facts.other_addresses, std::move(address));
    }
  }

  if (auto stage = stage_named(facts.reply.stage); stage != Stage::unknown) {
    facts.stage = stage;
    facts.stage_evidence = stage_phrase(bounce_part);
  } else if (auto sendmail = sendmail_stage(bounce_part)) {
    std::tie(facts.stage, facts.stage_evidence) = *sendmail;
  } else if (auto words = stage_in_words(bounce_part)) {
    std::tie(facts.stage, facts.stage_evidence) = *words;
  } else if (auto qmail = qmail_stage(bounce_part)) {
    std::tie(facts.stage, facts.stage_evidence) = *qmail;
  }
  // A DSN whose Diagnostic-Code has no enhanced code: find_reply took the Status field's, which
  // the remote server never said.
  if (facts.reply.source == explain::ReplySource::dsn && facts.reply.code != 0 && facts.reply.enhanced) {
    const auto diagnostic = field_values(bounce_part, "Diagnostic-Code");
    const std::string enhanced = facts.reply.enhanced->str();
    facts.enhanced_from_status =
        !diagnostic.empty() && std::none_of(diagnostic.begin(), diagnostic.end(), [&](const std::string& value) {
          return value.find(enhanced) != std::string::npos;
        });
  }
  return {std::move(facts), {}};
}

}  // namespace maildog::bounce
