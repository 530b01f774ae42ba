// End-to-end: how the app's outcome decides a scenario, like any test runner: an app that hangs,
// dies of a signal, exits non-zero or cannot start fails it unless `expect.app` names exactly
// that outcome; and the console shows the end of the app's output when the app failed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/maildog_run.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

// `maildog-ci run` on one scenario, with `extra` arguments (report paths).
ChildResult run_scenario(const TempDir& dir, const std::string& yaml, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", dir.write("scenario.yaml", yaml).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_maildog(args);
}

void require_passed(const ChildResult& run) {
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  REQUIRE_THAT(run.out, Catch::Contains("1 passed, 0 failed"));
}

void require_failed(const ChildResult& run, const std::vector<std::string>& messages) {
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);
  REQUIRE_THAT(run.out, Catch::Contains("0 passed, 1 failed"));
  for (const auto& message : messages) {
    REQUIRE_THAT(run.out, Catch::Contains(message));
  }
}

// The reproduction: a forking app that sleeps 300 s, killed at a 2 s timeout.
const std::string k_hung_app = "name: hung app\napp:\n  run: 'sleep 300 & sleep 300'\n  timeout: 2s\n";

}  // namespace

TEST_CASE("a hung app fails the scenario without expect.app", "[e2e][app]") {
  TempDir dir;
  const fs::path json = dir.path() / "report.json";
  auto run = run_scenario(dir, k_hung_app, {"--json", json.string()});
  require_failed(run, {"FAIL  hung app", "expect.app.timed_out", "timed out after 2s",
                       "expected: the app exits before its timeout (expect.app.timed_out: true if it should not)"});
  // The JSON report keeps its shape: the scenario failed, the app timed out.
  const auto report = nlohmann::json::parse(read_text(json));
  CHECK(report["scenarios"][0]["status"] == "failed");
  CHECK(report["scenarios"][0]["app"]["outcome"] == "timed_out");
  CHECK(report["scenarios"][0]["failures"][0]["expectation"] == "expect.app.timed_out");
}

TEST_CASE("expect.app timed_out: true passes a hung app", "[e2e][app]") {
  TempDir dir;
  require_passed(run_scenario(dir, k_hung_app + "expect:\n  app: {timed_out: true}\n"));
}

TEST_CASE("expect.app timed_out: true fails an app that exits in time, saying so", "[e2e][app]") {
  TempDir dir;
  const std::string quick = "name: quick app\napp: {run: 'exit 0', timeout: 20s}\n";
  require_failed(run_scenario(dir, quick + "expect:\n  app: {timed_out: true}\n"),
                 {"expect.app.timed_out", "expected: the app runs into its timeout",
                  "actual:   exit code 0, before its timeout"});
}

TEST_CASE("a non-zero exit fails unless expect.app.exit names the code or any", "[e2e][app]") {
  TempDir dir;
  const std::string app = "name: exits 3\napp: {run: 'exit 3'}\n";
  require_failed(run_scenario(dir, app),
                 {"expect.app.exit", "expected: exit code 0 (expect.app.exit names another code, or any)",
                  "actual:   exit code 3"});
  require_passed(run_scenario(dir, app + "expect:\n  app: {exit: 3}\n"));
  require_passed(run_scenario(dir, app + "expect:\n  app: {exit: any}\n"));
  require_failed(run_scenario(dir, app + "expect:\n  app: {exit: 4}\n"),
                 {"expect.app.exit", "expected: exit code 4", "actual:   exit code 3"});
}

TEST_CASE("an app that cannot start is that scenario's error in JUnit, and the run exits 1", "[e2e][app]") {
  TempDir dir;
  const fs::path junit = dir.path() / "report.xml";
  auto run =
      run_scenario(dir, "name: no such program\napp: {run: [no-such-program-xyz]}\n", {"--junit", junit.string()});
  require_failed(run, {"ERROR no such program", "cannot start the app: cannot execute 'no-such-program-xyz'"});
  const std::string xml = read_text(junit);
  CHECK_THAT(xml, Catch::Contains("<error message=\"cannot start the app: cannot execute 'no-such-program-xyz': No "
                                  "such file or directory\""));
  CHECK_THAT(xml, Catch::Contains("errors=\"1\""));
}

TEST_CASE("an app killed by a signal fails unless expect.app.signal names it", "[e2e][app]") {
  TempDir dir;
  const std::string app = "name: killed\napp: {run: 'kill -TERM $$$$'}\n";  // $$ escapes ${}: the shell sees $$
  require_failed(run_scenario(dir, app),
                 {"expect.app.signal", "expected: the app exits (expect.app.signal names a signal it may die of)",
                  "actual:   killed by signal 15 (SIGTERM)"});
  for (const std::string signal : {"TERM", "SIGTERM", "15"}) {
    CAPTURE(signal);
    require_passed(run_scenario(dir, app + "expect:\n  app: {signal: " + signal + "}\n"));
  }
  require_failed(run_scenario(dir, app + "expect:\n  app: {signal: KILL}\n"),
                 {"expect.app.signal", "expected: killed by signal 9 (SIGKILL)"});
}

TEST_CASE("a failing app's console report shows the end of its output, secrets masked", "[e2e][app]") {
  TempDir dir;
  const std::string secret = "s3cr3t-T0ken-9f2c";
  // A misspelled script path: Python's own message is the reason, and only the app's stderr has it.
  auto run = run_scenario(dir,
                          "name: misspelled script\napp:\n  run: 'echo \"using $$API_TOKEN\" >&2; "
                          "/usr/bin/python3 no_such.py'\n  env: {API_TOKEN: " +
                              secret + "}\n");
  require_failed(run, {"actual:   exit code 2", "  app stdout: empty\n  app stderr:\n    using ***\n",
                       "    /usr/bin/python3: can't open file", "no_such.py': [Errno 2] No such file or directory"});
  CHECK_THAT(run.out + run.err, !Catch::Contains(secret));
}
