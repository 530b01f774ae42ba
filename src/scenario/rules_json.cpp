#include "scenario/rules_json.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/json_depth.hpp"
#include "scenario/document.hpp"
#include "scenario/loader.hpp"

namespace maildog::scenario {

RulesUpdate parse_rules_json(std::string_view text) {
  RulesUpdate update;
  if (json_depth::deeper_than(text, json_depth::k_max)) {
    update.error = "the rules nest deeper than " + std::to_string(json_depth::k_max) + " levels";
    return update;
  }
  const auto list = nlohmann::json::parse(text, nullptr, false);
  if (list.is_discarded() || !list.is_array()) {
    update.error = "the rules must be a JSON array of rules, as the `rules:` list of a scenario's server block";
    return update;
  }
  // A whole scenario around the list, so the schema and the builder check it as in a file.
  const nlohmann::json document = {{"name", "rules"},
                                   {"server", {{"rules", list}}},
                                   {"client", {{"steps", nlohmann::json::array({{{"quit", true}}})}}}};
  auto loaded = load_text(document.dump(), "rules.json", Environment::from_map({}));
  if (!loaded.ok() || loaded.scenarios.size() != 1) {
    for (const auto& diagnostic : loaded.diagnostics) {
      update.error += (update.error.empty() ? "" : "; ") + diagnostic.message + " (at " + diagnostic.yaml_path + ")";
    }
    return update;
  }
  update.rules = std::move(loaded.scenarios.front().server.rules);
  update.json = list.dump();
  return update;
}

std::string server_rules_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<Diagnostic> ignored;
  detail::Reporter reporter(file, ignored);
  const auto parsed = detail::parse_yaml(text.str(), Environment(), reporter);
  if (parsed.documents.empty()) {
    return "[]";
  }
  const auto& root = parsed.documents.front().value;
  if (!root.is_object() || !root.contains("server") || !root["server"].is_object() ||
      !root["server"].contains("rules")) {
    return "[]";
  }
  return root["server"]["rules"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace maildog::scenario
