// evaluate() across expectation kinds: failures in the written order, each excerpt once.
#include <catch2/catch.hpp>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("failures come in the order the expectations are written", "[evaluate]") {
  auto scenario = make_scenario();
  scenario.expect.app = maildog::scenario::AppExpect{};
  scenario.expect.app->exit = 0;
  scenario.expect.replies = {reply_expect("RCPT", "user@inbox.test", 550)};
  scenario.expect.not_delivered = {"user@inbox.test"};
  auto result = observed({delivering_session()});
  ProcessResult app;
  app.outcome = ProcessResult::Outcome::exited;
  app.exit_code = 1;
  result.app = app;
  auto failures = evaluate(scenario, result);
  REQUIRE(failures.size() == 3);
  CHECK(failures[0].expectation == "expect.app.exit");
  CHECK(failures[1].expectation == "expect.replies[0]");
  CHECK(failures[2].expectation == "expect.not_delivered[0]");
}

TEST_CASE("failure excerpts point at their RCPT, once per place", "[evaluate][context]") {
  // delivering_session refuses ghost@ at RCPT (line 10), delivers to user@ (message at line 15)
  // and ends with QUIT (lines 17 and 18).
  auto scenario = make_scenario();
  auto result = observed({delivering_session()});
  maildog::scenario::DeliveredExpect delivered;
  delivered.to = TextMatch::parse("ghost@inbox.test");
  maildog::scenario::RetryExpect retries;
  retries.rcpt = "ghost@inbox.test";
  retries.min_attempts = 2;
  scenario.expect.delivered = {delivered};
  scenario.expect.retries = {retries};
  scenario.expect.not_delivered = {"user@inbox.test"};
  auto failures = evaluate(scenario, result);
  REQUIRE(failures.size() == 3);
  CHECK(failures[0].expectation == "expect.delivered[0]");
  CHECK(failures[0].context == lines(result, 7, 13));
  CHECK(failures[1].expectation == "expect.not_delivered[0]");
  // user@ was accepted: its transaction's message and final reply, not the RCPT.
  CHECK(failures[1].context == lines(result, 12, 18));
  CHECK(failures[2].expectation == "expect.retries[0]");
  CHECK(failures[2].context.empty());  // the same RCPT as expect.delivered[0]: shown once
}
