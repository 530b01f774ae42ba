// ServeSandbox in-process over loopback: messages stored before their 250, a failing store
// answered with 451 4.3.0, sessions handed to the store instead of the capture, and rules
// changed at runtime for new sessions only.
#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>

#include "serve/sandbox.hpp"
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

 protected:
  std::uint64_t insert(StoredMessage, const capture::SessionRecord*) override { throw std::runtime_error("database or disk is full"); }
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

TEST_CASE("set_rules applies to new sessions, running sessions keep their rules", "[serve][sandbox]") {
  ServeSandbox sandbox(smtp::ServerConfig{}, make_memory_store(0));
  sandbox.start();
  test::SmtpClient before;
  hello(before, sandbox.server().port());
  sandbox.server().set_rules({refuse_rcpt("blocked@inbox.test")});
  REQUIRE(sandbox.server().config().rules.size() == 1);
  test::SmtpClient after;
  hello(after, sandbox.server().port());
  REQUIRE(after.command("MAIL FROM:<app@example.test>")->code == 250);
  auto refused = after.command("RCPT TO:<blocked@inbox.test>");
  REQUIRE(refused->code == 550);
  REQUIRE(refused->text() == "Blocked at runtime");
  REQUIRE(before.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(before.command("RCPT TO:<blocked@inbox.test>")->code == 250);
  sandbox.server().set_rules({});
  test::SmtpClient cleared;
  hello(cleared, sandbox.server().port());
  REQUIRE(cleared.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(cleared.command("RCPT TO:<blocked@inbox.test>")->code == 250);
}
