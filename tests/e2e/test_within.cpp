// End-to-end: mail sent after the app returned. An app that exits at once and leaves a
// background sender (a web service's job, a queue) passes with `expect.within` and fails without;
// `not_delivered` with a window watches the whole window; an `app.then` step waits for a 451 and
// makes the sender try again, as `postqueue -f` does for Postfix.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/maildog_run.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_python = "/usr/bin/python3";

// Sends one message to argv[1] with smtplib; with --later, from a child that left the app's
// session and process group and waits a second first, while the app itself exits at once.
// A refused recipient is printed, not raised: the retry is the scenario's to trigger.
constexpr const char* k_sender = R"(import os, smtplib, sys, time
to = sys.argv[1]
if "--later" in sys.argv:
    if os.fork() != 0:
        sys.exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    time.sleep(1)
try:
    with smtplib.SMTP(os.environ["MAILDOG_SMTP_HOST"], int(os.environ["MAILDOG_SMTP_PORT"]), timeout=10) as smtp:
        smtp.sendmail("app@yourdomain.test", [to], "Subject: reset\r\n\r\nhello\r\n")
    print("sent to " + to)
except smtplib.SMTPRecipientsRefused as refused:
    print("refused: " + str(refused.recipients))
)";

struct Run {
  ChildResult child;
  nlohmann::json report;  // the JSON report's only scenario
};

Run run_scenario(const TempDir& dir, const std::string& yaml) {
  dir.write("send.py", k_sender);
  const fs::path json = dir.path() / "report.json";
  auto child = run_maildog({"run", dir.write("scenario.yaml", yaml).string(), "--json", json.string()});
  INFO(child.describe());
  REQUIRE(fs::exists(json));
  return {child, nlohmann::json::parse(read_text(json))["scenarios"][0]};
}

void require_passed(const Run& run) {
  INFO(run.child.describe());
  REQUIRE(run.child.exit_code == 0);
  REQUIRE_THAT(run.child.out, Catch::Contains("1 passed, 0 failed"));
}

void require_failed(const Run& run, const std::vector<std::string>& messages) {
  INFO(run.child.describe());
  REQUIRE(run.child.exit_code == 1);
  REQUIRE_THAT(run.child.out, Catch::Contains("0 passed, 1 failed"));
  for (const auto& message : messages) {
    REQUIRE_THAT(run.child.out, Catch::Contains(message));
  }
}

double seconds_taken(const Run& run) { return run.report["duration_ms"].get<double>() / 1000.0; }

// Skips the test (the caller returns) when there is no Python for the sender.
bool python_missing() {
  if (fs::exists(k_python)) {
    return false;
  }
  skip_test("needs /usr/bin/python3 for its smtplib sender");
  return true;
}

const std::string k_later_app =
    "name: sent after the app returned\n"
    "app: {run: [/usr/bin/python3, send.py, bob@inbox.test, --later]}\n";

}  // namespace

TEST_CASE("mail sent after the app exited passes with within and fails without", "[e2e][within]") {
  if (python_missing()) {
    return;
  }
  TempDir dir;
  // A generous window: the wait ends when bob's message is in, not when the window is over.
  auto waited = run_scenario(dir, k_later_app + "expect:\n  within: 60s\n  delivered: [{to: bob@inbox.test}]\n");
  require_passed(waited);
  CHECK(seconds_taken(waited) < 30.0);

  auto item_window = run_scenario(dir, k_later_app + "expect:\n  delivered: [{to: bob@inbox.test, within: 5s}]\n");
  require_passed(item_window);

  // Without a window the scenario is judged as the app exits, before the message.
  require_failed(run_scenario(dir, k_later_app + "expect:\n  delivered: [{to: bob@inbox.test}]\n"),
                 {"expect.delivered[0]", "no mail transaction was started"});
}

TEST_CASE("a positive expectation that never holds says it did not hold within its window", "[e2e][within]") {
  if (python_missing()) {
    return;
  }
  TempDir dir;
  auto run = run_scenario(dir, k_later_app + "expect:\n  within: 4s\n  delivered: [{to: alice@inbox.test}]\n");
  require_failed(run, {"expect.delivered[0]", "did not hold within 4s: none of 1 delivered message matches"});
}

TEST_CASE("not_delivered with within watches the whole window", "[e2e][within]") {
  if (python_missing()) {
    return;
  }
  TempDir dir;
  const std::string ghost =
      "name: a late message to ghost\n"
      "app: {run: [/usr/bin/python3, send.py, ghost@inbox.test, --later]}\n";
  // Judged as the app exits, ghost's message has not been sent yet ...
  require_passed(run_scenario(dir, ghost + "expect:\n  not_delivered: [ghost@inbox.test]\n"));
  // ... watched for 4 seconds, it arrives and breaks the expectation.
  require_failed(run_scenario(dir, ghost + "expect:\n  within: 4s\n  not_delivered: [ghost@inbox.test]\n"),
                 {"expect.not_delivered[0]", "delivered: "});
  // Nothing sent: it holds, and only after the whole window.
  auto quiet = run_scenario(dir,
                            "name: quiet\napp: {run: 'true'}\nexpect:\n  within: 2s\n  not_delivered: "
                            "[ghost@inbox.test]\n");
  require_passed(quiet);
  CHECK(seconds_taken(quiet) >= 2.0);
}

TEST_CASE("a then step waits for the 451 and makes the sender retry", "[e2e][within][then]") {
  if (python_missing()) {
    return;
  }
  TempDir dir;
  const std::string greylisted = R"(name: greylisted, then retried by a then step
server:
  rules:
    - at: rcpt
      match: {attempt: 1}
      reply: "451 4.7.1 Greylisted, try again later"
app:
  run: [/usr/bin/python3, send.py, bob@inbox.test]
  then:
    - wait_for:
        replies: [{command: RCPT, arg: bob@inbox.test, code: 451}]
      within: 10s
      run: [/usr/bin/python3, send.py, bob@inbox.test]
expect:
  delivered: [{to: bob@inbox.test, count: 1}]
  retries: [{rcpt: bob@inbox.test, min_attempts: 2}]
)";
  require_passed(run_scenario(dir, greylisted));
  // The same scenario without the retry: two attempts never happen.
  const auto cut = greylisted.find("  then:");
  const auto rest = greylisted.find("expect:");
  require_failed(run_scenario(dir, greylisted.substr(0, cut) + greylisted.substr(rest)),
                 {"expect.retries[0]", "at least 2 RCPT attempts for bob@inbox.test"});
}

TEST_CASE("a then step's wait that runs out fails the scenario at the step's line", "[e2e][within][then]") {
  if (python_missing()) {
    return;
  }
  TempDir dir;
  auto run = run_scenario(dir, R"(name: no 451 ever comes
app:
  run: [/usr/bin/python3, send.py, bob@inbox.test]
  then:
    - wait_for: {replies: [{command: RCPT, code: 451}]}
      within: 1s
      run: 'echo flushed'
)");
  require_failed(run, {"scenario.yaml:5", "app.then[0].wait_for.replies[0]", "before app.then[0] (line 5) runs",
                       "did not hold within 1s", "the step's command did not run"});
}

TEST_CASE("a then step's command must exit 0 unless expect_exit says otherwise", "[e2e][within][then]") {
  TempDir dir;
  const std::string app =
      "name: flush fails\napp:\n  run: 'true'\n  then:\n    - run: 'echo queue is stuck >&2; exit 3'\n";
  require_failed(run_scenario(dir, app),
                 {"app.then[0] exits with exit code 0", "exited with code 3",
                  "    output:\n      step stdout: empty\n      step stderr:\n        queue is stuck\n"});
  require_passed(run_scenario(dir, app + "      expect_exit: any\n"));
  require_passed(run_scenario(dir, app + "      expect_exit: 3\n"));
}
