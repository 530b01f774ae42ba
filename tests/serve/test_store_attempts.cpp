// Refused attempts in the message store: filters, their own retention, wait_attempt(), schema
// version 3, and subscribers that hear of messages and attempts.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>

#include "serve/store_fixtures.hpp"

using namespace maildog;
using namespace maildog::serve;
using namespace store_fixtures;
using namespace std::chrono_literals;

namespace {

StoredAttempt refused_rcpt(std::string to, std::string from = "app@example.test") {
  StoredAttempt attempt;
  attempt.at = std::chrono::system_clock::now();
  attempt.session_id = 9;
  attempt.client_address = "127.0.0.1";
  attempt.helo = "client.test";
  capture::TransactionRecord transaction;
  transaction.mail_from = std::move(from);
  transaction.mail_reply = smtp::make_reply(250, smtp::EnhancedCode{2, 1, 0}, "Ok");
  const smtp::Reply reply = smtp::make_reply(550, smtp::EnhancedCode{5, 1, 1}, "<" + to + ">: User unknown");
  transaction.recipients.push_back({to, "", reply, 1});
  attempt.transaction = std::move(transaction);
  attempt.refusals.push_back(
      {.reason = "unknown_user", .command = "RCPT", .argument = to, .recipients = {}, .reply = reply});
  attempt.ended = "client closed";
  attempt.transcript.push_back({capture::TranscriptEntry::Direction::client, "RCPT TO:<" + to + ">", 5us});
  attempt.transcript.push_back(
      {capture::TranscriptEntry::Direction::server, "550 5.1.1 <" + to + ">: User unknown", 6us});
  return attempt;
}

StoredAttempt refused_dmarc() {
  StoredAttempt attempt = refused_rcpt("user@inbox.test");
  auto& transaction = *attempt.transaction;
  transaction.recipients.front().reply = smtp::make_reply(250, smtp::EnhancedCode{2, 1, 5}, "Ok");
  transaction.data_reply = smtp::make_reply(354, std::nullopt, "go ahead");
  const smtp::Reply reply = smtp::make_reply(550, smtp::EnhancedCode{5, 7, 1}, "DMARC policy reject");
  transaction.final_reply = reply;
  transaction.auth_results = {{"dmarc", "fail"}, {"spf", "fail"}};
  attempt.refusals = {
      {.reason = "dmarc", .command = "END_OF_DATA", .argument = {}, .recipients = {"user@inbox.test"}, .reply = reply}};
  attempt.subject = "Your invoice";
  attempt.message_size = 120;
  attempt.ended.clear();
  return attempt;
}

std::uint64_t add_attempt(MessageStore& store, StoredAttempt attempt) {
  std::promise<std::uint64_t> stored;
  store.add_attempt_async(std::move(attempt), [&](std::uint64_t id, std::exception_ptr error) {
    if (error) {
      stored.set_exception(error);
    } else {
      stored.set_value(id);
    }
  });
  return stored.get_future().get();
}

std::vector<std::uint64_t> attempt_ids(const MessageStore& store, const AttemptQuery& query) {
  std::vector<std::uint64_t> out;
  for (const auto& attempt : store.find_attempts(query)) {
    out.push_back(attempt.id);
  }
  return out;
}

}  // namespace

TEST_CASE("a store keeps refused attempts beside messages and finds every attempt by its filters",
          "[serve][store][attempts]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  const auto ghost = add_attempt(*store, refused_rcpt("Ghost@Inbox.test"));
  const auto dmarc = add_attempt(*store, refused_dmarc());
  capture::SessionRecord session;
  session.client_address = "127.0.0.1";
  session.refusals.push_back({.reason = "unknown_user",
                              .command = "RCPT",
                              .argument = "ghost@inbox.test",
                              .recipients = {},
                              .reply = smtp::make_reply(550, smtp::EnhancedCode{5, 1, 1}, "unknown")});
  const auto message_id = store->add(message("app@example.test", "user@inbox.test", "Hello"), &session);
  capture::TransactionRecord clean = message("a@example.test", "b@inbox.test", "Clean").transaction;
  clean.recipients.resize(1);
  StoredMessage accepted_message = message("a@example.test", "b@inbox.test", "Clean");
  accepted_message.transaction = clean;
  store->add(accepted_message);

  // Messages keep their meaning: only what was accepted.
  CHECK(store->size() == 2);
  const auto all = store->find_attempts({});
  REQUIRE(all.size() == 4);
  CHECK(all[0].status == AttemptStatus::accepted);
  CHECK(all[1].status == AttemptStatus::partial);
  CHECK(all[1].message_id == message_id);
  REQUIRE(all[1].refusals.size() == 1);
  CHECK(all[1].refusals[0].reason == "unknown_user");
  CHECK(all[2].id == dmarc);
  CHECK(all[3].id == ghost);
  CHECK(dmarc > ghost);

  CHECK(attempt_ids(*store, {.status = AttemptStatus::refused}) == Ids{dmarc, ghost});
  CHECK(attempt_ids(*store, {.code = 550}).size() == 3);  // the two refused and the partial one
  CHECK(attempt_ids(*store, {.enhanced = "5.7.1"}) == Ids{dmarc});
  CHECK(attempt_ids(*store, {.reason = "unknown_user"}).size() == 2);
  CHECK(attempt_ids(*store, {.status = AttemptStatus::refused, .reason = "unknown_user"}) == Ids{ghost});
  CHECK(attempt_ids(*store, {.to = "ghost@inbox"}).size() == 2);
  CHECK(attempt_ids(*store, {.from = "APP@"}).size() == 3);
  CHECK(attempt_ids(*store, {.subject = "invoice"}) == Ids{dmarc});
  CHECK(attempt_ids(*store, {.before_id = dmarc}) == Ids{ghost});
  CHECK(attempt_ids(*store, {.limit = 1}).size() == 1);
  CHECK(attempt_ids(*store, {.since = std::chrono::system_clock::now() + 1h}).empty());

  // A refused attempt comes back whole.
  const auto back = store->attempt(dmarc);
  REQUIRE(back);
  CHECK(back->status == AttemptStatus::refused);
  CHECK(back->subject == "Your invoice");
  CHECK(back->message_size == 120);
  REQUIRE(back->transaction);
  CHECK(back->transaction->auth_results.at("dmarc") == "fail");
  CHECK(back->transaction->final_reply->code == 550);
  REQUIRE(back->refusals.size() == 1);
  CHECK(back->refusals[0].recipients == std::vector<std::string>{"user@inbox.test"});
  const auto first = store->attempt(ghost);
  REQUIRE(first);
  CHECK(first->ended == "client closed");
  REQUIRE(first->transcript.size() == 2);
  CHECK(first->transcript[1].text == "550 5.1.1 <Ghost@Inbox.test>: User unknown");
  CHECK_FALSE(store->attempt(999));
}

TEST_CASE("a flood of refusals never evicts accepted mail: each kind has its own retention",
          "[serve][store][attempts]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = kind == Kind::memory ? make_memory_store(2, 3) : make_sqlite_store((dir.path() / "data").string(), 2, 3);
  store->add(message("a@example.test", "one@inbox.test", "one"));
  store->add(message("a@example.test", "two@inbox.test", "two"));
  for (int i = 0; i < 10; ++i) {
    add_attempt(*store, refused_rcpt("ghost" + std::to_string(i) + "@inbox.test"));
  }
  CHECK(store->size() == 2);
  CHECK(store->find_attempts({.status = AttemptStatus::partial}).size() == 2);
  const auto refused = store->find_attempts({.status = AttemptStatus::refused});
  REQUIRE(refused.size() == 3);
  CHECK(refused[0].transaction->recipients[0].address == "ghost9@inbox.test");
  CHECK(refused[2].transaction->recipients[0].address == "ghost7@inbox.test");
  // And accepted mail, however much, never evicts refusals.
  for (int i = 0; i < 5; ++i) {
    store->add(message("a@example.test", "more@inbox.test", "more"));
  }
  CHECK(store->find_attempts({.status = AttemptStatus::refused}).size() == 3);
  CHECK(store->find_attempts({.status = AttemptStatus::partial}).size() == 2);
}

TEST_CASE("wait_attempt() returns a refused attempt once it is stored", "[serve][store][attempts]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  CHECK_FALSE(store->wait_attempt({.status = AttemptStatus::refused}, 10ms));
  auto waiting = std::async(std::launch::async, [&] {
    return store->wait_attempt({.status = AttemptStatus::refused, .enhanced = "5.1.1"}, 10s);
  });
  add_attempt(*store, refused_rcpt("bob@inbox.test"));
  const auto found = waiting.get();
  REQUIRE(found);
  CHECK(found->transaction->recipients[0].address == "bob@inbox.test");
}

TEST_CASE("a store written by schema version 3 opens with its messages and takes attempts",
          "[serve][store][sqlite][attempts]") {
  test::TempDir dir;
  // Version 3's DDL as it shipped, and one message as it wrote it.
  write_old_store(dir, 3, R"sql(
CREATE TABLE sessions (id INTEGER PRIMARY KEY, open INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE session_lines (session_id INTEGER NOT NULL, seq INTEGER NOT NULL, lines TEXT NOT NULL);
CREATE UNIQUE INDEX session_lines_key ON session_lines (session_id, seq);
INSERT INTO messages (received_us, session_id, mail_from, recipients, subject, auth, record, bytes) VALUES
  (1700000000000000, 1, 'old@example.test', 'user@inbox.test' || char(10), 'from version 3', ' dmarc=pass ',
   '{"mail_from":"old@example.test","mail_parameters":"","mail_reply":{"code":250,"enhanced":"2.1.0","lines":["Ok"]},
     "recipients":[{"address":"user@inbox.test","parameters":"","reply":{"code":250,"enhanced":"2.1.5","lines":["Ok"]},
     "attempt":1}],"data_reply":null,"final_reply":{"code":250,"enhanced":"2.0.0","lines":["Ok"]},"delivered":true,
     "bare_lf":false,"eight_bit":false,"smuggling_line":0,"lint":[],"authentication_results":"",
     "auth_results":{"dmarc":"pass"}}',
   CAST('Subject: from version 3' || char(13) || char(10) || char(13) || char(10) || 'hi' AS BLOB));
)sql");
  auto store = open_store(Kind::sqlite, dir);
  const auto found = store->find({.to = "user@inbox.test"});
  REQUIRE(found.size() == 1);
  CHECK(found[0].transaction.mail_from == "old@example.test");
  CHECK(*found[0].transaction.message == "Subject: from version 3\r\n\r\nhi");
  CHECK(store->find({.auth = "dmarc=pass"}).size() == 1);
  CHECK(store->find_attempts({}).empty());
  const auto attempt = add_attempt(*store, refused_rcpt("ghost@inbox.test"));
  CHECK(store->attempt(attempt));
  store.reset();
  sqlite::Database db((dir.path() / "data" / "maildog.sqlite3").string());
  sqlite::Statement version(db, "SELECT version FROM schema_version");
  REQUIRE(version.step());
  CHECK(version.integer(0) == 4);
  store = open_store(Kind::sqlite, dir);
  CHECK(store->find_attempts({}).size() == 1);  // and the attempt survives a reopen
}

TEST_CASE("subscribers hear of each stored message and attempt until they unsubscribe", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  std::atomic<int> heard{0};
  const auto handle = store->subscribe([&heard] { ++heard; });
  store->add(message("a@x.test", "b@inbox.test", "one"));
  CHECK(heard == 1);
  add_attempt(*store, refused_rcpt("bob@inbox.test"));
  CHECK(heard == 2);
  store->unsubscribe(handle);
  store->add(message("a@x.test", "b@inbox.test", "two"));
  CHECK(heard == 2);
}
