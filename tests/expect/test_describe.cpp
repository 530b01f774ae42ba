#include <catch2/catch.hpp>

#include "expect/describe.hpp"

using namespace maildog::expect::detail;
using maildog::rules::TextMatch;

TEST_CASE("describe helpers word what was wanted and what happened", "[expect][describe]") {
  SECTION("quote escapes and cuts on a UTF-8 boundary") {
    CHECK(quote("a \"b\"\\\r\n\t\x01") == "\"a \\\"b\\\"\\\\\\r\\n\\t\\x01\"");
    CHECK(quote("h\xC3\xA9llo", 2) == "\"h...\"");  // not in the middle of the two-byte é
    CHECK(quote("hello", 5) == "\"hello\"");
  }
  SECTION("patterns as written: plain words bare, others quoted") {
    CHECK(show(TextMatch::exact("user@inbox.test")) == "user@inbox.test");
    CHECK(show(TextMatch::exact("two words")) == "\"two words\"");
  }
  SECTION("lists stop after three items") {
    CHECK(listed({"a", "b"}) == "a; b");
    CHECK(listed({"a", "b", "c", "d", "e"}) == "a; b; c; ... and 2 more");
  }
  SECTION("counts") {
    CHECK(counted(1, "message", "messages") == "1 message");
    CHECK(count_phrase(2, std::nullopt, std::nullopt, "time", "times") == "exactly 2 times");
    CHECK(count_phrase(std::nullopt, 1, 3, "time", "times") == "between 1 and 3 times");
    CHECK(count_phrase(std::nullopt, std::nullopt, 0, "time", "times") == "at most 0 times");
    CHECK(count_phrase(std::nullopt, std::nullopt, std::nullopt, "time", "times") == "at least 1 time");
    CHECK(count_holds(0, std::nullopt, std::nullopt, std::nullopt) == false);
    CHECK(count_holds(2, std::nullopt, 1, 3));
    CHECK_FALSE(count_holds(4, std::nullopt, 1, 3));
    CHECK(command_text("RCPT", "a@b") == "RCPT a@b");
    CHECK(command_text("DATA", "") == "DATA");
  }
}
