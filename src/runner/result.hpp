// What running one scenario produced: what the sandbox captured, what the app or the scripted
// client did, and every expectation that failed. The reporters read only this.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "capture/records.hpp"
#include "reply/reply.hpp"
#include "runner/process.hpp"

namespace maildog::runner {

// One step of a scripted client conversation, as it happened.
struct StepOutcome {
  std::size_t line = 0;  // the step's line in the scenario file
  std::string action;    // what was sent, AUTH payloads masked ("AUTH PLAIN ***")
  std::optional<smtp::Reply> reply;
  std::string expected;           // the reply the step wants ("550 5.1.1"); empty when any will do
  bool ok = true;                 // the step's `expect` held (and the I/O worked)
  bool unexpected_reply = false;  // not ok because the reply was not the one expected (not the I/O)
  std::string problem;            // why not, in words
};

// One failed expectation: where it is written, what it wanted and what happened.
struct Failure {
  std::string expectation;  // YAML path, e.g. "expect.replies[0]" or "client.steps[2].expect"
  std::size_t line = 0;     // its line in the scenario file (0: the scenario's line)
  std::string expected;
  std::string actual;
  std::vector<std::string> context;  // transcript lines around what went wrong, rendered
};

// One `app.then` step, as it happened.
struct ThenOutcome {
  std::size_t line = 0;                  // the step's line in the scenario file
  std::chrono::milliseconds within{0};   // its wait_for's window (0: no wait_for)
  std::chrono::milliseconds waited{0};   // how long its wait_for took
  std::vector<Failure> unmet;            // wait_for: what still did not hold when `within` ran out
  std::optional<ProcessResult> process;  // its run, when it had one and got to it
};

enum class Status { passed, failed, error };

// One `services:` entry as it ran: how it ended (stopped by the runner: SIGTERM, or SIGKILL after
// its stop_timeout) and its output, bounded like the app's.
struct ServiceResult {
  std::string name;
  ProcessResult process;
  bool ready = false;
  std::string problem;  // why it failed the scenario (exited early, never ready); empty when it served
};

struct ScenarioResult {
  std::string name;
  std::vector<std::string> tags;
  std::filesystem::path file;
  std::size_t line = 0;
  Status status = Status::passed;
  std::string error;  // Status::error: the environment failed (no port) or the app could not start
  std::vector<Failure> failures;
  std::vector<capture::SessionRecord> sessions;  // what the sandbox recorded, in order
  std::optional<ProcessResult> app;              // when the scenario ran an app
  std::vector<ThenOutcome> then_steps;           // the app's `then` steps that ran, in order
  std::vector<StepOutcome> steps;                // when it ran a scripted client
  std::vector<ServiceResult> services;           // in the order of `services:`, as far as they started
  // client.target: the scripted client's own transcript, one per connection (the sandbox saw
  // nothing); expectations on replies are judged on it. Not written to reports.
  std::vector<capture::SessionRecord> client_sessions;
  std::uint16_t sandbox_port = 0;
  std::uint64_t seed = 0;
  std::chrono::system_clock::time_point started;
  std::chrono::microseconds duration{0};
};

// Status::error because the scenario's app could not be started (no such program, not
// executable, no such working directory), or a service exited early or was never ready: the
// scenario's own failure, exit code 1. Any other error is maildog-ci's environment (a port, the
// sandbox), exit code 3.
bool app_not_started(const ScenarioResult& result);

struct RunResult {
  std::vector<ScenarioResult> scenarios;  // in the order of the files and documents, whatever -j did
  std::uint64_t seed = 0;
  std::chrono::system_clock::time_point started;
  std::chrono::microseconds duration{0};
  std::size_t passed() const;
  std::size_t failed() const;  // failed or error
};

}  // namespace maildog::runner
