// Evaluates a scenario's rules for one stage of a session: the first rule at that stage whose
// match holds decides. Pure except for the per-rule draw counters held in `EngineState`, which
// make seeded probabilities reproducible.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "rules/rule.hpp"

namespace maildog::rules {

class EngineState {
 public:
  explicit EngineState(std::uint64_t seed) : m_seed(seed) {}
  // A uniform number in [0,1) for the n-th draw of rule `rule_index`; thread-safe.
  double draw(std::size_t rule_index);
  std::uint64_t seed() const { return m_seed; }
  // Records an event for rule `rule_index` at `now`; true when more than limit.max events
  // (this one included) fall within the trailing window. Thread-safe; memory bounded by max.
  bool over_rate(std::size_t rule_index, const RateLimit& limit, std::chrono::steady_clock::time_point now);

 private:
  std::uint64_t m_seed;
  std::mutex m_mutex;
  std::vector<std::uint64_t> m_draws;
  std::vector<std::deque<std::chrono::steady_clock::time_point>> m_events;
};

std::optional<Decision> evaluate(const std::vector<Rule>& rules, const Context& context, EngineState& state);

// Headers of a message as rules see them: names and unfolded values, up to the blank line.
std::vector<Header> parse_headers(std::string_view message);

}  // namespace maildog::rules
