#pragma once

#include <string>

#include "runner/result.hpp"

namespace maildog::cli {

// The report files a run or a merge writes; an empty path writes nothing.
struct ReportPaths {
  std::string junit;
  std::string json;
  std::string html;
};

// Writes every report asked for, even after one fails (CI needs what it can get). False, after
// saying on stderr which file could not be written, when any failed.
bool write_reports(const runner::RunResult& run, const ReportPaths& paths);

}  // namespace maildog::cli
