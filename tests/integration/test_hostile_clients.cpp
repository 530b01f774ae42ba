// Clients that misbehave on purpose: huge lines, NUL bytes, bare LF, SMTP smuggling, error
// floods and vanishing mid-DATA. The server must answer sanely, keep running and record it all.
#include "integration/harness.hpp"

namespace maildog::test {
namespace {

using namespace std::chrono_literals;

// Opens a transaction and sends DATA; the caller sends the body.
void start_data(SmtpClient& client) {
  REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
  REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
  REQUIRE(code_of(client.command("DATA")) == "354");
}

TEST_CASE("a 100 KB command line gets one 500 5.5.2 and the session goes on", "[integration][hostile]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(client.send_raw("NOOP " + std::string(100 * 1024, 'A') + "\r\n"));
  auto reply = client.read_reply();
  REQUIRE(code_of(reply) == "500 5.5.2");
  REQUIRE(contains(reply->text(), "line too long"));
  // Exactly one reply for the long line: the next one answers the NOOP.
  REQUIRE(code_of(client.command("NOOP")) == "250 2.0.0");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  INFO(transcript_text(sessions[0]));
  REQUIRE(client_said(sessions[0], "[line over 12288 octets]"));
  // The transcript never holds the 100 KB.
  for (const auto& entry : sessions[0].transcript) {
    REQUIRE(entry.text.size() < 1024);
  }
}

TEST_CASE("a NUL byte in a command is refused without harm", "[integration][hostile]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  const std::string with_nul("NO\0OP", 5);
  REQUIRE(client.send_raw(with_nul + "\r\n"));
  REQUIRE(code_of(client.read_reply()) == "500 5.5.2");
  REQUIRE(code_of(client.command("NOOP")) == "250 2.0.0");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  // The transcript keeps the line as received, NUL included (no escaping).
  bool found = false;
  for (const auto& entry : sessions[0].transcript) {
    found = found || (entry.direction == capture::TranscriptEntry::Direction::client && entry.text == with_nul);
  }
  REQUIRE(found);
}

TEST_CASE("bare LF in DATA", "[integration][hostile]") {
  // Refused with 550 5.6.0 by default (strict); accepted when reject_bare_lf is off.
  const bool strict = GENERATE(true, false);
  CAPTURE(strict);
  auto config = test_config();
  REQUIRE(config.limits.reject_bare_lf);
  config.limits.reject_bare_lf = strict;
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  start_data(client);
  REQUIRE(client.send_raw("Subject: bare\nbody line\r\n.\r\n"));
  REQUIRE(code_of(client.read_reply()) == (strict ? "550 5.6.0" : "250 2.0.0"));
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.at(0).transactions.size() == 1);
  const auto& transaction = sessions[0].transactions[0];
  REQUIRE(transaction.bare_lf);
  REQUIRE(transaction.delivered == !strict);
  REQUIRE(message_of(transaction) == "Subject: bare\nbody line\r\n");
}

TEST_CASE("SMTP smuggling: a lone LF-dot-LF does not end the message", "[integration][hostile]") {
  auto config = test_config();
  config.limits.reject_bare_lf = false;  // so the whole message is accepted and can be inspected
  // RFC 5321 4.1.1.4: only CRLF "." CRLF ends DATA; everything else is message content.
  const std::string fake_end = GENERATE(as<std::string>{}, "\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n");
  CAPTURE(fake_end);
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  start_data(client);
  const std::string smuggled = "MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@inbox.test>\r\nDATA\r\n";
  REQUIRE(
      client.send_raw("Subject: outer\r\n\r\nlegit" + fake_end + smuggled + "Subject: inner\r\n\r\nspoof\r\n.\r\n"));
  REQUIRE(code_of(client.read_reply()) == "250 2.0.0");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  INFO(transcript_text(sessions[0]));
  REQUIRE(sessions[0].transactions.size() == 1);
  const std::string message = message_of(sessions[0].transactions[0]);
  REQUIRE(contains(message, "MAIL FROM:<evil@attacker.test>"));
  REQUIRE(contains(message, "Subject: inner"));
  REQUIRE_FALSE(client_said(sessions[0], "evil@attacker.test"));
}

TEST_CASE("an error flood ends with 421 after limits.errors", "[integration][hostile]") {
  auto config = test_config();
  const std::size_t limit = config.limits.errors;
  REQUIRE(limit == 20);
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  std::size_t refused = 0;
  bool closed_with_421 = false;
  // One command at a time, so no reply is lost to a reset on unread input.
  for (int i = 0; i < 200 && !closed_with_421; ++i) {
    auto reply = client.command("XYZZY " + std::to_string(i));
    REQUIRE(reply);
    if (reply->code == 500) {
      ++refused;
      if (refused == limit) {
        // The 421 follows the last 500 unasked.
        closed_with_421 = code_of(client.read_reply()) == "421 4.7.0";
      }
    }
  }
  REQUIRE(refused == limit);
  REQUIRE(closed_with_421);
  REQUIRE(client.wait_for_close());
  auto sessions = sandbox.wait_for_sessions(1);
  REQUIRE(server_said(sessions[0], "421 4.7.0"));
  REQUIRE(sessions[0].close_reason == "closed by server");
}

TEST_CASE("a client vanishing mid-DATA does not disturb another", "[integration][hostile]") {
  Sandbox sandbox;
  SmtpClient steady;
  open_session(steady, sandbox.port(), "steady.example.test");
  REQUIRE(code_of(steady.command("MAIL FROM:<steady@example.test>")) == "250 2.1.0");

  {
    SmtpClient quitter;
    open_session(quitter, sandbox.port(), "quitter.example.test");
    REQUIRE(code_of(quitter.command("MAIL FROM:<quitter@example.test>")) == "250 2.1.0");
    REQUIRE(code_of(quitter.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
    REQUIRE(code_of(quitter.command("DATA")) == "354");
    REQUIRE(quitter.send_raw("Subject: never finished\r\n\r\nhalf a mess"));
    // The steady client is served while the other one sits in DATA.
    REQUIRE(code_of(steady.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
    quitter.close();
  }
  auto finished = sandbox.wait_for_sessions(1);
  REQUIRE(finished.size() == 1);
  REQUIRE(finished[0].helo == "quitter.example.test");
  INFO(transcript_text(finished[0]));
  REQUIRE(finished[0].close_reason == "client closed during DATA");
  REQUIRE(finished[0].transactions.size() == 1);
  REQUIRE_FALSE(finished[0].transactions[0].delivered);
  REQUIRE(finished[0].transactions[0].mail_from == "quitter@example.test");
  REQUIRE(finished[0].transactions[0].accepted_recipients() == std::vector<std::string>{"user@inbox.test"});

  REQUIRE(code_of(steady.command("DATA")) == "354");
  REQUIRE(steady.send_raw("Subject: steady\r\n\r\nfine\r\n.\r\n"));
  REQUIRE(code_of(steady.read_reply()) == "250 2.0.0");
  REQUIRE(code_of(steady.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 2);
  REQUIRE(sessions[0].helo == "steady.example.test");
  REQUIRE(sessions[0].transactions.size() == 1);
  REQUIRE(sessions[0].transactions[0].delivered);
}

}  // namespace
}  // namespace maildog::test
