#include "record/scenario_writer.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "core/ascii.hpp"

namespace maildog::record {

namespace {

// Mechanisms the sandbox can offer (smtp::AuthMechanism).
const std::set<std::string> k_sandbox_mechanisms{"PLAIN", "LOGIN", "CRAM-MD5"};

// The user the scenario's sandbox knows: the recorded credentials are never written, the app
// logs in to the sandbox with {{smtp.user}} and {{smtp.password}} instead.
constexpr const char* k_sandbox_user = "recorded-user";
constexpr const char* k_sandbox_password = "recorded-password";

bool same_reply(const smtp::Reply& a, const smtp::Reply& b) { return a == b; }

// A queue id in "250 2.0.0 Ok: queued as 4F1x2" becomes {queue_id}, which the sandbox fills
// with its own (queue ids are normalised when transcripts are compared).
smtp::Reply with_queue_placeholder(smtp::Reply reply) {
  static const std::regex queued(R"(queued as [A-Za-z0-9]+)", std::regex::icase);
  for (auto& line : reply.lines) {
    line = std::regex_replace(line, queued, "queued as {queue_id}");
  }
  return reply;
}

void emit_reply(YAML::Emitter& out, const smtp::Reply& reply) {
  if (reply.lines.size() <= 1) {
    std::string text = std::to_string(reply.code);
    if (reply.enhanced) {
      text += " " + reply.enhanced->str();
    }
    if (!reply.lines.empty() && !reply.lines.front().empty()) {
      text += " " + reply.lines.front();
    }
    out << YAML::DoubleQuoted << text;
    return;
  }
  out << YAML::BeginMap << YAML::Key << "code" << YAML::Value << reply.code;
  if (reply.enhanced) {
    out << YAML::Key << "enhanced" << YAML::Value << YAML::DoubleQuoted << reply.enhanced->str();
  }
  out << YAML::Key << "text" << YAML::Value << YAML::BeginSeq;
  for (const auto& line : reply.lines) {
    out << YAML::DoubleQuoted << line;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

// One rule: at a stage, for a recipient or sender, an attempt range or a number of times.
struct Rule {
  std::string at;
  std::string rcpt;
  std::string mail_from;
  bool has_mail_from = false;
  int attempt_min = 0;  // 0: no attempt condition
  int attempt_max = 0;  // 0: open
  int times = 0;        // 0: no limit
  smtp::Reply reply;
};

// Runs of equal replies: [451, 451, 250] -> {451 x2, 250 x1}.
std::vector<std::pair<smtp::Reply, int>> runs_of(const std::vector<smtp::Reply>& replies) {
  std::vector<std::pair<smtp::Reply, int>> runs;
  for (const auto& reply : replies) {
    if (!runs.empty() && same_reply(runs.back().first, reply)) {
      ++runs.back().second;
    } else {
      runs.emplace_back(reply, 1);
    }
  }
  return runs;
}

// Rules that give `replies` in order where the sandbox's default would give `usual`: each run
// of equal replies a rule answering that many times, the last run open-ended; a trailing run
// of the usual reply needs no rule.
void add_sequence_rules(std::vector<Rule>& rules, Rule base, const std::vector<smtp::Reply>& replies,
                        const std::optional<smtp::Reply>& usual) {
  auto runs = runs_of(replies);
  // After a trailing run of the usual reply the sandbox's default answers: the run before it
  // must end, so it keeps its count.
  bool usual_after = false;
  while (!runs.empty() && usual && same_reply(runs.back().first, *usual)) {
    runs.pop_back();
    usual_after = true;
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    Rule rule = base;
    rule.reply = runs[i].first;
    rule.times = (i + 1 < runs.size() || usual_after) ? runs[i].second : 0;
    rules.push_back(rule);
  }
}

// A recipient's replies by attempt: a run of equal replies is an attempt range, the last open.
void add_attempt_rules(std::vector<Rule>& rules, const std::string& rcpt, const std::vector<smtp::Reply>& replies,
                       const std::optional<smtp::Reply>& usual) {
  auto runs = runs_of(replies);
  bool usual_after = false;
  while (!runs.empty() && usual && same_reply(runs.back().first, *usual)) {
    runs.pop_back();
    usual_after = true;
  }
  int attempt = 1;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const int count = runs[i].second;
    // The last run is open-ended unless the usual reply came after it (451 then 250: attempt 1 only).
    const bool last = i + 1 == runs.size() && !usual_after;
    if (!(usual && same_reply(runs[i].first, *usual))) {  // the default answers the usual reply at any attempt
      Rule rule;
      rule.at = "rcpt";
      rule.rcpt = rcpt;
      rule.reply = runs[i].first;
      // Attempt 1 open-ended is every attempt: no condition needed.
      rule.attempt_min = (attempt == 1 && last) ? 0 : attempt;
      rule.attempt_max = last ? 0 : attempt + count - 1;
      rules.push_back(rule);
    }
    attempt += count;
  }
}

// The most frequent positive reply among `replies` (the first one on a tie).
std::optional<smtp::Reply> usual_positive(const std::vector<smtp::Reply>& replies) {
  std::optional<smtp::Reply> best;
  int best_count = 0;
  for (const auto& candidate : replies) {
    if (!candidate.positive()) {
      continue;
    }
    int count = static_cast<int>(std::count(replies.begin(), replies.end(), candidate));
    if (count > best_count) {
      best = candidate;
      best_count = count;
    }
  }
  return best;
}

std::vector<std::string> keywords_of(const smtp::Reply& ehlo) {
  return ehlo.lines.size() > 1 ? std::vector<std::string>(ehlo.lines.begin() + 1, ehlo.lines.end())
                               : std::vector<std::string>{};
}

bool is_keyword(const std::string& line, std::string_view keyword) {
  const std::string upper = ascii::upper(line);
  return upper == keyword || upper.starts_with(std::string(keyword) + " ") ||
         upper.starts_with(std::string(keyword) + "=");
}

// The message size the upstream advertised (EHLO SIZE N), which the scenario's sandbox enforces.
std::optional<std::size_t> size_limit_of(const std::vector<std::string>& keywords) {
  for (const auto& keyword : keywords) {
    if (is_keyword(keyword, "SIZE") && keyword.size() > 5) {
      try {
        if (auto size = std::stoull(keyword.substr(5)); size > 0) {
          return size;
        }
      } catch (const std::exception&) {
        // "SIZE" with a value that is not a number: the keyword alone is kept.
      }
    }
  }
  return std::nullopt;
}

// The SIZE=N a MAIL FROM line announced, if any.
std::optional<std::size_t> announced_size(const std::string& mail_command) {
  static const std::regex size_parameter(R"((^|\s)SIZE=([0-9]+)(\s|$))", std::regex::icase);
  std::smatch match;
  if (!std::regex_search(mail_command, match, size_parameter)) {
    return std::nullopt;
  }
  try {
    return std::stoull(match[2].str());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A refusal the sandbox gives by itself for the same reason: 552 (RFC 1870) or 5.3.4 for a size
// over the limit it enforces. Only then may the recorded text become server.replies.size; a 552
// for a size under the limit stays a rule, as the sandbox would accept that size.
// `over_limit`: the size (announced or sent) was over that limit.
bool is_size_refusal(const smtp::Reply& reply, bool over_limit) {
  const bool says_size = reply.code == 552 || (reply.permanent() && reply.enhanced && reply.enhanced->str() == "5.3.4");
  return says_size && over_limit;
}

// No limit: nothing is over it (the sandbox checks no size then).
bool over(std::size_t size, std::optional<std::size_t> limit) { return limit && size > *limit; }

// What the whole recording says, stage by stage, before it is written.
struct Digest {
  std::optional<smtp::Reply> greeting_ok;
  std::vector<smtp::Reply> greetings;
  std::optional<smtp::Reply> hello;  // the first positive EHLO/HELO reply
  std::vector<smtp::Reply> helos;
  std::vector<std::string> keywords_before_tls;
  std::vector<std::string> keywords_after_tls;
  bool saw_before = false;
  bool saw_after = false;
  std::map<std::string, std::vector<smtp::Reply>> by_stage;  // stage -> replies in order (not rcpt)
  std::map<std::string, std::vector<smtp::Reply>> mail_by_sender;
  std::vector<std::string> recipients;  // in first-seen order
  std::map<std::string, std::vector<smtp::Reply>> rcpt_by_address;
  std::map<std::string, int> delivered;  // recipient -> accepted messages
  bool auth_succeeded = false;
  std::optional<smtp::Reply> login_username;  // AUTH LOGIN's 334 challenges
  std::optional<smtp::Reply> login_password;
  // The upstream's size refusals (MAIL SIZE= or end of data over size_limit), in order: the
  // sandbox refuses those itself, before any rule, so they become server.replies.size.
  std::vector<smtp::Reply> size_refusals;
};

// `size_limit`: the limit the scenario will enforce (none on a first pass that only reads keywords).
Digest digest_of(const Recording& recording, std::optional<std::size_t> size_limit) {
  Digest digest;
  for (const auto& session : recording.sessions) {
    std::size_t messages_ended = 0;  // end-of-data replies so far: session.messages' index
    bool tls = false;
    std::vector<std::string> accepted;  // this transaction's accepted recipients
    bool data_started = false;
    bool login_pending = false;  // an AUTH LOGIN waits for the user name
    for (const auto& exchange : session.exchanges) {
      const auto& reply = exchange.reply;
      const auto& stage = exchange.stage;
      if (stage == "connect") {
        digest.greetings.push_back(reply);
      } else if (stage == "ehlo" || stage == "helo") {
        // Compared by their first line: the keywords after it are server.ehlo_keywords' business.
        smtp::Reply hello{reply.code, reply.enhanced,
                          reply.lines.empty() ? std::vector<std::string>{}
                                              : std::vector<std::string>{reply.lines.front()}};
        digest.helos.push_back(hello);
        if (reply.positive() && !digest.hello) {
          digest.hello = hello;
        }
        if (stage == "ehlo" && reply.positive()) {
          auto& seen = tls ? digest.saw_after : digest.saw_before;
          if (!seen) {
            (tls ? digest.keywords_after_tls : digest.keywords_before_tls) = keywords_of(reply);
            seen = true;
          }
        }
        accepted.clear();
      } else if (stage == "starttls") {
        if (reply.code == 220) {
          tls = true;
        }
        digest.by_stage[stage].push_back(reply);
      } else if (stage == "mail" &&
                 is_size_refusal(reply, over(announced_size(exchange.command).value_or(0), size_limit))) {
        digest.size_refusals.push_back(reply);
        accepted.clear();
      } else if (stage == "mail") {
        digest.mail_by_sender[exchange.argument].push_back(reply);
        digest.by_stage[stage].push_back(reply);
        accepted.clear();
      } else if (stage == "rcpt") {
        if (!digest.rcpt_by_address.contains(exchange.argument)) {
          digest.recipients.push_back(exchange.argument);
        }
        digest.rcpt_by_address[exchange.argument].push_back(reply);
        if (reply.positive()) {
          accepted.push_back(exchange.argument);
        }
      } else if (stage == "data") {
        // The sandbox answers a DATA without accepted recipients itself, before any rule.
        if (!accepted.empty()) {
          digest.by_stage[stage].push_back(reply);
        }
        data_started = reply.code == 354;
      } else if (stage == "end_of_data") {
        const std::size_t size = messages_ended < session.messages.size() ? session.messages[messages_ended].size : 0;
        ++messages_ended;
        if (data_started && is_size_refusal(reply, over(size, size_limit))) {
          digest.size_refusals.push_back(reply);
        } else {
          digest.by_stage[stage].push_back(with_queue_placeholder(reply));
        }
        if (reply.positive() && data_started) {
          for (const auto& rcpt : accepted) {
            ++digest.delivered[rcpt];
          }
        }
        accepted.clear();
        data_started = false;
      } else if (stage == "auth") {
        if (reply.code == 235) {
          digest.auth_succeeded = true;
          digest.by_stage[stage].push_back(reply);
        } else if (reply.code == 334) {
          // AUTH LOGIN's challenges: the user name's answers the bare command, the password's
          // answers the user name (or an AUTH LOGIN that carried it).
          const std::string upper = ascii::upper(exchange.command);
          const bool bare_login = upper.starts_with("AUTH LOGIN") && upper.find("***") == std::string::npos;
          if (upper.starts_with("AUTH LOGIN") || login_pending) {
            auto& slot = bare_login ? digest.login_username : digest.login_password;
            if (!slot) {
              slot = reply;
            }
          }
          login_pending = bare_login;
        } else {
          login_pending = false;
        }
      } else if (stage == "rset") {
        accepted.clear();
        digest.by_stage[stage].push_back(reply);
      } else {
        digest.by_stage[stage].push_back(reply);
      }
    }
  }
  return digest;
}

}  // namespace

std::vector<std::string> merged_keywords(const std::vector<std::string>& before_tls,
                                         const std::vector<std::string>& after_tls) {
  std::vector<std::string> merged = before_tls;
  // Each keyword only the TLS list has goes right after the keyword that precedes it there.
  for (std::size_t i = 0; i < after_tls.size(); ++i) {
    if (std::find(merged.begin(), merged.end(), after_tls[i]) != merged.end()) {
      continue;
    }
    auto at = merged.begin();
    if (i > 0) {
      auto previous = std::find(merged.begin(), merged.end(), after_tls[i - 1]);
      at = previous == merged.end() ? merged.end() : previous + 1;
      // Past STARTTLS, which the TLS list no longer has: AUTH takes its place.
      while (at != merged.end() && is_keyword(*at, "STARTTLS")) {
        ++at;
      }
    }
    merged.insert(at, after_tls[i]);
  }
  return merged;
}

std::string scenario_yaml(const Recording& recording, const WriterOptions& options) {
  // Keywords first (the SIZE limit), then the exchanges knowing which refusals are the limit's.
  const Digest keywords_only = digest_of(recording, std::nullopt);
  const auto size_limit =
      size_limit_of(merged_keywords(keywords_only.keywords_before_tls, keywords_only.keywords_after_tls));
  const Digest digest = digest_of(recording, size_limit);
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::Comment("yaml-language-server: $schema=https://maildog-ci.dev/schemas/scenario.schema.json");
  out << YAML::Newline;
  out << YAML::Comment("Recorded by `maildog-ci record` from " + recording.upstream +
                       (options.recorded_at.empty() ? std::string() : " on " + options.recorded_at) + ": " +
                       std::to_string(recording.sessions.size()) + " session(s). Replay: maildog-ci run FILE.");
  out << YAML::Newline;
  out << YAML::Comment(
      "AUTH credentials were recorded as ***; in the sandbox the app logs in with {{smtp.user}} "
      "and {{smtp.password}}. Message bodies were not kept.");
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << ("recorded from " + recording.upstream);
  out << YAML::Key << "tags" << YAML::Value << YAML::Flow << YAML::BeginSeq << "recorded" << YAML::EndSeq;

  // server
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  const auto greeting_ok = usual_positive(digest.greetings);
  if (greeting_ok && !greeting_ok->lines.empty()) {
    const std::string& first = greeting_ok->lines.front();
    out << YAML::Key << "hostname" << YAML::Value << first.substr(0, first.find(' '));
  }
  std::vector<std::string> keywords = merged_keywords(digest.keywords_before_tls, digest.keywords_after_tls);
  const bool starttls = std::any_of(digest.keywords_before_tls.begin(), digest.keywords_before_tls.end(),
                                    [](const auto& k) { return is_keyword(k, "STARTTLS"); });
  if (starttls) {
    out << YAML::Key << "tls" << YAML::Value << "starttls";
  }
  std::vector<std::string> mechanisms;
  bool auth_before_tls = false;
  for (const auto& keyword : keywords) {
    if (is_keyword(keyword, "AUTH")) {
      auth_before_tls =
          auth_before_tls || std::find(digest.keywords_before_tls.begin(), digest.keywords_before_tls.end(), keyword) !=
                                 digest.keywords_before_tls.end();
      std::string rest = ascii::upper(keyword.substr(5));
      std::size_t start = 0;
      while (start < rest.size()) {
        auto end = rest.find(' ', start);
        std::string name = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (k_sandbox_mechanisms.contains(name) &&
            std::find(mechanisms.begin(), mechanisms.end(), name) == mechanisms.end()) {
          mechanisms.push_back(name);
        }
        start = end == std::string::npos ? rest.size() : end + 1;
      }
    }
  }
  if (!mechanisms.empty()) {
    out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "mechanisms" << YAML::Value << YAML::Flow << mechanisms;
    out << YAML::Key << "users" << YAML::Value << YAML::BeginMap << YAML::Key << k_sandbox_user << YAML::Value
        << k_sandbox_password << YAML::EndMap;
    if (auth_before_tls && starttls) {
      out << YAML::Key << "allow_plaintext_without_tls" << YAML::Value << true;
    }
    out << YAML::EndMap;
  }
  if (digest.saw_before || digest.saw_after) {
    out << YAML::Key << "ehlo_keywords" << YAML::Value << YAML::BeginSeq;
    for (const auto& keyword : keywords) {
      out << YAML::DoubleQuoted << keyword;
    }
    out << YAML::EndSeq;
  }

  // The upstream's own positive replies, word for word.
  std::map<std::string, smtp::Reply> ok_replies;
  if (greeting_ok) {
    ok_replies["greeting"] = *greeting_ok;
  }
  if (digest.hello && !digest.hello->lines.empty()) {
    ok_replies["ehlo"] = smtp::Reply{digest.hello->code, digest.hello->enhanced, {digest.hello->lines.front()}};
  }
  const std::map<std::string, std::string> stage_keys{
      {"starttls", "starttls"},  {"auth", "auth"}, {"mail", "mail"}, {"data", "data"},
      {"end_of_data", "queued"}, {"rset", "rset"}, {"noop", "noop"}, {"quit", "quit"}};
  std::map<std::string, std::optional<smtp::Reply>> usual;
  for (const auto& [stage, key] : stage_keys) {
    auto found = digest.by_stage.find(stage);
    if (found == digest.by_stage.end()) {
      continue;
    }
    usual[stage] = usual_positive(found->second);
    if (usual[stage]) {
      ok_replies[key] = *usual[stage];
    }
  }
  if (digest.login_username) {
    ok_replies["auth_username"] = *digest.login_username;
  }
  if (digest.login_password) {
    ok_replies["auth_password"] = *digest.login_password;
  }
  std::vector<smtp::Reply> all_rcpt;
  for (const auto& [address, replies] : digest.rcpt_by_address) {
    all_rcpt.insert(all_rcpt.end(), replies.begin(), replies.end());
  }
  const auto rcpt_ok = usual_positive(all_rcpt);
  if (rcpt_ok) {
    ok_replies["rcpt"] = *rcpt_ok;
  }
  if (!ok_replies.empty()) {
    out << YAML::Key << "ok_replies" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, reply] : ok_replies) {
      out << YAML::Key << key << YAML::Value;
      emit_reply(out, reply);
    }
    out << YAML::EndMap;
  }
  if (size_limit) {
    out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap << YAML::Key << "message_size" << YAML::Value
        << *size_limit << YAML::EndMap;
  }
  // The sandbox refuses a size over the limit itself (MAIL SIZE=, BDAT, end of data), before any
  // rule: the upstream's words go there. One text for all; the first recorded one.
  if (!digest.size_refusals.empty()) {
    out << YAML::Key << "replies" << YAML::Value << YAML::BeginMap << YAML::Key << "size" << YAML::Value;
    emit_reply(out, digest.size_refusals.front());
    out << YAML::EndMap;
  }

  auto rule_at = [](std::string stage) {
    Rule rule;
    rule.at = std::move(stage);
    return rule;
  };
  std::vector<Rule> rules;
  add_sequence_rules(rules, rule_at("connect"), digest.greetings, greeting_ok);
  add_sequence_rules(rules, rule_at("helo"), digest.helos, digest.hello);
  for (const auto& [sender, replies] : digest.mail_by_sender) {
    Rule rule = rule_at("mail");
    rule.mail_from = sender;
    rule.has_mail_from = true;
    add_sequence_rules(rules, rule, replies, usual["mail"]);
  }
  for (const auto& address : digest.recipients) {
    add_attempt_rules(rules, address, digest.rcpt_by_address.at(address), rcpt_ok);
  }
  for (const char* stage : {"data", "end_of_data"}) {
    if (auto found = digest.by_stage.find(stage); found != digest.by_stage.end()) {
      add_sequence_rules(rules, rule_at(stage), found->second, usual[stage]);
    }
  }
  if (!rules.empty()) {
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const auto& rule : rules) {
      out << YAML::BeginMap << YAML::Key << "at" << YAML::Value << rule.at;
      if (!rule.rcpt.empty() || rule.has_mail_from || rule.attempt_min > 0) {
        out << YAML::Key << "match" << YAML::Value << YAML::Flow << YAML::BeginMap;
        if (!rule.rcpt.empty()) {
          out << YAML::Key << "rcpt" << YAML::Value << rule.rcpt;
        }
        if (rule.has_mail_from) {
          out << YAML::Key << "mail_from" << YAML::Value << YAML::DoubleQuoted << rule.mail_from;
        }
        if (rule.attempt_min > 0 && rule.attempt_max == rule.attempt_min) {
          out << YAML::Key << "attempt" << YAML::Value << rule.attempt_min;
        } else if (rule.attempt_min > 0) {
          out << YAML::Key << "attempt" << YAML::Value << YAML::BeginMap << YAML::Key << "min" << YAML::Value
              << rule.attempt_min;
          if (rule.attempt_max > 0) {
            out << YAML::Key << "max" << YAML::Value << rule.attempt_max;
          }
          out << YAML::EndMap;
        }
        out << YAML::EndMap;
      }
      out << YAML::Key << "reply" << YAML::Value;
      emit_reply(out, rule.reply);
      if (rule.times > 0) {
        out << YAML::Key << "times" << YAML::Value << rule.times;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;

  // app
  out << YAML::Key << "app" << YAML::Value << YAML::BeginMap << YAML::Key << "run" << YAML::Value;
  if (options.app) {
    out << *options.app;
  } else {
    out << YAML::DoubleQuoted
        << "echo 'maildog-ci record: set app.run to the command that sent the recorded mail (or record with --app)' >&2; exit 2";
  }
  out << YAML::EndMap;

  // expect: what the app did
  out << YAML::Key << "expect" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "replies" << YAML::Value << YAML::BeginSeq;
  for (const auto& address : digest.recipients) {
    std::vector<std::pair<smtp::Reply, int>> counted;
    for (const auto& reply : digest.rcpt_by_address.at(address)) {
      auto same = std::find_if(counted.begin(), counted.end(), [&](const auto& c) {
        return c.first.code == reply.code && c.first.enhanced == reply.enhanced;
      });
      if (same == counted.end()) {
        counted.emplace_back(reply, 1);
      } else {
        ++same->second;
      }
    }
    for (const auto& [reply, count] : counted) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "command" << YAML::Value << "RCPT" << YAML::Key << "arg"
          << YAML::Value << address << YAML::Key << "code" << YAML::Value << reply.code;
      if (reply.enhanced) {
        out << YAML::Key << "enhanced" << YAML::Value << YAML::DoubleQuoted << reply.enhanced->str();
      }
      out << YAML::Key << "count" << YAML::Value << count << YAML::EndMap;
    }
  }
  out << YAML::EndSeq;
  if (!digest.delivered.empty()) {
    out << YAML::Key << "delivered" << YAML::Value << YAML::BeginSeq;
    for (const auto& [rcpt, count] : digest.delivered) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "to" << YAML::Value << rcpt << YAML::Key << "count"
          << YAML::Value << count << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  std::vector<std::string> never;
  for (const auto& address : digest.recipients) {
    if (!digest.delivered.contains(address)) {
      never.push_back(address);
    }
  }
  if (!never.empty()) {
    out << YAML::Key << "not_delivered" << YAML::Value << YAML::Flow << never;
  }
  std::vector<std::pair<std::string, int>> retried;
  for (const auto& address : digest.recipients) {
    const auto& replies = digest.rcpt_by_address.at(address);
    if (replies.size() > 1 ||
        std::any_of(replies.begin(), replies.end(), [](const auto& r) { return r.transient(); })) {
      retried.emplace_back(address, static_cast<int>(replies.size()));
    }
  }
  if (!retried.empty()) {
    out << YAML::Key << "retries" << YAML::Value << YAML::BeginSeq;
    for (const auto& [address, attempts] : retried) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "rcpt" << YAML::Value << address << YAML::Key
          << "min_attempts" << YAML::Value << attempts << YAML::Key << "max_attempts" << YAML::Value << attempts
          << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
  if (!out.good()) {
    throw std::runtime_error("cannot write the scenario: " + out.GetLastError());
  }
  return std::string(out.c_str()) + "\n";
}

}  // namespace maildog::record
