// `run --shard K/N` and `merge` through the built binary, as a CI matrix uses them: the shards of
// a suite are disjoint and cover it, and merging their reports gives what one whole run reports.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "report/json_schema.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

ChildResult run_maildog(const std::vector<std::string>& args) {
  ChildSpec spec;
  spec.argv = {binary_path().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.environment = {{"NO_COLOR", "1"}, {"GITHUB_ACTIONS", "false"}};
  spec.timeout = std::chrono::seconds(180);
  return run_child(spec);
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string report_schema_errors(const nlohmann::json& report) {
  return maildog::report::json_schema_errors(
      nlohmann::json::parse(read_text(source_dir() / "schemas" / "report.schema.json")), report);
}

// junit-10.xsd with the testcase file/line extensions removed; skipped with a WARN without the
// conformance data or xmllint.
void check_junit_xsd(const fs::path& junit, const TempDir& dir) {
  const auto conformance = conformance_dir();
  if (!conformance) {
    skip_test("no conformance data (MAILDOG_CONFORMANCE_DIR): the JUnit XSD check");
    return;
  }
  if (!program_available("xmllint")) {
    FAIL("xmllint is missing: run ci/install-deps.sh");
  }
  const std::string stripped = std::regex_replace(read_text(junit), std::regex(R"( (file|line)="[^"]*")"), "");
  const auto path = dir.write("stripped-" + junit.filename().string(), stripped);
  ChildSpec lint;
  lint.argv = {"xmllint", "--noout", "--schema", (*conformance / "junit-xsd" / "junit-10.xsd").string(), path.string()};
  const auto result = run_child(lint);
  INFO(result.describe());
  CHECK(result.exit_code == 0);
}

// Scripted conversations that deliver a message (so reports hold transactions and headers):
// `files` files of 1 to 3 scenarios in two folders. Cheap enough for several runs of the suite.
void write_suite(const fs::path& root, int files) {
  for (int file = 0; file < files; ++file) {
    const auto folder = root / (file % 2 == 0 ? "even" : "odd");
    fs::create_directories(folder);
    std::ofstream out(folder / ("file" + std::to_string(file) + ".yaml"));
    for (int doc = 0; doc <= file % 3; ++doc) {
      out << (doc == 0 ? "" : "---\n") << "name: delivery " << doc << " of file " << file
          << "\nserver:\n  domains: [inbox.test]\n  mailboxes: [user@inbox.test]\nclient:\n  steps:\n"
             "    - send: EHLO client.test\n    - send: \"MAIL FROM:<a@client.test>\"\n"
             "    - send: \"RCPT TO:<user@inbox.test>\"\n    - data: |\n        Subject: file "
          << file << "\n\n        hello\n      expect: {code: 250}\n    - quit: true\n";
    }
  }
}

// "file|name|status" of every scenario, in report order, or ordered by file path and line as
// `merge` orders them.
std::vector<std::string> scenario_rows(const nlohmann::json& report, bool by_file_and_line = false) {
  std::vector<nlohmann::json> scenarios(report["scenarios"].begin(), report["scenarios"].end());
  if (by_file_and_line) {
    std::stable_sort(scenarios.begin(), scenarios.end(), [](const auto& a, const auto& b) {
      const fs::path file_a = a["file"].template get<std::string>();
      const fs::path file_b = b["file"].template get<std::string>();
      return file_a != file_b ? file_a < file_b : a["line"] < b["line"];
    });
  }
  std::vector<std::string> rows;
  for (const auto& scenario : scenarios) {
    rows.push_back(scenario["file"].get<std::string>() + "|" + scenario["name"].get<std::string>() + "|" +
                   scenario["status"].get<std::string>());
  }
  return rows;
}

}  // namespace

TEST_CASE("shards of a suite are disjoint, cover it, and merge into the whole run", "[ci][shard][merge]") {
  TempDir dir;
  write_suite(dir.path() / "suite", 12);
  const fs::path failing = source_dir() / "tests" / "e2e" / "failing";
  // Besides the generated files: an app with STARTTLS and AUTH, a sender check that adds an
  // Authentication-Results header, and two failures.
  const std::vector<std::string> suite = {
      (dir.path() / "suite").string(), (source_dir() / "scenarios" / "happy_path.yaml").string(),
      (source_dir() / "scenarios" / "dkim_signed_passes_dmarc.yaml").string(),
      (failing / "step_mismatch.yaml").string(), (failing / "wrong_reply.yaml").string()};
  auto with_suite = [&](std::vector<std::string> args) {
    args.insert(args.begin() + 1, suite.begin(), suite.end());
    return args;
  };

  const auto whole = run_maildog(with_suite({"run", "-j", "2", "--json", (dir.path() / "whole.json").string()}));
  INFO(whole.describe());
  REQUIRE(whole.exit_code == 1);
  const auto whole_report = read_json(dir.path() / "whole.json");
  const auto whole_rows = scenario_rows(whole_report);
  REQUIRE(whole_rows.size() == 28);
  const std::string total = std::to_string(whole_rows.size());

  std::multiset<std::string> in_shards;
  std::vector<std::string> shard_reports;
  for (int k = 3; k >= 1; --k) {  // the order the jobs finish in does not matter
    const auto json = dir.path() / ("shard-" + std::to_string(k) + ".json");
    const auto shard =
        run_maildog(with_suite({"run", "--shard", std::to_string(k) + "/3", "-j", "2", "--json", json.string()}));
    INFO(shard.describe());
    REQUIRE((shard.exit_code == 0 || shard.exit_code == 1));
    const auto report = read_json(json);
    const auto rows = scenario_rows(report);
    CHECK_THAT(shard.out, Catch::StartsWith("shard " + std::to_string(k) + "/3: " + std::to_string(rows.size()) +
                                            " of " + total + " scenarios\n"));
    in_shards.insert(rows.begin(), rows.end());
    shard_reports.push_back(json.string());
  }
  CHECK(in_shards == std::multiset<std::string>(whole_rows.begin(), whole_rows.end()));

  const auto merged_json = dir.path() / "merged.json";
  const auto merged_junit = dir.path() / "merged.xml";
  std::vector<std::string> merge_args = {"merge", "--junit", merged_junit.string(), "--json", merged_json.string()};
  merge_args.insert(merge_args.end(), shard_reports.begin(), shard_reports.end());
  const auto merge = run_maildog(merge_args);
  INFO(merge.describe());
  REQUIRE(merge.exit_code == 1);  // the merged run has failures, as the whole run had
  CHECK_THAT(merge.out, Catch::StartsWith("merged 3 reports: " + total + " scenarios\n"));
  CHECK_THAT(merge.out, Catch::Contains("expect.replies[0]") && Catch::Contains("step_mismatch.yaml"));

  const auto merged = read_json(merged_json);
  CHECK(report_schema_errors(merged) == "");
  CHECK(scenario_rows(merged) == scenario_rows(whole_report, true));  // nothing duplicated or lost
  CHECK(merged["totals"] == whole_report["totals"]);
  CHECK(merged["totals"]["failed"] == 2);
  const std::string junit = read_text(merged_junit);
  CHECK_THAT(junit, Catch::Contains("<testsuites name=\"maildog-ci\" tests=\"" + total + "\" failures=\"2\""));
  check_junit_xsd(merged_junit, dir);

  SECTION("a scenario in two inputs is refused, naming both") {
    fs::copy_file(shard_reports[0], dir.path() / "copy.json");
    const auto twice = run_maildog({"merge", "--json", (dir.path() / "twice.json").string(), shard_reports[0],
                                    (dir.path() / "copy.json").string()});
    CHECK(twice.exit_code == 2);
    CHECK_THAT(twice.err, Catch::Contains(shard_reports[0]) && Catch::Contains("copy.json"));
    CHECK_FALSE(fs::exists(dir.path() / "twice.json"));
  }
  SECTION("JUnit inputs and broken reports are refused with the reason") {
    const auto xml = run_maildog({"merge", "--json", (dir.path() / "x.json").string(), merged_junit.string()});
    CHECK(xml.exit_code == 2);
    CHECK_THAT(xml.err, Catch::Contains("looks like JUnit XML"));
    auto tampered = merged;
    tampered["totals"]["passed"] = 0;
    std::ofstream(dir.path() / "tampered.json") << tampered.dump();
    const auto bad =
        run_maildog({"merge", "--json", (dir.path() / "x.json").string(), (dir.path() / "tampered.json").string()});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("tampered.json") && Catch::Contains("do not match"));
    CHECK(run_maildog({"merge", shard_reports[0]}).exit_code == 2);  // nothing to write
    CHECK(run_maildog({"merge", "--json", (dir.path() / "x.json").string(), (dir.path() / "missing.json").string()})
              .exit_code == 2);
  }
}

TEST_CASE("an empty shard passes with empty reports that still merge", "[ci][shard][merge]") {
  TempDir dir;
  const auto scenario = (source_dir() / "tests" / "e2e" / "failing" / "wrong_reply.yaml").string();
  std::vector<std::string> jsons;
  int empty_shards = 0;
  for (int k = 1; k <= 2; ++k) {
    const auto json = dir.path() / ("shard-" + std::to_string(k) + ".json");
    const auto junit = dir.path() / ("shard-" + std::to_string(k) + ".xml");
    const auto run = run_maildog(
        {"run", scenario, "--shard", std::to_string(k) + "/2", "--json", json.string(), "--junit", junit.string()});
    INFO(run.describe());
    const auto report = read_json(json);
    CHECK(report_schema_errors(report) == "");
    if (report["scenarios"].empty()) {
      ++empty_shards;
      CHECK(run.exit_code == 0);
      CHECK_THAT(run.out, Catch::StartsWith("shard " + std::to_string(k) + "/2: 0 of 1 scenarios\n"));
      CHECK_THAT(run.out, Catch::Contains("0 passed, 0 failed"));
      check_junit_xsd(junit, dir);
    } else {
      CHECK(run.exit_code == 1);
    }
    jsons.push_back(json.string());
  }
  REQUIRE(empty_shards == 1);
  const auto merged = dir.path() / "merged.json";
  const auto merge = run_maildog({"merge", "--json", merged.string(), jsons[0], jsons[1]});
  INFO(merge.describe());
  CHECK(merge.exit_code == 1);
  CHECK(read_json(merged)["totals"] == nlohmann::json{{"passed", 0}, {"failed", 1}});
}

TEST_CASE("a bad --shard is exit 2: K/N with 1 <= K <= N <= 1000", "[ci][shard]") {
  const auto scenario = (source_dir() / "tests" / "e2e" / "failing" / "wrong_reply.yaml").string();
  const auto bad = GENERATE(as<std::string>{}, "0/4", "5/4", "2", "1/1001", "one/two");
  const auto run = run_maildog({"run", scenario, "--shard", bad});
  INFO(run.describe());
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("--shard") && Catch::Contains("K/N") && Catch::Contains(bad));
}
