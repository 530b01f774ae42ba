// ServeSandbox in-process over loopback: messages stored before their 250, a failing store
// answered with 451 4.3.0, sessions handed to the store instead of the capture, and rules
// changed at runtime for new sessions and new transactions; refused attempts of every kind stored after their reply.
#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>

#include "serve/sandbox.hpp"
#include "smtp/io_threads.hpp"
#include "support/smtp_client.hpp"

using namespace maildog;
using namespace maildog::serve;
using namespace std::chrono_literals;

namespace {

// A store whose disk is full: every add fails.
class FailingStore final : public MessageStore {
 public:
  void put_session(const StoredSession&) override {}
  std::vector<StoredMessage> find(const MessageQuery&) const override { return {}; }
  std::optional<StoredMessage> get(std::uint64_t) const override { return std::nullopt; }
  std::optional<StoredSession> session(std::uint64_t) const override { return std::nullopt; }
  std::vector<StoredSession> sessions(std::size_t) const override { return {}; }
  bool remove(std::uint64_t) override { return false; }
  std::size_t remove_all() override { return 0; }
  std::size_t size() const override { return 0; }
  std::vector<StoredAttempt> find_attempts(const AttemptQuery&) const override { return {}; }
  std::optional<StoredAttempt> attempt(std::uint64_t) const override { return std::nullopt; }

 protected:
  std::uint64_t insert(StoredMessage, const capture::SessionRecord*) override {
    throw std::runtime_error("database or disk is full");
  }
  void insert_attempt_async(StoredAttempt, Added done) override {
    done(0, std::make_exception_ptr(std::runtime_error("database or disk is full")));
  }
};

void hello(test::SmtpClient& client, std::uint16_t port) {
  REQUIRE(client.connect(port));
  REQUIRE(client.read_reply()->code == 220);
  REQUIRE(client.command("EHLO client.test")->code == 250);
}

std::optional<smtp::Reply> deliver(test::SmtpClient& client, const std::string& to) {
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<" + to + ">")->code == 250);
  REQUIRE(client.command("DATA")->code == 354);
  REQUIRE(client.send_raw("Subject: sandbox\r\n\r\nbody\r\n.\r\n"));
  return client.read_reply();
}

// Waits (bounded) for the attempt the sandbox stores after the reply that ended it.
StoredAttempt wait_refused(ServeSandbox& sandbox, AttemptQuery query) {
  query.status = AttemptStatus::refused;
  auto found = sandbox.store().wait_attempt(query, 10s);
  REQUIRE(found);
  return *found;
}

rules::Rule refuse_rcpt(const std::string& address) {
  rules::Rule rule;
  rule.at = rules::Stage::rcpt;
  rule.match.rcpt = rules::TextMatch::exact(address);
  rule.reply = smtp::make_reply(550, smtp::EnhancedCode{5, 7, 1}, "Blocked at runtime");
  return rule;
}

}  // namespace

TEST_CASE("the sandbox stores a message before its 250 and keeps the session", "[serve][sandbox]") {
  std::vector<std::uint64_t> heard;
  std::mutex heard_mutex;
  ServeSandbox sandbox(smtp::ServerConfig{}, make_memory_store(0), [&](const StoredMessage& message) {
    std::lock_guard lock(heard_mutex);
    heard.push_back(message.id);
  });
  sandbox.start();
  test::SmtpClient client;
  hello(client, sandbox.server().port());
  auto reply = deliver(client, "user@inbox.test");
  REQUIRE(reply->code == 250);
  // Stored when the 250 arrived, with its lint notes.
  auto stored = sandbox.store().find({});
  REQUIRE(stored.size() == 1);
  REQUIRE(*stored[0].transaction.final_reply == *reply);
  REQUIRE_FALSE(stored[0].transaction.lint.empty());
  REQUIRE(sandbox.store().session(stored[0].session_id)->open);
  REQUIRE(client.command("QUIT")->code == 221);
  REQUIRE(sandbox.server().capture().wait_for_sessions(1, 10s));
  sandbox.stop(1s);
  // The capture handed the session over instead of keeping it.
  REQUIRE(sandbox.server().capture().sessions().empty());
  auto session = sandbox.store().session(stored[0].session_id);
  REQUIRE(session);
  REQUIRE_FALSE(session->open);
  REQUIRE(session->record.close_reason == "quit");
  std::lock_guard lock(heard_mutex);
  REQUIRE(heard == std::vector<std::uint64_t>{stored[0].id});
}

TEST_CASE("a store that cannot keep the message makes it 451 4.3.0", "[serve][sandbox]") {
  ServeSandbox sandbox(smtp::ServerConfig{}, std::make_unique<FailingStore>());
  sandbox.start();
  test::SmtpClient client;
  hello(client, sandbox.server().port());
  auto reply = deliver(client, "user@inbox.test");
  REQUIRE(reply);
  REQUIRE(reply->code == 451);
  REQUIRE(reply->enhanced->str() == "4.3.0");
}

TEST_CASE("set_rules reaches new sessions and the next transaction of open ones", "[serve][sandbox]") {
  ServeSandbox sandbox(smtp::ServerConfig{}, make_memory_store(0));
  sandbox.start();
  test::SmtpClient before;
  hello(before, sandbox.server().port());
  REQUIRE(before.command("MAIL FROM:<app@example.test>")->code == 250);
  sandbox.server().set_rules({refuse_rcpt("blocked@inbox.test")});
  REQUIRE(sandbox.server().config().rules.size() == 1);
  // A transaction keeps the rule set it started with ...
  REQUIRE(before.command("RCPT TO:<blocked@inbox.test>")->code == 250);
  REQUIRE(before.command("RSET")->code == 250);
  // ... and the session's next one takes the new set.
  REQUIRE(before.command("MAIL FROM:<app@example.test>")->code == 250);
  auto refused = before.command("RCPT TO:<blocked@inbox.test>");
  REQUIRE(refused->code == 550);
  REQUIRE(refused->text() == "Blocked at runtime");
  test::SmtpClient after;
  hello(after, sandbox.server().port());
  REQUIRE(after.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(after.command("RCPT TO:<blocked@inbox.test>")->code == 550);
  // HELO rules stay those of the set current at connect.
  rules::Rule no_helo;
  no_helo.at = rules::Stage::helo;
  no_helo.reply = smtp::make_reply(550, smtp::EnhancedCode{5, 7, 1}, "No HELO today");
  sandbox.server().set_rules({no_helo});
  REQUIRE(before.command("RSET")->code == 250);
  REQUIRE(before.command("EHLO client.test")->code == 250);
  REQUIRE(before.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(before.command("RCPT TO:<blocked@inbox.test>")->code == 250);
  test::SmtpClient refused_helo;
  REQUIRE(refused_helo.connect(sandbox.server().port()));
  REQUIRE(refused_helo.read_reply()->code == 220);
  REQUIRE(refused_helo.command("EHLO client.test")->code == 550);
  sandbox.server().set_rules({});
  test::SmtpClient cleared;
  hello(cleared, sandbox.server().port());
  REQUIRE(cleared.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(cleared.command("RCPT TO:<blocked@inbox.test>")->code == 250);
}

TEST_CASE("a refused RCPT is stored as an attempt with its envelope, reason and transcript",
          "[serve][sandbox][attempts]") {
  smtp::ServerConfig config;
  config.mailboxes = {"user@inbox.test"};
  std::vector<StoredAttempt> heard;
  std::mutex heard_mutex;
  ServeSandbox sandbox(std::move(config), make_memory_store(0), {}, [&](const StoredAttempt& attempt) {
    std::lock_guard lock(heard_mutex);
    heard.push_back(attempt);
  });
  sandbox.start();
  test::SmtpClient client;
  hello(client, sandbox.server().port());
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<ghost@inbox.test>")->code == 550);
  // The transaction is still open: the attempt ends with it.
  REQUIRE(client.command("QUIT")->code == 221);
  const auto attempt = wait_refused(sandbox, {.reason = "unknown_user"});
  CHECK(attempt.status == AttemptStatus::refused);
  REQUIRE(attempt.transaction);
  CHECK(attempt.transaction->mail_from == "app@example.test");
  REQUIRE(attempt.transaction->recipients.size() == 1);
  CHECK(attempt.transaction->recipients[0].reply.enhanced->str() == "5.1.1");
  REQUIRE(attempt.refusals.size() == 1);
  CHECK(attempt.refusals[0].command == "RCPT");
  CHECK(attempt.refusals[0].argument == "ghost@inbox.test");
  CHECK(attempt.ended == "quit");
  CHECK(attempt.helo == "client.test");
  CHECK(std::any_of(attempt.transcript.begin(), attempt.transcript.end(),
                    [](const auto& line) { return line.text == "RCPT TO:<ghost@inbox.test>"; }));
  CHECK(sandbox.store().size() == 0);  // nothing was accepted
  REQUIRE(sandbox.server().capture().wait_for_sessions(1, 10s));
  sandbox.stop(1s);
  std::lock_guard lock(heard_mutex);
  REQUIRE(heard.size() == 1);
  CHECK(heard[0].id == attempt.id);
}

TEST_CASE("a partly refused message is an attempt marked partial beside its message", "[serve][sandbox][attempts]") {
  smtp::ServerConfig config;
  config.mailboxes = {"user@inbox.test"};
  ServeSandbox sandbox(std::move(config), make_memory_store(0));
  sandbox.start();
  test::SmtpClient client;
  hello(client, sandbox.server().port());
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<user@inbox.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<ghost@inbox.test>")->code == 550);
  REQUIRE(client.command("DATA")->code == 354);
  REQUIRE(client.send_raw("Subject: half\r\n\r\nbody\r\n.\r\n"));
  REQUIRE(client.read_reply()->code == 250);
  const auto partial = sandbox.store().find_attempts({.status = AttemptStatus::partial});
  REQUIRE(partial.size() == 1);
  CHECK(partial[0].message_id == sandbox.store().find({})[0].id);
  REQUIRE(partial[0].refusals.size() == 1);
  CHECK(partial[0].refusals[0].reason == "unknown_user");
  CHECK(sandbox.store().find_attempts({.status = AttemptStatus::refused}).empty());
}

TEST_CASE("refusals at connect, HELO, MAIL, end of data and a dropped connection are attempts",
          "[serve][sandbox][attempts]") {
  smtp::ServerConfig config;
  rules::Rule helo;
  helo.at = rules::Stage::helo;
  helo.match.helo = rules::TextMatch::exact("bad.test");
  helo.reply = smtp::make_reply(550, smtp::EnhancedCode{5, 7, 1}, "Go away");
  rules::Rule mail;
  mail.at = rules::Stage::mail;
  mail.match.mail_from = rules::TextMatch::exact("spam@example.test");
  mail.reply = smtp::make_reply(553, smtp::EnhancedCode{5, 7, 1}, "Sender refused");
  rules::Rule end;
  end.at = rules::Stage::end_of_data;
  end.match.mail_from = rules::TextMatch::exact("late@example.test");
  end.reply = smtp::make_reply(554, smtp::EnhancedCode{5, 7, 0}, "Content refused");
  rules::Rule drop;
  drop.at = rules::Stage::data;
  drop.match.mail_from = rules::TextMatch::exact("drop@example.test");
  drop.fault = rules::Fault{.kind = rules::Fault::Kind::drop, .duration = {}};
  config.rules = {helo, mail, end, drop};
  ServeSandbox sandbox(std::move(config), make_memory_store(0));
  sandbox.start();
  const auto port = sandbox.server().port();
  {
    test::SmtpClient client;
    REQUIRE(client.connect(port));
    REQUIRE(client.read_reply()->code == 220);
    REQUIRE(client.command("EHLO bad.test")->code == 550);
    const auto attempt = wait_refused(sandbox, {.code = 550});
    CHECK_FALSE(attempt.transaction);
    CHECK(attempt.refusals.at(0).command == "HELO");
    CHECK(attempt.refusals.at(0).reason == "rule");
  }
  {
    test::SmtpClient client;
    hello(client, port);
    REQUIRE(client.command("MAIL FROM:<spam@example.test>")->code == 553);
    const auto attempt = wait_refused(sandbox, {.code = 553});
    REQUIRE(attempt.transaction);
    CHECK(attempt.transaction->mail_from == "spam@example.test");
    CHECK(attempt.transaction->mail_reply.code == 553);
  }
  {
    test::SmtpClient client;
    hello(client, port);
    REQUIRE(client.command("MAIL FROM:<late@example.test>")->code == 250);
    REQUIRE(client.command("RCPT TO:<user@inbox.test>")->code == 250);
    REQUIRE(client.command("DATA")->code == 354);
    REQUIRE(client.send_raw("Subject: refused at the end\r\n\r\nbody\r\n.\r\n"));
    REQUIRE(client.read_reply()->code == 554);
    const auto attempt = wait_refused(sandbox, {.code = 554});
    CHECK(attempt.refusals.at(0).command == "END_OF_DATA");
    CHECK(attempt.subject == "refused at the end");
    CHECK(attempt.message_size > 0);
    CHECK(attempt.transaction->final_reply->code == 554);
  }
  {
    test::SmtpClient client;
    hello(client, port);
    REQUIRE(client.command("MAIL FROM:<drop@example.test>")->code == 250);
    REQUIRE(client.command("RCPT TO:<user@inbox.test>")->code == 250);
    REQUIRE(client.command("DATA")->code == 354);
    client.send_raw("Subject: dropped\r\n\r\nbody\r\n.\r\n");
    CHECK_FALSE(client.read_reply());  // the connection drops with no reply
    const auto attempt = wait_refused(sandbox, {.from = "drop@"});
    CHECK(attempt.fault == "drop");
    CHECK(attempt.refusals.empty());
    CHECK_FALSE(attempt.transaction->final_reply);
  }
  CHECK(sandbox.store().size() == 0);
  CHECK(sandbox.store().find_attempts({.status = AttemptStatus::refused}).size() == 4);
}

TEST_CASE("a refusal at connect is an attempt without an envelope", "[serve][sandbox][attempts]") {
  smtp::ServerConfig config;
  rules::Rule connect;
  connect.at = rules::Stage::connect;
  connect.reply = smtp::make_reply(554, smtp::EnhancedCode{5, 7, 1}, "Your IP is listed");
  config.rules = {connect};
  ServeSandbox sandbox(std::move(config), make_memory_store(0));
  sandbox.start();
  test::SmtpClient client;
  REQUIRE(client.connect(sandbox.server().port()));
  REQUIRE(client.read_reply()->code == 554);
  const auto attempt = wait_refused(sandbox, {.code = 554});
  CHECK_FALSE(attempt.transaction);
  CHECK(attempt.refusals.at(0).command == "CONNECT");
  REQUIRE_FALSE(attempt.transcript.empty());
  CHECK(attempt.transcript.back().text == "554 5.7.1 Your IP is listed");
}

TEST_CASE("a failed AUTH is an attempt; each attempt keeps only its part of the transcript",
          "[serve][sandbox][attempts]") {
  smtp::ServerConfig config;
  config.auth = smtp::AuthConfig{};
  config.auth->users = {{"app", "secret"}};
  config.auth->allow_plaintext_without_tls = true;
  config.mailboxes = {"user@inbox.test"};
  ServeSandbox sandbox(std::move(config), make_memory_store(0));
  sandbox.start();
  test::SmtpClient client;
  hello(client, sandbox.server().port());
  // AUTH PLAIN with a wrong password ("\0app\0wrong").
  REQUIRE(client.command("AUTH PLAIN AGFwcAB3cm9uZw==")->code == 535);
  const auto auth = wait_refused(sandbox, {.code = 535});
  CHECK_FALSE(auth.transaction);
  CHECK(auth.refusals.at(0).command == "AUTH");
  CHECK(auth.refusals.at(0).argument == "app");
  // Two refused transactions in the same session: the second's transcript starts after the first.
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<first@inbox.test>")->code == 550);
  REQUIRE(client.command("RSET")->code == 250);
  const auto first = wait_refused(sandbox, {.to = "first@"});
  CHECK(first.ended == "RSET");
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<second@inbox.test>")->code == 550);
  REQUIRE(client.command("QUIT")->code == 221);
  const auto second = wait_refused(sandbox, {.to = "second@"});
  const auto mentions = [](const StoredAttempt& attempt, const std::string& text) {
    return std::any_of(attempt.transcript.begin(), attempt.transcript.end(),
                       [&](const auto& line) { return line.text.find(text) != std::string::npos; });
  };
  CHECK(mentions(first, "RCPT TO:<first@inbox.test>"));
  CHECK(mentions(second, "RCPT TO:<second@inbox.test>"));
  CHECK_FALSE(mentions(second, "first@inbox.test"));
  CHECK_FALSE(mentions(first, "AUTH PLAIN"));
}

TEST_CASE("faults that cut a session are attempts: a disconnect at RCPT and a 421 at connect",
          "[serve][sandbox][attempts]") {
  smtp::ServerConfig config;
  rules::Rule cut;
  cut.at = rules::Stage::rcpt;
  cut.match.rcpt = rules::TextMatch::exact("cut@inbox.test");
  cut.fault = rules::Fault{.kind = rules::Fault::Kind::disconnect, .duration = {}};
  rules::Rule busy;
  busy.at = rules::Stage::connect;
  busy.fault = rules::Fault{.kind = rules::Fault::Kind::close_421, .duration = {}};
  {
    config.rules = {cut};
    ServeSandbox sandbox(config, make_memory_store(0));
    sandbox.start();
    test::SmtpClient client;
    hello(client, sandbox.server().port());
    REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
    CHECK_FALSE(client.command("RCPT TO:<cut@inbox.test>"));
    const auto attempt = wait_refused(sandbox, {.to = "cut@"});
    CHECK(attempt.fault == "disconnect");
    CHECK(attempt.transaction->mail_from == "app@example.test");
  }
  {
    config.rules = {busy};
    ServeSandbox sandbox(config, make_memory_store(0));
    sandbox.start();
    test::SmtpClient client;
    REQUIRE(client.connect(sandbox.server().port()));
    REQUIRE(client.read_reply()->code == 421);
    const auto attempt = wait_refused(sandbox, {});
    CHECK(attempt.fault == "close_421");
    CHECK_FALSE(attempt.transaction);
  }
}

// serve's sandboxes share one smtp::IoThreads: stopping and destroying one, with a session
// open, leaves the threads serving the others (the stop waits for its accept loop and sessions
// on threads it does not own), and its port is closed.
TEST_CASE("sandboxes on shared I/O threads stop one by one", "[serve][sandbox][io_threads]") {
  auto io = std::make_shared<smtp::IoThreads>(2);
  smtp::ServerConfig config;
  auto staying = std::make_unique<ServeSandbox>(config, make_memory_store(0), ServeSandbox::Listener(),
                                                ServeSandbox::AttemptListener(), io);
  staying->start();
  for (int round = 0; round < 5; ++round) {
    auto leaving = std::make_unique<ServeSandbox>(config, make_memory_store(0), ServeSandbox::Listener(),
                                                  ServeSandbox::AttemptListener(), io);
    leaving->start();
    const std::uint16_t port = leaving->server().port();
    test::SmtpClient open;
    hello(open, port);
    CHECK(deliver(open, "user@inbox.test")->code == 250);
    CHECK(leaving->store().size() == 1);
    leaving->stop(1s);
    const auto goodbye = open.read_reply();
    REQUIRE(goodbye);
    CHECK(goodbye->code == 421);
    leaving.reset();
    test::SmtpClient refused;
    CHECK_FALSE(refused.connect(port));

    test::SmtpClient client;
    hello(client, staying->server().port());
    CHECK(deliver(client, "user@inbox.test")->code == 250);
  }
  CHECK(staying->store().size() == 5);
  staying->stop(1s);
}
