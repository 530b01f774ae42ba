// The SQLite store on disk: reopening, older schema versions, page size, retention across reopens.
#include <catch2/catch.hpp>

#include "serve/store_fixtures.hpp"

using namespace maildog;
using namespace maildog::serve;
using namespace store_fixtures;
using namespace std::chrono_literals;

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
