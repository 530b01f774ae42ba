#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "serve/sqlite.hpp"
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

// A store as an older maildog-ci left it: its schema version, the messages table (the same in
// versions 1 and 2) and `tables`.
void write_old_store(const test::TempDir& dir, int version, std::string_view tables) {
  std::filesystem::create_directories(dir.path() / "data");
  sqlite::Database db((dir.path() / "data" / "maildog.sqlite3").string());
  db.execute(
      "CREATE TABLE schema_version (version INTEGER NOT NULL);"
      "INSERT INTO schema_version (version) VALUES (" +
      std::to_string(version) +
      ");"
      "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, received_us INTEGER NOT NULL,"
      "  session_id INTEGER NOT NULL, mail_from TEXT NOT NULL, recipients TEXT NOT NULL,"
      "  subject TEXT NOT NULL, auth TEXT NOT NULL, record TEXT NOT NULL, bytes BLOB NOT NULL);" +
      std::string(tables));
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
  record.refusals.push_back(
      {"unknown_user", "RCPT", "ghost@inbox.test", {}, smtp::reply::user_unknown("ghost@inbox.test")});
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

TEST_CASE("a live session updated message by message is stored whole, without its transactions", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  capture::SessionRecord live;
  live.id = 2;  // the server's numbering; the store's id is given beside it
  live.helo = "client.test";
  for (int i = 0; i < 3; ++i) {
    live.transcript.push_back(
        {capture::TranscriptEntry::Direction::client, "MAIL FROM:<m" + std::to_string(i) + ">", 1us});
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

// smtp/transcript_cap elides the middle of a long live transcript: the lines the store kept are
// no longer a prefix of it, and the store must take it anew rather than append to them.
TEST_CASE("a live session whose transcript was elided in the middle is stored as it is now", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  using Direction = capture::TranscriptEntry::Direction;
  capture::SessionRecord live;
  live.id = 3;
  for (int i = 0; i < 10; ++i) {
    live.transcript.push_back({Direction::client, "NOOP " + std::to_string(i), std::chrono::microseconds(i)});
  }
  store->update_session(9, live, true);
  // Lines 2..7 become one marker, then two more lines come.
  live.transcript.erase(live.transcript.begin() + 2, live.transcript.begin() + 8);
  live.transcript.insert(live.transcript.begin() + 2, {Direction::event, "6 lines elided", 2us});
  for (int i = 10; i < 18; ++i) {
    live.transcript.push_back({Direction::client, "NOOP " + std::to_string(i), std::chrono::microseconds(i)});
  }
  store->update_session(9, live, true);
  live.transcript.push_back({Direction::client, "QUIT", 20us});
  store->update_session(9, live, false);
  auto stored = store->session(9);
  REQUIRE(stored);
  std::vector<std::string> texts;
  for (const auto& entry : stored->record.transcript) {
    texts.push_back(entry.text);
  }
  std::vector<std::string> expected;
  for (const auto& entry : live.transcript) {
    expected.push_back(entry.text);
  }
  REQUIRE(texts == expected);
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
  REQUIRE(*got->transaction.message ==
          *message("app@example.test", "user@inbox.test", "Persisted").transaction.message);
  REQUIRE(store->session(1));
  REQUIRE(store->add(message("b@x.test", "u@inbox.test", "next")) > id);
}

TEST_CASE("the SQLite store refuses a folder it cannot create", "[serve][store][sqlite]") {
  test::TempDir dir;
  const auto file = dir.write("plain-file", "x");
  REQUIRE_THROWS_AS(make_sqlite_store((file / "sub").string(), 0), std::runtime_error);
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

TEST_CASE("add() with the live session stores the message and brings the session up to date", "[serve][store]") {
  const Kind kind = GENERATE(Kind::memory, Kind::sqlite);
  test::TempDir dir;
  auto store = open_store(kind, dir);
  capture::SessionRecord live;
  live.id = 1;
  live.helo = "client.test";
  std::size_t lines = 0;
  for (int i = 0; i < 200; ++i) {
    live.transcript.push_back(
        {capture::TranscriptEntry::Direction::client, "MAIL FROM:<m" + std::to_string(i) + ">", 1us});
    live.transcript.push_back({capture::TranscriptEntry::Direction::server, "250 2.1.0 Ok", 2us});
    lines += 2;
    auto stored = message("a@b.test", "c@d.test", "m" + std::to_string(i));
    stored.session_id = 7;
    live.transactions.push_back(stored.transaction);
    if (i == 150) {
      live.auth_user = "app";  // the record changes mid-session: written again, not skipped
    }
    const auto id = store->add(stored, &live);
    REQUIRE(store->get(id)->session_id == 7);
    REQUIRE(store->session(7)->record.auth_user == (i < 150 ? std::nullopt : std::optional<std::string>("app")));
  }
  auto open = store->session(7);
  REQUIRE(open);
  REQUIRE(open->open);
  REQUIRE(open->record.helo == "client.test");
  REQUIRE(open->record.transactions.empty());
  REQUIRE(open->record.transcript.size() == lines);
  for (std::size_t i = 0; i < lines; i += 2) {
    REQUIRE(open->record.transcript[i].text == "MAIL FROM:<m" + std::to_string(i / 2) + ">");
  }
  live.transcript.push_back({capture::TranscriptEntry::Direction::client, "QUIT", 3us});
  store->update_session(7, live, false);
  REQUIRE(store->session(7)->record.transcript.size() == lines + 1);
  REQUIRE_FALSE(store->session(7)->open);
  // A whole record put over it replaces the transcript, not appends to it.
  live.transcript.resize(3);
  store->put_session({.id = 7, .record = live, .open = false});
  REQUIRE(store->session(7)->record.transcript.size() == 3);
}

TEST_CASE("a store written by schema version 1 opens, its transcripts moved to lines", "[serve][store][sqlite]") {
  test::TempDir dir;
  write_old_store(dir, 1, R"sql(
CREATE INDEX messages_mail_from ON messages (mail_from);
CREATE INDEX messages_received ON messages (received_us);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, open INTEGER NOT NULL, record TEXT NOT NULL);
INSERT INTO sessions (id, open, record) VALUES (3, 0, '{"id":3,"client_address":"127.0.0.1","client_port":4000,
  "helo":"old.test","esmtp":true,"tls":false,"tls_version":"","tls_cipher":"","auth_user":null,"auth_mechanism":"",
  "transcript":[{"direction":"server","text":"220 hi","offset_us":1},{"direction":"client","text":"EHLO old.test","offset_us":2}],
  "refusals":[],"close_reason":"quit","started_us":0,"duration_us":5}');
)sql");
  auto store = open_store(Kind::sqlite, dir);
  auto old = store->session(3);
  REQUIRE(old);
  REQUIRE(old->record.helo == "old.test");
  REQUIRE(old->record.transcript.size() == 2);
  CHECK(old->record.transcript[0].text == "220 hi");
  CHECK(old->record.transcript[1].text == "EHLO old.test");
  store.reset();
  sqlite::Database db((dir.path() / "data" / "maildog.sqlite3").string());
  sqlite::Statement version(db, "SELECT version FROM schema_version");
  REQUIRE(version.step());
  CHECK(version.integer(0) == 4);
  sqlite::Statement record(db, "SELECT json_array_length(record, '$.transcript') FROM sessions WHERE id = 3");
  REQUIRE(record.step());
  CHECK(record.integer(0) == 0);
  sqlite::Statement indexes(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'");
  REQUIRE(indexes.step());
  CHECK(indexes.integer(0) == 0);
}

TEST_CASE("a store written by schema version 2 opens, its transcript pieces in a rowid table",
          "[serve][store][sqlite]") {
  test::TempDir dir;
  write_old_store(dir, 2, R"sql(
CREATE TABLE sessions (id INTEGER PRIMARY KEY, open INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE session_lines (session_id INTEGER NOT NULL, seq INTEGER NOT NULL, lines TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
INSERT INTO sessions (id, open, record) VALUES (5, 1, '{"id":5,"client_address":"127.0.0.1","client_port":4000,
  "helo":"two.test","esmtp":true,"tls":false,"tls_version":"","tls_cipher":"","auth_user":null,"auth_mechanism":"",
  "transcript":[],"refusals":[],"close_reason":"","started_us":0,"duration_us":0}');
INSERT INTO session_lines (session_id, seq, lines) VALUES
  (5, 2, '[{"direction":"client","text":"MAIL FROM:<a@two.test>","offset_us":3}]'),
  (5, 0, '[{"direction":"server","text":"220 hi","offset_us":1},{"direction":"client","text":"EHLO two.test","offset_us":2}]');
)sql");
  auto store = open_store(Kind::sqlite, dir);
  auto old = store->session(5);
  REQUIRE(old);
  REQUIRE(old->record.transcript.size() == 3);
  CHECK(old->record.transcript[0].text == "220 hi");
  CHECK(old->record.transcript[1].text == "EHLO two.test");
  CHECK(old->record.transcript[2].text == "MAIL FROM:<a@two.test>");
  CHECK_FALSE(old->open);  // the serve that wrote it is gone
  // The migrated table takes new pieces, and a whole record put over it still replaces them.
  capture::SessionRecord live = old->record;
  live.transcript.push_back({capture::TranscriptEntry::Direction::server, "250 ok", 4us});
  store->update_session(6, live, true);
  REQUIRE(store->session(6)->record.transcript.size() == 4);
  live.transcript.resize(1);
  store->put_session({.id = 5, .record = live, .open = false});
  REQUIRE(store->session(5)->record.transcript.size() == 1);
  store.reset();
  sqlite::Database db((dir.path() / "data" / "maildog.sqlite3").string());
  sqlite::Statement version(db, "SELECT version FROM schema_version");
  REQUIRE(version.step());
  CHECK(version.integer(0) == 4);
  sqlite::Statement page_size(db, "PRAGMA page_size");
  REQUIRE(page_size.step());
  CHECK(page_size.integer(0) == 4096);  // an existing store keeps its pages
  sqlite::Statement table(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'session_lines'");
  REQUIRE(table.step());
  CHECK(table.text(0).find("WITHOUT ROWID") == std::string::npos);
  sqlite::Statement index(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'session_lines_key'");
  REQUIRE(index.step());
  CHECK(index.integer(0) == 1);
}

TEST_CASE("a new SQLite store has 16 KiB pages, and they hold a message larger than one", "[serve][store][sqlite]") {
  test::TempDir dir;
  const std::string big(100000, 'x');
  {
    auto store = open_store(Kind::sqlite, dir);
    store->add(message("a@x.test", "u@inbox.test", big));
  }
  auto store = open_store(Kind::sqlite, dir);
  auto found = store->find({});
  REQUIRE(found.size() == 1);
  REQUIRE(found.front().transaction.message->find(big) != std::string::npos);
  store.reset();
  sqlite::Database db((dir.path() / "data" / "maildog.sqlite3").string());
  sqlite::Statement page_size(db, "PRAGMA page_size");
  REQUIRE(page_size.step());
  CHECK(page_size.integer(0) == 16384);
}

TEST_CASE("the SQLite store's retention holds across a reopen and removals", "[serve][store][sqlite]") {
  test::TempDir dir;
  std::vector<std::uint64_t> added;
  {
    auto store = open_store(Kind::sqlite, dir, 3);
    for (int i = 0; i < 3; ++i) {
      added.push_back(store->add(message("a@x.test", "u@inbox.test", "n" + std::to_string(i))));
    }
  }
  auto store = open_store(Kind::sqlite, dir, 3);
  REQUIRE(store->size() == 3);
  added.push_back(store->add(message("a@x.test", "u@inbox.test", "n3")));
  REQUIRE(store->size() == 3);
  REQUIRE_FALSE(store->get(added[0]));
  REQUIRE(store->remove(added[2]));
  REQUIRE(store->size() == 2);
  added.push_back(store->add(message("a@x.test", "u@inbox.test", "n4")));
  // Room for it after the removal: nothing else goes.
  REQUIRE(ids(store->find({})) == Ids{added[4], added[3], added[1]});
  REQUIRE(store->remove_all() == 3);
  REQUIRE(store->size() == 0);
}

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
