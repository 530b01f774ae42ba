// expect.rejected.
#include <catch2/catch.hpp>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("expect.rejected", "[evaluate][rejected]") {
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.refusals = {
      {"unknown_user",
       "RCPT",
       "ghost@inbox.test",
       {},
       reply("550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown")},
      {"dmarc", "END_OF_DATA", "", {"user@inbox.test", "other@inbox.test"}, reply("550 5.7.26 Unauthenticated email")}};
  auto result = observed({session});
  maildog::scenario::RejectedExpect expect;
  expect.line = 60;

  SECTION("a refusal with the reason, recipient and codes passes") {
    expect.reason = "dmarc";
    expect.to = TextMatch::parse("other@inbox.test");
    expect.code = 550;
    expect.enhanced = EnhancedCode::parse("5.7.26");
    scenario.expect.rejected = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("RCPT refusals match on their own address only") {
    expect.reason = "unknown_user";
    expect.to = TextMatch::parse("user@inbox.test");
    scenario.expect.rejected = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.rejected[0]");
    CHECK(failures[0].line == 60);
    CHECK(failures[0].expected == "a refusal for unknown_user of user@inbox.test");
    CHECK(failures[0].actual ==
          "no such refusal; the sandbox refused: unknown_user: RCPT ghost@inbox.test -> 550 5.1.1 "
          "<ghost@inbox.test>: Recipient address rejected: User unknown (session 1); dmarc: END_OF_DATA for "
          "user@inbox.test, other@inbox.test -> 550 5.7.26 Unauthenticated email (session 1)");
  }
  SECTION("count 0 asserts a reason never refused") {
    expect.reason = "spf";
    expect.count = 0;
    scenario.expect.rejected = {expect};
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.rejected[0].reason = "dmarc";
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "no refusal for dmarc");
    CHECK(failures[0].actual.starts_with("1 matching refusal: dmarc: END_OF_DATA"));
  }
  SECTION("nothing refused says so") {
    expect.reason = "relay";
    scenario.expect.rejected = {expect};
    auto failures = evaluate(scenario, observed({greylisted_session(1, 1)}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "the sandbox refused nothing");
  }
}
