// GitHub Actions output: an `::error` workflow command per failed scenario, which GitHub shows
// as an annotation on the scenario's line, and a Markdown job summary for $GITHUB_STEP_SUMMARY.
// Pure writers over a finished run; the caller reads the environment.
#pragma once

#include <cstddef>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "runner/result.hpp"

namespace maildog::report {

// GitHub's limits are larger; these keep one broken suite from flooding a log or a summary.
inline constexpr std::size_t k_annotation_message_max = 4096;  // bytes of one message, before escaping
inline constexpr std::size_t k_summary_rows_max = 1000;        // scenarios in the table
inline constexpr std::size_t k_summary_details_max = 50;       // failed scenarios shown in detail
inline constexpr std::size_t k_summary_context_lines = 10;     // transcript lines per failure

struct GithubContext {
  std::filesystem::path workspace;  // $GITHUB_WORKSPACE; empty: paths stay as the run has them
  std::filesystem::path cwd;        // where the run's relative scenario paths start
  std::string shard;                // "2/4" when the run is one shard of a matrix
};

// Workflow command escaping, as GitHub's toolkit does it: in the message % CR LF become %25 %0D
// %0A; in a property value : and , also become %3A and %2C.
std::string escape_command_data(std::string_view text);
std::string escape_command_property(std::string_view text);

// The scenario file relative to the workspace when it lies under it (what annotations need),
// else as the run has it; '/' separators.
std::string github_path(const std::filesystem::path& file, const GithubContext& context);

// "::error file=F,line=L,title=NAME::expect.replies[0] (line 38): expected ...; actual ..."
// for every failed or errored scenario, in run order. The line is the first failed
// expectation's, else the scenario's.
void write_github_annotations(const runner::RunResult& run, const GithubContext& context, std::ostream& out);

// A heading with the totals, a table (status, scenario, file:line, duration), then each failure's
// expected/actual and its redacted transcript lines in a fenced block.
void write_github_summary(const runner::RunResult& run, const GithubContext& context, std::ostream& out);

}  // namespace maildog::report
