#include <catch2/catch.hpp>

#include "rules/text_match.hpp"

using maildog::rules::glob_match;
using maildog::rules::TextMatch;

TEST_CASE("patterns choose exact, glob or regex by their form", "[rules][match]") {
  REQUIRE(TextMatch::parse("ghost@inbox.test").kind() == TextMatch::Kind::exact);
  REQUIRE(TextMatch::parse("*@inbox.test").kind() == TextMatch::Kind::glob);
  REQUIRE(TextMatch::parse("/^gh/i").kind() == TextMatch::Kind::regex);
}

TEST_CASE("exact and glob matches ignore case", "[rules][match]") {
  REQUIRE(TextMatch::parse("Ghost@Inbox.test").matches("ghost@inbox.TEST"));
  REQUIRE_FALSE(TextMatch::parse("ghost@inbox.test").matches("ghost@inbox.test.evil"));
  REQUIRE(glob_match("*@inbox.test", "a@INBOX.test"));
  REQUIRE(glob_match("user?@*.test", "user1@x.test"));
  REQUIRE_FALSE(glob_match("user?@*.test", "user12@x.test"));
  REQUIRE(glob_match("*", ""));
  REQUIRE_FALSE(glob_match("a*b", "ac"));
  REQUIRE(glob_match("a*b*c", "aXXbYYc"));
}

TEST_CASE("glob matching stays linear on hostile patterns", "[rules][match]") {
  std::string text(5000, 'a');
  REQUIRE_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", text));
}

TEST_CASE("regexes honour their flags", "[rules][match]") {
  REQUIRE(TextMatch::parse("/free money/i").matches("Get FREE MONEY now"));
  REQUIRE_FALSE(TextMatch::parse("/free money/").matches("FREE MONEY"));
  REQUIRE(TextMatch::parse("/^a.c$/").matches("abc"));
}

TEST_CASE("bad regexes are reported, not thrown later", "[rules][match]") {
  REQUIRE_THROWS_WITH(TextMatch::parse("/(/"), Catch::Contains("invalid regex /(/"));
  REQUIRE_THROWS_WITH(TextMatch::parse("/a/x"), Catch::Contains("unknown regex flag 'x'"));
}
