#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/artifacts.hpp"
#include "report/console.hpp"
#include "report/fixture.hpp"

using namespace maildog;

namespace {

std::string last_line(const std::string& text) {
  auto end = text.size() - 1;  // the final "\n"
  auto start = text.rfind('\n', end - 1);
  return text.substr(start + 1, end - start - 1);
}

}  // namespace

TEST_CASE("console report", "[report][console]") {
  const auto run = test::sample_run();
  std::ostringstream out;
  report::ConsoleReporter reporter(out);

  SECTION("a line per scenario as it finishes") {
    reporter.scenario_finished(run.scenarios[0]);
    CHECK(out.str() == "  PASS  password reset reaches the user (scenarios/reset.yaml:2) 12 ms\n");
    reporter.scenario_finished(run.scenarios[2]);
    CHECK(out.str().ends_with("  ERROR app that cannot start (scenarios/broken.yaml:1) 0 ms\n"));
  }
  SECTION("the whole run matches the approved output") {
    for (const auto& scenario : run.scenarios) {
      reporter.scenario_finished(scenario);
    }
    reporter.finish(run);
    CHECK(last_line(out.str()) == "1 passed, 2 failed");
    CHECK(out.str().find('\033') == std::string::npos);
    const auto problem = test::compare_with_golden("run.approved.txt", out.str());
    CHECK(problem == "");
  }
  SECTION("colors only when asked, never on the summary line") {
    std::ostringstream colored;
    report::ConsoleReporter color_reporter(colored, true);
    color_reporter.scenario_finished(run.scenarios[1]);
    CHECK(colored.str() ==
          "  \033[31mFAIL \033[0m unknown user is rejected & not retried (scenarios/reset.yaml:24) 1031 ms\n");
    color_reporter.finish(run);
    CHECK(last_line(colored.str()) == "1 passed, 2 failed");
  }
  SECTION("an empty run") {
    reporter.finish(runner::RunResult{});
    CHECK(out.str() == "\n0 passed, 0 failed\n");
  }
}

TEST_CASE("format_failure uses the scenario's line when the failure has none", "[report][console]") {
  const auto run = test::sample_run();
  runner::Failure failure;
  failure.expectation = "client.steps[0].expect";
  failure.expected = "220";
  failure.actual = "554 5.7.1 go away";
  CHECK(report::format_failure(failure, run.scenarios[1], "> ") ==
        "> client.steps[0].expect at scenarios/reset.yaml:24\n"
        ">   expected: 220\n"
        ">   actual:   554 5.7.1 go away\n");
}

TEST_CASE("artifacts: a folder per scenario with the transcript and each message", "[report][artifacts]") {
  REQUIRE(maildog::report::artifact_name(0, "Reset mail: 550 5.1.1 (unknown)") == "001-reset-mail-550-5-1-1-unknown");
  REQUIRE(maildog::report::artifact_name(41, "***") == "042");
  maildog::runner::RunResult run;
  maildog::runner::ScenarioResult scenario;
  scenario.name = "one message";
  maildog::capture::SessionRecord session;
  session.id = 3;
  session.transcript.push_back({maildog::capture::TranscriptEntry::Direction::client, "AUTH PLAIN ***", {}});
  maildog::capture::TransactionRecord transaction;
  transaction.message = std::make_shared<const std::string>("Subject: hi\r\n\r\nbody\r\n");
  session.transactions.push_back(transaction);
  scenario.sessions.push_back(session);
  run.scenarios.push_back(scenario);
  auto dir = std::filesystem::temp_directory_path() / ("maildog-artifacts-" + std::to_string(::getpid()));
  maildog::report::write_artifacts(run, dir);
  std::ifstream eml(dir / "001-one-message" / "message-3-1.eml", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(eml)), std::istreambuf_iterator<char>());
  REQUIRE(content == "Subject: hi\r\n\r\nbody\r\n");
  std::ifstream transcript(dir / "001-one-message" / "transcript.txt");
  std::string text((std::istreambuf_iterator<char>(transcript)), std::istreambuf_iterator<char>());
  REQUIRE_THAT(text, Catch::Contains("AUTH PLAIN ***"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("progress counters when the total is known", "[report][console]") {
  std::ostringstream out;
  maildog::report::ConsoleReporter console(out);
  console.set_total(12);
  maildog::runner::ScenarioResult result;
  result.name = "first";
  result.file = "a.yaml";
  result.line = 2;
  console.scenario_finished(result);
  REQUIRE(out.str() == "[ 1/12]  PASS  first (a.yaml:2) 0 ms\n");
}
