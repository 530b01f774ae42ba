#include "report/merge.hpp"

#include <algorithm>
#include <map>

namespace maildog::report {

MergedRun merge_runs(std::vector<ShardReport> reports) {
  runner::RunResult merged;
  if (reports.empty()) {
    return {std::move(merged), {}, {}};
  }
  merged.seed = reports.front().run.seed;
  merged.started = reports.front().run.started;
  auto ended = merged.started;
  std::map<std::string, std::string> source_by_scenario;
  for (auto& report : reports) {
    merged.started = std::min(merged.started, report.run.started);
    ended = std::max(ended, report.run.started + report.run.duration);
    for (auto& scenario : report.run.scenarios) {
      const std::string key = scenario.file.lexically_normal().generic_string() + "\n" + scenario.name;
      const auto [seen, added] = source_by_scenario.emplace(key, report.source);
      if (!added) {
        const std::string both = seen->second == report.source ? "twice in " + report.source
                                                               : "in both " + seen->second + " and " + report.source;
        return {std::nullopt,
                "scenario \"" + scenario.name + "\" of " + scenario.file.generic_string() + " is " + both +
                    " (were the shards run with the same K/N twice?)",
                {}};
      }
      merged.scenarios.push_back(std::move(scenario));
    }
  }
  const auto other_seed = std::find_if(reports.begin(), reports.end(),
                                       [&](const ShardReport& report) { return report.run.seed != merged.seed; });
  std::string seed_warning;
  if (other_seed != reports.end()) {
    seed_warning = "the shards ran with different seeds (" + reports.front().source + ": " +
                   std::to_string(merged.seed) + ", " + other_seed->source + ": " +
                   std::to_string(other_seed->run.seed) + "); the merged report carries the first, so --seed " +
                   std::to_string(merged.seed) + " repeats only " + reports.front().source +
                   "'s scenarios. Give every shard the same --seed.";
  }
  merged.duration = std::chrono::duration_cast<std::chrono::microseconds>(ended - merged.started);
  std::stable_sort(merged.scenarios.begin(), merged.scenarios.end(),
                   [](const runner::ScenarioResult& a, const runner::ScenarioResult& b) {
                     if (a.file != b.file) {
                       return a.file < b.file;
                     }
                     return a.line < b.line;
                   });
  return {std::move(merged), {}, std::move(seed_warning)};
}

}  // namespace maildog::report
