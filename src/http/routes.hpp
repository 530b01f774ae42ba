// What the API's route files share (api_routes.cpp holds the table): what a request works on, the
// handler signature, JSON answers, and the handlers, by the file that holds them. Internal to
// src/http: the public face is http/api_routes.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/api_routes.hpp"
#include "http/message_json.hpp"
#include "http/target.hpp"

namespace maildog::http::routes {

// What a request works on: serve's main sandbox, or the one its /api/v1/sandboxes/{id}/ prefix names.
struct Context {
  serve::MessageStore& store;
  const RulesAccess& rules;
  const ApiOptions& options;
  bool stopping;                        // serve is shutting down
  std::shared_ptr<ApiSandbox> sandbox;  // null: the main sandbox
  SandboxRegistry* sandboxes;           // null: no sandboxes routes
};

// The path's ":name" segments in order, e.g. the message id and the part path.
using Params = std::vector<std::string>;
using Handler = Routed (*)(const Context&, const Target&, const Params&, const ApiRequest&);

ApiResponse json_response(const Json& body, unsigned status = 200);
// ?remote=1: the user asked for the remote images of what they open.
bool remote_images(const Target& target);

// message_routes.cpp: health, messages and their parts, sessions, attempts and the long-poll.
Routed healthz(const Context& context, const Target&, const Params&, const ApiRequest& request);
Routed readyz(const Context& context, const Target&, const Params&, const ApiRequest&);
Routed list_messages(const Context& context, const Target& target, const Params&, const ApiRequest&);
Routed get_message(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed get_raw(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed get_headers(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed get_mime(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed get_part(const Context& context, const Target& target, const Params& params, const ApiRequest& request);
Routed get_body(const Context& context, const Target& target, const Params& params, const ApiRequest& request);
Routed get_auth(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed get_transcript(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed delete_message(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed delete_messages(const Context& context, const Target&, const Params&, const ApiRequest&);
Routed list_sessions(const Context& context, const Target& target, const Params&, const ApiRequest&);
Routed get_session(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed list_attempts(const Context& context, const Target& target, const Params&, const ApiRequest&);
Routed get_attempt(const Context& context, const Target&, const Params& params, const ApiRequest&);
Routed wait_message(const Context& context, const Target& target, const Params&, const ApiRequest&);

// rules_routes.cpp: the sandbox's rules.
Routed get_rules(const Context& context, const Target&, const Params&, const ApiRequest&);
Routed put_rules(const Context& context, const Target& target, const Params& params, const ApiRequest& request);
Routed post_rule(const Context& context, const Target&, const Params&, const ApiRequest& request);
Routed delete_rule(const Context& context, const Target&, const Params& params, const ApiRequest&);

// sandbox_routes.cpp: the sandboxes POST /api/v1/sandboxes makes.
Routed create_sandbox(const Context& context, const Target&, const Params&, const ApiRequest& request);
Routed list_sandboxes(const Context& context, const Target&, const Params&, const ApiRequest& request);
Routed get_sandbox(const Context& context, const Target&, const Params& params, const ApiRequest& request);
Routed delete_sandbox(const Context& context, const Target&, const Params& params, const ApiRequest&);

// inspector_routes.cpp: the web inspector's page, style and script, and the message viewer.
Routed inspector_page(const Context&, const Target&, const Params&, const ApiRequest&);
Routed inspector_style(const Context&, const Target&, const Params&, const ApiRequest&);
Routed inspector_script(const Context&, const Target&, const Params&, const ApiRequest&);
Routed viewer_page(const Context&, const Target& target, const Params&, const ApiRequest&);

}  // namespace maildog::http::routes
