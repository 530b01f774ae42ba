// Rule faults over a real socket: what a client actually receives when the sandbox tarpits,
// splits a reply, drops the connection mid-message or breaks the STARTTLS handshake.
#include "integration/harness.hpp"

namespace maildog::test {
namespace {

using namespace std::chrono_literals;

smtp::ServerConfig with_rule(rules::Stage stage, rules::Fault::Kind kind, std::chrono::milliseconds duration = 0ms) {
  smtp::ServerConfig config = test_config();
  rules::Rule rule;
  rule.at = stage;
  rule.fault = rules::Fault{kind, duration};
  config.rules.push_back(rule);
  return config;
}

TEST_CASE("a tarpit dribbles the greeting, which still arrives whole", "[integration][fault]") {
  Sandbox sandbox(with_rule(rules::Stage::connect, rules::Fault::Kind::tarpit, 3s));
  SmtpClient client(10s);
  REQUIRE(client.connect(sandbox.port()));
  // Spread over three seconds, the first bytes cannot be the whole greeting.
  const std::string first = client.read_available(2s);
  REQUIRE_FALSE(first.empty());
  REQUIRE(first.find("\r\n") == std::string::npos);
  std::string whole = first;
  for (int reads = 0; whole.find("\r\n") == std::string::npos && reads < 200; ++reads) {
    whole += client.read_available(2s);
  }
  REQUIRE(code_of(smtp::Reply::parse(whole)) == "220");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  REQUIRE(event_noted(sessions[0], "fault: tarpit over 3000 ms"));
}

TEST_CASE("a split reply arrives in pieces and reads as one", "[integration][fault]") {
  Sandbox sandbox(with_rule(rules::Stage::helo, rules::Fault::Kind::split));
  SmtpClient client;
  REQUIRE(client.connect(sandbox.port()));
  REQUIRE(code_of(client.read_reply()) == "220");
  auto ehlo = client.command("EHLO client.example.test");
  REQUIRE(code_of(ehlo) == "250");
  REQUIRE(std::find(ehlo->lines.begin(), ehlo->lines.end(), "CHUNKING") != ehlo->lines.end());
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(event_noted(sessions.at(0), "fault: reply split across two TCP segments"));
}

TEST_CASE("a drop fault closes the connection mid-message without a reply", "[integration][fault]") {
  Sandbox sandbox(with_rule(rules::Stage::data, rules::Fault::Kind::drop));
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
  REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
  REQUIRE(code_of(client.command("DATA")) == "354");
  client.send_raw("Subject: cut short\r\n\r\nthe first part");
  REQUIRE(client.wait_for_close());
  auto sessions = sandbox.wait_for_sessions(1);
  REQUIRE(sessions.size() == 1);
  INFO(transcript_text(sessions[0]));
  REQUIRE(sessions[0].close_reason == "dropped during DATA (fault)");
  REQUIRE(sessions[0].transactions.size() == 1);
  REQUIRE_FALSE(sessions[0].transactions[0].delivered);
}

TEST_CASE("a tls_failure fault answers 220 to STARTTLS and closes", "[integration][fault]") {
  smtp::ServerConfig config = with_rule(rules::Stage::starttls, rules::Fault::Kind::tls_failure);
  config.tls = smtp::TlsMode::starttls;
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("STARTTLS")) == "220 2.0.0");
  REQUIRE(client.wait_for_close());
  auto sessions = sandbox.wait_for_sessions(1);
  REQUIRE(event_noted(sessions.at(0), "fault: no TLS handshake after 220"));
  REQUIRE_FALSE(sessions[0].tls);
}

}  // namespace
}  // namespace maildog::test
