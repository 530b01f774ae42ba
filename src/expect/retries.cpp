#include <optional>
#include <string>

#include "core/ascii.hpp"
#include "expect/checks.hpp"
#include "expect/describe.hpp"
#include "expect/excerpts.hpp"

namespace maildog::expect::detail {

using ascii::iequals;
using runner::Failure;

void check_retries(const Observation& observation, const std::vector<scenario::RetryExpect>& expects,
                   std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expects.size(); ++i) {
    const auto& expect = expects[i];
    std::vector<std::string> attempts;
    for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
      for (const auto& recipient : observation.transactions[t]->recipients) {
        if (iequals(recipient.address, expect.rcpt)) {
          attempts.push_back(recipient.reply.summary() + " (session " +
                             std::to_string(observation.transaction_session[t]) + ")");
        }
      }
    }
    const std::size_t n = attempts.size();
    const bool holds =
        (!expect.min_attempts || n >= *expect.min_attempts) && (!expect.max_attempts || n <= *expect.max_attempts);
    if (holds) {
      continue;
    }
    std::optional<std::size_t> min;
    std::optional<std::size_t> max;
    if (expect.min_attempts) {
      min = *expect.min_attempts;
    }
    if (expect.max_attempts) {
      max = *expect.max_attempts;
    }
    const std::string expected =
        count_phrase(std::nullopt, min, max, "RCPT attempt", "RCPT attempts") + " for " + expect.rcpt;
    const std::string actual =
        n == 0 ? "no RCPT for " + expect.rcpt : counted(n, "attempt", "attempts") + ": " + listed(attempts);
    failures.push_back({"expect.retries[" + std::to_string(i) + "]", expect.line, expected, actual,
                        retries_context(observation, expect)});
  }
}

}  // namespace maildog::expect::detail
