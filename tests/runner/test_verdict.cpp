// finish_result: the one place a scenario's verdict is decided (lint notes, judgement, status,
// redaction), on results made by hand so each step can be seen on its own.
#include <catch2/catch.hpp>

#include <memory>

#include "runner/verdict.hpp"
#include "scenario/loader.hpp"

using namespace maildog;

namespace {

scenario::Scenario load_one(const std::string& yaml) {
  auto loaded = scenario::load_text(yaml, "/suite/verdict.yaml", scenario::Environment::from_map({}));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  REQUIRE(loaded.scenarios.size() == 1);
  return loaded.scenarios.front();
}

const char* const k_scenario = R"(
name: a verdict
server:
  auth: {users: {app: hunter2-secret}}
app:
  run: "true"
)";

// One session whose transcript and message carry the password; the message has no Message-ID.
runner::ScenarioResult observed() {
  runner::ScenarioResult result;
  capture::SessionRecord session;
  session.transcript.push_back({capture::TranscriptEntry::Direction::client, "NOOP hunter2-secret", {}});
  capture::TransactionRecord transaction;
  transaction.mail_from = "app@client.test";
  capture::RecipientRecord recipient;
  recipient.address = "bob@inbox.test";
  transaction.recipients.push_back(recipient);
  transaction.message =
      std::make_shared<const std::string>("From: app@client.test\r\nSubject: hunter2-secret\r\n\r\nhi\r\n");
  session.transactions.push_back(transaction);
  result.sessions.push_back(session);
  return result;
}

}  // namespace

TEST_CASE("finish_result: the judge's failures make a passed scenario failed, after the lint notes",
          "[runner][verdict]") {
  const auto scenario = load_one(k_scenario);
  auto result = observed();
  runner::ExpectationHooks hooks;
  std::size_t notes_seen = 0;
  hooks.judge = [&](const scenario::Scenario& judged, const runner::ScenarioResult& seen) {
    CHECK(judged.name == "a verdict");
    notes_seen = seen.sessions.at(0).transactions.at(0).lint.size();
    // Judged before redaction: the judge sees what really happened.
    CHECK(seen.sessions.at(0).transcript.at(0).text == "NOOP hunter2-secret");
    return std::vector<runner::Failure>{{"expect.delivered[0]", 7, "a message to carol", "none", {}}};
  };
  runner::finish_result(scenario, hooks, result);
  CHECK(notes_seen > 0);  // missing_message_id at least
  REQUIRE(result.failures.size() == 1);
  CHECK(result.failures[0].expectation == "expect.delivered[0]");
  CHECK(result.status == runner::Status::failed);
}

TEST_CASE("finish_result: secrets are masked last, an error stays an error, no judge judges nothing",
          "[runner][verdict]") {
  const auto scenario = load_one(k_scenario);
  auto result = observed();
  result.status = runner::Status::error;
  result.error = "cannot start the app: hunter2-secret not found";
  runner::ExpectationHooks hooks;
  hooks.judge = [](const scenario::Scenario&, const runner::ScenarioResult&) {
    return std::vector<runner::Failure>{{"expect.app", 0, "exit 0", "hunter2-secret", {}}};
  };
  runner::finish_result(scenario, hooks, result);
  CHECK(result.status == runner::Status::error);
  CHECK(result.error == "cannot start the app: *** not found");
  CHECK(result.failures.at(0).actual == "***");
  CHECK(result.sessions.at(0).transcript.at(0).text == "NOOP ***");
  CHECK(result.sessions.at(0).transactions.at(0).message->find("hunter2-secret") == std::string::npos);

  auto unjudged = observed();
  runner::finish_result(scenario, runner::ExpectationHooks{}, unjudged);
  CHECK(unjudged.status == runner::Status::passed);
  CHECK(unjudged.failures.empty());
  CHECK_FALSE(unjudged.sessions.at(0).transactions.at(0).lint.empty());
}
