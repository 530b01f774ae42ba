// Evaluates a scenario's rules for one stage of a session: the first rule at that stage whose
// match holds decides. Pure except for the per-rule state held in `EngineState`: draw counters,
// which make seeded probabilities reproducible, rate events and what is left of each `times`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "rules/rule.hpp"

namespace maildog::rules {

// What is left of one rule's `times`: spent by every session that uses the rule, and shared
// by the rule sets that keep the rule (serve's POST and DELETE of other rules keep it).
class TimesLeft {
 public:
  explicit TimesLeft(unsigned times) : m_left(times) {}
  // One less, unless none is left: false then. Atomic, so N concurrent sessions never spend
  // more than N.
  bool try_spend();
  unsigned left() const { return m_left.load(); }

 private:
  std::atomic<unsigned> m_left;
};

// A counter for each rule that has `times` (null for the others), all at their full count.
std::vector<std::shared_ptr<TimesLeft>> fresh_times(const std::vector<Rule>& rules);

class EngineState {
 public:
  // `times`: the counters of the rules (index by index); a rule with `times` and no counter
  // here gets a fresh one on first use, kept for this state's lifetime.
  explicit EngineState(std::uint64_t seed, std::vector<std::shared_ptr<TimesLeft>> times = {})
      : m_seed(seed), m_times(std::move(times)) {}
  // A uniform number in [0,1) for the n-th draw of rule `rule_index`; thread-safe.
  double draw(std::size_t rule_index);
  std::uint64_t seed() const { return m_seed; }
  // Records an event for rule `rule_index` at `now`; true when more than limit.max events
  // (this one included) fall within the trailing window. Thread-safe; memory bounded by max.
  bool over_rate(std::size_t rule_index, const RateLimit& limit, std::chrono::steady_clock::time_point now);
  // For a rule with `times`: spends one of them, false when none is left. Thread-safe.
  bool spend(std::size_t rule_index, const Rule& rule);

 private:
  std::uint64_t m_seed;
  std::mutex m_mutex;
  std::vector<std::uint64_t> m_draws;
  std::vector<std::deque<std::chrono::steady_clock::time_point>> m_events;
  std::vector<std::shared_ptr<TimesLeft>> m_times;  // grows under m_mutex; each counter is atomic
};

std::optional<Decision> evaluate(const std::vector<Rule>& rules, const Context& context, EngineState& state);

// Headers of a message as rules see them: the splitter of message/headers.hpp.
using message::parse_headers;

}  // namespace maildog::rules
