// The message store, memory and SQLite: queries, whole messages, removal, retention, wait(),
// adds from many threads and a message's bytes read in pieces.
#include <catch2/catch.hpp>

#include <future>
#include <set>
#include <thread>

#include "serve/store_fixtures.hpp"

using namespace maildog;
using namespace maildog::serve;
using namespace store_fixtures;
using namespace std::chrono_literals;

TEST_CASE("a store finds messages by recipient, sender, subject, time, auth and cursor", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  const auto before = std::chrono::system_clock::now() - 1s;
  const auto first =
      store->add(message("app@example.test", "User@Inbox.test", "Reset your password", {{"dmarc", "pass"}}));
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
  SECTION("before a cursor: the next page back, newest first") {
    query.before_id = third;
    REQUIRE(ids(store->find(query)) == Ids{second, first});
    query.limit = 1;
    REQUIRE(ids(store->find(query)) == Ids{second});
    query.before_id = first;
    REQUIRE(store->find(query).empty());
    query.before_id = third;
    query.after_id = first;
    query.limit = 10;
    REQUIRE(ids(store->find(query)) == Ids{second});
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
  capture::SessionRecord record;
  record.transcript.push_back({capture::TranscriptEntry::Direction::client, "QUIT", 1us});
  for (std::uint64_t id = 1; id <= 4; ++id) {
    store->put_session({.id = id, .record = record, .open = false});
  }
  auto sessions = store->sessions(10);
  REQUIRE(sessions.size() == 2);
  REQUIRE(sessions[0].id == 4);
  REQUIRE(sessions[1].id == 3);
  REQUIRE(sessions[1].record.transcript.size() == 1);
  if (kind == Kind::sqlite) {
    // An evicted session's transcript lines go with it.
    sqlite::Database db((dir.path() / "data" / "maildog.sqlite3").string());
    sqlite::Statement lines(db, "SELECT count(*), min(session_id) FROM session_lines");
    REQUIRE(lines.step());
    CHECK(lines.integer(0) == 2);
    CHECK(lines.integer(1) == 3);
  }
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

TEST_CASE("messages added from many threads at once are each stored once, whole", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  constexpr int k_threads = 12;
  constexpr int k_each = 25;
  std::vector<std::vector<std::uint64_t>> added(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < k_each; ++n) {
        const std::string subject = "t" + std::to_string(t) + " n" + std::to_string(n);
        added[static_cast<std::size_t>(t)].push_back(store->add(message("a@x.test", "u@inbox.test", subject)));
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  REQUIRE(store->size() == std::size_t{k_threads * k_each});
  std::set<std::uint64_t> distinct;
  for (int t = 0; t < k_threads; ++t) {
    for (int n = 0; n < k_each; ++n) {
      const auto id = added[static_cast<std::size_t>(t)][static_cast<std::size_t>(n)];
      distinct.insert(id);
      auto got = store->get(id);
      REQUIRE(got);
      const std::string subject = "t" + std::to_string(t) + " n" + std::to_string(n);
      REQUIRE(*got->transaction.message == *message("a@x.test", "u@inbox.test", subject).transaction.message);
    }
  }
  REQUIRE(distinct.size() == std::size_t{k_threads * k_each});
}

TEST_CASE("a message's bytes read in pieces are its bytes", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  StoredMessage large = message("a@x.test", "b@inbox.test", "large");
  std::string bytes = "Subject: large\r\n\r\n";
  for (int line = 0; bytes.size() < 300 * 1024; ++line) {
    bytes += "line " + std::to_string(line) + "\r\n";
  }
  large.transaction.message = std::make_shared<const std::string>(bytes);
  const auto id = store->add(std::move(large));
  REQUIRE(store->bytes_size(id) == bytes.size());
  std::string read;
  for (std::size_t offset = 0; offset < bytes.size();) {
    const auto piece = store->read_bytes(id, offset, 7000);
    REQUIRE(piece);
    REQUIRE(!piece->empty());
    CHECK(piece->size() <= 7000);
    read += *piece;
    offset += piece->size();
  }
  CHECK(read == bytes);
  CHECK(store->read_bytes(id, bytes.size(), 10) == std::string());
  CHECK_FALSE(store->bytes_size(id + 1));
  CHECK_FALSE(store->read_bytes(id + 1, 0, 10));
  REQUIRE(store->remove(id));
  CHECK_FALSE(store->read_bytes(id, 0, 10));
}
