// The rules routes of one serve sandbox (GET/PUT/POST/DELETE /api/v1/rules): the list as JSON
// with ids, installed in the sandbox's server. serve's main sandbox and every sandbox made
// over the API get theirs from rules_access().
#pragma once

#include <string>

#include "http/api_options.hpp"
#include "serve/sandbox.hpp"

namespace maildog::cli {

// Installs `initial_json` (a JSON array of rules, as a scenario's `server.rules:` list; "[]"
// for none) in `sandbox`'s server and returns the API's access to them. The sandbox must
// outlive the access. Throws std::invalid_argument with the reason when `initial_json` is not
// a valid rules list (check it first with scenario::parse_rules_json to answer a request).
http::RulesAccess rules_access(serve::ServeSandbox& sandbox, const std::string& initial_json);

}  // namespace maildog::cli
