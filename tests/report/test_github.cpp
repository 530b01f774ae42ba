#include <catch2/catch.hpp>
#include <sstream>

#include "report/fixture.hpp"
#include "report/github.hpp"

using namespace maildog;

namespace {

report::GithubContext in_workspace() {
  report::GithubContext context;
  context.workspace = "/home/runner/work/app/app";
  context.cwd = "/home/runner/work/app/app";
  return context;
}

std::string annotations_of(const runner::RunResult& run, const report::GithubContext& context) {
  std::ostringstream out;
  report::write_github_annotations(run, context, out);
  return out.str();
}

std::string summary_of(const runner::RunResult& run, const report::GithubContext& context) {
  std::ostringstream out;
  report::write_github_summary(run, context, out);
  return out.str();
}

}  // namespace

TEST_CASE("workflow command escaping", "[report][github]") {
  CHECK(report::escape_command_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b");
  CHECK(report::escape_command_property("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext%3A a%2C b");
  CHECK(report::escape_command_property("%3A") == "%253A");  // no double meaning after decoding
}

TEST_CASE("github_path: relative to the workspace when under it", "[report][github]") {
  auto context = in_workspace();
  CHECK(report::github_path("scenarios/reset.yaml", context) == "scenarios/reset.yaml");
  CHECK(report::github_path("/home/runner/work/app/app/scenarios/reset.yaml", context) == "scenarios/reset.yaml");
  context.cwd = "/home/runner/work/app/app/tests";
  CHECK(report::github_path("../scenarios/reset.yaml", context) == "scenarios/reset.yaml");
  CHECK(report::github_path("/tmp/elsewhere.yaml", context) == "/tmp/elsewhere.yaml");
  context.workspace.clear();
  CHECK(report::github_path("scenarios/reset.yaml", context) == "scenarios/reset.yaml");
}

TEST_CASE("GitHub annotations", "[report][github]") {
  const auto run = test::sample_run();
  const std::string text = annotations_of(run, in_workspace());

  SECTION("one ::error per failed or errored scenario, at the first failure's line") {
    CHECK(text.find("::error file=scenarios/reset.yaml,line=38,title=unknown user is rejected & not retried::") == 0);
    CHECK(text.find("::error file=scenarios/broken.yaml,line=1,title=app that cannot start::error%3A") ==
          std::string::npos);  // ':' is escaped only in properties
    CHECK(text.find("::error file=scenarios/broken.yaml,line=1,title=app that cannot start::error: app failed") !=
          std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') == 2);  // one line each: newlines are escaped
    CHECK(text.find("password reset reaches the user") == std::string::npos);
  }
  SECTION("matches the approved output") {
    CHECK(test::compare_with_golden("github-annotations.approved.txt", text) == "");
  }
  SECTION("a very long message is cut, not a character split") {
    auto long_run = run;
    long_run.scenarios[1].failures[0].actual = std::string(report::k_annotation_message_max, 'x') + "\xC3\xA9";
    const std::string cut = annotations_of(long_run, in_workspace());
    CHECK(cut.size() < 2 * report::k_annotation_message_max);
    CHECK(cut.find("%0A[...]") != std::string::npos);
    CHECK(cut.find("\xC3\n") == std::string::npos);
  }
}

TEST_CASE("GitHub job summary", "[report][github]") {
  auto context = in_workspace();
  context.shard = "2/4";
  auto run = test::sample_run();
  // Markup in a name must show as text, not as a tag, a link or a table cell boundary.
  run.scenarios[0].name = "<b>reset</b> | [link](x) *bold* :smile:";
  const std::string text = summary_of(run, context);

  SECTION("totals, a row per scenario, every failure with its transcript lines") {
    CHECK(text.starts_with("### maildog-ci shard 2/4: 1 passed, 2 failed\n"));
    CHECK(text.find("| \\<b\\>reset\\</b\\> \\| \\[link\\](x) \\*bold\\* \\:smile\\: |") != std::string::npos);
    CHECK(text.find("`scenarios/reset.yaml:38`") != std::string::npos);
    CHECK(text.find("  S: 451 4.7.1 Greylisted, try again later\n") != std::string::npos);
    CHECK(text.find("expected: at most 1 RCPT attempt for ghost@inbox.test") != std::string::npos);
    CHECK(text.find("error: app failed to start") != std::string::npos);
  }
  SECTION("matches the approved output") { CHECK(test::compare_with_golden("github-summary.approved.md", text) == ""); }
  SECTION("an empty shard says so") {
    CHECK(summary_of(runner::RunResult{}, context) == "### maildog-ci shard 2/4: no scenario to run here\n\n");
  }
  SECTION("at most k_summary_context_lines transcript lines per failure") {
    run.scenarios[1].failures[0].context.assign(25, "C: NOOP");
    const std::string long_context = summary_of(run, context);
    std::size_t noops = 0;
    for (std::size_t at = long_context.find("C: NOOP"); at != std::string::npos;
         at = long_context.find("C: NOOP", at + 1)) {
      ++noops;
    }
    CHECK(noops == report::k_summary_context_lines);
    CHECK(long_context.find("... 15 more lines in the reports") != std::string::npos);
  }
}
