// CHUNKING/BDAT (RFC 3030) over a real socket: chunks pipelined in one write, binary octets,
// and a chunk that contains what DATA would take as its end. None of the real clients the
// other tests drive (swaks, smtplib, curl, msmtp, s_client) sends BDAT, so the raw-socket client
// speaks for them.
#include "integration/harness.hpp"

namespace maildog::test {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

TEST_CASE("BDAT chunks pipelined in one write make one message", "[integration][bdat]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  const std::string first = "Subject: chunks\r\n\r\nline one\r\n.\r\nstill the message\r\n"s;
  const std::string second = "binary \0\x01\xfe\xff tail\r\n"s;
  std::string batch = "MAIL FROM:<app@example.test> BODY=BINARYMIME\r\nRCPT TO:<user@inbox.test>\r\n";
  batch += "BDAT " + std::to_string(first.size()) + "\r\n" + first;
  batch += "BDAT " + std::to_string(second.size()) + " LAST\r\n" + second;
  batch += "QUIT\r\n";
  REQUIRE(client.send_raw(batch));
  REQUIRE(code_of(client.read_reply()) == "250 2.1.0");
  REQUIRE(code_of(client.read_reply()) == "250 2.1.5");
  auto chunk = client.read_reply();
  REQUIRE(code_of(chunk) == "250 2.0.0");
  REQUIRE(contains(chunk->text(), std::to_string(first.size()) + " octets received"));
  auto last = client.read_reply();
  REQUIRE(code_of(last) == "250 2.0.0");
  REQUIRE(contains(last->text(), "queued"));
  REQUIRE(code_of(client.read_reply()) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  INFO(transcript_text(sessions[0]));
  REQUIRE(sessions[0].transactions.size() == 1);
  const auto& tx = sessions[0].transactions[0];
  REQUIRE(tx.delivered);
  REQUIRE(*tx.message == first + second);
  // The octets are data, never commands: no 500 in the transcript.
  for (const auto& entry : sessions[0].transcript) {
    REQUIRE_FALSE(entry.text.starts_with("500"));
  }
}

TEST_CASE("a BDAT chunk split over many writes is reassembled", "[integration][bdat]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("MAIL FROM:<app@example.test>")) == "250 2.1.0");
  REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
  const std::string body = "Subject: slow\r\n\r\n" + std::string(70000, 'x') + "\r\n";
  REQUIRE(client.send_raw("BDAT " + std::to_string(body.size()) + " LAST\r\n"));
  for (std::size_t at = 0; at < body.size(); at += 8192) {
    REQUIRE(client.send_raw(body.substr(at, 8192)));
  }
  REQUIRE(code_of(client.read_reply()) == "250 2.0.0");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  REQUIRE(sessions[0].transactions.size() == 1);
  REQUIRE(sessions[0].transactions[0].message->size() == body.size());
}

TEST_CASE("a client that drops in the middle of a chunk is recorded as not delivered", "[integration][bdat]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("MAIL FROM:<app@example.test>")) == "250 2.1.0");
  REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
  REQUIRE(client.send_raw("BDAT 1000 LAST\r\nonly part of it"));
  client.close();
  auto sessions = sandbox.wait_for_sessions(1);
  REQUIRE(sessions.size() == 1);
  INFO(transcript_text(sessions[0]));
  REQUIRE(sessions[0].close_reason == "client closed during DATA");
  REQUIRE(sessions[0].transactions.size() == 1);
  REQUIRE_FALSE(sessions[0].transactions[0].delivered);
}

}  // namespace
}  // namespace maildog::test
