#include "expect/observation.hpp"

#include "expect/transcript.hpp"

namespace maildog::expect::detail {

// What replies and the transcript are judged on: the sandbox's record, or for a client.target
// scenario (the sandbox saw nothing) the scripted client's own transcript.
const std::vector<capture::SessionRecord>& judged_sessions(const scenario::Scenario& scenario,
                                                           const runner::ScenarioResult& result) {
  const bool elsewhere = scenario.client && !scenario.client->target.sandbox;
  return elsewhere ? result.client_sessions : result.sessions;
}

Observation observe(const runner::ScenarioResult& result, const std::vector<capture::SessionRecord>& judged) {
  Observation observation{result, normalised_lines(judged), command_replies(judged), {}, {}};
  for (const auto& session : result.sessions) {
    for (const auto& transaction : session.transactions) {
      observation.transactions.push_back(&transaction);
      observation.transaction_session.push_back(session.id);
    }
  }
  return observation;
}

}  // namespace maildog::expect::detail
