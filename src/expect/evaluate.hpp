// Checks a scenario's `expect:` block against what a run observed (sandbox sessions, the app's
// result) and says, for every expectation that does not hold, what was wanted and what happened.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "capture/records.hpp"
#include "reply/reply.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::expect {

// A server reply paired with the command it answers, found by walking a transcript.
struct CommandReply {
  std::string command;   // upper-case verb; "CONNECT" for the greeting, "END_OF_DATA" after a message
  std::string argument;  // MAIL/RCPT: the address without brackets or parameters; else the rest of the line
  smtp::Reply reply;
  std::size_t session = 0;       // index into the sessions
  std::size_t command_line = 0;  // index into render_lines(): the command (the session header for
                                 // CONNECT, the "message:" event for END_OF_DATA)
  std::size_t reply_line = 0;    // index into render_lines(): the reply's first line
};

// Every reply of every session in order. An AUTH continuation ("***") keeps its AUTH command.
std::vector<CommandReply> command_replies(const std::vector<capture::SessionRecord>& sessions);

// The failed expectations of `scenario.expect`, in the order they are written; empty when all
// hold. `observed` supplies sessions, app and steps; reads the golden file when one is named.
// An app must exit 0 within its timeout even without `expect.app`, unless `expect.app` names
// its exit code, its timeout or its signal; an app that never started adds no failure (the
// result's Status::error says why).
std::vector<runner::Failure> evaluate(const scenario::Scenario& scenario, const runner::ScenarioResult& observed);

// The failed mail expectations of `block` (replies, delivered, not_delivered, rejected, retries)
// on what `observed` holds, each named under `path` instead of "expect" (e.g.
// "app.then[0].wait_for.replies[0]"): what a then step's wait_for and expect.within look at.
std::vector<runner::Failure> evaluate_mail(const scenario::Scenario& scenario, const scenario::Expectations& block,
                                           const std::string& path, const runner::ScenarioResult& observed);

// `--update-golden`: writes the normalised transcript to `expect.transcript.golden`, creating
// folders as needed. Returns what changed, for the console ("created ... (18 lines)", or the
// changed lines as "-"/"+" lines, at most k_golden_change_lines of each); nothing when the file
// already matched or the scenario names no golden file. Throws std::runtime_error when the file
// cannot be written.
inline constexpr std::size_t k_golden_change_lines = 10;
std::optional<std::string> update_golden(const scenario::Scenario& scenario, const runner::ScenarioResult& observed);

}  // namespace maildog::expect
