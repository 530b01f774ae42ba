// A running sandbox's rules as JSON (the `rules:` list of a scenario's `server:` block), for
// `serve`'s GET/PUT /api/v1/rules: read from a config file, and checked like a scenario.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.hpp"

namespace maildog::scenario {

struct RulesUpdate {
  std::vector<rules::Rule> rules;
  std::string json;   // the list as given, re-serialised compactly
  std::string error;  // set when the text is not a valid rules list; rules and json are empty then
};

// `text` is a JSON array of rules in scenario syntax; checked by the scenario schema and builder.
RulesUpdate parse_rules_json(std::string_view text);

// The `server.rules` list of a config file (its first document) as JSON; "[]" when it has none
// or cannot be read (the loader reports those problems).
std::string server_rules_json(const std::filesystem::path& file);

}  // namespace maildog::scenario
