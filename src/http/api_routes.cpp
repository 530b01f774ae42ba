#include "http/api_routes.hpp"

#include <algorithm>
#include <functional>

#include "http/attempt_json.hpp"
#include "http/message_json.hpp"
#include "http/request_checks.hpp"
#include "http/routes.hpp"
#include "http/sandbox_registry.hpp"

namespace maildog::http {

namespace routes {

ApiResponse json_response(const Json& body, unsigned status) {
  ApiResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

// ?remote=1: the user asked for the remote images of what they open.
bool remote_images(const Target& target) {
  const auto found = target.query.find("remote");
  return found != target.query.end() && found->second == "1";
}

}  // namespace routes

// The handlers, the request checks and the context they share (http/routes.hpp).
using namespace routes;

namespace {

struct Route {
  std::string_view method;
  std::vector<std::string_view> pattern;  // ":x" matches any one segment
  Handler handler;
  bool needs_token = true;
};

const std::vector<Route>& route_table() {
  static const std::vector<Route> k_routes = {
      {"GET", {}, inspector_page, false},
      {"GET", {"assets", "inspector.css"}, inspector_style, false},
      {"GET", {"assets", "inspector.js"}, inspector_script, false},
      {"GET", {"view"}, viewer_page, false},
      {"GET", {"healthz"}, healthz, false},
      {"GET", {"readyz"}, readyz, false},
      {"GET", {"api", "v1", "messages"}, list_messages},
      {"DELETE", {"api", "v1", "messages"}, delete_messages},
      {"GET", {"api", "v1", "messages", ":id"}, get_message},
      {"DELETE", {"api", "v1", "messages", ":id"}, delete_message},
      {"GET", {"api", "v1", "messages", ":id", "raw"}, get_raw},
      {"GET", {"api", "v1", "messages", ":id", "headers"}, get_headers},
      {"GET", {"api", "v1", "messages", ":id", "mime"}, get_mime},
      {"GET", {"api", "v1", "messages", ":id", "parts", ":path"}, get_part},
      {"GET", {"api", "v1", "messages", ":id", "body", ":subtype"}, get_body},
      {"GET", {"api", "v1", "messages", ":id", "auth"}, get_auth},
      {"GET", {"api", "v1", "messages", ":id", "transcript"}, get_transcript},
      {"GET", {"api", "v1", "attempts"}, list_attempts},
      {"GET", {"api", "v1", "attempts", ":id"}, get_attempt},
      {"GET", {"api", "v1", "sessions"}, list_sessions},
      {"GET", {"api", "v1", "sessions", ":id"}, get_session},
      {"GET", {"api", "v1", "wait"}, wait_message},
      {"GET", {"api", "v1", "rules"}, get_rules},
      {"PUT", {"api", "v1", "rules"}, put_rules},
      {"POST", {"api", "v1", "sandboxes"}, create_sandbox},
      {"GET", {"api", "v1", "sandboxes"}, list_sandboxes},
      {"GET", {"api", "v1", "sandboxes", ":sandbox"}, get_sandbox},
      {"DELETE", {"api", "v1", "sandboxes", ":sandbox"}, delete_sandbox},
      {"POST", {"api", "v1", "rules"}, post_rule},
      {"DELETE", {"api", "v1", "rules", ":id"}, delete_rule},
  };
  return k_routes;
}

std::optional<Params> match(const Route& route, const std::vector<std::string>& segments) {
  if (route.pattern.size() != segments.size()) {
    return std::nullopt;
  }
  Params params;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (route.pattern[i].starts_with(':')) {
      params.push_back(segments[i]);
    } else if (route.pattern[i] != segments[i]) {
      return std::nullopt;
    }
  }
  return params;
}

// The routes a sandbox has under its prefix: every /api/v1 route but the sandboxes' own.
bool per_sandbox(const Route& route) {
  return route.pattern.size() > 2 && route.pattern[0] == "api" && route.pattern[1] == "v1" &&
         route.pattern[2] != "sandboxes";
}

// "/api/v1/sandboxes/s1/messages/3" -> "s1" and api, v1, messages, 3; nothing without the prefix.
std::optional<std::pair<std::string, std::vector<std::string>>> sandbox_prefix(
    const std::vector<std::string>& segments) {
  if (segments.size() < 5 || segments[0] != "api" || segments[1] != "v1" || segments[2] != "sandboxes") {
    return std::nullopt;
  }
  std::vector<std::string> rest{"api", "v1"};
  rest.insert(rest.end(), segments.begin() + 4, segments.end());
  return std::make_pair(segments[3], std::move(rest));
}

}  // namespace

ApiResponse json_error(unsigned status, const std::string& text) { return json_response({{"error", text}}, status); }

ApiRoutes::ApiRoutes(serve::MessageStore& store, RulesAccess rules, ApiOptions options, SandboxRegistry* sandboxes)
    : m_store(store), m_rules(std::move(rules)), m_options(std::move(options)), m_sandboxes(sandboxes) {}

Routed ApiRoutes::handle(const ApiRequest& request) const {
  const auto target = parse_target(request.target);
  if (!target) {
    return json_error(400, "the request target is not a valid path");
  }
  if (auto refused = check_request(m_options, request)) {
    return std::move(*refused);
  }
  if (m_options.cors && request.method == "OPTIONS") {
    ApiResponse preflight = json_response(Json::object());
    preflight.headers.emplace_back("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, OPTIONS");
    preflight.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    preflight.headers.emplace_back("Access-Control-Max-Age", "600");
    return preflight;
  }
  // A sandbox's prefix: the same routes on its store and rules (one table for both).
  auto prefixed = sandbox_prefix(target->segments);
  std::shared_ptr<ApiSandbox> sandbox;
  if (prefixed) {
    if (!authorized(m_options, request.authorization)) {
      return token_required();
    }
    sandbox = m_sandboxes != nullptr ? m_sandboxes->find(prefixed->first) : nullptr;
    if (!sandbox) {
      return json_error(404, "no sandbox " + prefixed->first.substr(0, 64));
    }
  }
  const Context context =
      sandbox ? Context{sandbox->store(), sandbox->rules, m_options, m_stopping->load(), sandbox, m_sandboxes}
              : Context{m_store, m_rules, m_options, m_stopping->load(), nullptr, m_sandboxes};
  const auto& segments = prefixed ? prefixed->second : target->segments;
  std::string allowed;
  for (const Route& route : route_table()) {
    if (prefixed && !per_sandbox(route)) {
      continue;
    }
    auto params = match(route, segments);
    if (!params) {
      continue;
    }
    if (route.method != request.method) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
      continue;
    }
    if (route.needs_token && !authorized(m_options, request.authorization)) {
      return token_required();
    }
    return route.handler(context, *target, *params, request);
  }
  if (!allowed.empty()) {
    ApiResponse response = json_error(405, "method " + request.method + " is not allowed here");
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  return json_error(404, "no such resource: " + request.target.substr(0, request.target.find('?')));
}

serve::MessageStore& ApiRoutes::store_of(const WaitPlan& plan) const {
  return plan.sandbox ? plan.sandbox->store() : m_store;
}

std::optional<ApiResponse> ApiRoutes::poll(const WaitPlan& plan) const {
  if (plan.sandbox && plan.sandbox->removed) {
    return json_error(410, "sandbox " + plan.sandbox->id + " was deleted while waiting");
  }
  if (plan.attempt_query) {
    const auto attempts = store_of(plan).find_attempts(*plan.attempt_query);
    return attempts.empty() ? std::nullopt : std::optional(json_response(attempt_summary(attempts.front())));
  }
  const auto found = store_of(plan).find(plan.query);
  if (found.empty()) {
    return std::nullopt;
  }
  return json_response(message_summary(found.front()));
}

ApiResponse ApiRoutes::wait_timed_out(const WaitPlan& plan) const {
  return json_error(408, std::string(plan.attempt_query ? "no matching attempt" : "no matching message") +
                             " arrived within " + std::to_string(plan.timeout.count()) + " ms");
}

void ApiRoutes::finish(ApiResponse& response) const {
  if (m_options.cors) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    response.headers.emplace_back("Access-Control-Expose-Headers", "WWW-Authenticate");
  }
}

}  // namespace maildog::http