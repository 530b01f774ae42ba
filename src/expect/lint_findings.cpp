#include <cstdint>
#include <string>

#include "expect/checks.hpp"
#include "expect/describe.hpp"
#include "lint/transaction.hpp"

namespace maildog::expect::detail {

namespace {

using runner::Failure;

// One transaction's lint findings, with where it happened.
struct LintedTransaction {
  std::uint64_t session = 0;
  std::size_t message = 0;  // 1-based within its session
  std::vector<lint::Finding> findings;
};

// "session 1, message 2, line 7: 2 lines end in LF without CR "Hello\n""
std::string describe(const LintedTransaction& linted, const lint::Finding& finding) {
  std::string out = "session " + std::to_string(linted.session) + ", message " + std::to_string(linted.message);
  if (finding.line > 0) {
    out += ", line " + std::to_string(finding.line);
  }
  out += ": " + finding.message;
  if (!finding.excerpt.empty()) {
    out += " \"" + finding.excerpt + "\"";
  }
  return out;
}

// The lines around the end of data of session `session_id`'s n-th message (1-based): where a
// lint finding is about; the closing lines when that reply cannot be found.
std::vector<std::string> message_context(const Observation& observation, std::uint64_t session_id,
                                         std::size_t message) {
  const auto& sessions = observation.result.sessions;
  std::size_t index = 0;
  while (index < sessions.size() && sessions[index].id != session_id) {
    ++index;
  }
  std::size_t seen = 0;
  return observation.around(observation.find_reply([&](const CommandReply& reply) {
    return reply.session == index && reply.command == "END_OF_DATA" && ++seen == message;
  }));
}

}  // namespace

void check_lint(const Observation& observation, const std::vector<scenario::LintExpect>& expects,
                std::vector<Failure>& failures) {
  if (expects.empty()) {
    return;
  }
  std::vector<LintedTransaction> linted;
  for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
    const std::uint64_t session = observation.transaction_session[t];
    const std::size_t message = !linted.empty() && linted.back().session == session ? linted.back().message + 1 : 1;
    linted.push_back({session, message, lint::lint_transaction(*observation.transactions[t])});
  }
  for (const auto& expect : expects) {
    std::vector<std::string> found;
    const LintedTransaction* first = nullptr;  // the first message with the finding
    for (const auto& transaction : linted) {
      for (const auto& finding : transaction.findings) {
        if (finding.name() == expect.finding) {
          found.push_back(describe(transaction, finding));
          first = first != nullptr ? first : &transaction;
        }
      }
    }
    if (expect.occurs != found.empty()) {
      continue;
    }
    const std::string path = "expect.lint." + expect.finding;
    if (expect.occurs) {
      failures.push_back({path, expect.line, "a " + expect.finding + " finding in a captured message",
                          linted.empty() ? std::string("no mail transaction was captured")
                                         : "none in " + counted(linted.size(), "captured mail transaction",
                                                                "captured mail transactions"),
                          observation.last_lines()});
    } else {
      failures.push_back({path, expect.line, "no " + expect.finding + " finding in any captured message",
                          "found in " + counted(found.size(), "message", "messages") + ": " + listed(found),
                          message_context(observation, first->session, first->message)});
    }
  }
}

}  // namespace maildog::expect::detail
