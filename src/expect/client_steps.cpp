#include <string>

#include "expect/checks.hpp"
#include "expect/excerpts.hpp"

namespace maildog::expect::detail {

using runner::Failure;

namespace {

// "RCPT TO:<a@b> -> 550 5.1.1": the command and the reply it wants, as expect.replies says it.
std::string step_expected(const runner::StepOutcome& step) {
  return step.action + " -> " + (step.expected.empty() ? std::string("a reply") : step.expected);
}

// The reply that came ("RCPT TO:<a@b> -> 250 2.1.5 Ok"), or what went wrong when none did.
std::string step_actual(const runner::StepOutcome& step) {
  if (step.unexpected_reply && step.reply) {
    return step.action + " -> " + step.reply->summary();
  }
  return step.problem;
}

}  // namespace

void check_steps(const Observation& observation, const std::vector<runner::StepOutcome>& steps,
                 std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    if (step.ok) {
      continue;
    }
    failures.push_back({"client.steps[" + std::to_string(i) + "]", step.line, step_expected(step), step_actual(step),
                        step_context(observation, steps, i)});
  }
}

}  // namespace maildog::expect::detail
