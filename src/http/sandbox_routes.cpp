// The routes of the sandboxes POST /api/v1/sandboxes makes: create, list, show and delete.
#include "http/routes.hpp"

#include <string>

#include "core/ascii.hpp"
#include "core/json_depth.hpp"
#include "http/sandbox_registry.hpp"

namespace maildog::http::routes {

namespace {

// Where a client connects: a listener on every address is reached on loopback from here.
std::string connectable_host(const std::string& bound) {
  if (bound == "0.0.0.0") {
    return "127.0.0.1";
  }
  return bound == "::" ? "::1" : bound;
}

// A sandbox as POST, GET and the list show it; its URL names this server as the request did.
Json sandbox_json(const ApiSandbox& sandbox, const ApiRequest& request) {
  const auto& server = sandbox.sandbox->server();
  return {{"id", sandbox.id},
          {"name", sandbox.name},
          {"smtp", {{"host", connectable_host(server.host())}, {"port", server.port()}}},
          {"url", "http://" + std::string(ascii::trim(request.host)) + "/api/v1/sandboxes/" + sandbox.id + "/"},
          {"ca_file", sandbox.ca_file ? Json(*sandbox.ca_file) : Json(nullptr)}};
}
}  // namespace

// Optional body: {"rules": [...], "name": "..."}; anything else is a client's mistake.
Routed create_sandbox(const Context& context, const Target&, const Params&, const ApiRequest& request) {
  if (context.sandboxes == nullptr) {
    return json_error(404, "this server makes no sandboxes");
  }
  std::optional<std::string> rules;
  std::string name;
  if (!ascii::trim(request.body).empty()) {
    if (json_depth::deeper_than(request.body, json_depth::k_max)) {
      return json_error(400, "the body nests deeper than " + std::to_string(json_depth::k_max) + " levels");
    }
    const Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return json_error(400, "the body must be a JSON object: {\"rules\": [...], \"name\": \"...\"} (both optional)");
    }
    for (const auto& [key, value] : body.items()) {
      if (key == "rules" && value.is_array()) {
        rules = value.dump();
      } else if (key == "name" && value.is_string()) {
        name = value.get<std::string>();
      } else if (key == "rules" || key == "name") {
        return json_error(400, key == "rules" ? "rules must be a JSON array of rules (the scenario rules: list)"
                                              : "name must be a string");
      } else {
        return json_error(400, "unknown field \"" + key.substr(0, 64) + "\" (a sandbox takes rules and name)");
      }
    }
  }
  auto created = context.sandboxes->create(rules, std::move(name));
  if (!created.sandbox) {
    return json_error(created.status, created.error);
  }
  return json_response(sandbox_json(*created.sandbox, request), 201);
}

Routed list_sandboxes(const Context& context, const Target&, const Params&, const ApiRequest& request) {
  Json sandboxes = Json::array();
  if (context.sandboxes != nullptr) {
    for (const auto& sandbox : context.sandboxes->list()) {
      sandboxes.push_back(sandbox_json(*sandbox, request));
    }
  }
  return json_response({{"sandboxes", sandboxes}});
}

Routed get_sandbox(const Context& context, const Target&, const Params& params, const ApiRequest& request) {
  const auto sandbox = context.sandboxes != nullptr ? context.sandboxes->find(params.at(0)) : nullptr;
  return sandbox ? json_response(sandbox_json(*sandbox, request)) : json_error(404, "no sandbox " + params.at(0));
}

Routed delete_sandbox(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  if (context.sandboxes == nullptr || !context.sandboxes->remove(params.at(0))) {
    return json_error(404, "no sandbox " + params.at(0));
  }
  ApiResponse response;
  response.status = 204;
  return response;
}
}  // namespace maildog::http::routes
