#include "scaffold/scenario_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include "scaffold/auth_fixture.hpp"
#include "scaffold/stage_choice.hpp"
#include "scaffold/test_addresses.hpp"
#include "scenario/app_placeholder.hpp"

namespace maildog::scaffold {

namespace {

using bounce::Stage;

// The command name `expect.replies` uses for a stage.
std::string_view command_of(Stage stage) {
  switch (stage) {
    case Stage::connect:
      return "CONNECT";
    case Stage::helo:
      return "EHLO";
    case Stage::auth:
      return "AUTH";
    case Stage::mail:
      return "MAIL";
    case Stage::data:
      return "DATA";
    case Stage::end_of_data:
      return "END_OF_DATA";
    case Stage::rcpt:
    case Stage::unknown:
      break;
  }
  return "RCPT";
}

// A text match for exactly `text`: plain text is compared exactly (ignoring case) unless it has
// glob characters or looks like a /regex/; then an anchored, escaped regex.
std::string exact_pattern(const std::string& text) {
  if (text.find_first_of("*?") == std::string::npos && !text.starts_with('/')) {
    return text;
  }
  std::string out = "/^";
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}/").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out + "$/";
}

struct Reply {
  int code = 0;
  std::string enhanced;  // empty when the bounce had none
  std::string text;
  bool code_assumed = false;

  std::string line() const {
    std::string out = std::to_string(code);
    if (!enhanced.empty()) {
      out += ' ' + enhanced;
    }
    if (!text.empty()) {
      out += ' ' + text;
    }
    return out;
  }
};

Reply reply_of(const bounce::BounceFacts& facts, const TestAddresses& addresses) {
  Reply reply;
  reply.code = facts.reply.code;
  if (facts.reply.enhanced && !facts.enhanced_from_status) {
    reply.enhanced = facts.reply.enhanced->str();
  }
  if (reply.code == 0) {
    // A DSN Status or Postfix dsn= without the remote reply: the basic code of its class.
    reply.code = facts.reply.enhanced && facts.reply.enhanced->cls == 4 ? 450 : 550;
    reply.code_assumed = true;
  }
  reply.text = addresses.apply(facts.reply.text);
  if (reply.enhanced.empty()) {
    // "550 5.1.1 user unknown" read as text after a doubled code: on the wire it is the enhanced code.
    const std::size_t space = reply.text.find(' ');
    if (auto code = smtp::EnhancedCode::parse(std::string_view(reply.text).substr(0, space));
        code && code->cls == reply.code / 100 && space != std::string::npos) {
      reply.enhanced = code->str();
      reply.text.erase(0, space + 1);
    }
  }
  return reply;
}

std::string domain_of(const std::string& address) { return address.substr(address.rfind('@') + 1); }

void emit_comment_block(YAML::Emitter& out, const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis,
                        const Reply& reply, const StageChoice& stage, const ScaffoldOptions& options) {
  std::vector<std::string> lines;
  lines.push_back("Made by `maildog-ci new --from` from a bounce" +
                  (facts.mta.empty() ? std::string() : " written by " + facts.mta) + ".");
  lines.push_back("Original reply: " + reply.line());
  if (reply.code_assumed) {
    lines.push_back("The bounce gave only the enhanced status; the basic code " + std::to_string(reply.code) +
                    " is assumed.");
  }
  lines.push_back("Diagnosis [" + diagnosis.id + "]: " + diagnosis.title);
  for (const auto& fix : diagnosis.fixes) {
    lines.push_back("Fix: " + fix);
  }
  lines.push_back("Stage " + std::string(name_of(bounce::k_stage_names, stage.stage)) + ": " + stage.why + ".");
  lines.push_back(
      options.keep_addresses
          ? "The bounce's addresses are kept as they were (--keep-addresses)."
          : "The bounce's addresses are replaced by test addresses everywhere (--keep-addresses keeps them).");
  for (const auto& line : lines) {
    out << YAML::Comment(line) << YAML::Newline;
  }
}

void emit_rules(YAML::Emitter& out, const Reply& reply, const StageChoice& stage,
                const std::vector<std::string>& recipients, const std::optional<std::string>& sender) {
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  auto rule = [&](const std::optional<std::pair<std::string, std::string>>& match, const std::string& text) {
    out << YAML::BeginMap;
    out << YAML::Key << "at" << YAML::Value << std::string(name_of(bounce::k_stage_names, stage.stage));
    out << YAML::Comment(stage.why);
    if (match) {
      out << YAML::Key << "match" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << match->first
          << YAML::Value << match->second << YAML::EndMap;
    }
    Reply with_text = reply;
    with_text.text = text;
    out << YAML::Key << "reply" << YAML::Value << YAML::DoubleQuoted << with_text.line();
    out << YAML::EndMap;
  };
  if (stage.stage == Stage::rcpt && !recipients.empty()) {
    for (const auto& recipient : recipients) {
      // Each recipient hears the reply with its own address where the bounce named the first one.
      std::string text = reply.text;
      for (std::size_t at = text.find(recipients.front()); at != std::string::npos && recipient != recipients.front();
           at = text.find(recipients.front(), at + recipient.size())) {
        text.replace(at, recipients.front().size(), recipient);
      }
      rule(std::pair{std::string("rcpt"), recipient}, text);
    }
  } else if ((stage.stage == Stage::mail || stage.stage == Stage::data || stage.stage == Stage::end_of_data) &&
             sender) {
    rule(std::pair{std::string("mail_from"), *sender}, reply.text);
  } else {
    rule(std::nullopt, reply.text);
  }
  out << YAML::EndSeq;
}

void emit_auth(YAML::Emitter& out, const AuthFixture& fixture, const Reply& reply) {
  out << YAML::Key << "peer" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "ip" << YAML::Value
      << fixture.peer_ip << YAML::Key << "helo" << YAML::Value << fixture.peer_helo << YAML::EndMap
      << YAML::Comment(fixture.why);
  out << YAML::Key << "checks" << YAML::Value << YAML::BeginMap;
  for (const auto& [check, mode] : fixture.checks) {
    out << YAML::Key << check << YAML::Value << mode;
  }
  if (!fixture.dnsbl_zones.empty()) {
    out << YAML::Key << "dnsbl" << YAML::Value << YAML::Flow << fixture.dnsbl_zones;
  }
  out << YAML::Key << "replies" << YAML::Value << YAML::BeginMap << YAML::Key << fixture.reason << YAML::Value
      << YAML::DoubleQuoted << reply.line() << YAML::Comment("the production text") << YAML::EndMap;
  out << YAML::EndMap;
}

void emit_expect(YAML::Emitter& out, const Reply& reply, Stage stage, const std::vector<std::string>& recipients,
                 const std::optional<AuthFixture>& fixture) {
  const bool permanent = reply.code >= 500;
  out << YAML::Key << "expect" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "app" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "exit" << YAML::Value
      << "any" << YAML::EndMap << YAML::Comment("pin the exit status your app should have after this refusal");
  out << YAML::Key << "replies" << YAML::Value << YAML::BeginSeq;
  auto expected_reply = [&](const std::optional<std::string>& arg) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "command" << YAML::Value << std::string(command_of(stage));
    if (arg) {
      out << YAML::Key << "arg" << YAML::Value << *arg;
    }
    out << YAML::Key << "code" << YAML::Value << reply.code;
    if (!reply.enhanced.empty()) {
      out << YAML::Key << "enhanced" << YAML::Value << reply.enhanced;
    }
    if (!reply.text.empty()) {
      std::string text = reply.text;
      if (arg && !recipients.empty() && *arg != recipients.front()) {
        for (std::size_t at = text.find(recipients.front()); at != std::string::npos;
             at = text.find(recipients.front(), at + arg->size())) {
          text.replace(at, recipients.front().size(), *arg);
        }
      }
      out << YAML::Key << "text" << YAML::Value << YAML::DoubleQuoted << exact_pattern(text);
    }
    // A 5xx is final: seen once, never retried. A 4xx asks the app to come back.
    out << YAML::Key << (permanent ? "count" : "min") << YAML::Value << (permanent ? 1 : 2);
    out << YAML::EndMap;
  };
  if (stage == Stage::rcpt && !recipients.empty()) {
    for (const auto& recipient : recipients) {
      expected_reply(recipient);
    }
  } else {
    expected_reply(std::nullopt);
  }
  out << YAML::EndSeq;
  if (fixture && !recipients.empty()) {
    out << YAML::Key << "rejected" << YAML::Value << YAML::BeginSeq;
    for (const auto& recipient : recipients) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "reason" << YAML::Value << fixture->reason << YAML::Key
          << "to" << YAML::Value << recipient << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!recipients.empty()) {
    out << YAML::Key << "not_delivered" << YAML::Value << YAML::Flow << recipients;
    const bool recipient_tried = stage == Stage::rcpt || stage == Stage::data || stage == Stage::end_of_data;
    if (recipient_tried) {
      out << YAML::Key << "retries" << YAML::Value << YAML::BeginSeq;
      for (const auto& recipient : recipients) {
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "rcpt" << YAML::Value << recipient << YAML::Key
            << (permanent ? "max_attempts" : "min_attempts") << YAML::Value << (permanent ? 1 : 2) << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
  }
  out << YAML::EndMap;
}

}  // namespace

std::string scenario_yaml(const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis,
                          const ScaffoldOptions& options) {
  const TestAddresses addresses(facts, options.keep_addresses);
  const Reply reply = reply_of(facts, addresses);
  StageChoice stage = choose_stage(facts, diagnosis);
  const auto recipients = addresses.recipients();
  const std::string sender_domain = domain_of(addresses.sender().value_or("sender@sender.test"));
  auto fixture = auth_fixture(facts, diagnosis, sender_domain);
  if (fixture && stage.from_evidence && stage.stage != fixture->stage) {
    // The production server refused where the sandbox's check does not: a rule at that stage instead.
    stage.why += " (the sandbox's " + fixture->reason + " check refuses elsewhere, so a rule gives the reply)";
    fixture.reset();
  } else if (fixture) {
    if (stage.stage != fixture->stage) {
      stage.why = "the sandbox's " + fixture->reason + " check refuses here (" + stage.why + ", at " +
                  std::string(name_of(bounce::k_stage_names, stage.stage)) + ")";
    }
    stage.stage = fixture->stage;
  }
  const std::optional<std::string> sender =
      fixture ? std::optional<std::string>(addresses.sender().value_or("sender@sender.test")) : addresses.sender();

  YAML::Emitter out;
  emit_comment_block(out, facts, diagnosis, reply, stage, options);
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value
      << reply.line().substr(0, reply.line().size() - reply.text.size()) + "at " +
             std::string(name_of(bounce::k_stage_names, stage.stage)) + ": " + diagnosis.title;
  out << YAML::Key << "tags" << YAML::Value << YAML::Flow << YAML::BeginSeq << "bounce" << diagnosis.id;
  if (!reply.enhanced.empty()) {
    out << reply.enhanced;
  }
  out << YAML::EndSeq;
  if (fixture) {
    out << YAML::Key << "dns" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, records] : fixture->dns) {
      out << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const auto& [type, value] : records) {
        out << YAML::Key << type << YAML::Value << value;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  if (fixture) {
    emit_auth(out, *fixture, reply);
  } else {
    emit_rules(out, reply, stage, recipients, sender);
  }
  out << YAML::EndMap;
  out << YAML::Key << "app" << YAML::Value << YAML::BeginMap;
  if (options.app) {
    out << YAML::Key << "run" << YAML::Value << YAML::DoubleQuoted << *options.app;  // "true" stays a command
  } else {
    out << YAML::Key << "run" << YAML::Value << std::string(scenario::k_app_placeholder)
        << YAML::Comment("your app's command, e.g. [python3, send.py] (or: maildog-ci new --app \"CMD\")");
  }
  out << YAML::Key << "timeout" << YAML::Value << "60s";
  if (sender || !recipients.empty()) {
    out << YAML::Comment("the app sends from " + sender.value_or("any sender") + " to " +
                         (recipients.empty() ? std::string("any recipient") : recipients.front()));
  }
  out << YAML::EndMap;
  emit_expect(out, reply, stage.stage, recipients, fixture);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace maildog::scaffold
