// The end of the app's stdout and stderr under a failed scenario, for the console and the GitHub
// job summary: the app's own words (a traceback, "can't open file") are usually the reason, and
// many users read nothing but the console. The text is already redacted (runner::redact_result).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runner/result.hpp"

namespace maildog::report {

// Lines shown from the end of each stream.
inline constexpr std::size_t k_app_output_tail_lines = 20;
// Bytes shown of one line; a longer line ends in "...".
inline constexpr std::size_t k_app_output_line_max = 400;

// True when the app's output belongs under the scenario's failure: an `expect.app` expectation
// failed (the implicit ones too: a non-zero exit, a timeout, a signal). An app that could not
// start printed nothing: the scenario's error says why.
bool shows_app_output(const runner::ScenarioResult& scenario);

// For each stream a heading ("app stderr, last 20 of 57 lines:", "app stdout: empty") and its
// last lines, each indented by two spaces: the app's when shows_app_output() is true, then those
// of each service that failed the scenario (exited early or was never ready).
std::vector<std::string> app_output_tail(const runner::ScenarioResult& scenario);

}  // namespace maildog::report
