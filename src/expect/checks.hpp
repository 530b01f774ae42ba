// One check per expectation kind, each in its own file (app_outcome.cpp, replies.cpp,
// deliveries.cpp, refusals.cpp, retries.cpp, lint_findings.cpp, golden.cpp, client_steps.cpp):
// each appends the failures of its kind, in the order written, to `failures`. evaluate.cpp
// calls them in the order the report lists failures.
#pragma once

#include <vector>

#include "expect/observation.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::expect::detail {

// How the app ended, judged on `expect`'s exit, timed_out and signal, or without them on the rule
// of any test runner: exit 0 within the timeout (app_outcome.cpp).
void check_app_outcome(const Observation& observation, const scenario::AppExpect* expect, const scenario::AppSpec* spec,
                       std::vector<runner::Failure>& failures);

// expect.app's stdout and stderr expectations (app_outcome.cpp).
void check_app(const Observation& observation, const scenario::AppExpect& expect,
               std::vector<runner::Failure>& failures);

// expect.replies (replies.cpp).
void check_replies(const Observation& observation, const std::vector<scenario::ReplyExpect>& expects,
                   std::vector<runner::Failure>& failures);

// expect.delivered and expect.not_delivered (deliveries.cpp).
void check_delivered(const Observation& observation, const std::vector<scenario::DeliveredExpect>& expects,
                     std::vector<runner::Failure>& failures);
void check_not_delivered(const Observation& observation, const scenario::Expectations& expect,
                         std::vector<runner::Failure>& failures);

// expect.rejected (refusals.cpp).
void check_rejected(const Observation& observation, const std::vector<scenario::RejectedExpect>& expects,
                    std::vector<runner::Failure>& failures);

// expect.retries (retries.cpp).
void check_retries(const Observation& observation, const std::vector<scenario::RetryExpect>& expects,
                   std::vector<runner::Failure>& failures);

// expect.lint (lint_findings.cpp).
void check_lint(const Observation& observation, const std::vector<scenario::LintExpect>& expects,
                std::vector<runner::Failure>& failures);

// expect.transcript: contains and the golden file (golden.cpp).
void check_transcript(const Observation& observation, const scenario::Scenario& scenario,
                      std::vector<runner::Failure>& failures);

// A scripted client step whose reply was not what it expects (or whose I/O failed) fails the
// scenario like any other expectation (client_steps.cpp).
void check_steps(const Observation& observation, const std::vector<runner::StepOutcome>& steps,
                 std::vector<runner::Failure>& failures);

}  // namespace maildog::expect::detail
