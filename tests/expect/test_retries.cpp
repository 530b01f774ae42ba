// expect.retries.
#include <catch2/catch.hpp>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("expect.retries", "[evaluate][retries]") {
  auto scenario = make_scenario();
  maildog::scenario::RetryExpect expect;
  expect.rcpt = "ghost@inbox.test";
  expect.line = 60;

  SECTION("one attempt within max_attempts 1 passes") {
    expect.max_attempts = 1;
    scenario.expect.retries = {expect};
    CHECK(evaluate(scenario, observed({delivering_session()})).empty());
  }
  SECTION("attempts across sessions are counted") {
    expect.max_attempts = 1;
    scenario.expect.retries = {expect};
    auto result = observed({greylisted_session(1, 1), greylisted_session(2, 2)});
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.retries[0]");
    CHECK(failures[0].line == 60);
    CHECK(failures[0].expected == "at most 1 RCPT attempt for ghost@inbox.test");
    CHECK(failures[0].actual ==
          "2 attempts: 451 4.7.1 Greylisted, try again later (session 1); 451 4.7.1 Greylisted, try again later "
          "(session 2)");
  }
  SECTION("min_attempts") {
    expect.min_attempts = 2;
    expect.max_attempts = 3;
    scenario.expect.retries = {expect};
    CHECK(evaluate(scenario, observed({greylisted_session(1, 1), greylisted_session(2, 2)})).empty());
    auto failures = evaluate(scenario, observed({delivering_session()}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "between 2 and 3 RCPT attempts for ghost@inbox.test");
    CHECK(failures[0].actual ==
          "1 attempt: 550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown (session 1)");
  }
  SECTION("never tried") {
    expect.rcpt = "late@inbox.test";
    expect.min_attempts = 1;
    scenario.expect.retries = {expect};
    auto failures = evaluate(scenario, observed({delivering_session()}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "at least 1 RCPT attempt for late@inbox.test");
    CHECK(failures[0].actual == "no RCPT for late@inbox.test");
  }
}
