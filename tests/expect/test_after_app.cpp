// Windows (`expect.within`, an item's `within`) judged on snapshots, and the failures of the
// app's then steps: pure values, no sandbox and no clock.
#include <catch2/catch.hpp>

#include "expect/after_app.hpp"
#include "expect/evaluate.hpp"
#include "scenario/loader.hpp"

using namespace maildog;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

scenario::Scenario load_one(const std::string& yaml) {
  auto loaded = scenario::load_text(yaml, "/tmp/window.yaml", scenario::Environment::from_map({}));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  REQUIRE(loaded.scenarios.size() == 1);
  return loaded.scenarios.front();
}

// One session: RCPT `to` answered with `reply`; delivered when it is a 250.
capture::SessionRecord session(std::uint64_t id, const std::string& to, const std::string& reply) {
  capture::SessionRecord out;
  out.id = id;
  using Direction = capture::TranscriptEntry::Direction;
  out.transcript = {{Direction::server, "220 sandbox ESMTP", {}},
                    {Direction::client, "MAIL FROM:<app@yourdomain.test>", {}},
                    {Direction::server, "250 2.1.0 Ok", {}},
                    {Direction::client, "RCPT TO:<" + to + ">", {}},
                    {Direction::server, reply, {}}};
  capture::TransactionRecord transaction;
  transaction.mail_from = "app@yourdomain.test";
  transaction.mail_reply = *smtp::Reply::parse("250 2.1.0 Ok");
  capture::RecipientRecord recipient;
  recipient.address = to;
  recipient.reply = *smtp::Reply::parse(reply);
  recipient.attempt = static_cast<unsigned>(id);
  transaction.recipients.push_back(recipient);
  transaction.delivered = reply.starts_with("250");
  if (transaction.delivered) {
    transaction.final_reply = *smtp::Reply::parse("250 2.0.0 Ok: queued");
    transaction.message = std::make_shared<const std::string>("Subject: hi\r\n\r\nhi\r\n");
  }
  out.transactions.push_back(transaction);
  return out;
}

runner::ScenarioResult snapshot(std::vector<capture::SessionRecord> sessions) {
  runner::ScenarioResult result;
  result.sessions = std::move(sessions);
  return result;
}

const std::string k_app = "name: windows\napp: {run: 'true'}\n";

}  // namespace

TEST_CASE("a positive expectation is watched until it holds, then the wait ends", "[expect][within]") {
  auto scenario = load_one(k_app + "expect:\n  within: 10s\n  delivered: [{to: bob@inbox.test}]\n");
  // Nothing yet: keep watching for the rest of the window.
  CHECK(expect::keep_watching(scenario, snapshot({}), milliseconds(0)) == milliseconds(10000));
  CHECK(expect::keep_watching(scenario, snapshot({}), milliseconds(2500)) == milliseconds(7500));
  // Another recipient does not end it; bob's message does, long before the window is over.
  CHECK(expect::keep_watching(scenario, snapshot({session(1, "alice@inbox.test", "250 2.1.5 Ok")}),
                              milliseconds(100)) == milliseconds(9900));
  CHECK_FALSE(
      expect::keep_watching(scenario, snapshot({session(1, "bob@inbox.test", "250 2.1.5 Ok")}), milliseconds(1000)));
  // Window over: nothing left to wait for, whatever arrived.
  CHECK_FALSE(expect::keep_watching(scenario, snapshot({}), seconds(10)));
}

TEST_CASE("a negative expectation is watched for its whole window even while it holds", "[expect][within]") {
  auto scenario = load_one(k_app +
                           "expect:\n  within: 3s\n  not_delivered: [ghost@inbox.test]\n"
                           "  retries: [{rcpt: bob@inbox.test, max_attempts: 1}]\n");
  for (auto elapsed : {milliseconds(0), milliseconds(1000), milliseconds(2999)}) {
    CAPTURE(elapsed.count());
    CHECK(expect::keep_watching(scenario, snapshot({}), elapsed) == milliseconds(3000) - elapsed);
  }
  CHECK_FALSE(expect::keep_watching(scenario, snapshot({}), seconds(3)));
  auto windows = expect::windows(scenario.expect);
  REQUIRE(windows.size() == 2);
  CHECK(windows[0].path == "expect.not_delivered[0]");
  CHECK(windows[0].negative);
  CHECK(windows[1].path == "expect.retries[0]");
  CHECK(windows[1].negative);
}

TEST_CASE("which expectations are negative, and an item's within over expect.within", "[expect][within]") {
  auto scenario = load_one(k_app + R"(expect:
  within: 5s
  replies:
    - {command: RCPT, code: 451}
    - {command: RCPT, code: 550, max: 1}
    - {command: RCPT, code: 552, count: 0, within: 1s}
    - {command: RCPT, code: 250, count: 2}
  delivered: [{to: bob@inbox.test, count: 0}, {to: alice@inbox.test, within: 20s}]
  rejected: [{reason: rule, within: 0s}]
  retries: [{rcpt: bob@inbox.test, min_attempts: 2}]
)");
  auto windows = expect::windows(scenario.expect);
  REQUIRE(windows.size() == 8);
  std::vector<std::tuple<std::string, long, bool>> seen;
  for (const auto& window : windows) {
    seen.emplace_back(window.path, static_cast<long>(window.length.count()), window.negative);
  }
  CHECK(seen == std::vector<std::tuple<std::string, long, bool>>{
                    {"expect.replies[0]", 5000, false},
                    {"expect.replies[1]", 5000, true},
                    {"expect.replies[2]", 1000, true},
                    {"expect.replies[3]", 5000, false},  // an exact count above 0 ends when it holds
                    {"expect.delivered[0]", 0 + 5000, true},
                    {"expect.delivered[1]", 20000, false},
                    {"expect.rejected[0]", 0, false},
                    {"expect.retries[0]", 5000, false},
                });
  // The longest open window decides: alice's 20s.
  CHECK(expect::keep_watching(scenario, snapshot({}), seconds(6)) == seconds(14));
}

TEST_CASE("without any within nothing is watched", "[expect][within]") {
  auto scenario = load_one(k_app + "expect:\n  delivered: [{to: bob@inbox.test}]\n  not_delivered: [x@inbox.test]\n");
  CHECK(expect::windows(scenario.expect).empty());
  CHECK_FALSE(expect::keep_watching(scenario, snapshot({}), milliseconds(0)));
}

TEST_CASE("a positive expectation that failed says it did not hold within its window", "[expect][within]") {
  auto scenario = load_one(k_app +
                           "expect:\n  within: 10s\n  delivered: [{to: bob@inbox.test}, {to: al@inbox.test, within: "
                           "500ms}]\n  not_delivered: [ghost@inbox.test]\n");
  auto failures = expect::evaluate(scenario, snapshot({session(1, "ghost@inbox.test", "250 2.1.5 Ok")}));
  REQUIRE(failures.size() == 3);
  CHECK(failures[0].expectation == "expect.delivered[0]");
  CHECK_THAT(failures[0].actual, Catch::StartsWith("did not hold within 10s: "));
  CHECK_THAT(failures[1].actual, Catch::StartsWith("did not hold within 500ms: "));
  // A negative one broke: what happened is the news, not the window.
  CHECK(failures[2].expectation == "expect.not_delivered[0]");
  CHECK_THAT(failures[2].actual, Catch::StartsWith("delivered: "));
}

TEST_CASE("evaluate_mail names failures under the given path", "[expect][within]") {
  auto scenario = load_one(k_app + "expect: {}\n");
  scenario::Expectations block;
  scenario::ReplyExpect reply;
  reply.command = "RCPT";
  reply.code = 451;
  block.replies.push_back(reply);
  auto failures = expect::evaluate_mail(scenario, block, "app.then[0].wait_for", snapshot({}));
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].expectation == "app.then[0].wait_for.replies[0]");
  CHECK(expect::evaluate_mail(scenario, block, "app.then[0].wait_for",
                              snapshot({session(1, "bob@inbox.test", "451 4.7.1 Try later")}))
            .empty());
}

TEST_CASE("then steps fail on a wait that ran out and on an exit other than expect_exit", "[expect][then]") {
  auto scenario = load_one(R"(name: then steps
app:
  run: 'true'
  then:
    - wait_for: {replies: [{command: RCPT, code: 451}]}
      within: 2s
      run: [./flush]
    - run: [./flush]
    - {run: [./flush], expect_exit: any}
    - {run: [./flush], expect_exit: 3}
)");
  runner::ScenarioResult observed;
  observed.app = runner::ProcessResult{};
  observed.app->outcome = runner::ProcessResult::Outcome::exited;
  observed.app->exit_code = 0;
  runner::ThenOutcome waited;
  waited.line = 5;
  waited.within = seconds(2);
  waited.unmet.push_back({"app.then[0].wait_for.replies[0]", 5, "a 451 reply to RCPT", "no reply to RCPT", {}});
  observed.then_steps.push_back(waited);
  for (std::size_t line : {8, 9, 10}) {
    runner::ThenOutcome ran;
    ran.line = line;
    ran.process = runner::ProcessResult{};
    ran.process->outcome = runner::ProcessResult::Outcome::exited;
    ran.process->exit_code = 3;
    ran.process->stderr_text = "postqueue: fatal: no queue\n";
    observed.then_steps.push_back(ran);
  }
  std::vector<runner::Failure> failures;
  expect::check_then_steps(scenario, observed, failures);
  REQUIRE(failures.size() == 2);
  CHECK(failures[0].expectation == "app.then[0].wait_for.replies[0]");
  CHECK(failures[0].line == 5);
  CHECK(failures[0].expected == "a 451 reply to RCPT, within 2s, before app.then[0] (line 5) runs");
  CHECK(failures[0].actual == "did not hold within 2s: no reply to RCPT; the step's command did not run");
  // then[1] exits 3 without expect_exit; then[2] allows any code; then[3] wants exactly 3.
  CHECK(failures[1].expectation == "app.then[1]");
  CHECK(failures[1].line == 8);
  CHECK(failures[1].expected == "app.then[1] exits with exit code 0 (expect_exit names another code, or any)");
  CHECK_THAT(failures[1].actual, Catch::StartsWith("exited with code 3"));
  CHECK(failures[1].context ==
        std::vector<std::string>{"step stdout: empty", "step stderr:", "  postqueue: fatal: no queue"});
}

TEST_CASE("durations read as the scenario file writes them", "[expect][within]") {
  CHECK(expect::duration_text(milliseconds(500)) == "500ms");
  CHECK(expect::duration_text(seconds(10)) == "10s");
  CHECK(expect::duration_text(seconds(120)) == "2m");
  CHECK(expect::duration_text(milliseconds(1500)) == "1500ms");
  CHECK(expect::duration_text(milliseconds(0)) == "0s");
}
