// A run as the report files show it: what changes from one run of a suite to the next (client
// ports, the sandbox's port, timestamps, temporary paths, queue ids, TLS details, CRAM-MD5
// challenges, message ids, MIME boundaries, process ids) replaced by tokens, so two runs with the same seed
// write the same JUnit and JSON once durations and timestamps are taken out.
#pragma once

#include <string>
#include <string_view>

#include "runner/result.hpp"

namespace maildog::report {

// Transcripts become expect::normalised_lines() entry for entry and client ports 0 (session
// headers then name no port); the app's output and error, client steps, scenario errors and
// what failures found are normalised line by line, the sandbox's port becomes "<port>"
// wherever it appears as a number and a killed app's process group "<pid>". What a failure expected stays as written.
// Durations, start times, TLS version and cipher fields and message bytes stay as they are.
runner::RunResult normalise_for_reports(runner::RunResult run);

// A message header's value as reports show it: Message-ID, Resent-Message-ID and Content-ID
// values -> "<message-id>", a MIME boundary parameter -> boundary="<boundary>", then
// expect::normalise_text (dates in Date and Received headers, ports, queue ids).
std::string normalise_header_value(std::string_view name, std::string_view value);

}  // namespace maildog::report
