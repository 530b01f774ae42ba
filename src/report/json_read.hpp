// Reads a JSON report (schemas/report.schema.json) back into the run it describes, so `merge`
// can combine shard reports and write them again with the same JUnit and JSON writers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "runner/result.hpp"

namespace maildog::report {

struct ReadReport {
  std::optional<runner::RunResult> run;
  std::string error;  // set when run is empty: why the text is not a valid report
};

// Checks the text against the report schema and its totals against its scenarios. The report
// holds no message bodies: each captured message comes back as a stand-in, its recorded headers
// as "Name:value" lines padded to the recorded size, so writing the run again gives the same
// "headers" and "size". Invalid UTF-8 that the writer replaced stays replaced.
ReadReport read_json_report(std::string_view text);

}  // namespace maildog::report
