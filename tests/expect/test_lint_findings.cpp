// expect.lint.
#include <catch2/catch.hpp>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("expect.lint", "[evaluate][lint]") {
  // delivering_session's message has From but no Date and no Message-ID; the greylisted
  // transaction kept no message.
  auto scenario = make_scenario();
  auto lint = [](std::string finding, bool occurs) {
    return maildog::scenario::LintExpect{std::move(finding), occurs, 40};
  };
  auto result = observed({delivering_session(), greylisted_session(2, 1)});

  SECTION("holds: findings that occur and findings that do not") {
    scenario.expect.lint = {lint("bare_lf", false), lint("missing_date", true), lint("missing_message_id", true)};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a finding asserted false names the session and message where it occurred") {
    scenario.expect.lint = {lint("missing_date", false)};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.lint.missing_date");
    CHECK(failures[0].line == 40);
    CHECK(failures[0].expected == "no missing_date finding in any captured message");
    CHECK(failures[0].actual == "found in 1 message: session 1, message 1: no Date field (RFC 5322 3.6 requires one)");
    // The excerpt is that message's end of data (line 15 of delivering_session), not the
    // closing lines of the run's last session.
    CHECK(failures[0].context == lines(result, 12, 18));
  }
  SECTION("and the line and an excerpt when the finding has them") {
    auto session = delivering_session();
    session.transactions[0].message = std::make_shared<const std::string>("From: a@b.test\r\n\r\nhi\nthere\r\n");
    scenario.expect.lint = {lint("bare_lf", false)};
    auto failures = evaluate(scenario, observed({session}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual ==
          "found in 1 message: session 1, message 1, line 3: 1 line ends in LF without CR (RFC 5322 2.3) \"hi\\n\"");
  }
  SECTION("a finding asserted true that never occurred") {
    scenario.expect.lint = {lint("long_lines", true)};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a long_lines finding in a captured message");
    CHECK(failures[0].actual == "none in 2 captured mail transactions");
    CHECK_FALSE(failures[0].context.empty());
  }
  SECTION("nothing captured") {
    scenario.expect.lint = {lint("missing_date", true), lint("bare_lf", false)};
    auto failures = evaluate(scenario, observed({}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "no mail transaction was captured");
  }
}
