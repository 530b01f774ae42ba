#include "expect/evaluate.hpp"

#include <string_view>

#include "expect/after_app.hpp"
#include "expect/checks.hpp"
#include "expect/excerpts.hpp"
#include "expect/observation.hpp"

// The dispatch: every expectation kind checked in the order the report lists failures. Each kind
// lives in its own file (see expect/checks.hpp); shared wording in expect/describe.hpp, shared
// excerpts in expect/excerpts.hpp.
namespace maildog::expect {

using detail::check_app;
using detail::check_app_outcome;
using detail::check_delivered;
using detail::check_lint;
using detail::check_not_delivered;
using detail::check_rejected;
using detail::check_replies;
using detail::check_retries;
using detail::check_steps;
using detail::check_transcript;
using detail::drop_repeated_excerpts;
using detail::judged_sessions;
using detail::Observation;
using detail::observe;
using runner::Failure;

std::vector<runner::Failure> evaluate(const scenario::Scenario& scenario, const runner::ScenarioResult& observed) {
  const Observation observation = observe(observed, judged_sessions(scenario, observed));
  const auto& expect = scenario.expect;
  std::vector<Failure> failures;
  check_steps(observation, observed.steps, failures);
  if (observed.app) {
    check_app_outcome(observation, expect.app ? &*expect.app : nullptr, scenario.app ? &*scenario.app : nullptr,
                      failures);
  }
  if (expect.app) {
    check_app(observation, *expect.app, failures);
  }
  check_then_steps(scenario, observed, failures);  // they ran before the mail was judged
  check_replies(observation, expect.replies, failures);
  check_delivered(observation, expect.delivered, failures);
  check_not_delivered(observation, expect, failures);
  check_rejected(observation, expect.rejected, failures);
  check_retries(observation, expect.retries, failures);
  mark_timed_out(expect, failures);
  if (expect.transcript) {
    check_transcript(observation, scenario, failures);
  }
  check_lint(observation, expect.lint, failures);
  drop_repeated_excerpts(failures);
  return failures;
}

std::vector<runner::Failure> evaluate_mail(const scenario::Scenario& scenario, const scenario::Expectations& block,
                                           const std::string& path, const runner::ScenarioResult& observed) {
  const Observation observation = observe(observed, judged_sessions(scenario, observed));
  std::vector<Failure> failures;
  check_replies(observation, block.replies, failures);
  check_delivered(observation, block.delivered, failures);
  check_not_delivered(observation, block, failures);
  check_rejected(observation, block.rejected, failures);
  check_retries(observation, block.retries, failures);
  const std::string_view prefix = "expect";
  for (auto& failure : failures) {
    if (failure.expectation.starts_with(prefix)) {
      failure.expectation = path + failure.expectation.substr(prefix.size());
    }
  }
  return failures;
}
}  // namespace maildog::expect
