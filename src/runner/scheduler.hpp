// Runs many scenarios on N worker threads. Results come back in input order whatever the
// interleaving, so reports are deterministic; `on_finished` sees each as it completes.
#pragma once

#include <functional>
#include <vector>

#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::runner {

struct ScheduleOptions {
  unsigned jobs = 1;
  bool fail_fast = false;  // start no new scenario after the first failure
};

using RunOne = std::function<ScenarioResult(const scenario::Scenario&)>;
using OnFinished = std::function<void(const ScenarioResult&)>;

// Scenarios not started because of fail_fast are left out of the result.
std::vector<ScenarioResult> run_all(const std::vector<scenario::Scenario>& scenarios, const ScheduleOptions& options,
                                    const RunOne& run_one, const OnFinished& on_finished);

}  // namespace maildog::runner
