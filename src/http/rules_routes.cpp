// The routes of a sandbox's rules: GET and PUT the list, POST one rule, DELETE one by id.
#include "http/routes.hpp"

#include <string>

#include "core/json_depth.hpp"
#include "http/query_params.hpp"

namespace maildog::http::routes {

Routed get_rules(const Context& context, const Target&, const Params&, const ApiRequest&) {
  if (!context.rules.get_json) {
    return json_error(404, "this server has no rules to show");
  }
  ApiResponse response;
  response.body = context.rules.get_json();
  return response;
}

Routed put_rules(const Context& context, const Target& target, const Params& params, const ApiRequest& request) {
  if (!context.rules.put_json) {
    return json_error(404, "this server's rules cannot be replaced");
  }
  if (json_depth::deeper_than(request.body, json_depth::k_max)) {
    return json_error(400, "the body nests deeper than " + std::to_string(json_depth::k_max) + " levels");
  }
  const Json rules = Json::parse(request.body, nullptr, false);
  if (rules.is_discarded() || !rules.is_array()) {
    return json_error(400, "the body must be a JSON array of rules (the scenario rules: list)");
  }
  if (auto error = context.rules.put_json(request.body)) {
    return json_error(400, *error);
  }
  return get_rules(context, target, params, request);
}

Routed post_rule(const Context& context, const Target&, const Params&, const ApiRequest& request) {
  if (!context.rules.post_json) {
    return json_error(404, "this server's rules cannot be changed");
  }
  if (json_depth::deeper_than(request.body, json_depth::k_max)) {
    return json_error(400, "the body nests deeper than " + std::to_string(json_depth::k_max) + " levels");
  }
  const Json rule = Json::parse(request.body, nullptr, false);
  if (rule.is_discarded() || !rule.is_object()) {
    return json_error(400, "the body must be one rule as a JSON object (an item of the scenario rules: list)");
  }
  auto added = context.rules.post_json(request.body);
  if (!added.error.empty()) {
    return json_error(400, added.error);
  }
  ApiResponse response;
  response.status = 201;
  response.body = std::move(added.json);
  return response;
}

Routed delete_rule(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  if (!context.rules.delete_rule) {
    return json_error(404, "this server's rules cannot be changed");
  }
  const auto id = parse_id(params.at(0));
  if (!id || !context.rules.delete_rule(*id)) {
    return json_error(404, "no rule with id " + params.at(0).substr(0, 40));
  }
  ApiResponse response;
  response.status = 204;
  return response;
}
}  // namespace maildog::http::routes
