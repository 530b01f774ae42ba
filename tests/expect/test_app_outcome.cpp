// expect.app: the app's exit, signal and timeout, and its outcome without expect.app.
#include <catch2/catch.hpp>

#include <signal.h>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("expect.app", "[evaluate][app]") {
  auto scenario = make_scenario();
  scenario.expect.app = maildog::scenario::AppExpect{};
  scenario.expect.app->line = 21;
  auto result = observed({delivering_session()});
  ProcessResult app;
  app.outcome = ProcessResult::Outcome::exited;
  app.exit_code = 0;
  app.stdout_text = "sending reset\nmarked ghost@inbox.test undeliverable\n";
  app.stderr_text = "warning: retry disabled\n";
  result.app = app;

  SECTION("exit code and output checks that hold pass") {
    scenario.expect.app->exit = 0;
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"marked ghost@inbox.test undeliverable"};
    scenario.expect.app->stdout_expect->not_contains = {"Traceback"};
    scenario.expect.app->stdout_expect->regex = TextMatch::parse("/marked \\S+ undeliverable/");
    scenario.expect.app->stderr_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stderr_expect->contains = {"retry disabled"};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("another exit code fails") {
    scenario.expect.app->exit = 0;
    result.app->exit_code = 3;
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.app.exit");
    CHECK(failures[0].line == 21);
    CHECK(failures[0].expected == "exit code 0");
    CHECK(failures[0].actual == "exit code 3");
    CHECK(failures[0].context == lines(result, 15, 18));
  }
  SECTION("a timed-out app fails exit even when it exited 0 on SIGTERM") {
    scenario.expect.app->exit = 0;
    result.app->outcome = ProcessResult::Outcome::timed_out;
    result.app->error = "timed out after 20s; process group 4242 killed";
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.app.exit");
    CHECK(failures[0].actual == "timed out after 20s; process group 4242 killed");
  }
  SECTION("an app that failed to start adds no failure: the scenario's error says why") {
    scenario.expect.app->exit = 0;
    result.app->outcome = ProcessResult::Outcome::failed_to_start;
    result.app->exit_code = -1;
    result.app->error = "execvp python4: No such file or directory";
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a signal fails exit") {
    scenario.expect.app->exit = 0;
    result.app->outcome = ProcessResult::Outcome::signaled;
    result.app->signal = 11;
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "killed by signal 11 (SIGSEGV)");
  }
  SECTION("output checks that do not hold fail one by one") {
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"sending reset", "password reset sent"};
    scenario.expect.app->stdout_expect->not_contains = {"ghost@inbox.test"};
    scenario.expect.app->stdout_expect->regex = TextMatch::parse("/^done$/");
    scenario.expect.app->stderr_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stderr_expect->contains = {"Traceback"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 4);
    CHECK(failures[0].expectation == "expect.app.stdout.contains[1]");
    CHECK(failures[0].expected == "stdout contains \"password reset sent\"");
    CHECK(failures[0].actual == "not found in stdout: \"sending reset\\nmarked ghost@inbox.test undeliverable\\n\"");
    CHECK(failures[1].expectation == "expect.app.stdout.not_contains[0]");
    CHECK(failures[1].expected == "stdout does not contain \"ghost@inbox.test\"");
    CHECK(failures[1].actual == "found in stdout line 2: \"marked ghost@inbox.test undeliverable\"");
    CHECK(failures[2].expectation == "expect.app.stdout.regex");
    CHECK(failures[2].expected == "stdout matches /^done$/");
    CHECK(failures[2].actual == "no match in stdout: \"sending reset\\nmarked ghost@inbox.test undeliverable\\n\"");
    CHECK(failures[3].expectation == "expect.app.stderr.contains[0]");
    CHECK(failures[3].actual == "not found in stderr: \"warning: retry disabled\\n\"");
  }
  SECTION("empty output is named as such") {
    result.app->stdout_text.clear();
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"sent"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "stdout was empty");
  }
  SECTION("long output is cut in the message") {
    result.app->stdout_text = std::string(300, 'x');
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"sent"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "not found in stdout: \"" + std::string(200, 'x') + "...\"");
  }
  SECTION("no app run") {
    scenario.expect.app->exit = 0;
    result.app.reset();
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.app");
    CHECK(failures[0].actual == "the scenario ran no app");
  }
}

// Like any test runner: an app that hangs, dies of a signal or exits non-zero fails the scenario
// unless expect.app names that outcome.
TEST_CASE("the app's outcome without and with expect.app", "[evaluate][app]") {
  auto scenario = make_scenario();
  scenario.app = maildog::scenario::AppSpec{};
  scenario.app->line = 4;
  auto result = observed({delivering_session()});
  result.app = ProcessResult{};
  auto& app = *result.app;
  app.outcome = ProcessResult::Outcome::exited;
  app.exit_code = 0;
  auto only_failure = [&] {
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    return failures[0];
  };
  auto app_expect = [&]() -> maildog::scenario::AppExpect& {
    scenario.expect.app = maildog::scenario::AppExpect{};
    scenario.expect.app->line = 21;
    return *scenario.expect.app;
  };

  SECTION("exit 0 in time passes without expect.app") { CHECK(evaluate(scenario, result).empty()); }
  SECTION("a non-zero exit fails without expect.app, at the app's line") {
    app.exit_code = 3;
    const auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.exit");
    CHECK(failure.line == 4);
    CHECK(failure.expected == "exit code 0 (expect.app.exit names another code, or any)");
    CHECK(failure.actual == "exit code 3");
  }
  SECTION("exit: 3 and exit: any pass a non-zero exit") {
    app.exit_code = 3;
    app_expect().exit = 3;
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.app->exit.reset();
    scenario.expect.app->exit_any = true;
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a timeout fails without expect.app, and exit: any does not excuse it") {
    app.outcome = ProcessResult::Outcome::timed_out;
    app.error = "timed out after 2s; process group 4242 killed";
    auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.timed_out");
    CHECK(failure.actual == "timed out after 2s; process group 4242 killed");
    app_expect().exit_any = true;
    failure = only_failure();
    CHECK(failure.expectation == "expect.app.exit");
    CHECK(failure.line == 21);
  }
  SECTION("timed_out: true passes a timeout and fails, saying so, an app that exited in time") {
    app_expect().timed_out = true;
    app.outcome = ProcessResult::Outcome::timed_out;
    app.error = "timed out after 2s; process group 4242 killed";
    CHECK(evaluate(scenario, result).empty());
    app.outcome = ProcessResult::Outcome::exited;
    const auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.timed_out");
    CHECK(failure.expected == "the app runs into its timeout");
    CHECK(failure.actual == "exit code 0, before its timeout");
  }
  SECTION("a signal fails without expect.app; signal: TERM passes it") {
    app.outcome = ProcessResult::Outcome::signaled;
    app.signal = SIGTERM;
    const auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.signal");
    CHECK(failure.actual == "killed by signal 15 (SIGTERM)");
    app_expect().signal = SIGTERM;
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.app->signal = SIGKILL;
    CHECK(only_failure().expected == "killed by signal 9 (SIGKILL)");
  }
  SECTION("signal: KILL is not the runner's kill at the timeout") {
    app_expect().signal = SIGKILL;
    app.outcome = ProcessResult::Outcome::timed_out;
    app.signal = SIGKILL;
    app.error = "timed out after 2s; process group 4242 killed";
    CHECK(only_failure().actual ==
          "timed out after 2s; process group 4242 killed (the runner's kill; expect timed_out: true)");
  }
}
