// Sessions in the message store: upserts, a session left open by a killed serve, live sessions.
#include <catch2/catch.hpp>

#include "serve/store_fixtures.hpp"

using namespace maildog;
using namespace maildog::serve;
using namespace store_fixtures;
using namespace std::chrono_literals;

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
