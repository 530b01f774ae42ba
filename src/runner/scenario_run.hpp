// Runs one scenario end to end: start its sandbox, run the app or the scripted client against
// it, stop the sandbox in order, collect what happened, and finish the result (runner/verdict.hpp:
// lint notes, the expect layer's judgement through RunOptions::expectations, status, redaction).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "runner/after_app.hpp"
#include "runner/result.hpp"
#include "runner/run_certificates.hpp"
#include "scenario/model.hpp"

namespace maildog::runner {

struct RunOptions {
  std::chrono::milliseconds default_timeout{std::chrono::seconds(30)};  // app deadline when the scenario has none
  std::chrono::milliseconds step_timeout{std::chrono::seconds(10)};     // per scripted client reply
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(2)};     // for sessions to end after the app
  // then[].wait_for, expect.within and the verdict (judge); unset: nothing is waited for or judged
  ExpectationHooks expectations;
  // The run's CA (one per `maildog-ci run`); null: the scenario makes its own, removed after it.
  std::shared_ptr<const RunCertificates> certificates;
};

// The finished result: what reporters show, secrets already masked.
ScenarioResult run_scenario(const scenario::Scenario& scenario, const RunOptions& options);

// What one run adds to the templates: {{scenario.tmp}}, {{port.NAME}} and {{smtp.ca_file}}.
struct RunTemplates {
  std::filesystem::path tmp;
  std::filesystem::path ca_file;               // the run's CA certificate, {{smtp.ca_file}}
  std::map<std::string, std::uint16_t> ports;  // NAME -> port
};

// The values every template stands for, in one place: {{smtp.host}}, {{smtp.port}},
// {{smtp.user}}, {{smtp.password}}, {{smtp.ca_file}}, {{scenario.dir}} (absolute), {{scenario.tmp}}
// and {{port.NAME}}, given the sandbox's port and the run's folder, ports and CA file.
std::map<std::string, std::string> template_values(const scenario::Scenario& scenario, std::uint16_t port,
                                                   const RunTemplates& run = {});

}  // namespace maildog::runner
