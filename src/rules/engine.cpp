#include "rules/engine.hpp"

#include <string>

#include "core/ascii.hpp"
#include "core/name_table.hpp"

namespace maildog::rules {

namespace {

constexpr NameTable<Stage, 8> k_stage_names{{
    {Stage::connect, "connect"},
    {Stage::helo, "helo"},
    {Stage::starttls, "starttls"},
    {Stage::auth, "auth"},
    {Stage::mail, "mail"},
    {Stage::rcpt, "rcpt"},
    {Stage::data, "data"},
    {Stage::end_of_data, "end_of_data"},
}};

constexpr NameTable<Fault::Kind, 7> k_fault_names{{
    {Fault::Kind::disconnect, "disconnect"},
    {Fault::Kind::delay, "delay"},
    {Fault::Kind::close_421, "421"},
    {Fault::Kind::tarpit, "tarpit"},
    {Fault::Kind::split, "split"},
    {Fault::Kind::drop, "drop"},
    {Fault::Kind::tls_failure, "tls_failure"},
}};

// splitmix64: a tiny, well-mixed generator, so draws depend only on (seed, rule, n).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

using ascii::iequals;

bool optional_matches(const std::optional<TextMatch>& match, std::string_view value) {
  return !match || match->matches(value);
}

bool headers_match(const std::vector<HeaderMatch>& wanted, const std::vector<Header>* headers) {
  if (wanted.empty()) {
    return true;
  }
  if (headers == nullptr) {
    return false;
  }
  for (const auto& want : wanted) {
    bool found = false;
    for (const auto& header : *headers) {
      if (iequals(header.name, want.name) && want.value.matches(header.value)) {
        found = true;
        break;
      }
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

// A `data` rule that looks at headers can only be decided once the message is in.
Stage effective_stage(const Rule& rule) {
  if (rule.at == Stage::data && !rule.match.headers.empty()) {
    return Stage::end_of_data;
  }
  return rule.at;
}

}  // namespace

std::string_view to_string(Stage stage) { return name_of(k_stage_names, stage); }

std::optional<Stage> parse_stage(std::string_view text) {
  if (text == "eom" || text == "end-of-data" || text == "dot") {
    return Stage::end_of_data;
  }
  return lookup_name(k_stage_names, text);
}

bool stage_has_address(Stage stage) {
  return stage == Stage::mail || stage == Stage::rcpt || stage == Stage::data || stage == Stage::end_of_data;
}

std::string_view address_at(const Context& context) {
  if (context.stage == Stage::rcpt) {
    return context.rcpt;
  }
  return stage_has_address(context.stage) ? context.mail_from : std::string_view();
}

std::string_view to_string(Fault::Kind kind) { return name_of(k_fault_names, kind); }

std::optional<Fault::Kind> parse_fault_kind(std::string_view text) { return lookup_name(k_fault_names, text); }

double EngineState::draw(std::size_t rule_index) {
  std::uint64_t n = 0;
  {
    std::lock_guard lock(m_mutex);
    if (m_draws.size() <= rule_index) {
      m_draws.resize(rule_index + 1, 0);
    }
    n = m_draws[rule_index]++;
  }
  std::uint64_t bits = mix(m_seed ^ mix(rule_index * 0x100000001b3ULL + n));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

bool EngineState::over_rate(std::size_t rule_index, const RateLimit& limit, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(m_mutex);
  if (m_events.size() <= rule_index) {
    m_events.resize(rule_index + 1);
  }
  auto& events = m_events[rule_index];
  while (!events.empty() && now - events.front() >= limit.window) {
    events.pop_front();
  }
  events.push_back(now);
  const bool over = events.size() > limit.max;
  // Only the newest max + 1 events can decide later answers.
  while (events.size() > static_cast<std::size_t>(limit.max) + 1) {
    events.pop_front();
  }
  return over;
}

bool TimesLeft::try_spend() {
  unsigned left = m_left.load();
  while (left > 0) {
    if (m_left.compare_exchange_weak(left, left - 1)) {
      return true;
    }
  }
  return false;
}

std::vector<std::shared_ptr<TimesLeft>> fresh_times(const std::vector<Rule>& rules) {
  std::vector<std::shared_ptr<TimesLeft>> times;
  for (const Rule& rule : rules) {
    times.push_back(rule.times ? std::make_shared<TimesLeft>(*rule.times) : nullptr);
  }
  return times;
}

bool EngineState::spend(std::size_t rule_index, const Rule& rule) {
  if (!rule.times) {
    return true;
  }
  std::shared_ptr<TimesLeft> counter;
  {
    std::lock_guard lock(m_mutex);
    if (m_times.size() <= rule_index) {
      m_times.resize(rule_index + 1);
    }
    if (!m_times[rule_index]) {
      m_times[rule_index] = std::make_shared<TimesLeft>(*rule.times);
    }
    counter = m_times[rule_index];
  }
  return counter->try_spend();
}

std::optional<Decision> evaluate(const std::vector<Rule>& rules, const Context& context, EngineState& state) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& rule = rules[i];
    const Match& m = rule.match;
    if (effective_stage(rule) != context.stage) {
      continue;
    }
    if (!optional_matches(m.mail_from, context.mail_from) || !optional_matches(m.rcpt, context.rcpt) ||
        !optional_matches(m.helo, context.helo) || !optional_matches(m.client_ip, context.client_ip) ||
        !optional_matches(m.auth_user, context.auth_user) || !headers_match(m.headers, context.headers)) {
      continue;
    }
    if (m.attempt && !m.attempt->contains(context.attempt)) {
      continue;
    }
    if (m.probability && state.draw(i) >= *m.probability) {
      continue;
    }
    if (m.rate && !state.over_rate(i, *m.rate, context.now)) {
      continue;
    }
    // Last: a `times` is spent only when everything else holds and the rule answers.
    if (!state.spend(i, rule)) {
      continue;
    }
    return Decision{rule.reply, rule.fault, i};
  }
  return std::nullopt;
}

}  // namespace maildog::rules
