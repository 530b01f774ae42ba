// The tail of the app's output under a failure: in the console report and the GitHub job summary.
#include <catch2/catch.hpp>
#include <sstream>

#include "report/app_output.hpp"
#include "report/console.hpp"
#include "report/github.hpp"

using namespace maildog;

namespace {

// A scenario whose Python app could not open its script: exit 2, Python's message on stderr.
runner::ScenarioResult misspelled_script() {
  runner::ScenarioResult result;
  result.name = "reset mail";
  result.file = "scenarios/reset.yaml";
  result.line = 2;
  result.status = runner::Status::failed;
  runner::ProcessResult app;
  app.outcome = runner::ProcessResult::Outcome::exited;
  app.exit_code = 2;
  app.stderr_text = "python3: can't open file '/work/no_such.py': [Errno 2] No such file or directory\n";
  result.app = app;
  result.failures.push_back(
      {"expect.app.exit", 5, "exit code 0 (expect.app.exit names another code, or any)", "exit code 2", {}});
  return result;
}

std::string numbered_lines(int from, int to) {
  std::string text;
  for (int i = from; i <= to; ++i) {
    text += "line " + std::to_string(i) + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("app output tail: the last 20 lines of each stream under an app failure", "[report][app_output]") {
  auto scenario = misspelled_script();
  SECTION("an empty stream says so, a short one is shown whole") {
    CHECK(report::app_output_tail(scenario) ==
          std::vector<std::string>{
              "app stdout: empty",
              "app stderr:", "  python3: can't open file '/work/no_such.py': [Errno 2] No such file or directory"});
  }
  SECTION("a long stream shows its last 20 lines and how many there were") {
    scenario.app->stdout_text = numbered_lines(1, 25);
    const auto tail = report::app_output_tail(scenario);
    REQUIRE(tail.size() == 1 + report::k_app_output_tail_lines + 2);
    CHECK(tail[0] == "app stdout, last 20 of 25 lines:");
    CHECK(tail[1] == "  line 6");
    CHECK(tail[20] == "  line 25");
  }
  SECTION("a failure that is not about the app shows no output") {
    scenario.failures.front().expectation = "expect.replies[0]";
    CHECK(report::app_output_tail(scenario).empty());
  }
  SECTION("a passed scenario shows no output") {
    scenario.status = runner::Status::passed;
    scenario.failures.clear();
    CHECK(report::app_output_tail(scenario).empty());
  }
}

TEST_CASE("app output tail in the console report and the GitHub job summary", "[report][app_output]") {
  runner::RunResult run;
  run.scenarios.push_back(misspelled_script());
  std::ostringstream console;
  report::ConsoleReporter(console).finish(run);
  CHECK_THAT(console.str(),
             Catch::Contains("    expected: exit code 0 (expect.app.exit names another code, or any)\n"
                             "    actual:   exit code 2\n"
                             "  app stdout: empty\n"
                             "  app stderr:\n"
                             "    python3: can't open file '/work/no_such.py': [Errno 2] No such file or directory\n"));
  std::ostringstream summary;
  report::write_github_summary(run, report::GithubContext{}, summary);
  CHECK_THAT(summary.str(), Catch::Contains("**app output**\n\n```text\napp stdout: empty\napp stderr:\n"
                                            "  python3: can't open file '/work/no_such.py': [Errno 2] No such file or "
                                            "directory\n```\n"));
}

TEST_CASE("service output tail: only the services that failed the scenario", "[report][app_output]") {
  runner::ScenarioResult scenario;
  scenario.name = "web service";
  scenario.status = runner::Status::error;
  scenario.error = "service 'web' exited before it was ready (exited with code 1 in 20ms)";
  runner::ServiceResult db;
  db.name = "db";
  db.ready = true;
  db.process.stdout_text = "db up\n";
  runner::ServiceResult web;
  web.name = "web";
  web.problem = scenario.error;
  web.process.outcome = runner::ProcessResult::Outcome::exited;
  web.process.exit_code = 1;
  web.process.stderr_text = "Traceback (most recent call last):\nImportError: flask\n";
  scenario.services = {db, web};
  CHECK(report::app_output_tail(scenario) ==
        std::vector<std::string>{"service web stdout: empty", "service web stderr:",
                                 "  Traceback (most recent call last):", "  ImportError: flask"});
}
