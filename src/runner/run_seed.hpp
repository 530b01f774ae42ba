// The seed of a run: given with `--seed` or drawn at random, printed and put in the reports,
// and spread to every scenario that does not set `server.seed`, so a run can be repeated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "scenario/model.hpp"

namespace maildog::runner {

// The largest seed a JSON report carries exactly: readers such as jq and JavaScript hold
// numbers as IEEE doubles (53 bits of mantissa).
inline constexpr std::uint64_t k_seed_max = (std::uint64_t{1} << 53) - 1;

// A fresh seed below 2^32: short enough to read in a log and type back.
std::uint64_t random_run_seed();

// One scenario's seed in a run, at most k_seed_max: scenarios differ from each other, runs
// with the same seed repeat. Uses the file's name without its folders, so the seed does not
// depend on the directory the run starts in or on how the path was spelled.
std::uint64_t scenario_seed(std::uint64_t run_seed, const std::filesystem::path& file, std::string_view name);

// Sets `server.seed` of every scenario that does not write one itself.
void apply_run_seed(std::vector<scenario::Scenario>& scenarios, std::uint64_t run_seed);

}  // namespace maildog::runner
