// What the API checks before it routes a request: the bearer token (RFC 6750), and the Host,
// Origin and Content-Type a web page on another name cannot get past (DNS rebinding, CSRF).
// host_allowed and same_token, declared in http/api_routes.hpp, are defined here too.
#pragma once

#include <optional>
#include <string_view>

#include "http/api_options.hpp"
#include "http/api_routes.hpp"

namespace maildog::http::routes {

// The 401 for a missing or wrong token, with its WWW-Authenticate challenge.
ApiResponse token_required();
// RFC 6750 2.1: "Authorization: Bearer <token>", the scheme without case.
bool authorized(const ApiOptions& options, std::string_view authorization);
// Host, Origin and Content-Type: what a web page on another name cannot get past. nullopt: go on.
std::optional<ApiResponse> check_request(const ApiOptions& options, const ApiRequest& request);

}  // namespace maildog::http::routes
