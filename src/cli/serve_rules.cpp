#include "cli/serve_rules.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "rules/engine.hpp"
#include "scenario/rules_json.hpp"

namespace maildog::cli {

namespace {

using Json = nlohmann::json;

// Rule ids are unique in the serve process and never reused, across all its sandboxes: a client
// that deletes by id can never hit a rule of another sandbox or a later one of its own.
std::uint64_t next_rule_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1);
}

struct InstalledRule {
  std::uint64_t id = 0;
  Json json;  // as given, without id and times_left
  rules::Rule rule;
  std::shared_ptr<rules::TimesLeft> times_left;  // null without `times`
};

// What GET shows and clients send back: id and times_left are ours, not part of a rule.
void drop_server_fields(Json& rule) {
  if (rule.is_object()) {
    rule.erase("id");
    rule.erase("times_left");
  }
}

// The rules list of one sandbox: every change installs the whole list in its server at once,
// under the mutex, so the server's list and ours never disagree.
class SandboxRules {
 public:
  explicit SandboxRules(serve::ServeSandbox& sandbox) : m_sandbox(sandbox) {}

  std::string get_json() const {
    std::lock_guard lock(m_mutex);
    Json list = Json::array();
    for (const auto& installed : m_rules) {
      list.push_back(shown(installed));
    }
    return list.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  // PUT: a new list, every `times` counted afresh.
  std::optional<std::string> put(const std::string& text) {
    auto parsed = parse(text);
    if (!parsed.error.empty()) {
      return parsed.error;
    }
    std::lock_guard lock(m_mutex);
    m_rules = std::move(parsed.rules);
    install();
    return std::nullopt;
  }

  // POST: one rule appended; the others keep what is left of their `times`.
  http::RuleAdded post(const std::string& text) {
    Json rule = Json::parse(text, nullptr, false);
    if (rule.is_discarded() || !rule.is_object()) {
      return {{}, "the body must be one rule as a JSON object, as an item of a scenario's rules: list"};
    }
    drop_server_fields(rule);
    auto parsed = parse(Json::array({rule}).dump());
    if (!parsed.error.empty()) {
      return {{}, parsed.error};
    }
    std::lock_guard lock(m_mutex);
    m_rules.push_back(std::move(parsed.rules.front()));
    install();
    return {shown(m_rules.back()).dump(-1, ' ', false, Json::error_handler_t::replace), {}};
  }

  bool remove(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    const auto found = std::find_if(m_rules.begin(), m_rules.end(), [id](const auto& rule) { return rule.id == id; });
    if (found == m_rules.end()) {
      return false;
    }
    m_rules.erase(found);
    install();
    return true;
  }

 private:
  serve::ServeSandbox& m_sandbox;
  mutable std::mutex m_mutex;
  std::vector<InstalledRule> m_rules;  // under m_mutex

  static Json shown(const InstalledRule& installed) {
    Json rule = installed.json;
    rule["id"] = installed.id;
    if (installed.times_left) {
      rule["times_left"] = installed.times_left->left();
    }
    return rule;
  }

  struct Parsed {
    std::vector<InstalledRule> rules;
    std::string error;  // set when the list is not valid
  };

  // A rules list checked as a scenario's, each with a new id and a full `times`.
  static Parsed parse(const std::string& text) {
    Json list = Json::parse(text, nullptr, false);
    std::string given = text;
    if (!list.is_discarded() && list.is_array()) {
      for (auto& rule : list) {
        drop_server_fields(rule);
      }
      given = list.dump();
    }
    auto update = scenario::parse_rules_json(given);
    if (!update.error.empty()) {
      return {{}, std::move(update.error)};
    }
    const Json checked = Json::parse(update.json);
    Parsed parsed;
    for (std::size_t i = 0; i < update.rules.size(); ++i) {
      InstalledRule installed;
      installed.id = next_rule_id();
      installed.json = checked.at(i);
      installed.rule = std::move(update.rules[i]);
      if (installed.rule.times) {
        installed.times_left = std::make_shared<rules::TimesLeft>(*installed.rule.times);
      }
      parsed.rules.push_back(std::move(installed));
    }
    return parsed;
  }

  // Under m_mutex.
  void install() {
    std::vector<rules::Rule> list;
    std::vector<std::shared_ptr<rules::TimesLeft>> times;
    for (const auto& installed : m_rules) {
      list.push_back(installed.rule);
      times.push_back(installed.times_left);
    }
    m_sandbox.server().set_rules(std::move(list), std::move(times));
  }
};

}  // namespace

http::RulesAccess rules_access(serve::ServeSandbox& sandbox, const std::string& initial_json) {
  auto rules = std::make_shared<SandboxRules>(sandbox);
  if (auto error = rules->put(initial_json)) {
    throw std::invalid_argument("the rules are not valid: " + *error);
  }
  http::RulesAccess access;
  access.get_json = [rules] { return rules->get_json(); };
  access.put_json = [rules](const std::string& text) { return rules->put(text); };
  access.post_json = [rules](const std::string& text) { return rules->post(text); };
  access.delete_rule = [rules](std::uint64_t id) { return rules->remove(id); };
  return access;
}

}  // namespace maildog::cli
