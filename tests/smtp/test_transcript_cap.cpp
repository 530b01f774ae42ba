// The transcript cap (smtp/transcript_cap) alone, then through the Protocol: head and tail kept,
// one "N lines elided" event between, the lines around each refusal always kept, indices moved
// with the lines; and the session command limit's 421.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "smtp/protocol.hpp"
#include "smtp/transcript_cap.hpp"

using namespace maildog;
using namespace maildog::smtp;
using Direction = capture::TranscriptEntry::Direction;

namespace {

std::vector<capture::TranscriptEntry> numbered(std::size_t count) {
  std::vector<capture::TranscriptEntry> lines;
  for (std::size_t i = 0; i < count; ++i) {
    lines.push_back({Direction::client, "line " + std::to_string(i), std::chrono::microseconds(i)});
  }
  return lines;
}

bool has_line(const std::vector<capture::TranscriptEntry>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&text](const auto& entry) { return entry.text == text; });
}

std::size_t total_lines(const std::vector<capture::TranscriptEntry>& lines) {
  std::size_t total = 0;
  for (const auto& entry : lines) {
    total += std::max<std::size_t>(1, elided_count(entry));
  }
  return total;
}

}  // namespace

TEST_CASE("a transcript under its cap is left alone", "[smtp][transcript_cap]") {
  auto lines = numbered(25);
  CHECK_FALSE(cap_transcript(lines, TranscriptCap{.head = 5, .tail = 10, .slack = 10, .context = 1}, {}));
  CHECK(lines.size() == 25);
}

TEST_CASE("the middle of a long transcript becomes one elided marker", "[smtp][transcript_cap]") {
  auto lines = numbered(100);
  const TranscriptCap cap{.head = 5, .tail = 10, .slack = 10, .context = 1};
  auto moved = cap_transcript(lines, cap, {});
  REQUIRE(moved);
  REQUIRE(lines.size() == 5 + 1 + 10);
  CHECK(lines[4].text == "line 4");
  CHECK(lines[5].direction == Direction::event);
  CHECK(lines[5].text == "85 lines elided");
  CHECK(lines[6].text == "line 90");
  CHECK(lines.back().text == "line 99");
  CHECK((*moved)(3) == 3);
  CHECK((*moved)(50) == 5);  // an elided line maps to its marker
  CHECK((*moved)(95) == 11);

  SECTION("eliding again adds the old marker's count to the new one") {
    auto more = numbered(200);
    lines.insert(lines.end(), more.begin() + 100, more.end());
    REQUIRE(cap_transcript(lines, cap, {}));
    REQUIRE(lines.size() == 16);
    CHECK(lines[5].text == "185 lines elided");
    CHECK(total_lines(lines) == 200);
    CHECK(lines.back().text == "line 199");
  }
}

TEST_CASE("the lines around each refusal are never elided", "[smtp][transcript_cap]") {
  auto lines = numbered(100);
  lines[40] = {Direction::server, "550 5.1.1 No such user", std::chrono::microseconds(40)};
  auto moved = cap_transcript(lines, TranscriptCap{.head = 5, .tail = 10, .slack = 10, .context = 2}, {40});
  REQUIRE(moved);
  // head 5, a marker, 38..42, a marker, tail 10
  REQUIRE(lines.size() == 5 + 1 + 5 + 1 + 10);
  CHECK(lines[5].text == "33 lines elided");
  CHECK(lines[6].text == "line 38");
  CHECK(lines[8].text == "550 5.1.1 No such user");
  CHECK(lines[10].text == "line 42");
  CHECK(lines[11].text == "47 lines elided");
  CHECK((*moved)(40) == 8);
  CHECK(total_lines(lines) == 100);
}

TEST_CASE("a session of many NOOPs keeps a bounded transcript with its refusal", "[smtp][transcript_cap]") {
  ServerConfig config;
  config.domains = {"inbox.test"};
  config.mailboxes = {"user@inbox.test"};
  rules::EngineState rules_state(config.seed);
  capture::Capture capture;
  capture::SessionRecord record;
  Protocol protocol(
      config, rules_state, capture, record, [] { return std::chrono::microseconds(0); }, [] { return 7ULL; });
  protocol.greeting();
  REQUIRE(protocol.on_line("EHLO client.test").replies.front().code == 250);
  const std::size_t before = record.transcript.size();
  for (int i = 0; i < 20000; ++i) {
    protocol.on_line("NOOP");
  }
  REQUIRE(protocol.on_line("MAIL FROM:<a@client.test>").replies.front().code == 250);
  REQUIRE(protocol.on_line("RCPT TO:<ghost@inbox.test>").replies.front().code == 550);
  for (int i = 0; i < 20000; ++i) {
    protocol.on_line("NOOP");
  }
  const TranscriptCap cap;
  CHECK(record.transcript.size() <= cap.head + cap.tail + cap.slack + 2 * cap.context + 3);
  CHECK(has_line(record.transcript, "EHLO client.test"));  // the head
  CHECK(has_line(record.transcript, "RCPT TO:<ghost@inbox.test>"));
  CHECK(std::any_of(record.transcript.begin(), record.transcript.end(),
                    [](const auto& entry) { return entry.text.starts_with("550 5.1.1"); }));
  CHECK(std::any_of(record.transcript.begin(), record.transcript.end(),
                    [](const auto& entry) { return elided_count(entry) > 0; }));
  CHECK(record.transcript.back().text.starts_with("250"));
  CHECK(total_lines(record.transcript) == before + 2 * 20000 * 2 + 4);  // NOOPs, MAIL and RCPT with replies
}

TEST_CASE("a session over the command limit gets 421 and is closed", "[smtp][transcript_cap]") {
  ServerConfig config;
  rules::EngineState rules_state(config.seed);
  capture::Capture capture;
  capture::SessionRecord record;
  Protocol protocol(
      config, rules_state, capture, record, [] { return std::chrono::microseconds(0); }, [] { return 7ULL; });
  protocol.greeting();
  for (std::size_t i = 0; i < limits::k_session_commands_default; ++i) {
    REQUIRE(protocol.on_line("NOOP").replies.front().code == 250);
  }
  Output over = protocol.on_line("NOOP");
  REQUIRE(over.replies.size() == 1);
  CHECK(over.replies.front().code == 421);
  CHECK(over.replies.front().enhanced->str() == "4.7.0");
  CHECK(over.next == Next::close);
  CHECK(protocol.state() == State::closed);
  CHECK(record.close_reason == "too many commands");
}
