// What the HTTP API of `maildog-ci serve` is given: where to listen, its limits (named, with
// their defaults) and how to read and replace the sandbox's rules.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace maildog::http {

inline constexpr std::size_t k_max_body_default = 1024 * 1024;
inline constexpr std::chrono::milliseconds k_request_timeout_default{std::chrono::seconds(30)};
inline constexpr std::chrono::milliseconds k_max_wait_default{std::chrono::seconds(300)};
// A request target longer than this is answered 414; the whole header section beyond
// k_max_header is 431 (RFC 9110 15.5.15, RFC 6585 5).
inline constexpr std::size_t k_max_target = 8 * 1024;
inline constexpr std::size_t k_max_header = 32 * 1024;
// GET /api/v1/wait without timeout= waits this long (clamped to ApiOptions::max_wait).
inline constexpr std::chrono::milliseconds k_wait_default{std::chrono::seconds(30)};
// Lists: limit= without a value, and the most one response carries.
inline constexpr std::size_t k_list_limit_default = 100;
inline constexpr std::size_t k_list_limit_max = 1000;
// Open HTTP connections at once (--http-max-connections): beyond, a new connection is answered 503
// and closed, so idle HTTP clients cannot take the descriptors SMTP needs (nginx's
// worker_connections). Half of a common 1,024-descriptor limit.
inline constexpr std::size_t k_max_connections_default = 512;

struct ApiOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, read back with ApiServer::port()
  std::string token;       // bearer token every /api request must carry; empty: none
  std::size_t max_body = k_max_body_default;
  std::chrono::milliseconds request_timeout = k_request_timeout_default;
  std::chrono::milliseconds max_wait = k_max_wait_default;
  bool cors = false;  // Access-Control-Allow-Origin: * and answers to preflight requests
  // Without a token, the Host names served besides the bound address, localhost, 127.0.0.1 and
  // [::1] (any port): DNS rebinding gives a web page's own name a loopback address, so a page
  // could otherwise read and change the store. Compose service names and proxies go here.
  std::vector<std::string> allowed_hosts;
  std::size_t max_connections = k_max_connections_default;
};

// What POST /api/v1/rules made of its rule: the rule as GET shows it, or why it was refused.
struct RuleAdded {
  std::string json;
  std::string error;  // set when refused; nothing changed then
};

// The sandbox's rules as the scenario `rules:` list in JSON, each with its "id" (and
// "times_left" when it has `times`).
struct RulesAccess {
  std::function<std::string()> get_json;
  // Replaces the rules; the error text when the list is not valid (nothing changed then).
  std::function<std::optional<std::string>(const std::string& json)> put_json;
  // Appends one rule (a JSON object).
  std::function<RuleAdded(const std::string& json)> post_json;
  // Removes the rule with this id; false when there is none.
  std::function<bool(std::uint64_t id)> delete_rule;
};

}  // namespace maildog::http
