#pragma once

#include <string>
#include <vector>

#include "runner/result.hpp"

namespace maildog::cli {

// The report files a run or a merge writes; an empty path writes nothing.
struct ReportPaths {
  std::string junit;
  std::string json;
  std::string html;
};

// Before anything runs: creates the folders of every report path (as pytest does for
// --junitxml) and of `artifacts` (a folder; empty: none), and proves each can be written,
// so a bad path costs an exit 2 at once instead of a whole run. One problem per path that
// cannot be written, e.g. "the JSON report to out/r.json: cannot create the folder out: Not a directory".
std::vector<std::string> prepare_output_paths(const ReportPaths& paths, const std::string& artifacts = {});

// prepare_output_paths, each problem said on stderr; false when there was one.
bool outputs_ready(const ReportPaths& paths, const std::string& artifacts = {});

// Writes every report asked for, even after one fails (CI needs what it can get). False, after
// saying on stderr which file could not be written and why, when any failed.
bool write_reports(const runner::RunResult& run, const ReportPaths& paths);

}  // namespace maildog::cli
