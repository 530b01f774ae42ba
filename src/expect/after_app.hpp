// Expectations with a window (`expect.within`, an item's `within`) and the app's `then` steps, as
// the expect layer judges them: which expectations still need watching while the sandbox runs,
// the runner hooks built from that, and the failures of then steps and of windows that ran out.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runner/after_app.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::expect {

// One expectation that has a window. A positive one (at least one, min) ends its wait as soon as
// it holds; a negative one (not_delivered, max, max_attempts, count: 0) holds at the start and
// can only break, so it is watched for the whole window and judged at its end.
struct Window {
  std::string path;  // as failures name it: "expect.delivered[0]", "expect.not_delivered[1]", ...
  std::chrono::milliseconds length{0};
  bool negative = false;
};

// The expectations of `expect` that have a window (their own `within`, else expect.within).
std::vector<Window> windows(const scenario::Expectations& expect);

// How much longer to watch, `elapsed` after the wait began: until the end of the latest
// negative window, or of a positive one that does not hold yet; nullopt when nothing is left.
std::optional<std::chrono::milliseconds> keep_watching(const scenario::Scenario& scenario,
                                                       const runner::ScenarioResult& snapshot,
                                                       std::chrono::milliseconds elapsed);

// Told what `--update-golden` changed in a golden file (update_golden's text); may be called
// from several scenario threads at once.
using GoldenChanged = std::function<void(const std::string& change)>;

// The runner's hooks: then[].wait_for judged by evaluate_mail, expect.within by keep_watching,
// the verdict by evaluate. With `golden_changed` set (`--update-golden`), the golden file is
// rewritten from the result first and each change reported to it.
runner::ExpectationHooks expectation_hooks(GoldenChanged golden_changed = {});

// A positive expectation with a window that failed did not hold within it: says so in `actual`.
void mark_timed_out(const scenario::Expectations& expect, std::vector<runner::Failure>& failures);

// The failures of the app's then steps: a wait_for that did not hold in time, a command that
// did not start or exited other than its expect_exit (with the end of its output).
void check_then_steps(const scenario::Scenario& scenario, const runner::ScenarioResult& observed,
                      std::vector<runner::Failure>& failures);

// "500ms", "10s", "2m": a window as the reports and the scenario file write it.
std::string duration_text(std::chrono::milliseconds duration);

}  // namespace maildog::expect
