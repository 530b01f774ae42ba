#include "cli/serve_rules.hpp"

#include <memory>
#include <mutex>
#include <stdexcept>

#include "scenario/rules_json.hpp"

namespace maildog::cli {

http::RulesAccess rules_access(serve::ServeSandbox& sandbox, const std::string& initial_json) {
  auto initial = scenario::parse_rules_json(initial_json);
  if (!initial.error.empty()) {
    throw std::invalid_argument("the rules are not valid: " + initial.error);
  }
  sandbox.server().set_rules(std::move(initial.rules));
  auto current = std::make_shared<std::string>(std::move(initial.json));
  auto mutex = std::make_shared<std::mutex>();
  http::RulesAccess access;
  access.get_json = [current, mutex]() {
    std::lock_guard lock(*mutex);
    return *current;
  };
  access.put_json = [current, mutex, &sandbox](const std::string& text) -> std::optional<std::string> {
    auto update = scenario::parse_rules_json(text);
    if (!update.error.empty()) {
      return update.error;
    }
    std::lock_guard lock(*mutex);
    sandbox.server().set_rules(std::move(update.rules));
    *current = std::move(update.json);
    return std::nullopt;
  };
  return access;
}

}  // namespace maildog::cli
