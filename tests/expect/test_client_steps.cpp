// client.steps: failed client steps fail the scenario.
#include <catch2/catch.hpp>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("failed client steps fail the scenario", "[evaluate][steps]") {
  Scenario scenario;
  ScenarioResult observed;
  maildog::runner::StepOutcome good;
  good.line = 7;
  good.action = "EHLO client.test";
  maildog::runner::StepOutcome bad;
  bad.line = 9;
  bad.action = "MAIL FROM:<a@client.test>";
  bad.expected = "550";
  bad.reply = maildog::smtp::Reply::parse("250 2.1.0 Sender ok");
  bad.ok = false;
  bad.unexpected_reply = true;
  bad.problem = "expected 550, got 250 2.1.0 Sender ok";
  maildog::runner::StepOutcome broken;
  broken.line = 11;
  broken.action = "RCPT TO:<b@inbox.test>";
  broken.ok = false;
  broken.problem = "server closed the connection";
  observed.steps = {good, bad, broken};
  auto failures = evaluate(scenario, observed);
  REQUIRE(failures.size() == 2);
  REQUIRE(failures[0].expectation == "client.steps[1]");
  REQUIRE(failures[0].line == 9);
  // Said like expect.replies: the command, the reply it wants, the reply it got.
  REQUIRE(failures[0].expected == "MAIL FROM:<a@client.test> -> 550");
  REQUIRE(failures[0].actual == "MAIL FROM:<a@client.test> -> 250 2.1.0 Sender ok");
  // No reply at all: what went wrong instead.
  REQUIRE(failures[1].expected == "RCPT TO:<b@inbox.test> -> a reply");
  REQUIRE(failures[1].actual == "server closed the connection");
}
