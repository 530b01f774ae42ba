// The JSON report: everything the console shows and more (every session's transcript, every
// transaction's envelope and replies, timings), valid against schemas/report.schema.json.
#pragma once

#include <ostream>
#include <string_view>

#include "runner/result.hpp"

namespace maildog::report {

// The version of the report format written in "version"; bumped when the schema changes.
inline constexpr int k_json_report_version = 1;

void write_json(const runner::RunResult& run, std::ostream& out);

// schemas/report.schema.json, compiled in at build time.
std::string_view report_schema();

}  // namespace maildog::report
