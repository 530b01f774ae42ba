#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "expect/checks.hpp"
#include "expect/describe.hpp"
#include "expect/excerpts.hpp"

namespace maildog::expect::detail {

namespace {

using runner::Failure;

std::string describe(const scenario::RejectedExpect& expect) {
  std::string out = (expect.count == 0U ? "no refusal for " : "a refusal for ") + expect.reason;
  if (expect.to) {
    out += " of " + show(*expect.to);
  }
  if (expect.code || expect.enhanced) {
    out += " with";
    if (expect.code) {
      out += " " + std::to_string(*expect.code);
    }
    if (expect.enhanced) {
      out += " " + expect.enhanced->str();
    }
  }
  if (expect.count && *expect.count > 0) {
    out += " (" + count_phrase(expect.count, std::nullopt, std::nullopt, "time", "times") + ")";
  }
  return out;
}

std::string describe(const capture::RefusalRecord& refusal, std::uint64_t session) {
  std::string subject = refusal.argument;
  if (subject.empty() && !refusal.recipients.empty()) {
    subject = "for " + join(refusal.recipients, ", ");
  }
  return refusal.reason + ": " + command_text(refusal.command, subject) + " -> " + refusal.reply.summary() +
         " (session " + std::to_string(session) + ")";
}

bool refusal_matches(const scenario::RejectedExpect& expect, const capture::RefusalRecord& refusal) {
  if (refusal.reason != expect.reason || (expect.code && refusal.reply.code != *expect.code) ||
      (expect.enhanced && refusal.reply.enhanced != expect.enhanced)) {
    return false;
  }
  if (!expect.to) {
    return true;
  }
  if (!refusal.argument.empty() && refusal.command == "RCPT") {
    return expect.to->matches(refusal.argument);
  }
  return std::any_of(refusal.recipients.begin(), refusal.recipients.end(),
                     [&](const std::string& rcpt) { return expect.to->matches(rcpt); });
}

}  // namespace

void check_rejected(const Observation& observation, const std::vector<scenario::RejectedExpect>& expects,
                    std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expects.size(); ++i) {
    const auto& expect = expects[i];
    std::vector<std::string> matching;
    std::vector<std::string> others;
    const capture::RefusalRecord* extra_match = nullptr;  // the first one beyond the expected count
    const capture::RefusalRecord* first_other = nullptr;
    for (const auto& session : observation.result.sessions) {
      for (const auto& refusal : session.refusals) {
        const bool match = refusal_matches(expect, refusal);
        if (match && expect.count && matching.size() == *expect.count) {
          extra_match = &refusal;
        } else if (!match && first_other == nullptr) {
          first_other = &refusal;
        }
        (match ? matching : others).push_back(describe(refusal, session.id));
      }
    }
    const bool holds = expect.count ? matching.size() == *expect.count : !matching.empty();
    if (holds) {
      continue;
    }
    std::string actual;
    if (!matching.empty()) {
      actual = counted(matching.size(), "matching refusal", "matching refusals") + ": " + listed(matching);
    } else if (!others.empty()) {
      actual = "no such refusal; the sandbox refused: " + listed(others);
    } else {
      actual = "the sandbox refused nothing";
    }
    failures.push_back({"expect.rejected[" + std::to_string(i) + "]", expect.line, describe(expect), actual,
                        rejected_context(observation, expect, extra_match != nullptr ? extra_match : first_other)});
  }
}

}  // namespace maildog::expect::detail
