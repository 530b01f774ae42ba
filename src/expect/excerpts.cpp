#include "expect/excerpts.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "expect/transcript.hpp"

namespace maildog::expect::detail {

namespace {

using ascii::iequals;
using runner::Failure;

bool is_rcpt_to(const CommandReply& reply, const rules::TextMatch& address) {
  return reply.command == "RCPT" && address.matches(reply.argument);
}

// The transaction of an accepted RCPT: its message's final reply (or DATA's refusal) in the
// same session; the RCPT itself when it was refused or no message followed.
const CommandReply* transaction_end(const Observation& observation, const CommandReply* rcpt) {
  if (rcpt == nullptr || !rcpt->reply.positive()) {
    return rcpt;
  }
  const CommandReply* end = observation.find_reply(
      [&](const CommandReply& reply) {
        return reply.session == rcpt->session && (reply.command == "MAIL" || reply.command == "END_OF_DATA" ||
                                                  (reply.command == "DATA" && reply.reply.code != 354));
      },
      rcpt);
  return end == nullptr || end->command == "MAIL" ? rcpt : end;
}

}  // namespace

std::vector<std::string> delivered_context(const Observation& observation, const scenario::DeliveredExpect& expect) {
  if (expect.to) {
    if (const auto* rcpt = observation.find_reply([&](const CommandReply& r) { return is_rcpt_to(r, *expect.to); })) {
      return observation.around(transaction_end(observation, rcpt));
    }
  }
  const auto* message = observation.find_reply([](const CommandReply& r) { return r.command == "END_OF_DATA"; });
  return observation.around(
      message != nullptr ? message : observation.find_reply([](const CommandReply& r) { return r.command == "MAIL"; }));
}

std::vector<std::string> not_delivered_context(const Observation& observation, const std::string& address) {
  return observation.around(transaction_end(observation, observation.find_reply([&](const CommandReply& r) {
    return r.command == "RCPT" && r.reply.positive() && iequals(r.argument, address);
  })));
}

// The refusal itself when there is one to show (too many, or another reason's); else the RCPT
// of the address the expectation names.
std::vector<std::string> rejected_context(const Observation& observation, const scenario::RejectedExpect& expect,
                                          const capture::RefusalRecord* refusal) {
  if (expect.to) {
    if (const auto* rcpt = observation.find_reply([&](const CommandReply& r) { return is_rcpt_to(r, *expect.to); })) {
      return observation.around(rcpt);
    }
  }
  if (refusal == nullptr) {
    return observation.last_lines();
  }
  return observation.around(observation.find_reply([&](const CommandReply& r) {
    return r.command == refusal->command && r.reply.code == refusal->reply.code &&
           (refusal->argument.empty() || iequals(r.argument, refusal->argument));
  }));
}

// Too many attempts: the first one beyond the limit; too few: the last one.
std::vector<std::string> retries_context(const Observation& observation, const scenario::RetryExpect& expect) {
  std::vector<const CommandReply*> attempts;
  for (const auto& reply : observation.replies) {
    if (reply.command == "RCPT" && iequals(reply.argument, expect.rcpt)) {
      attempts.push_back(&reply);
    }
  }
  if (attempts.empty()) {
    return observation.last_lines();
  }
  const bool too_many = expect.max_attempts && attempts.size() > *expect.max_attempts;
  return observation.around(too_many ? attempts[*expect.max_attempts] : attempts.back());
}

// A scripted step's command in the sandbox's transcript: the n-th line it sent as this step's
// action, n counted over the steps before it (a connect step: its session's greeting).
std::vector<std::string> step_context(const Observation& observation, const std::vector<runner::StepOutcome>& steps,
                                      std::size_t index) {
  const std::string& action = steps[index].action;
  const bool greeting = action.starts_with("connect") || action == "(read reply)";
  const std::string wanted = "C: " + normalise_text(action);
  std::size_t seen = 0;
  for (std::size_t i = 0; i < index; ++i) {
    seen += steps[i].action == action ? 1 : 0;
  }
  for (std::size_t line = 0; line < observation.lines.size(); ++line) {
    const bool hit = greeting ? observation.lines[line].starts_with("== session ") : observation.lines[line] == wanted;
    if (hit && seen-- == 0) {
      return observation.around(line);
    }
  }
  return observation.last_lines();
}

// One excerpt per place: a failure whose excerpt an earlier one already shows gets none, so
// several expectations about the same RCPT print it once.
void drop_repeated_excerpts(std::vector<Failure>& failures) {
  for (std::size_t i = 1; i < failures.size(); ++i) {
    auto& context = failures[i].context;
    for (std::size_t earlier = 0; earlier < i && !context.empty(); ++earlier) {
      const auto& shown = failures[earlier].context;
      if (std::search(shown.begin(), shown.end(), context.begin(), context.end()) != shown.end()) {
        context.clear();
      }
    }
  }
}

}  // namespace maildog::expect::detail
