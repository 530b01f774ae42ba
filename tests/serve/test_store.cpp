#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <thread>

#include "serve/store.hpp"
#include "support/temp_dir.hpp"

using namespace maildog;
using namespace maildog::serve;
using namespace std::chrono_literals;

namespace {

enum class Kind { memory, sqlite };

std::unique_ptr<MessageStore> open_store(Kind kind, const test::TempDir& dir, std::size_t keep = 0) {
  return kind == Kind::memory ? make_memory_store(keep) : make_sqlite_store((dir.path() / "data").string(), keep);
}

capture::RecipientRecord accepted(std::string address) {
  return {std::move(address), "", smtp::make_reply(250, smtp::EnhancedCode{2, 1, 5}, "Ok"), 1};
}

StoredMessage message(std::string from, std::string to, std::string subject,
                      std::map<std::string, std::string> auth = {}) {
  StoredMessage stored;
  stored.received = std::chrono::system_clock::now();
  stored.session_id = 3;
  auto& transaction = stored.transaction;
  transaction.mail_from = std::move(from);
  transaction.mail_reply = smtp::make_reply(250, smtp::EnhancedCode{2, 1, 0}, "Ok");
  transaction.recipients.push_back(accepted(std::move(to)));
  transaction.recipients.push_back(
      {"ghost@inbox.test", "", smtp::make_reply(550, smtp::EnhancedCode{5, 1, 1}, "User unknown"), 1});
  transaction.data_reply = smtp::make_reply(354, std::nullopt, "End data with <CR><LF>.<CR><LF>");
  transaction.final_reply = smtp::make_reply(250, smtp::EnhancedCode{2, 0, 0}, "Ok: queued as 0000000001");
  transaction.delivered = true;
  transaction.message = std::make_shared<const std::string>("Subject: " + subject + "\r\nFrom: <" +
                                                            transaction.mail_from + ">\r\n\r\nbody \x01\x80\r\n");
  transaction.auth_results = std::move(auth);
  transaction.authentication_results = "mx.sandbox.test; spf=pass";
  transaction.lint.push_back({"missing_date", "no Date field", 0, ""});
  return stored;
}

std::vector<std::uint64_t> ids(const std::vector<StoredMessage>& messages) {
  std::vector<std::uint64_t> out;
  for (const auto& stored : messages) {
    out.push_back(stored.id);
  }
  return out;
}

using Ids = std::vector<std::uint64_t>;

}  // namespace

TEST_CASE("a store finds messages by recipient, sender, subject, time, auth and cursor", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  const auto before = std::chrono::system_clock::now() - 1s;
  const auto first = store->add(message("app@example.test", "User@Inbox.test", "Reset your password", {{"dmarc", "pass"}}));
  const auto second = store->add(message("news@example.test", "other@inbox.test", "Weekly news", {{"dmarc", "fail"}}));
  const auto third = store->add(message("APP@example.test", "user@inbox.test", "Welcome"));
  REQUIRE(first < second);
  REQUIRE(second < third);
  REQUIRE(store->size() == 3);

  MessageQuery query;
  SECTION("everything, newest first") { REQUIRE(ids(store->find(query)) == Ids{third, second, first}); }
  SECTION("by accepted recipient, without case") {
    query.to = "user@inbox";
    REQUIRE(ids(store->find(query)) == Ids{third, first});
    query.to = "ghost@inbox.test";  // refused, so not a recipient of the message
    REQUIRE(store->find(query).empty());
  }
  SECTION("by sender") {
    query.from = "app@";
    REQUIRE(ids(store->find(query)) == Ids{third, first});
  }
  SECTION("by subject") {
    query.subject = "PASSWORD";
    REQUIRE(ids(store->find(query)) == Ids{first});
  }
  SECTION("by auth result") {
    query.auth = "dmarc=fail";
    REQUIRE(ids(store->find(query)) == Ids{second});
    query.auth = "dmarc=pas";  // a whole result, not a prefix
    REQUIRE(store->find(query).empty());
  }
  SECTION("since a time") {
    query.since = before;
    REQUIRE(store->find(query).size() == 3);
    query.since = std::chrono::system_clock::now() + 1h;
    REQUIRE(store->find(query).empty());
  }
  SECTION("after a cursor, with a limit") {
    query.after_id = first;
    REQUIRE(ids(store->find(query)) == Ids{third, second});
    query.limit = 1;
    REQUIRE(ids(store->find(query)) == Ids{third});
  }
  SECTION("several fields at once") {
    query.to = "user@inbox.test";
    query.subject = "welcome";
    REQUIRE(ids(store->find(query)) == Ids{third});
  }
}

TEST_CASE("a stored message comes back whole", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  const StoredMessage sent = message("app@example.test", "user@inbox.test", "Hello", {{"spf", "pass"}});
  const auto id = store->add(sent);
  auto got = store->get(id);
  REQUIRE(got);
  REQUIRE(got->id == id);
  REQUIRE(got->session_id == 3);
  REQUIRE(std::chrono::abs(got->received - sent.received) < 1ms);
  const auto& transaction = got->transaction;
  REQUIRE(*transaction.message == *sent.transaction.message);
  REQUIRE(transaction.mail_from == "app@example.test");
  REQUIRE(transaction.recipients.size() == 2);
  REQUIRE(transaction.recipients[1].reply == sent.transaction.recipients[1].reply);
  REQUIRE(transaction.final_reply == sent.transaction.final_reply);
  REQUIRE(transaction.data_reply == sent.transaction.data_reply);
  REQUIRE(transaction.auth_results == sent.transaction.auth_results);
  REQUIRE(transaction.authentication_results == sent.transaction.authentication_results);
  REQUIRE(transaction.lint == sent.transaction.lint);
  REQUIRE(transaction.delivered);
  REQUIRE_FALSE(store->get(id + 100));
}

TEST_CASE("remove, remove_all, and ids are never reused", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  const auto a = store->add(message("a@x.test", "u@inbox.test", "a"));
  const auto b = store->add(message("b@x.test", "u@inbox.test", "b"));
  REQUIRE(store->remove(a));
  REQUIRE_FALSE(store->remove(a));
  REQUIRE_FALSE(store->get(a));
  REQUIRE(store->get(b));
  REQUIRE(store->remove_all() == 1);
  REQUIRE(store->size() == 0);
  REQUIRE(store->add(message("c@x.test", "u@inbox.test", "c")) > b);
}

TEST_CASE("retention evicts the oldest messages and sessions", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir, 2);
  std::vector<std::uint64_t> added;
  for (int i = 0; i < 5; ++i) {
    added.push_back(store->add(message("a@x.test", "u@inbox.test", "n" + std::to_string(i))));
  }
  REQUIRE(store->size() == 2);
  REQUIRE(ids(store->find({})) == Ids{added[4], added[3]});
  REQUIRE_FALSE(store->get(added[2]));
  for (std::uint64_t id = 1; id <= 4; ++id) {
    store->put_session({.id = id, .record = {}, .open = false});
  }
  auto sessions = store->sessions(10);
  REQUIRE(sessions.size() == 2);
  REQUIRE(sessions[0].id == 4);
  REQUIRE(sessions[1].id == 3);
}

TEST_CASE("sessions are upserted by id and keep their record", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  capture::SessionRecord record;
  record.id = 7;
  record.client_address = "127.0.0.1";
  record.helo = "client.test";
  record.auth_user = "app";
  record.transcript.push_back({capture::TranscriptEntry::Direction::client, "EHLO client.test", 5us});
  record.refusals.push_back({"unknown_user", "RCPT", "ghost@inbox.test", {}, smtp::reply::user_unknown("ghost@inbox.test")});
  store->put_session({.id = 7, .record = record, .open = true});
  REQUIRE(store->session(7)->open);
  record.close_reason = "quit";
  store->put_session({.id = 7, .record = record, .open = false});
  auto got = store->session(7);
  REQUIRE(got);
  REQUIRE_FALSE(got->open);
  REQUIRE(got->record.close_reason == "quit");
  REQUIRE(got->record.auth_user == std::optional<std::string>("app"));
  REQUIRE(got->record.transcript.size() == 1);
  REQUIRE(got->record.transcript[0].direction == capture::TranscriptEntry::Direction::client);
  REQUIRE(got->record.transcript[0].offset == 5us);
  REQUIRE(got->record.refusals.size() == 1);
  REQUIRE(got->record.refusals[0].reply == record.refusals[0].reply);
  REQUIRE(store->sessions(10).size() == 1);
  REQUIRE_FALSE(store->session(8));
}

TEST_CASE("a session left open by a killed serve is closed when the SQLite store reopens", "[serve][store]") {
  test::TempDir dir;
  capture::SessionRecord record;
  record.helo = "client.test";
  {
    auto store = open_store(Kind::sqlite, dir);
    store->put_session({.id = 4, .record = record, .open = true});
    store->put_session({.id = 5, .record = record, .open = false});
    REQUIRE(store->session(4)->open);
  }
  auto reopened = open_store(Kind::sqlite, dir);
  auto cut_off = reopened->session(4);
  REQUIRE(cut_off);
  REQUIRE_FALSE(cut_off->open);
  REQUIRE(cut_off->record.helo == "client.test");
  REQUIRE_FALSE(reopened->session(5)->open);
}

TEST_CASE("a live session updated message by message is stored whole, without its transactions",
          "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  capture::SessionRecord live;
  live.id = 2;  // the server's numbering; the store's id is given beside it
  live.helo = "client.test";
  for (int i = 0; i < 3; ++i) {
    live.transcript.push_back({capture::TranscriptEntry::Direction::client, "MAIL FROM:<m" + std::to_string(i) + ">", 1us});
    live.transcript.push_back({capture::TranscriptEntry::Direction::server, "250 2.0.0 Ok", 2us});
    live.transactions.push_back(message("a@b.test", "c@d.test", "hi").transaction);
    store->update_session(12, live, true);
    auto open = store->session(12);
    REQUIRE(open);
    REQUIRE(open->open);
    REQUIRE(open->record.id == 12);
    REQUIRE(open->record.transactions.empty());
    REQUIRE(open->record.transcript.size() == live.transcript.size());
    REQUIRE(open->record.transcript.back().text == "250 2.0.0 Ok");
  }
  live.transcript.push_back({capture::TranscriptEntry::Direction::client, "QUIT", 3us});
  live.close_reason = "quit";
  store->update_session(12, live, false);
  auto done = store->session(12);
  REQUIRE(done);
  REQUIRE_FALSE(done->open);
  REQUIRE(done->record.close_reason == "quit");
  REQUIRE(done->record.helo == "client.test");
  std::vector<std::string> texts;
  for (const auto& entry : done->record.transcript) {
    texts.push_back(entry.text);
  }
  REQUIRE(texts == std::vector<std::string>{"MAIL FROM:<m0>", "250 2.0.0 Ok", "MAIL FROM:<m1>", "250 2.0.0 Ok",
                                            "MAIL FROM:<m2>", "250 2.0.0 Ok", "QUIT"});
  REQUIRE_FALSE(store->session(2));
}

TEST_CASE("wait() returns at once, wakes on add, or times out", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  MessageQuery query;
  query.to = "late@inbox.test";
  SECTION("times out when nothing matches") { REQUIRE_FALSE(store->wait(query, 50ms)); }
  SECTION("wakes when a matching message is added") {
    auto waiting = std::async(std::launch::async, [&] { return store->wait(query, 20s); });
    store->add(message("a@x.test", "other@inbox.test", "not this one"));
    std::this_thread::sleep_for(20ms);
    const auto id = store->add(message("a@x.test", "late@inbox.test", "this one"));
    auto found = waiting.get();
    REQUIRE(found);
    REQUIRE(found->id == id);
  }
  SECTION("returns a message already there") {
    const auto id = store->add(message("a@x.test", "late@inbox.test", "early"));
    REQUIRE(store->wait(query, 0ms)->id == id);
  }
}

TEST_CASE("the SQLite store reopens with everything in it", "[serve][store][sqlite]") {
  test::TempDir dir;
  std::uint64_t id = 0;
  {
    auto store = open_store(Kind::sqlite, dir);
    id = store->add(message("app@example.test", "user@inbox.test", "Persisted"));
    store->put_session({.id = 1, .record = {}, .open = false});
  }
  REQUIRE(std::filesystem::exists(dir.path() / "data" / "maildog.sqlite3"));
  auto store = open_store(Kind::sqlite, dir);
  REQUIRE(store->size() == 1);
  auto got = store->get(id);
  REQUIRE(got);
  REQUIRE(*got->transaction.message == *message("app@example.test", "user@inbox.test", "Persisted").transaction.message);
  REQUIRE(store->session(1));
  REQUIRE(store->add(message("b@x.test", "u@inbox.test", "next")) > id);
}

TEST_CASE("the SQLite store refuses a folder it cannot create", "[serve][store][sqlite]") {
  test::TempDir dir;
  const auto file = dir.write("plain-file", "x");
  REQUIRE_THROWS_AS(make_sqlite_store((file / "sub").string(), 0), std::runtime_error);
}
