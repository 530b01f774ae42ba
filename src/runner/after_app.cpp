#include "runner/after_app.hpp"

#include <algorithm>

namespace maildog::runner {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds since(Clock::time_point start) { return std::chrono::duration_cast<milliseconds>(Clock::now() - start); }

// Looks at the capture until `done` says so or `deadline` passes; `done` gets a fresh snapshot
// and the time elapsed, and returns how long to sleep at most before the next look (nullopt: stop).
template <typename Done>
void watch(const capture::Capture& capture, const ScenarioResult& so_far, Done done) {
  const auto start = Clock::now();
  while (true) {
    // Counted before the snapshot: a session that lands in between wakes the next sleep at once.
    const std::size_t seen = capture.session_count();
    auto sleep = done(capture_snapshot(capture, so_far), since(start));
    if (!sleep) {
      return;
    }
    capture.wait_for_sessions(seen + 1, std::clamp(*sleep, milliseconds(1), k_watch_recheck));
  }
}

// Any `within` at all: without one nothing is watched, and the run is what it was before windows.
bool has_window(const scenario::Expectations& expect) {
  auto windowed = [](const auto& items) {
    return std::any_of(items.begin(), items.end(), [](const auto& item) { return item.within.has_value(); });
  };
  return expect.within || windowed(expect.replies) || windowed(expect.delivered) || windowed(expect.rejected) ||
         windowed(expect.retries);
}

}  // namespace

ScenarioResult capture_snapshot(const capture::Capture& capture, const ScenarioResult& so_far) {
  ScenarioResult snapshot;
  snapshot.sessions = capture.sessions();
  snapshot.client_sessions = so_far.client_sessions;
  return snapshot;
}

bool then_exit_accepted(const scenario::ThenStep& step, const ProcessResult& process) {
  if (process.outcome != ProcessResult::Outcome::exited) {
    return false;
  }
  return step.exit_any || process.exit_code == step.expect_exit.value_or(0);
}

void run_then_steps(const scenario::Scenario& scenario, const capture::Capture& capture, const ExpectationHooks& hooks,
                    const CommandSpec& command_spec, ScenarioResult& result) {
  if (!scenario.app) {
    return;
  }
  const auto& steps = scenario.app->then;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    ThenOutcome outcome;
    outcome.line = step.line;
    if (step.wait_for && hooks.unmet) {
      outcome.within = step.within;
      const std::string path = "app.then[" + std::to_string(i) + "].wait_for";
      watch(capture, result, [&](const ScenarioResult& snapshot, milliseconds elapsed) -> std::optional<milliseconds> {
        outcome.waited = elapsed;
        outcome.unmet = hooks.unmet(scenario, *step.wait_for, path, snapshot);
        if (outcome.unmet.empty() || elapsed >= step.within) {
          return std::nullopt;
        }
        return step.within - elapsed;
      });
    }
    const bool waited_in_vain = !outcome.unmet.empty();
    if (!waited_in_vain && step.run) {
      outcome.process = run_process(command_spec(*step.run));
    }
    const bool passed = !waited_in_vain && (!outcome.process || then_exit_accepted(step, *outcome.process));
    result.then_steps.push_back(std::move(outcome));
    if (!passed) {
      return;
    }
  }
}

void watch_expectations(const scenario::Scenario& scenario, const capture::Capture& capture,
                        const ExpectationHooks& hooks, const ScenarioResult& result) {
  if (!hooks.keep_watching || !has_window(scenario.expect)) {
    return;
  }
  watch(capture, result, [&](const ScenarioResult& snapshot, milliseconds elapsed) {
    return hooks.keep_watching(scenario, snapshot, elapsed);
  });
}

}  // namespace maildog::runner
