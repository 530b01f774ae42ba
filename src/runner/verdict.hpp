// A scenario's verdict, decided in one place: what the sandbox captured gets its lint notes, the
// expect layer's judgement (ExpectationHooks::judge) gives the failures, a passed scenario with
// failures becomes failed, and the secrets are masked last, so no reporter sees them.
// run_scenario ends with this; the expect layer is above the runner, so it hands its judgement
// in through RunOptions as it does for then[].wait_for and expect.within.
#pragma once

#include "runner/after_app.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::runner {

// Finishes `result` of `scenario` in this order: lint notes on every transaction, failures from
// hooks.judge (kept as they are when it is unset), passed -> failed when any failed, redaction.
void finish_result(const scenario::Scenario& scenario, const ExpectationHooks& hooks, ScenarioResult& result);

}  // namespace maildog::runner
