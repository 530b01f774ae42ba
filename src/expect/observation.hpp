// What every expectation kind judges a run on, computed once per evaluation: the normalised
// transcript lines, each reply paired with its command, and the captured transactions in order;
// plus the transcript excerpt a failure shows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "capture/records.hpp"
#include "expect/evaluate.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::expect::detail {

// Transcript lines shown before and after the line a failure is about.
inline constexpr std::size_t k_context_radius = 3;

// Everything one evaluation needs, computed once.
struct Observation {
  const runner::ScenarioResult& result;
  std::vector<std::string> lines;  // normalised, one for one with render_lines()
  std::vector<CommandReply> replies;
  std::vector<const capture::TransactionRecord*> transactions;  // all, in order
  std::vector<std::uint64_t> transaction_session;               // session id of each

  std::vector<std::string> around(std::size_t index) const {
    if (lines.empty()) {
      return {};
    }
    index = std::min(index, lines.size() - 1);
    const std::size_t from = index >= k_context_radius ? index - k_context_radius : 0;
    const std::size_t to = std::min(lines.size(), index + k_context_radius + 1);
    return {lines.begin() + static_cast<std::ptrdiff_t>(from), lines.begin() + static_cast<std::ptrdiff_t>(to)};
  }

  std::vector<std::string> last_lines() const {
    return lines.empty() ? std::vector<std::string>{} : around(lines.size() - 1);
  }

  // The first reply from `from` on that `pick` accepts; nullptr when none does.
  template <typename Pick>
  const CommandReply* find_reply(Pick pick, const CommandReply* from = nullptr) const {
    auto it = from == nullptr ? replies.begin() : replies.begin() + (from - replies.data());
    it = std::find_if(it, replies.end(), pick);
    return it == replies.end() ? nullptr : &*it;
  }

  // The lines around `reply`'s command; the closing lines when there is no reply to point at.
  std::vector<std::string> around(const CommandReply* reply) const {
    return reply == nullptr ? last_lines() : around(reply->command_line);
  }
};

// What replies and the transcript are judged on: the sandbox's record, or for a client.target
// scenario (the sandbox saw nothing) the scripted client's own transcript.
const std::vector<capture::SessionRecord>& judged_sessions(const scenario::Scenario& scenario,
                                                           const runner::ScenarioResult& result);

// The observation of `result` with replies and transcript taken from `judged`.
Observation observe(const runner::ScenarioResult& result, const std::vector<capture::SessionRecord>& judged);

}  // namespace maildog::expect::detail
