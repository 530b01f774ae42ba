// `maildog-ci merge`: the runs of a matrix's shards combined into one run, with every scenario
// exactly once, so the existing writers produce one JUnit and one JSON report for the whole suite.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runner/result.hpp"

namespace maildog::report {

struct ShardReport {
  std::string source;  // where it was read from, for messages
  runner::RunResult run;
};

struct MergedRun {
  std::optional<runner::RunResult> run;
  std::string error;  // set when run is empty: a scenario present twice, naming both sources
  // Set when the shards ran with different seeds: `--seed` of the merged report then repeats
  // only the first shard's scenarios (give every shard the same --seed).
  std::string seed_warning;
};

// Scenarios are ordered by file path, then line: the order of one `run` over the same folder.
// The run starts at the earliest start and lasts until the latest end; the seed is the first
// report's (each scenario keeps its own). A scenario (same file and name) in two reports, or
// twice in one, is an error.
MergedRun merge_runs(std::vector<ShardReport> reports);

}  // namespace maildog::report
