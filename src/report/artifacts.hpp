// `--artifacts DIR`: per scenario, a folder with the transcript (AUTH already masked) and every
// captured message as an .eml file, for people and for CI's upload-artifact step.
#pragma once

#include <filesystem>
#include <string>

#include "runner/result.hpp"

namespace maildog::report {

// Writes DIR/<NNN>-<name>/transcript.txt, message-<session>-<n>.eml and, per service,
// service-<name>.stdout.txt and service-<name>.stderr.txt; throws
// std::runtime_error when a file cannot be written.
void write_artifacts(const runner::RunResult& run, const std::filesystem::path& dir);

// A file-system-safe folder name for a scenario: lower case letters, digits and dashes.
std::string artifact_name(std::size_t index, const std::string& scenario_name);

}  // namespace maildog::report
