// Where a failure points: the transcript lines around the reply or transaction an expectation
// is about (the session's closing lines say little about a refused RCPT three commands earlier).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "capture/records.hpp"
#include "expect/observation.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::expect::detail {

// The transaction of the first RCPT to expect.to, else the first message or MAIL.
std::vector<std::string> delivered_context(const Observation& observation, const scenario::DeliveredExpect& expect);

// The transaction of the first accepted RCPT to `address`.
std::vector<std::string> not_delivered_context(const Observation& observation, const std::string& address);

// The refusal itself when there is one to show (too many, or another reason's); else the RCPT
// of the address the expectation names.
std::vector<std::string> rejected_context(const Observation& observation, const scenario::RejectedExpect& expect,
                                          const capture::RefusalRecord* refusal);

// Too many attempts: the first one beyond the limit; too few: the last one.
std::vector<std::string> retries_context(const Observation& observation, const scenario::RetryExpect& expect);

// A scripted step's command in the sandbox's transcript: the n-th line it sent as this step's
// action, n counted over the steps before it (a connect step: its session's greeting).
std::vector<std::string> step_context(const Observation& observation, const std::vector<runner::StepOutcome>& steps,
                                      std::size_t index);

// One excerpt per place: a failure whose excerpt an earlier one already shows gets none, so
// several expectations about the same RCPT print it once.
void drop_repeated_excerpts(std::vector<runner::Failure>& failures);

}  // namespace maildog::expect::detail
