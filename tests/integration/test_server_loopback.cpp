// The sandbox server on loopback, driven byte by byte with the test client: dialogue rules,
// limits, pipelining, faults from rules, concurrency, shutdown and timeouts.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "integration/harness.hpp"

namespace maildog::test {
namespace {

using namespace std::chrono_literals;
using smtp::TlsMode;

// Sends a whole message after DATA (CRLF line endings, final dot) and returns the final reply.
std::optional<smtp::Reply> send_message(SmtpClient& client, std::string_view from, std::string_view to,
                                        std::string_view body_with_crlf) {
  auto mail = client.command("MAIL FROM:<" + std::string(from) + ">");
  if (!mail || mail->code != 250) {
    return mail;
  }
  auto rcpt = client.command("RCPT TO:<" + std::string(to) + ">");
  if (!rcpt || rcpt->code != 250) {
    return rcpt;
  }
  auto data = client.command("DATA");
  if (!data || data->code != 354) {
    return data;
  }
  client.send_raw(std::string(body_with_crlf) + ".\r\n");
  return client.read_reply();
}

// For worker threads, where Catch2 assertions may not run: connects and says EHLO.
bool connect_and_greet(SmtpClient& client, std::uint16_t port, int index) {
  return client.connect(port) && code_of(client.read_reply()) == "220" &&
         code_of(client.command("EHLO c" + std::to_string(index) + ".test")) == "250";
}

rules::Rule fault_rule(rules::Stage stage, rules::Fault::Kind kind, std::chrono::milliseconds duration = 0ms) {
  rules::Rule rule;
  rule.at = stage;
  rule.fault = rules::Fault{kind, duration};
  return rule;
}

TEST_CASE("commands out of sequence get 503 5.5.1", "[integration][loopback]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port(), "");

  SECTION("MAIL before EHLO") { REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "503 5.5.1"); }
  SECTION("RCPT before MAIL") {
    REQUIRE(code_of(client.command("EHLO client.test")) == "250");
    REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "503 5.5.1");
  }
  SECTION("DATA before MAIL") {
    REQUIRE(code_of(client.command("EHLO client.test")) == "250");
    REQUIRE(code_of(client.command("DATA")) == "503 5.5.1");
  }
  SECTION("DATA before any RCPT: no valid recipients (RFC 5321 3.3 allows 503 or 554)") {
    REQUIRE(code_of(client.command("EHLO client.test")) == "250");
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
    REQUIRE(code_of(client.command("DATA")) == "554 5.5.1");
  }
  SECTION("nested MAIL") {
    REQUIRE(code_of(client.command("EHLO client.test")) == "250");
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
    REQUIRE(code_of(client.command("MAIL FROM:<b@example.test>")) == "503 5.5.1");
  }
  // The session survives every error.
  REQUIRE(code_of(client.command("NOOP")) == "250 2.0.0");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
}

TEST_CASE("syntax errors get 500 and 501", "[integration][loopback]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());

  SECTION("MAIL FROM without angle brackets") {
    auto reply = client.command("MAIL FROM:a@example.test");
    REQUIRE(reply);
    REQUIRE(reply->code == 501);
  }
  SECTION("MAIL without FROM:") { REQUIRE(code_of(client.command("MAIL <a@example.test>")) == "501 5.5.4"); }
  SECTION("RCPT TO without angle brackets") {
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
    auto reply = client.command("RCPT TO:user@inbox.test");
    REQUIRE(reply);
    REQUIRE(reply->code == 501);
  }
  SECTION("unknown command") { REQUIRE(code_of(client.command("XYZZY plugh")) == "500 5.5.2"); }
  SECTION("EHLO without a domain") { REQUIRE(code_of(client.command("EHLO")) == "501 5.5.4"); }
  REQUIRE(code_of(client.command("NOOP")) == "250 2.0.0");
}

TEST_CASE("VRFY, HELP and NOOP", "[integration][loopback]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("VRFY user@inbox.test")) == "252 2.0.0");
  auto help = client.command("HELP");
  REQUIRE(code_of(help) == "214 2.0.0");
  REQUIRE(help->lines.size() >= 1);
  REQUIRE(code_of(client.command("NOOP")) == "250 2.0.0");
  REQUIRE(code_of(client.command("noop")) == "250 2.0.0");
}

TEST_CASE("RSET clears the transaction", "[integration][loopback]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("MAIL FROM:<first@example.test>")) == "250 2.1.0");
  REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
  REQUIRE(code_of(client.command("RSET")) == "250 2.0.0");
  REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "503 5.5.1");
  REQUIRE(code_of(client.command("DATA")) == "503 5.5.1");
  // No "nested MAIL" after RSET.
  REQUIRE(code_of(send_message(client, "second@example.test", "user@inbox.test", "Subject: after rset\r\n\r\nx\r\n"))
              .substr(0, 3) == "250");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");

  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  INFO(transcript_text(sessions[0]));
  // The reset transaction is kept as abandoned (not delivered); only the second one was sent.
  REQUIRE(sessions[0].transactions.size() == 2);
  REQUIRE(sessions[0].transactions[0].mail_from == "first@example.test");
  REQUIRE_FALSE(sessions[0].transactions[0].delivered);
  REQUIRE_FALSE(sessions[0].transactions[0].message);
  REQUIRE(event_noted(sessions[0], "transaction abandoned: RSET"));
  REQUIRE(sessions[0].transactions[1].mail_from == "second@example.test");
  REQUIRE(sessions[0].transactions[1].delivered);
}

TEST_CASE("EHLO lists the extensions on offer", "[integration][loopback]") {
  // With TLS on offer, AUTH waits for it (RFC 4954 4); without, it is advertised at once.
  const auto [tls_offered, auth_configured] =
      GENERATE(table<bool, bool>({{false, false}, {true, false}, {true, true}, {false, true}}));
  CAPTURE(tls_offered, auth_configured);
  auto config = test_config();
  if (tls_offered) {
    config.tls = TlsMode::starttls;
  }
  if (auth_configured) {
    config.auth = smtp::AuthConfig{};
  }
  config.limits.message_size = 123456;
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port(), "");
  auto ehlo = client.command("EHLO client.example.test");
  REQUIRE(code_of(ehlo) == "250");
  INFO(client.last_raw());
  const auto& lines = ehlo->lines;
  auto has = [&](std::string_view keyword) {
    for (const auto& line : lines) {
      if (line == keyword) {
        return true;
      }
    }
    return false;
  };
  auto has_prefix = [&](std::string_view prefix) {
    for (const auto& line : lines) {
      if (line.rfind(prefix, 0) == 0) {
        return true;
      }
    }
    return false;
  };
  REQUIRE(has("PIPELINING"));
  REQUIRE(has("SIZE 123456"));
  REQUIRE(has("8BITMIME"));
  REQUIRE(has("SMTPUTF8"));
  REQUIRE(has("ENHANCEDSTATUSCODES"));
  REQUIRE(has("STARTTLS") == tls_offered);
  REQUIRE(has_prefix("AUTH") == (auth_configured && !tls_offered));
  if (auth_configured && !tls_offered) {
    REQUIRE(has("AUTH PLAIN LOGIN CRAM-MD5"));
  }
}

TEST_CASE("SIZE limits: declared and actual", "[integration][loopback]") {
  auto config = test_config();
  config.limits.message_size = 1000;
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());

  SECTION("SIZE= over the limit is refused at MAIL") {
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test> SIZE=5000")) == "552 5.3.4");
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test> SIZE=500")) == "250 2.1.0");
  }
  SECTION("a message over the limit gets 552 5.3.4 after the dot; the session goes on") {
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; i < 40; ++i) {
      big += std::string(70, 'x') + "\r\n";
    }
    REQUIRE(code_of(send_message(client, "a@example.test", "user@inbox.test", big)) == "552 5.3.4");
    REQUIRE(code_of(client.command("NOOP")) == "250 2.0.0");
    auto small = send_message(client, "a@example.test", "user@inbox.test", "Subject: small\r\n\r\nok\r\n");
    REQUIRE(code_of(small) == "250 2.0.0");
    REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");

    auto sessions = sandbox.finish();
    REQUIRE(sessions.size() == 1);
    INFO(transcript_text(sessions[0]));
    const auto& transactions = sessions[0].transactions;
    REQUIRE(transactions.size() == 2);
    REQUIRE_FALSE(transactions[0].delivered);
    REQUIRE(transactions[0].final_reply->code == 552);
    REQUIRE(transactions[1].delivered);
    REQUIRE(contains(message_of(transactions[1]), "Subject: small"));
  }
}

TEST_CASE("DATA is dot-unstuffed", "[integration][loopback]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());
  auto final_reply =
      send_message(client, "a@example.test", "user@inbox.test", "Subject: dots\r\n\r\n..x\r\n...\r\nend\r\n");
  REQUIRE(code_of(final_reply) == "250 2.0.0");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  REQUIRE(sessions[0].transactions.size() == 1);
  REQUIRE(message_of(sessions[0].transactions[0]) == "Subject: dots\r\n\r\n.x\r\n..\r\nend\r\n");
}

TEST_CASE("MAIL parameters and reverse-paths", "[integration][loopback]") {
  Sandbox sandbox;
  SmtpClient client;
  open_session(client, sandbox.port());

  SECTION("the null reverse-path <> is accepted") {
    REQUIRE(code_of(send_message(client, "", "user@inbox.test", "Subject: bounce\r\n\r\nx\r\n")) == "250 2.0.0");
    auto sessions = sandbox.finish();
    REQUIRE(sessions.at(0).transactions.size() == 1);
    REQUIRE(sessions[0].transactions[0].mail_from.empty());
    REQUIRE(sessions[0].transactions[0].delivered);
  }
  SECTION("a UTF-8 address needs SMTPUTF8 (RFC 6531)") {
    REQUIRE(code_of(client.command("MAIL FROM:<j\xC3\xB6rg@example.test>")) == "553 5.6.7");
    REQUIRE(code_of(client.command("MAIL FROM:<j\xC3\xB6rg@example.test> SMTPUTF8")) == "250 2.1.0");
    REQUIRE(code_of(client.command("RCPT TO:<us\xC3\xA9r@inbox.test>")) == "250 2.1.5");
  }
  SECTION("a UTF-8 recipient without SMTPUTF8 on MAIL") {
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
    REQUIRE(code_of(client.command("RCPT TO:<us\xC3\xA9r@inbox.test>")) == "553 5.6.7");
  }
  SECTION("BODY=8BITMIME is accepted, BODY=BINARY is not (no BINARYMIME)") {
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test> BODY=BINARY")).substr(0, 3) == "501");
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test> BODY=8BITMIME")) == "250 2.1.0");
  }
}

TEST_CASE("the recipient limit answers 452 4.5.3", "[integration][loopback]") {
  auto config = test_config();
  config.limits.recipients = 2;
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
  REQUIRE(code_of(client.command("RCPT TO:<one@inbox.test>")) == "250 2.1.5");
  REQUIRE(code_of(client.command("RCPT TO:<two@inbox.test>")) == "250 2.1.5");
  REQUIRE(code_of(client.command("RCPT TO:<three@inbox.test>")) == "452 4.5.3");
  REQUIRE(code_of(client.command("DATA")) == "354");
  client.send_raw("Subject: limited\r\n\r\nx\r\n.\r\n");
  REQUIRE(code_of(client.read_reply()) == "250 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.at(0).transactions.size() == 1);
  REQUIRE(sessions[0].transactions[0].accepted_recipients() ==
          std::vector<std::string>{"one@inbox.test", "two@inbox.test"});
}

TEST_CASE("pipelined commands are answered in order (RFC 2920)", "[integration][loopback]") {
  auto config = test_config();
  config.domains = {"inbox.test"};
  config.mailboxes = {"user@inbox.test"};
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(
      client.send_raw("MAIL FROM:<a@example.test>\r\nRCPT TO:<user@inbox.test>\r\n"
                      "RCPT TO:<ghost@inbox.test>\r\nDATA\r\n"));
  REQUIRE(code_of(client.read_reply()) == "250 2.1.0");
  REQUIRE(code_of(client.read_reply()) == "250 2.1.5");
  REQUIRE(code_of(client.read_reply()) == "550 5.1.1");
  REQUIRE(code_of(client.read_reply()) == "354");
  // The message and QUIT pipelined together as well.
  REQUIRE(client.send_raw("Subject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n"));
  REQUIRE(code_of(client.read_reply()) == "250 2.0.0");
  REQUIRE(code_of(client.read_reply()) == "221 2.0.0");
  auto sessions = sandbox.finish();
  REQUIRE(sessions.at(0).transactions.size() == 1);
  const auto& transaction = sessions[0].transactions[0];
  REQUIRE(transaction.recipients.size() == 2);
  REQUIRE(transaction.recipients[1].reply.code == 550);
  REQUIRE(transaction.accepted_recipients() == std::vector<std::string>{"user@inbox.test"});
  REQUIRE(transaction.delivered);
}

TEST_CASE("commands pipelined after STARTTLS are discarded (RFC 3207 6)", "[integration][loopback]") {
  auto config = test_config();
  config.tls = TlsMode::starttls;
  Sandbox sandbox(config);
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(client.send_raw("STARTTLS\r\nNOOP\r\n"));
  REQUIRE(code_of(client.read_reply()) == "220 2.0.0");
  // The server now waits for a TLS ClientHello; a plaintext 250 for the NOOP must never come.
  std::string after = client.read_available(700ms);
  REQUIRE(after.empty());
  client.close();
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  INFO(transcript_text(sessions[0]));
  REQUIRE(event_noted(sessions[0], "discarded 6 octets pipelined after STARTTLS"));
  REQUIRE_FALSE(client_said(sessions[0], "NOOP"));
  REQUIRE_FALSE(sessions[0].tls);
}

TEST_CASE("rule faults: disconnect, delay, 421", "[integration][loopback]") {
  auto config = test_config();

  SECTION("disconnect at connect closes without a greeting") {
    config.rules.push_back(fault_rule(rules::Stage::connect, rules::Fault::Kind::disconnect));
    Sandbox sandbox(config);
    SmtpClient client;
    REQUIRE(client.connect(sandbox.port()));
    REQUIRE(client.read_available(3s).empty());
    REQUIRE(client.wait_for_close());
    auto sessions = sandbox.wait_for_sessions(1);
    INFO(transcript_text(sessions[0]));
    REQUIRE(event_noted(sessions[0], "fault: disconnect"));
    REQUIRE_FALSE(server_said(sessions[0], "220"));
  }
  SECTION("delay holds the reply back (no upper bound asserted)") {
    constexpr auto delay = 300ms;
    config.rules.push_back(fault_rule(rules::Stage::mail, rules::Fault::Kind::delay, delay));
    Sandbox sandbox(config);
    SmtpClient client;
    open_session(client, sandbox.port());
    auto before = std::chrono::steady_clock::now();
    auto reply = client.command("MAIL FROM:<a@example.test>");
    auto waited = std::chrono::steady_clock::now() - before;
    REQUIRE(code_of(reply) == "250 2.1.0");
    REQUIRE(waited >= delay);
  }
  SECTION("421 answers and closes") {
    config.rules.push_back(fault_rule(rules::Stage::mail, rules::Fault::Kind::close_421));
    Sandbox sandbox(config);
    SmtpClient client;
    open_session(client, sandbox.port());
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "421 4.3.2");
    REQUIRE(client.wait_for_close());
    auto sessions = sandbox.wait_for_sessions(1);
    REQUIRE(sessions[0].transactions.empty());
  }
}

// What serve's SQLite store relies on for group commit: several sessions wait for their
// verdicts at once, given later from another thread, while the one I/O thread serves others.
TEST_CASE("on_accepted's when_kept: the 250 waits for the verdict, a refusal replaces it", "[integration][loopback]") {
  constexpr int k_clients = 4;
  auto config = test_config();
  config.threads = 1;
  std::mutex mutex;
  std::condition_variable all_waiting;
  std::vector<std::pair<std::string, smtp::Acceptance::Verdict>> verdicts;  // (MAIL FROM, verdict)
  config.on_accepted = [&](const capture::SessionRecord&, const capture::TransactionRecord& transaction) {
    smtp::Acceptance acceptance;
    acceptance.when_kept = [&, from = transaction.mail_from](smtp::Acceptance::Verdict verdict) {
      std::lock_guard lock(mutex);
      verdicts.emplace_back(from, std::move(verdict));
      all_waiting.notify_all();
    };
    return acceptance;
  };
  Sandbox sandbox(config);
  std::vector<std::string> replies(k_clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < k_clients; ++i) {
    threads.emplace_back([&, i] {
      SmtpClient client;
      if (!connect_and_greet(client, sandbox.port(), i)) {
        replies[static_cast<std::size_t>(i)] = "setup";
        return;
      }
      replies[static_cast<std::size_t>(i)] = code_of(send_message(client, "s" + std::to_string(i) + "@example.test",
                                                                  "user@inbox.test", "Subject: wait\r\n\r\nhi\r\n"));
      client.command("QUIT");
    });
  }
  {
    std::unique_lock lock(mutex);
    REQUIRE(all_waiting.wait_for(lock, 20s, [&] { return verdicts.size() == k_clients; }));
  }
  // All four wait for their verdict, and the one I/O thread still serves a fifth session.
  {
    SmtpClient bystander;
    open_session(bystander, sandbox.port());
    REQUIRE(code_of(bystander.command("NOOP")) == "250 2.0.0");
  }
  std::string refused_sender;
  {
    std::lock_guard lock(mutex);
    refused_sender = verdicts.back().first;
    for (std::size_t i = 0; i + 1 < verdicts.size(); ++i) {
      verdicts[i].second(std::nullopt);
    }
    verdicts.back().second(smtp::reply::cannot_store());
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::vector<std::string> sorted = replies;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<std::string>{"250 2.0.0", "250 2.0.0", "250 2.0.0", "451 4.3.0"});
  for (const auto& session : sandbox.finish()) {
    if (session.transactions.empty()) {
      continue;  // the bystander
    }
    const auto& transaction = session.transactions.front();
    const bool refused = transaction.mail_from == refused_sender;
    INFO(transaction.mail_from << "\n" << transcript_text(session));
    CHECK(transaction.delivered == !refused);
    CHECK(transaction.final_reply->code == (refused ? 451 : 250));
    // The refused message's 250 never went out, and the transcript says so.
    CHECK(server_said(session, "250 2.0.0 Ok: queued") == !refused);
    CHECK(server_said(session, "451 4.3.0") == refused);
  }
}

TEST_CASE("50 clients at once are all served and captured", "[integration][loopback]") {
  constexpr int k_clients = 50;
  auto config = test_config();
  config.threads = 2;
  Sandbox sandbox(config);
  std::atomic<int> delivered{0};
  std::vector<std::string> failures(k_clients);
  std::vector<std::thread> threads;
  // Catch2 assertions are not thread-safe: workers record, the main thread checks.
  for (int i = 0; i < k_clients; ++i) {
    threads.emplace_back([&, i] {
      SmtpClient client;
      if (!connect_and_greet(client, sandbox.port(), i)) {
        failures[static_cast<std::size_t>(i)] = "setup";
        return;
      }
      auto reply = send_message(client, "sender" + std::to_string(i) + "@example.test", "user@inbox.test",
                                "Subject: client " + std::to_string(i) + "\r\n\r\nhello\r\n");
      if (code_of(reply) != "250 2.0.0") {
        failures[static_cast<std::size_t>(i)] = code_of(reply);
        return;
      }
      client.command("QUIT");
      ++delivered;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < k_clients; ++i) {
    INFO("client " << i);
    REQUIRE(failures[static_cast<std::size_t>(i)].empty());
  }
  REQUIRE(delivered == k_clients);
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == k_clients);
  std::vector<bool> seen(k_clients, false);
  for (const auto& session : sessions) {
    REQUIRE(session.transactions.size() == 1);
    REQUIRE(session.transactions[0].delivered);
    const std::string& from = session.transactions[0].mail_from;
    int index = std::stoi(from.substr(6, from.find('@') - 6));
    REQUIRE(contains(message_of(session.transactions[0]), "Subject: client " + std::to_string(index)));
    seen.at(static_cast<std::size_t>(index)) = true;
  }
  REQUIRE(std::count(seen.begin(), seen.end(), true) == k_clients);
}

TEST_CASE("server.stop() says 421 4.3.2 to idle clients and drains transactions", "[integration][loopback]") {
  SECTION("an idle client gets 421 4.3.2") {
    Sandbox sandbox;
    SmtpClient client;
    open_session(client, sandbox.port());
    auto stopping = std::async(std::launch::async, [&] { sandbox.server().stop(5s); });
    REQUIRE(code_of(client.read_reply()) == "421 4.3.2");
    REQUIRE(client.wait_for_close());
    stopping.get();
    auto sessions = sandbox.server().capture().sessions();
    REQUIRE(sessions.size() == 1);
    REQUIRE(sessions[0].close_reason == "server shutting down");
  }
  SECTION("a client in DATA may finish within the grace") {
    Sandbox sandbox;
    SmtpClient client;
    open_session(client, sandbox.port());
    REQUIRE(code_of(client.command("MAIL FROM:<a@example.test>")) == "250 2.1.0");
    REQUIRE(code_of(client.command("RCPT TO:<user@inbox.test>")) == "250 2.1.5");
    REQUIRE(code_of(client.command("DATA")) == "354");
    REQUIRE(client.send_raw("Subject: during shutdown\r\n\r\nfirst half\r\n"));
    auto stopping = std::async(std::launch::async, [&] { sandbox.server().stop(5s); });
    // Give stop() time to reach the session; the message is still open.
    std::this_thread::sleep_for(300ms);
    REQUIRE(client.send_raw("second half\r\n.\r\n"));
    REQUIRE(code_of(client.read_reply()) == "250 2.0.0");
    REQUIRE(code_of(client.read_reply()) == "421 4.3.2");
    stopping.get();
    auto sessions = sandbox.server().capture().sessions();
    REQUIRE(sessions.size() == 1);
    INFO(transcript_text(sessions[0]));
    REQUIRE(sessions[0].transactions.size() == 1);
    REQUIRE(sessions[0].transactions[0].delivered);
    REQUIRE(contains(message_of(sessions[0].transactions[0]), "first half\r\nsecond half\r\n"));
  }
}

TEST_CASE("the idle timeout answers 421 4.4.2", "[integration][loopback]") {
  auto config = test_config();
  config.limits.idle_timeout = 1s;
  Sandbox sandbox(config);
  SmtpClient client(10s);
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.read_reply()) == "421 4.4.2");
  REQUIRE(client.wait_for_close());
  auto sessions = sandbox.wait_for_sessions(1);
  REQUIRE(sessions[0].close_reason == "idle timeout");
}

}  // namespace
}  // namespace maildog::test
