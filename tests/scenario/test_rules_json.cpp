// serve's rules as JSON (PUT /api/v1/rules): the scenario's rules: list, checked as in a file, and
// refused with a reason when it nests deeper than any rule list can (json_depth::k_max).
#include <catch2/catch.hpp>

#include <string>

#include "scenario/rules_json.hpp"

using maildog::scenario::parse_rules_json;

TEST_CASE("rules as JSON: a valid list, brackets inside strings, and a list nested too deep", "[scenario][rules]") {
  SECTION("a rule list is read as the rules: of a scenario") {
    const auto update =
        parse_rules_json(R"([{"at":"rcpt","match":{"rcpt":"ghost@inbox.test"},"reply":"550 5.1.1 no"}])");
    CHECK(update.error.empty());
    REQUIRE(update.rules.size() == 1);
  }
  SECTION("brackets inside a string do not count as nesting") {
    // 70 '[' in a reply text, one of them after an escaped quote.
    const std::string text = "550 5.1.1 " + std::string(69, '[') + "\\\"[";
    const auto update =
        parse_rules_json(R"([{"at":"rcpt","match":{"rcpt":"x@inbox.test"},"reply":")" + text + R"("}])");
    CHECK(update.error.find("deeper") == std::string::npos);
  }
  SECTION("60,000 nested lists are refused with the reason, not parsed") {
    const auto update = parse_rules_json(std::string(60000, '[') + std::string(60000, ']'));
    CHECK(update.rules.empty());
    CHECK(update.error == "the rules nest deeper than 64 levels");
  }
  SECTION("64 levels pass the depth check (and are then refused as a scenario would be)") {
    const auto update = parse_rules_json(std::string(64, '[') + std::string(64, ']'));
    CHECK(update.rules.empty());
    CHECK_FALSE(update.error.empty());
    CHECK(update.error != "the rules nest deeper than 64 levels");
  }
}

TEST_CASE("rules as JSON: times is a whole number of at least 1", "[scenario][rules][times]") {
  const auto twice =
      parse_rules_json(R"([{"at":"rcpt","reply":"451 4.7.1 later","times":2}, {"at":"rcpt","reply":"550"}])");
  CHECK(twice.error.empty());
  REQUIRE(twice.rules.size() == 2);
  CHECK(twice.rules[0].times == 2U);
  CHECK_FALSE(twice.rules[1].times);
  for (const std::string bad : {"0", "-1", "1.5", "\"2\"", "null"}) {
    INFO(bad);
    const auto refused = parse_rules_json(R"([{"at":"rcpt","reply":"451 4.7.1 later","times":)" + bad + "}]");
    CHECK(refused.rules.empty());
    CHECK(refused.error.find("server.rules[0].times") != std::string::npos);
  }
}
