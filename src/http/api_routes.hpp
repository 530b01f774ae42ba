// The API's routes as a pure function of a request: the response, or, for GET /api/v1/wait, a
// plan the connection carries out (it polls the store without blocking its thread). The Beast
// shell in api_server.cpp only moves bytes.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "http/api_options.hpp"
#include "serve/store.hpp"

namespace maildog::http {

class SandboxRegistry;
struct ApiSandbox;

struct ApiRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // origin form: "/api/v1/messages?to=a"
  std::string authorization;
  std::string body;
  std::size_t host_count = 0;  // Host header fields received: exactly one is required
  std::string host;            // the Host field's value, e.g. "localhost:8025"
  std::string content_type;
  std::string origin;  // the Origin field, empty when absent
};

// A body sent piece by piece as the client takes it, instead of a whole copy per connection
// (a message's bytes: 100 slow readers of a 7 MB message held 700 MB).
struct BodyStream {
  std::size_t size = 0;
  // Up to `max` bytes from `offset`; nothing (or too few) when the source is gone meanwhile.
  std::function<std::optional<std::string>(std::size_t offset, std::size_t max)> read;
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type/-Length
  std::optional<BodyStream> stream;                          // when set, the body (`body` is empty)
};

struct WaitPlan {
  serve::MessageQuery query;
  // Set when the wait named an attempt filter (status, code, enhanced, reason): the wait is for
  // an attempt, and answers with its summary.
  std::optional<serve::AttemptQuery> attempt_query;
  std::chrono::milliseconds timeout{0};
  // Which store the wait watches: a sandbox's (held while waiting), none for serve's main one.
  std::shared_ptr<ApiSandbox> sandbox;
};

using Routed = std::variant<ApiResponse, WaitPlan>;

ApiResponse json_error(unsigned status, const std::string& text);

class ApiRoutes {
 public:
  // `sandboxes`: POST/GET/DELETE /api/v1/sandboxes and the /api/v1/sandboxes/{id}/... routes
  // (without it those answer 404).
  ApiRoutes(serve::MessageStore& store, RulesAccess rules, ApiOptions options, SandboxRegistry* sandboxes = nullptr);

  Routed handle(const ApiRequest& request) const;
  // One look at the store for a plan: the summary when a message matches.
  std::optional<ApiResponse> poll(const WaitPlan& plan) const;
  ApiResponse wait_timed_out(const WaitPlan& plan) const;
  // The store a plan watches: its sandbox's, or the main one.
  serve::MessageStore& store_of(const WaitPlan& plan) const;
  // CORS headers when enabled; every response passes through here.
  void finish(ApiResponse& response) const;

  const ApiOptions& options() const { return m_options; }
  // From now on GET /readyz answers 503 {"status": "stopping"}; any thread.
  void set_stopping() { m_stopping->store(true); }

 private:
  serve::MessageStore& m_store;
  RulesAccess m_rules;
  ApiOptions m_options;
  std::shared_ptr<std::atomic<bool>> m_stopping = std::make_shared<std::atomic<bool>>(false);
  SandboxRegistry* m_sandboxes;
};

// Whether `host` (a Host field value, port optional) names this server: the bound address,
// localhost, 127.0.0.1, [::1] or one of options.allowed_hosts; any name when a token is set.
bool host_allowed(const ApiOptions& options, std::string_view host);

// Equal without revealing where they differ (the time taken depends only on `expected`).
bool same_token(std::string_view given, std::string_view expected);

}  // namespace maildog::http
