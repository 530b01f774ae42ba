// Hostile clients at volume: a thousand connections at once, slowloris, a 10 MB line, 10,000
// pipelined commands, invalid UTF-8, TLS garbage and a handshake dropped halfway, AUTH with
// invalid base64. During each, a well-behaved client must still deliver a message, and after
// it the server holds no more file descriptors than before. Loops are bounded in count and time.
#include <sys/resource.h>

#include <filesystem>

#include "integration/harness.hpp"
#include "support/skip.hpp"

namespace maildog::test {
namespace {

using namespace std::chrono_literals;

std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

// One whole transaction from a client that does everything right; the message is captured.
void deliver_one(std::uint16_t port, const std::string& tag) {
  SmtpClient client;
  open_session(client, port, "good.example.test");
  REQUIRE(code_of(client.command("MAIL FROM:<good@example.test>")) == "250 2.1.0");
  REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
  REQUIRE(code_of(client.command("DATA")) == "354");
  REQUIRE(client.send_raw("Subject: " + tag + "\r\n\r\nwell-behaved\r\n.\r\n"));
  REQUIRE(code_of(client.read_reply()) == "250 2.0.0");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
}

bool delivered(const std::vector<capture::SessionRecord>& sessions, const std::string& tag) {
  for (const auto& session : sessions) {
    for (const auto& transaction : session.transactions) {
      if (transaction.delivered && transaction.message &&
          transaction.message->find("Subject: " + tag + "\r\n") != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

// Every session of `sandbox` closed, then the descriptors are back to `baseline`.
void check_no_leak(Sandbox& sandbox, std::size_t baseline) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (sandbox.server().active_sessions() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(sandbox.server().active_sessions() == 0);
  CHECK(open_descriptors() == baseline);
}

// Raises the soft descriptor limit so one process can hold both ends of `connections` sockets.
bool allow_descriptors(std::size_t connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return false;
  }
  const rlim_t wanted = connections * 2 + 256;
  if (limit.rlim_cur >= wanted) {
    return true;
  }
  if (limit.rlim_max < wanted) {
    return false;
  }
  limit.rlim_cur = wanted;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

}  // namespace

TEST_CASE("1,000 connections at once are all greeted while a good client delivers", "[integration][hostile][load]") {
  constexpr std::size_t k_connections = 1000;
  if (!allow_descriptors(k_connections)) {
    MAILDOG_SKIP("the descriptor limit (ulimit -Hn) is below " << k_connections * 2 + 256);
    return;
  }
  Sandbox sandbox;
  const std::size_t baseline = open_descriptors();
  {
    std::vector<std::unique_ptr<SmtpClient>> crowd;
    for (std::size_t i = 0; i < k_connections; ++i) {
      crowd.push_back(std::make_unique<SmtpClient>());
      REQUIRE(crowd.back()->connect(sandbox.port()));
    }
    std::size_t greeted = 0;
    for (auto& client : crowd) {
      greeted += code_of(client->read_reply()) == "220" ? 1 : 0;
    }
    CHECK(greeted == k_connections);
    deliver_one(sandbox.port(), "during the crowd");
  }  // the crowd disconnects without QUIT
  check_no_leak(sandbox, baseline);
  auto sessions = sandbox.finish();
  CHECK(sessions.size() == k_connections + 1);
  CHECK(delivered(sessions, "during the crowd"));
}

TEST_CASE("a slowloris client is cut off at the session deadline, others are served", "[integration][hostile]") {
  auto config = test_config();
  config.limits.session_deadline = 3s;
  Sandbox sandbox(config);
  const std::size_t baseline = open_descriptors();
  SmtpClient slow(10s);
  open_session(slow, sandbox.port(), "");
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  // A byte every 200 ms never completes a line; bounded at 60 bytes (12 s).
  for (int i = 0; i < 60 && !closed; ++i) {
    closed = !slow.send_raw("A");
    if (i == 3) {
      deliver_one(sandbox.port(), "beside the slowloris");
    }
    const std::string seen = slow.read_available(200ms);
    closed = closed || seen.find("421") != std::string::npos;
  }
  CHECK(closed);
  CHECK(std::chrono::steady_clock::now() - started < 8s);
  slow.close();
  check_no_leak(sandbox, baseline);
  auto sessions = sandbox.finish();
  CHECK(delivered(sessions, "beside the slowloris"));
}

TEST_CASE("a 10 MB line costs one 500 5.5.2 and no memory in the transcript", "[integration][hostile]") {
  Sandbox sandbox;
  SmtpClient client(20s);
  open_session(client, sandbox.port());
  const std::string chunk(1024 * 1024, 'B');
  for (int i = 0; i < 10; ++i) {
    REQUIRE(client.send_raw(chunk));
  }
  REQUIRE(client.send_raw("\r\n"));
  CHECK(code_of(client.read_reply()) == "500 5.5.2");
  deliver_one(sandbox.port(), "after the long line");
  CHECK(code_of(client.command("NOOP")) == "250 2.0.0");
  client.close();
  auto sessions = sandbox.finish();
  for (const auto& session : sessions) {
    for (const auto& entry : session.transcript) {
      REQUIRE(entry.text.size() < 4096);
    }
  }
  CHECK(delivered(sessions, "after the long line"));
}

TEST_CASE("10,000 pipelined commands in one write are answered in order", "[integration][hostile]") {
  Sandbox sandbox;
  SmtpClient client(20s);
  open_session(client, sandbox.port());
  constexpr int k_commands = 10000;
  std::string burst;
  for (int i = 0; i < k_commands; ++i) {
    burst += i % 2 == 0 ? "NOOP\r\n" : "RSET\r\n";
  }
  REQUIRE(client.send_raw(burst));
  int answered = 0;
  for (int i = 0; i < k_commands; ++i) {
    const auto reply = client.read_reply();
    if (!reply || reply->code != 250) {
      break;
    }
    ++answered;
  }
  CHECK(answered == k_commands);
  deliver_one(sandbox.port(), "after the burst");
  CHECK(code_of(client.command("QUIT")) == "221 2.0.0");
  CHECK(delivered(sandbox.finish(), "after the burst"));
}

TEST_CASE("invalid UTF-8 and NUL bytes in every command get sane replies", "[integration][hostile]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port(), "");
  CHECK(code_of(client.command("EHLO \xff\xfe.example.test")) != "none");
  const std::vector<std::string> lines{"MAIL FROM:<\xc3\x28@example.test>",
                                       std::string("MAIL FROM:<a\0b@example.test>", 28),
                                       "RCPT TO:<\xed\xa0\x80@inbox.test>", "\x80\x81\x82"};
  for (const auto& line : lines) {
    const auto reply = client.command(line);
    REQUIRE(reply);
    CHECK(reply->code >= 500);
  }
  // RFC 5321 3.5.3: VRFY may answer 252 whatever it is given; it must answer.
  CHECK(code_of(client.command("VRFY \xf8\x88\x80\x80\x80")) == "252 2.0.0");
  CHECK(code_of(client.command("RSET")) == "250 2.0.0");
  CHECK(code_of(client.command("QUIT")) == "221 2.0.0");
  sandbox.finish();
}

TEST_CASE("TLS garbage and a handshake dropped halfway leave the server serving", "[integration][hostile][tls]") {
  auto config = test_config();
  config.tls = smtp::TlsMode::starttls;
  Sandbox sandbox(config);
  const std::size_t baseline = open_descriptors();
  {
    SmtpClient garbage;
    open_session(garbage, sandbox.port());
    REQUIRE(code_of(garbage.command("STARTTLS")) == "220 2.0.0");
    REQUIRE(garbage.send_raw(std::string(4096, '\x16') + "not a TLS record at all"));
    CHECK(garbage.wait_for_close());
  }
  {
    SmtpClient dropped;
    open_session(dropped, sandbox.port());
    REQUIRE(code_of(dropped.command("STARTTLS")) == "220 2.0.0");
    // The first bytes of a TLS 1.2 ClientHello record header, then nothing more.
    REQUIRE(dropped.send_raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
    dropped.close();
  }
  deliver_one(sandbox.port(), "after the TLS garbage");
  check_no_leak(sandbox, baseline);
  auto sessions = sandbox.finish();
  CHECK(delivered(sessions, "after the TLS garbage"));
  std::size_t failed_handshakes = 0;
  for (const auto& session : sessions) {
    failed_handshakes += transcript_text(session).find("TLS handshake failed") != std::string::npos ? 1 : 0;
  }
  CHECK(failed_handshakes == 2);
}

TEST_CASE("AUTH with invalid base64 gets 501 5.5.2 and the session goes on", "[integration][hostile][auth]") {
  auto config = test_config();
  config.auth = smtp::AuthConfig{};
  config.auth->users["alice"] = "s3cret-pass";
  config.auth->allow_plaintext_without_tls = true;
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  CHECK(code_of(client.command("AUTH PLAIN !!!not*base64===")) == "501 5.5.2");
  REQUIRE(code_of(client.command("AUTH LOGIN")) == "334");
  CHECK(code_of(client.command("%%%")) == "501 5.5.2");
  CHECK(code_of(client.command("AUTH PLAIN AGFsaWNlAHMzY3JldC1wYXNz")) == "235 2.7.0");
  CHECK(code_of(client.command("QUIT")) == "221 2.0.0");
  sandbox.finish();
}

}  // namespace maildog::test
