#include "runner/client_script.hpp"

#include "runner/smtp_client.hpp"
#include "scenario/template.hpp"
#include "smtp/sasl.hpp"

namespace maildog::runner {

namespace {

std::string describe(const scenario::StepExpect& expect) {
  std::string out;
  if (expect.code) {
    out += std::to_string(*expect.code);
  }
  if (expect.enhanced) {
    out += (out.empty() ? "" : " ") + expect.enhanced->str();
  }
  if (expect.text) {
    out += (out.empty() ? "text " : " text ") + expect.text->pattern();
  }
  return out.empty() ? "any reply" : out;
}

// Empty when the reply is what the step expects; otherwise why not.
std::string check(const std::optional<scenario::StepExpect>& expect, const smtp::Reply& reply) {
  if (!expect) {
    return {};
  }
  bool ok = (!expect->code || *expect->code == reply.code) &&
            (!expect->enhanced || reply.enhanced == expect->enhanced) &&
            (!expect->text || expect->text->matches(reply.text()));
  return ok ? std::string() : "expected " + describe(*expect) + ", got " + reply.summary();
}

class Conversation {
 public:
  Conversation(const ClientTarget& target, const std::map<std::string, std::string>& templates,
               std::chrono::milliseconds timeout)
      : m_target(target), m_templates(templates), m_timeout(timeout) {}

  ClientRun run(const std::vector<scenario::ClientStep>& steps) {
    if (steps.empty() || steps.front().kind != scenario::ClientStep::Kind::connect) {
      if (!open(steps.empty() ? 0 : steps.front().line)) {
        return finished();
      }
    }
    for (const auto& step : steps) {
      StepOutcome outcome = run_step(step);
      bool broken = !outcome.problem.empty() && !outcome.reply;
      m_outcomes.push_back(std::move(outcome));
      if (broken) {
        break;  // the connection is gone; later steps would only repeat the same error
      }
    }
    return finished();
  }

 private:
  const ClientTarget& m_target;
  const std::map<std::string, std::string>& m_templates;
  std::chrono::milliseconds m_timeout;
  SmtpClient m_client;
  std::optional<smtp::Reply> m_greeting;  // read at connect, checked by a following expect step
  std::vector<StepOutcome> m_outcomes;
  std::vector<capture::SessionRecord> m_sessions;  // the client's transcript, one per connection
  std::chrono::steady_clock::time_point m_session_start;

  ClientRun finished() { return {std::move(m_outcomes), std::move(m_sessions)}; }

  void record(capture::TranscriptEntry::Direction direction, std::string text) {
    if (m_sessions.empty()) {
      return;
    }
    const auto offset =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - m_session_start);
    m_sessions.back().transcript.push_back({direction, std::move(text), offset});
  }

  void record_reply(const smtp::Reply& reply) {
    const std::string wire = reply.wire();
    for (std::size_t start = 0; start < wire.size();) {
      const auto end = wire.find("\r\n", start);
      record(capture::TranscriptEntry::Direction::server, wire.substr(start, end - start));
      start = end == std::string::npos ? wire.size() : end + 2;
    }
  }

  std::string expand(const std::string& text) const { return scenario::expand_templates(text, m_templates); }

  bool open(std::size_t line) {
    m_greeting.reset();
    auto failed = m_client.connect(m_target.host, m_target.port, m_timeout);
    if (!failed) {
      capture::SessionRecord session;
      session.id = m_sessions.size() + 1;
      session.client_address = m_target.host;  // where the client went, as it knows it
      session.client_port = m_target.port;
      session.started = std::chrono::system_clock::now();
      m_session_start = std::chrono::steady_clock::now();
      m_sessions.push_back(std::move(session));
    }
    if (!failed && m_target.tls == smtp::TlsMode::implicit) {
      failed = m_client.start_tls(m_target.server_name);
    }
    std::string error;
    if (!failed) {
      m_greeting = m_client.read_reply(error);
      if (!m_greeting) {
        failed = "no greeting: " + error;
      } else {
        record_reply(*m_greeting);
      }
    }
    if (failed) {
      m_outcomes.push_back(StepOutcome{.line = line,
                                       .action = "connect " + m_target.host + ":" + std::to_string(m_target.port),
                                       .reply = std::nullopt,
                                       .expected = "a greeting",
                                       .ok = false,
                                       .unexpected_reply = false,
                                       .problem = *failed});
      return false;
    }
    return true;
  }

  // Reads one reply into `outcome`; false, with the problem recorded, when none came.
  bool receive(StepOutcome& outcome) {
    std::string error;
    outcome.reply = m_client.read_reply(error);
    if (!outcome.reply) {
      outcome.ok = false;
      outcome.problem = error;
      return false;
    }
    record_reply(*outcome.reply);
    return true;
  }

  // Sends a line and reads the reply into `outcome`; false when the I/O failed. The transcript
  // gets `shown` (AUTH payloads masked), or the line itself.
  bool exchange(const std::string& line, StepOutcome& outcome, std::optional<std::string> shown = std::nullopt) {
    record(capture::TranscriptEntry::Direction::client, shown.value_or(line));
    if (auto failed = m_client.send(line + "\r\n")) {
      outcome.ok = false;
      outcome.problem = *failed;
      return false;
    }
    return receive(outcome);
  }

  void judge(const scenario::ClientStep& step, StepOutcome& outcome) {
    if (step.expect) {
      outcome.expected = describe(*step.expect);
    }
    if (!outcome.reply) {
      return;
    }
    outcome.problem = check(step.expect, *outcome.reply);
    outcome.ok = outcome.problem.empty();
    outcome.unexpected_reply = !outcome.ok;
  }

  // A step without `expect` that still needs one reply to go on (STARTTLS, AUTH).
  static void refuse_unless(int code, std::string_view what, StepOutcome& outcome) {
    outcome.expected = std::to_string(code);
    outcome.ok = false;
    outcome.unexpected_reply = true;
    outcome.problem = std::string(what) + " refused: " + outcome.reply->summary();
  }

  StepOutcome run_step(const scenario::ClientStep& step) {
    using Kind = scenario::ClientStep::Kind;
    StepOutcome outcome;
    outcome.line = step.line;
    switch (step.kind) {
      case Kind::connect:
        outcome.action = "connect";
        if (open(step.line)) {
          outcome.reply = m_greeting;
          m_greeting.reset();
          judge(step, outcome);
        } else {
          outcome = std::move(m_outcomes.back());
          m_outcomes.pop_back();
        }
        return outcome;
      case Kind::expect_only: {
        outcome.action = "(read reply)";
        if (m_greeting) {
          outcome.reply = std::exchange(m_greeting, std::nullopt);
        } else if (!receive(outcome)) {
          return outcome;
        }
        judge(step, outcome);
        return outcome;
      }
      case Kind::send:
        outcome.action = expand(step.text);
        break;
      case Kind::quit:
        outcome.action = "QUIT";
        break;
      case Kind::starttls:
        outcome.action = "STARTTLS";
        break;
      case Kind::auth:
        return run_auth(step);
      case Kind::data:
        return run_data(step);
    }
    m_greeting.reset();
    if (!exchange(outcome.action, outcome)) {
      return outcome;
    }
    judge(step, outcome);
    if (step.kind == Kind::starttls && outcome.reply->code == 220) {
      if (auto failed = m_client.start_tls(m_target.server_name)) {
        outcome.ok = false;
        outcome.problem = *failed;
        outcome.reply.reset();
      }
    } else if (step.kind == Kind::starttls && !step.expect) {
      refuse_unless(220, "STARTTLS", outcome);
    }
    if (step.kind == Kind::quit) {
      m_client.close();
    }
    return outcome;
  }

  StepOutcome run_auth(const scenario::ClientStep& step) {
    StepOutcome outcome;
    outcome.line = step.line;
    const auto& auth = *step.auth;
    const std::string user = expand(auth.user);
    const std::string password = expand(auth.password);
    const std::string mechanism(smtp::to_string(auth.mechanism));
    outcome.action = "AUTH " + mechanism + " ***";
    m_greeting.reset();
    switch (auth.mechanism) {
      case smtp::AuthMechanism::plain: {
        std::string token = std::string(1, '\0') + user + std::string(1, '\0') + password;
        if (!exchange("AUTH PLAIN " + smtp::sasl::base64_encode(token), outcome, "AUTH PLAIN ***")) {
          return outcome;
        }
        break;
      }
      case smtp::AuthMechanism::login:
        if (!exchange("AUTH LOGIN", outcome) || outcome.reply->code != 334 ||
            !exchange(smtp::sasl::base64_encode(user), outcome, "***") || outcome.reply->code != 334 ||
            !exchange(smtp::sasl::base64_encode(password), outcome, "***")) {
          break;
        }
        break;
      case smtp::AuthMechanism::cram_md5: {
        if (!exchange("AUTH CRAM-MD5", outcome) || outcome.reply->code != 334) {
          break;
        }
        auto challenge = smtp::sasl::base64_decode(outcome.reply->lines.empty() ? "" : outcome.reply->lines.front());
        if (!challenge) {
          outcome.ok = false;
          outcome.problem = "the server's CRAM-MD5 challenge is not base64";
          return outcome;
        }
        exchange(smtp::sasl::base64_encode(user + " " + smtp::sasl::hmac_md5_hex(password, *challenge)), outcome,
                 "***");
        break;
      }
    }
    judge(step, outcome);
    if (!step.expect && outcome.reply && outcome.reply->code != 235) {
      refuse_unless(235, "authentication", outcome);
    }
    return outcome;
  }

  StepOutcome run_data(const scenario::ClientStep& step) {
    StepOutcome outcome;
    outcome.line = step.line;
    outcome.action = "DATA";
    m_greeting.reset();
    if (!exchange("DATA", outcome)) {
      return outcome;
    }
    if (outcome.reply->code != 354) {
      // The refusal of DATA itself is what the step's expectation is judged on.
      judge(step, outcome);
      return outcome;
    }
    const std::string message = dot_stuff(expand(step.text));
    if (auto failed = m_client.send(message)) {
      outcome.ok = false;
      outcome.problem = *failed;
      outcome.reply.reset();
      return outcome;
    }
    // As the sandbox notes it: the reply that follows answers END_OF_DATA.
    record(capture::TranscriptEntry::Direction::event, "message: " + std::to_string(message.size()) + " octets sent");
    if (receive(outcome)) {
      judge(step, outcome);
    }
    return outcome;
  }
};

}  // namespace

std::string dot_stuff(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (line_start && c == '.') {
      out += '.';
    }
    if (c == '\n' && (out.empty() || out.back() != '\r')) {
      out += '\r';
    }
    out += c;
    line_start = c == '\n';
  }
  if (!out.empty() && !line_start) {
    out += "\r\n";
  }
  out += ".\r\n";
  return out;
}

ClientRun run_client(const scenario::ClientSpec& client, const ClientTarget& target,
                     const std::map<std::string, std::string>& templates, std::chrono::milliseconds step_timeout) {
  Conversation conversation(target, templates, step_timeout);
  return conversation.run(client.steps);
}

}  // namespace maildog::runner
