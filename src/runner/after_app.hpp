// What a scenario does between the app's exit and the sandbox's stop: the app's `then` steps
// (wait for what the sandbox captured, then run a command) and the `expect.within` wait for mail
// sent after the app returned. Whether expectations hold is the expect layer's to say (the runner
// cannot include expect/), so it hands the runner its judgement as ExpectationHooks.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capture/capture.hpp"
#include "runner/process.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::runner {

struct ExpectationHooks {
  // The failed mail expectations (replies, delivered, not_delivered, rejected, retries) of `block`
  // on `snapshot`, named under `path` (e.g. "app.then[0].wait_for"); empty when all hold.
  std::function<std::vector<Failure>(const scenario::Scenario& scenario, const scenario::Expectations& block,
                                     const std::string& path, const ScenarioResult& snapshot)>
      unmet;
  // `expect.within`: how much longer the scenario's expectations must be watched, `elapsed` after
  // the wait began; nullopt when they are settled (each holds, or its window is over).
  std::function<std::optional<std::chrono::milliseconds>(
      const scenario::Scenario& scenario, const ScenarioResult& snapshot, std::chrono::milliseconds elapsed)>
      keep_watching;
  // The failed expectations of the whole `expect:` block on the scenario's result as it ran
  // (before redaction; runner/verdict.hpp); unset: none fail.
  std::function<std::vector<Failure>(const scenario::Scenario& scenario, const ScenarioResult& observed)> judge;
};

// A wait sleeps until the capture changes, but at most this long before it looks again: a bound
// in case a change lands between a look and the sleep.
inline constexpr std::chrono::milliseconds k_watch_recheck{250};

// The sandbox's finished sessions so far, beside what `so_far` already holds for the judges
// (the scripted client's own sessions).
ScenarioResult capture_snapshot(const capture::Capture& capture, const ScenarioResult& so_far);

// A then step's command passes when it exited with its expect_exit (0 by default), or any
// code with `expect_exit: any`; a timeout, a signal or a failed start never passes.
bool then_exit_accepted(const scenario::ThenStep& step, const ProcessResult& process);

using CommandSpec = std::function<ProcessSpec(const scenario::AppSpec& command)>;

// Runs the app's then steps in order into result.then_steps, stopping after the first one whose
// wait_for did not hold in time or whose command did not pass. Without hooks.unmet a wait_for
// holds at once.
void run_then_steps(const scenario::Scenario& scenario, const capture::Capture& capture, const ExpectationHooks& hooks,
                    const CommandSpec& command_spec, ScenarioResult& result);

// Waits while hooks.keep_watching asks for more time, waking whenever a session finishes.
// Returns at once when no expectation of the scenario has a `within`.
void watch_expectations(const scenario::Scenario& scenario, const capture::Capture& capture,
                        const ExpectationHooks& hooks, const ScenarioResult& result);

}  // namespace maildog::runner
