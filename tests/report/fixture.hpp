// A fixed run for the reporter tests: two scenario files, three scenarios (passed, failed with
// two failures, error), with output that needs escaping. Approved outputs live in golden/.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "runner/result.hpp"

namespace maildog::test {

runner::RunResult sample_run();

// Compares `received` with tests/report/golden/<name>; on a difference writes <name> with
// ".approved." replaced by ".received." into the current folder and returns a message saying
// how to approve it (MAILDOG_APPROVE=1 rewrites the approved file). Empty when equal.
std::string compare_with_golden(std::string_view name, const std::string& received);

}  // namespace maildog::test
