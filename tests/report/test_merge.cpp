#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/fixture.hpp"
#include "report/json.hpp"
#include "report/json_read.hpp"
#include "report/junit.hpp"
#include "report/merge.hpp"
#include "runner/shard.hpp"

using namespace maildog;

namespace {

std::string json_of(const runner::RunResult& run) {
  std::ostringstream out;
  report::write_json(run, out);
  return out.str();
}

std::string junit_of(const runner::RunResult& run) {
  std::ostringstream out;
  report::write_junit(run, out);
  return out.str();
}

runner::RunResult read_back(const std::string& text) {
  auto read = report::read_json_report(text);
  INFO(read.error);
  REQUIRE(read.run);
  return *read.run;
}

// The sample run with what the fixture leaves out: sender check results (the writer lists the
// Authentication-Results it adds as the first header) and a refusal.
runner::RunResult sample_with_checks() {
  auto run = test::sample_run();
  auto& transaction = run.scenarios[0].sessions[0].transactions[0];
  transaction.authentication_results = "mx.sandbox.test; spf=pass smtp.mailfrom=yourdomain.test; dmarc=pass";
  transaction.auth_results = {{"spf", "pass"}, {"dmarc", "pass"}};
  capture::RefusalRecord refusal;
  refusal.reason = "rule";
  refusal.command = "RCPT";
  refusal.argument = "ghost@inbox.test";
  refusal.reply = *smtp::Reply::parse("451 4.7.1 Greylisted, try again later");
  run.scenarios[1].sessions[0].refusals.push_back(refusal);
  // app.then: a step whose wait ran out, and one whose command ran.
  runner::ThenOutcome waited;
  waited.line = 9;
  waited.within = std::chrono::seconds(10);
  waited.unmet.push_back({"app.then[0].wait_for.replies[0]", 9, "RCPT -> 451", "no reply to RCPT", {"S: 220"}});
  runner::ThenOutcome ran;
  ran.line = 12;
  ran.process = runner::ProcessResult{};
  ran.process->outcome = runner::ProcessResult::Outcome::exited;
  ran.process->exit_code = 3;
  ran.process->stderr_text = "postqueue: fatal: no queue\n";
  ran.process->duration = std::chrono::milliseconds(7);
  run.scenarios[1].then_steps = {waited, ran};
  return run;
}

// One run's scenarios split as `--shard K/N` would, each part written and read back as JSON.
std::vector<report::ShardReport> shards_of(const runner::RunResult& run, unsigned count) {
  std::vector<report::ShardReport> reports;
  for (unsigned k = 1; k <= count; ++k) {
    runner::RunResult part;
    part.seed = run.seed;
    part.started = run.started;
    part.duration = run.duration;
    for (const auto& scenario : run.scenarios) {
      if (runner::shard_of(runner::shard_key(scenario.file, scenario.name, "/work"), count) == k) {
        part.scenarios.push_back(scenario);
      }
    }
    reports.push_back({"shard-" + std::to_string(k) + ".json", read_back(json_of(part))});
  }
  return reports;
}

runner::RunResult sorted_by_file_and_line(runner::RunResult run) {
  std::stable_sort(run.scenarios.begin(), run.scenarios.end(),
                   [](const auto& a, const auto& b) { return a.file != b.file ? a.file < b.file : a.line < b.line; });
  return run;
}

}  // namespace

TEST_CASE("a JSON report reads back into the run it was written from", "[report][merge]") {
  const auto run = GENERATE(test::sample_run(), sample_with_checks(), runner::RunResult{});
  const std::string text = json_of(run);
  const auto again = read_back(text);
  CHECK(json_of(again) == text);
  CHECK(junit_of(again) == junit_of(run));
  CHECK(again.passed() == run.passed());
  CHECK(again.failed() == run.failed());
}

TEST_CASE("a report without then_steps (written before app.then) still reads", "[report][merge]") {
  auto document = nlohmann::json::parse(json_of(sample_with_checks()));
  REQUIRE(document["scenarios"][1]["then_steps"].size() == 2);
  for (auto& scenario : document["scenarios"]) {
    scenario.erase("then_steps");
  }
  const auto again = read_back(document.dump());
  CHECK(again.scenarios[1].then_steps.empty());
}

TEST_CASE("64-bit seeds read back whole", "[report][merge]") {
  auto run = test::sample_run();
  run.seed = 18077577939781706149ULL;  // above INT64_MAX, as derived scenario seeds can be
  run.scenarios[1].seed = run.seed;
  const std::string text = json_of(run);
  const auto again = read_back(text);
  CHECK(again.seed == run.seed);
  CHECK(again.scenarios[1].seed == run.seed);
  CHECK(json_of(again) == text);
}

TEST_CASE("read_json_report says why a text is not a report", "[report][merge]") {
  const auto report = nlohmann::json::parse(json_of(test::sample_run()));
  CHECK_THAT(report::read_json_report("{not json").error, Catch::Contains("not JSON"));
  CHECK_THAT(report::read_json_report("<testsuites/>").error, Catch::Contains("not JSON"));

  auto extra = report;
  extra["scenarios"][0]["surprise"] = 1;
  CHECK_THAT(report::read_json_report(extra.dump()).error, Catch::Contains("schemas/report.schema.json"));

  auto wrong_totals = report;
  wrong_totals["totals"]["passed"] = 3;
  const auto totals = report::read_json_report(wrong_totals.dump());
  CHECK_FALSE(totals.run);
  CHECK_THAT(totals.error, Catch::Contains("3 passed") && Catch::Contains("1 passed, 2 failed"));

  auto bad_date = report;
  bad_date["scenarios"][0]["started"] = "2025-13-03T10:00:00.000Z";
  CHECK_THAT(report::read_json_report(bad_date.dump()).error, Catch::Contains("2025-13-03"));
}

TEST_CASE("merging the shards of a run gives the run back", "[report][merge]") {
  const auto run = sample_with_checks();
  const unsigned count = GENERATE(1U, 2U, 3U, 5U);
  CAPTURE(count);
  auto reports = shards_of(run, count);
  std::size_t scenarios_in_shards = 0;
  for (const auto& report : reports) {
    scenarios_in_shards += report.run.scenarios.size();
  }
  REQUIRE(scenarios_in_shards == run.scenarios.size());

  SECTION("in any order of the inputs") {
    std::reverse(reports.begin(), reports.end());
    const auto merged = report::merge_runs(reports);
    REQUIRE(merged.run);
    const auto expected = sorted_by_file_and_line(run);
    CHECK(json_of(*merged.run) == json_of(expected));
    CHECK(junit_of(*merged.run) == junit_of(expected));
    CHECK(merged.run->passed() == 1);
    CHECK(merged.run->failed() == 2);
  }
  SECTION("a scenario in two inputs is an error naming both") {
    reports.push_back({"again.json", read_back(json_of(run))});
    const auto merged = report::merge_runs(reports);
    CHECK_FALSE(merged.run);
    CHECK_THAT(merged.error,
               Catch::Contains("again.json") && Catch::Contains(" and ") && Catch::Contains("scenarios/"));
  }
}

TEST_CASE("merge spans the shards' time and keeps empty shards harmless", "[report][merge]") {
  using namespace std::chrono_literals;
  auto first = test::sample_run();
  runner::RunResult later;  // an empty shard that started later and ran longer
  later.seed = 7;
  later.started = first.started + 10s;
  later.duration = 2s;
  const auto merged = report::merge_runs({{"a.json", first}, {"b.json", later}});
  REQUIRE(merged.run);
  CHECK(merged.run->scenarios.size() == 3);
  CHECK(merged.run->started == first.started);
  CHECK(merged.run->duration == 12s);
  CHECK(merged.run->seed == first.seed);
  CHECK_THAT(merged.seed_warning, Catch::Contains("different seeds") && Catch::Contains("b.json: 7"));

  later.seed = first.seed;
  CHECK(report::merge_runs({{"a.json", first}, {"b.json", later}}).seed_warning.empty());

  const auto same_twice = report::merge_runs({{"a.json", first}, {"a.json", first}});
  CHECK_THAT(same_twice.error, Catch::Contains("twice in a.json"));
}
