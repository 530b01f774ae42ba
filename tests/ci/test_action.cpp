// The GitHub Action's scripts (ci/action/*.sh) run as the action's steps would, with a fake
// GITHUB_* environment: outputs, annotations, job summary and exit codes of run.sh; the source
// and cache key of source.sh, and its choice of a release download or a build; the cached path of
// build.sh. install.sh is left out: it installs; download.sh has its own test (action_download.sh).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "name=value" lines of a $GITHUB_OUTPUT file.
std::map<std::string, std::string> outputs_of(const fs::path& file) {
  std::map<std::string, std::string> outputs;
  std::istringstream lines(read_text(file));
  std::string line;
  while (std::getline(lines, line)) {
    const auto equals = line.find('=');
    REQUIRE(equals != std::string::npos);
    outputs[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return outputs;
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(prefix)) {
      found.push_back(line);
    }
  }
  return found;
}

// Runs a ci/action script in `cwd` with the GitHub variables a step gets, plus `environment`.
ChildResult run_script(const std::string& script, const TempDir& dir, std::map<std::string, std::string> environment,
                       const fs::path& cwd = source_dir()) {
  ChildSpec spec;
  spec.argv = {"bash", "-c",         "cd \"$1\" && exec bash \"$2\"",
               "step", cwd.string(), (source_dir() / "ci" / "action" / script).string()};
  spec.environment = {{"GITHUB_ACTIONS", "true"},
                      {"GITHUB_OUTPUT", (dir.path() / "github_output").string()},
                      {"GITHUB_STEP_SUMMARY", (dir.path() / "step_summary.md").string()},
                      {"GITHUB_WORKSPACE", source_dir().string()},
                      {"GITHUB_PATH", (dir.path() / "github_path").string()},
                      {"RUNNER_TEMP", dir.path().string()},
                      {"NO_COLOR", "1"}};
  for (auto& [name, value] : environment) {
    spec.environment[name] = std::move(value);
  }
  spec.timeout = std::chrono::seconds(120);
  return run_child(spec);
}

// run.sh with every input the action passes, empty unless given.
ChildResult run_action(const TempDir& dir, std::map<std::string, std::string> inputs,
                       std::map<std::string, std::string> environment = {}) {
  environment["MAILDOG_BINARY"] = binary_path().string();
  for (const char* input : {"SCENARIOS", "JUNIT", "JSON", "HTML", "ARGS", "SHARD", "SEED", "MERGE"}) {
    environment[std::string("INPUT_") + input] = "";
  }
  for (auto& [name, value] : inputs) {
    environment["INPUT_" + name] = std::move(value);
  }
  fs::remove(dir.path() / "github_output");
  return run_script("run.sh", dir, environment);
}

// The line of `needle` in a scenario file, as annotations must point at it.
std::size_t line_of(const fs::path& file, const std::string& needle) {
  std::istringstream lines(read_text(file));
  std::string line;
  for (std::size_t number = 1; std::getline(lines, line); ++number) {
    if (line.find(needle) != std::string::npos) {
      return number;
    }
  }
  FAIL("no " << needle << " in " << file);
  return 0;
}

const std::string k_failing = "tests/e2e/failing/wrong_reply.yaml";
const std::string k_failing_name = "expects 250 where the server answers 550 5.1.1";
const std::string k_passing = "scenarios/relaying_denied.yaml";

}  // namespace

TEST_CASE("run.sh: a failing and a passing scenario", "[ci][action]") {
  TempDir dir;
  std::ofstream(dir.path() / "step_summary.md") << "previous step\n";
  const auto junit = dir.path() / "reports" / "maildog.xml";
  const auto json = dir.path() / "reports" / "maildog.json";
  const auto run = run_action(dir, {{"SCENARIOS", k_failing + "\n" + k_passing},
                                    {"JUNIT", junit.string()},
                                    {"JSON", json.string()},
                                    {"ARGS", "-j 2"}});
  INFO(run.describe());
  CHECK(run.exit_code == 1);  // fails the step

  CHECK(outputs_of(dir.path() / "github_output") ==
        std::map<std::string, std::string>{
            {"passed", "1"}, {"failed", "1"}, {"junit", junit.string()}, {"json", json.string()}, {"html", ""}});
  std::ifstream report(json);
  CHECK(nlohmann::json::parse(report)["totals"] == nlohmann::json{{"passed", 1}, {"failed", 1}});

  const auto annotations = lines_starting(run.out, "::error");
  REQUIRE(annotations.size() == 1);
  const auto line =
      std::to_string(line_of(source_dir() / k_failing, "{command: RCPT, arg: ghost@inbox.test, code: 250}"));
  CHECK_THAT(annotations[0],
             Catch::StartsWith(
                 "::error file=" + k_failing + ",line=" + line + ",title=" + k_failing_name +
                 "::expect.replies[0] at line " + line +
                 "%0A  expected: RCPT ghost@inbox.test -> 250%0A  actual:   RCPT ghost@inbox.test -> 550 5.1.1"));

  const std::string summary = read_text(dir.path() / "step_summary.md");
  CHECK_THAT(summary, Catch::StartsWith("previous step\n### maildog-ci: 1 passed, 1 failed\n"));
  CHECK_THAT(summary, Catch::Contains("| \xE2\x9D\x8C failed | " + k_failing_name + " | `" + k_failing + ":2` |"));
  CHECK_THAT(summary, Catch::Contains("| \xE2\x9C\x85 passed | relaying to a foreign domain"));
  CHECK_THAT(summary, Catch::Contains("**expect.replies\\[0\\]** at `" + k_failing + ":" + line + "`"));
  CHECK_THAT(summary, Catch::Contains("  S: 550 5.1.1 <ghost@inbox.test>: Recipient address rejected"));
  CHECK(fs::exists(junit));
}

TEST_CASE("run.sh: a passing shard, with no JSON report asked for", "[ci][action]") {
  TempDir dir;
  const auto run = run_action(dir, {{"SCENARIOS", k_passing}, {"SHARD", "1/1"}});
  INFO(run.describe());
  CHECK(run.exit_code == 0);
  CHECK(lines_starting(run.out, "::error").empty());
  CHECK_THAT(run.out, Catch::Contains("shard 1/1: 1 of 1 scenarios"));
  CHECK(
      outputs_of(dir.path() / "github_output") ==
      std::map<std::string, std::string>{{"passed", "1"}, {"failed", "0"}, {"junit", ""}, {"json", ""}, {"html", ""}});
  CHECK_THAT(read_text(dir.path() / "step_summary.md"),
             Catch::StartsWith("### maildog-ci shard 1/1: 1 passed, 0 failed"));
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CHECK_THAT(entry.path().filename().string(),
               !Catch::StartsWith("maildog-ci-counts"));  // the temporary report is gone
  }
}

TEST_CASE("run.sh: invalid scenarios fail the step with an annotation and no stale counts", "[ci][action]") {
  TempDir dir;
  const auto json = dir.path() / "maildog.json";
  std::ofstream(json) << R"({"totals": {"passed": 7, "failed": 0}})";  // left by an earlier run
  const auto run = run_action(dir, {{"SCENARIOS", "tests/scenario/malformed/bad_port.yaml"}, {"JSON", json.string()}});
  INFO(run.describe());
  CHECK(run.exit_code == 2);
  CHECK(lines_starting(run.out, "::error title=maildog-ci::invalid scenario files").size() == 1);
  const auto outputs = outputs_of(dir.path() / "github_output");
  CHECK(outputs.count("passed") == 0);
  CHECK(outputs.count("failed") == 0);
  CHECK(outputs.at("json") == json.string());
}

TEST_CASE("run.sh: shards, then a merge of their reports by glob", "[ci][action]") {
  TempDir dir;
  for (const char* shard : {"1/2", "2/2"}) {
    const std::string k(1, shard[0]);
    // No seed input: the shards of one workflow run share its id as their seed.
    const auto run = run_action(dir,
                                {{"SCENARIOS", k_failing + " " + k_passing},
                                 {"SHARD", shard},
                                 {"JSON", (dir.path() / "shards" / ("shard-" + k + ".json")).string()}},
                                {{"GITHUB_RUN_ID", "9876543210"}});
    INFO(run.describe());
    REQUIRE((run.exit_code == 0 || run.exit_code == 1));
    CHECK_THAT(run.out, Catch::Contains("seed 9876543210: rerun with --seed 9876543210"));
  }
  const auto merged_junit = dir.path() / "merged.xml";
  const auto merged_json = dir.path() / "merged.json";
  const auto merge = run_action(dir, {{"MERGE", (dir.path() / "shards").string() + "/*.json"},
                                      {"JUNIT", merged_junit.string()},
                                      {"JSON", merged_json.string()}});
  INFO(merge.describe());
  CHECK(merge.exit_code == 1);
  CHECK_THAT(merge.out, Catch::Contains("merged 2 reports: 2 scenarios"));
  CHECK_THAT(merge.err, !Catch::Contains("different seeds"));
  const auto outputs = outputs_of(dir.path() / "github_output");
  CHECK(outputs.at("passed") == "1");
  CHECK(outputs.at("failed") == "1");
  CHECK(fs::exists(merged_junit));
  CHECK(fs::exists(merged_json));
  std::ifstream merged_report(merged_json);
  CHECK(nlohmann::json::parse(merged_report)["seed"] == 9876543210ULL);
}

TEST_CASE("source.sh: the key follows the source, a version is fetched, a release tag downloads", "[ci][action]") {
  TempDir dir;
  const auto tree = dir.path() / "maildog";
  fs::create_directories(tree / "src");
  std::ofstream(tree / "CMakeLists.txt") << "project(maildog-ci)\n";
  std::ofstream(tree / "src" / "a.cpp") << "int a = 1;\n";
  auto source = [&](std::map<std::string, std::string> environment) {
    fs::remove(dir.path() / "github_output");
    const auto result = run_script("source.sh", dir, std::move(environment), dir.path());
    INFO(result.describe());
    REQUIRE(result.exit_code == 0);
    return outputs_of(dir.path() / "github_output");
  };
  const auto first = source({{"GITHUB_ACTION_PATH", tree.string()}, {"INPUT_VERSION", ""}});
  CHECK(first.at("dir") == tree.string());
  CHECK(first.at("cache") == (dir.path() / "maildog-ci-cache").string());
  CHECK_THAT(first.at("restore-prefix"), Catch::StartsWith("maildog-ci-"));
  CHECK_THAT(first.at("key"), Catch::StartsWith(first.at("restore-prefix")));
  CHECK(first.at("key").size() > first.at("restore-prefix").size());

  std::ofstream(tree / "README.md") << "not built\n";
  CHECK(source({{"GITHUB_ACTION_PATH", tree.string()}}).at("key") == first.at("key"));
  std::ofstream(tree / "src" / "a.cpp") << "int a = 2;\n";
  const auto changed = source({{"GITHUB_ACTION_PATH", tree.string()}});
  CHECK(changed.at("key") != first.at("key"));
  CHECK(changed.at("restore-prefix") == first.at("restore-prefix"));

  // A local "server" laid out as GitHub's: SERVER/OWNER/REPO.git, the action unpacked under
  // _actions/OWNER/REPO/REF as the runner does it.
  auto make_origin = [&](const std::string& tags) {  // tags: space-separated, all on one commit
    if (!program_available("git")) {
      return false;
    }
    const auto origin = dir.path() / "server" / "acme" / "maildog-ci.git";
    ChildSpec git;
    git.argv = {
        "bash",
        "-c",
        "set -e; mkdir -p \"$(dirname \"$2\")\"; cp -r \"$1\" \"$2\"; cd \"$2\"; git init -q; git add -A;"
        "git -c user.name=t -c user.email=t@example.test commit -qm tagged; for t in $3; do git tag \"$t\"; done;"
        "echo 'int a = 3;' > src/a.cpp; git -c user.name=t -c user.email=t@example.test commit -qam later",
        "git",
        tree.string(),
        origin.string(),
        tags};
    const auto made = run_child(git);
    INFO(made.describe());
    REQUIRE(made.exit_code == 0);
    return true;
  };
  const auto action_at = [&](const std::string& ref) {
    return (dir.path() / "_actions" / "acme" / "maildog-ci" / ref).string();
  };

  SECTION("INPUT_VERSION: that ref of the action's repository, built from source") {
    if (!make_origin("topic-9")) {
      WARN("git is not installed: fetching a version is not tested");
      return;
    }
    const auto fetched = source({{"GITHUB_ACTION_PATH", action_at("v1")},
                                 {"GITHUB_SERVER_URL", "file://" + (dir.path() / "server").string()},
                                 {"INPUT_VERSION", "topic-9"}});
    CHECK(fetched.at("mode") == "build");
    CHECK(fetched.at("dir") == (dir.path() / "maildog-ci-src").string());
    CHECK(read_text(dir.path() / "maildog-ci-src" / "src" / "a.cpp") == "int a = 2;\n");
    CHECK(fetched.at("key") == changed.at("key"));  // the same files as the tree tagged topic-9
  }

  SECTION("a release tag downloads: vX.Y.Z as it is, a major tag by the project version of its tree") {
    const auto release = source({{"GITHUB_ACTION_PATH", action_at("v2.3.4")}, {"INPUT_VERSION", ""}});
    CHECK(release.at("mode") == "download");
    CHECK(release.at("version") == "2.3.4");
    CHECK(release.at("tag") == "v2.3.4");
    CHECK(release.at("base-url") == "https://github.com/acme/maildog-ci/releases/download");
    CHECK(release.at("restore-prefix").empty());
    CHECK_THAT(release.at("asset"), Catch::Matches("maildog-ci-2\\.3\\.4-linux-(x86_64|aarch64)\\.tar\\.gz"));
    CHECK(release.count("dir") == 0);  // nothing to build

    std::ofstream(tree / "CMakeLists.txt")
        << "cmake_minimum_required(VERSION 3.25)\nproject(maildog-ci VERSION 9.2.1 LANGUAGES CXX)\n";
    if (!make_origin("v9 v8")) {
      WARN("git is not installed: fetching a major tag is not tested");
      return;
    }
    const auto major = source({{"GITHUB_ACTION_PATH", action_at("main")},
                               {"GITHUB_SERVER_URL", "file://" + (dir.path() / "server").string()},
                               {"INPUT_VERSION", "v9"}});
    CHECK(major.at("mode") == "download");
    CHECK(major.at("version") == "9.2.1");
    CHECK(major.at("base-url") == "file://" + (dir.path() / "server").string() + "/acme/maildog-ci/releases/download");

    // A major tag whose tree is another major version is refused, naming both; an unknown ref too.
    fs::remove(dir.path() / "github_output");
    const auto wrong = run_script("source.sh", dir,
                                  {{"GITHUB_ACTION_PATH", action_at("main")},
                                   {"GITHUB_SERVER_URL", "file://" + (dir.path() / "server").string()},
                                   {"INPUT_VERSION", "v8"}},
                                  dir.path());
    INFO(wrong.describe());
    CHECK(wrong.exit_code == 1);
    CHECK_THAT(wrong.out, Catch::Contains("::error title=maildog-ci::the major tag v8 points at a tree whose project "
                                          "version is '9.2.1'"));
    fs::remove(dir.path() / "github_output");
    const auto unknown = run_script("source.sh", dir,
                                    {{"GITHUB_ACTION_PATH", action_at("main")},
                                     {"GITHUB_SERVER_URL", "file://" + (dir.path() / "server").string()},
                                     {"INPUT_VERSION", "v7"}},
                                    dir.path());
    INFO(unknown.describe());
    CHECK(unknown.exit_code == 1);
    CHECK_THAT(unknown.out, Catch::Contains("::error title=maildog-ci::cannot fetch 'v7' from file://"));
  }
}

TEST_CASE("build.sh: a cached binary of the same source is used as it is", "[ci][action]") {
  TempDir dir;
  const auto cache = dir.path() / "cache";
  fs::create_directories(cache / "bin");
  fs::copy_file(binary_path(), cache / "bin" / "maildog-ci");
  std::ofstream(cache / "bin" / "source-key") << "maildog-ci-test-key\n";
  const auto build = run_script("build.sh", dir,
                                {{"MAILDOG_SOURCE", source_dir().string()},
                                 {"MAILDOG_CACHE", cache.string()},
                                 {"MAILDOG_CACHE_KEY", "maildog-ci-test-key"}});
  INFO(build.describe());
  CHECK(build.exit_code == 0);
  CHECK_THAT(build.out, Catch::Contains("cached build for maildog-ci-test-key") && Catch::Contains("maildog-ci 0."));
  CHECK(outputs_of(dir.path() / "github_output").at("binary") == (cache / "bin" / "maildog-ci").string());
  CHECK(read_text(dir.path() / "github_path") == (cache / "bin").string() + "\n");
  CHECK_FALSE(fs::exists(dir.path() / "maildog-ci-build"));  // nothing was configured or compiled
}
