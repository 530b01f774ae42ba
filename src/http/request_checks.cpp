#include "http/request_checks.hpp"

#include <algorithm>
#include <string>

#include "core/ascii.hpp"

namespace maildog::http {

namespace {

// ":8025" or nothing: what may follow a host name in a Host field.
bool is_port_suffix(std::string_view rest) {
  return rest.empty() || (rest.size() > 1 && rest.front() == ':' &&
                          rest.substr(1).find_first_not_of("0123456789") == std::string_view::npos);
}

// "Host:port" or "[v6]:port" without the port and brackets, lower case, no trailing dot; empty
// when what follows the name is not a port ("127.0.0.1:80@evil.test" names nothing of ours).
std::string host_name(std::string_view host) {
  host = ascii::trim(host);
  std::string_view name = host;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || !is_port_suffix(host.substr(close + 1))) {
      return {};
    }
    name = host.substr(1, close - 1);
  } else if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (!is_port_suffix(host.substr(colon))) {
      return {};
    }
    name = host.substr(0, colon);
  }
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  return ascii::lower(name);
}

// Origin is "scheme://host[:port]": same-origin when it names the Host the request was sent to.
bool same_origin(std::string_view origin, std::string_view host) {
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() > scheme.size() && ascii::iequals(origin.substr(0, scheme.size()), scheme)) {
      return ascii::iequals(origin.substr(scheme.size()), ascii::trim(host));
    }
  }
  return false;
}

// The media type of a Content-Type value, without parameters.
bool is_json_type(std::string_view content_type) {
  return ascii::iequals(ascii::trim(content_type.substr(0, content_type.find(';'))), "application/json");
}

}  // namespace

namespace routes {

ApiResponse token_required() {
  ApiResponse response = json_error(401, "a valid bearer token is required (Authorization: Bearer ...)");
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"maildog-ci\"");
  return response;
}

// RFC 6750 2.1: "Authorization: Bearer <token>", the scheme without case.
bool authorized(const ApiOptions& options, std::string_view authorization) {
  if (options.token.empty()) {
    return true;
  }
  constexpr std::string_view k_scheme = "bearer ";
  if (authorization.size() < k_scheme.size() || !ascii::iequals(authorization.substr(0, k_scheme.size()), k_scheme)) {
    return false;
  }
  return same_token(ascii::trim(authorization.substr(k_scheme.size())), options.token);
}

// Host, Origin and Content-Type: what a web page on another name cannot get past. nullopt: go on.
std::optional<ApiResponse> check_request(const ApiOptions& options, const ApiRequest& request) {
  if (request.host_count != 1) {
    return json_error(400, request.host_count == 0 ? "the request has no Host header"
                                                   : "the request has more than one Host header");
  }
  if (!host_allowed(options, request.host)) {
    return json_error(403, "Host \"" + request.host.substr(0, 255) +
                               "\" is not served (DNS rebinding protection): use localhost or 127.0.0.1, allow the "
                               "name with --allowed-host NAME or MAILDOG_ALLOWED_HOSTS=NAME,..., or set an API token");
  }
  const bool changes_state = request.method == "PUT" || request.method == "POST" || request.method == "DELETE";
  if (changes_state && !request.origin.empty() && !options.cors && !same_origin(request.origin, request.host)) {
    return json_error(403, "Origin \"" + request.origin.substr(0, 255) + "\" is not this server's (\"" +
                               request.host.substr(0, 255) + "\"): a page on another site cannot change it");
  }
  if (!request.body.empty() && !is_json_type(request.content_type)) {
    return json_error(415, "a request body must be sent with Content-Type: application/json");
  }
  return std::nullopt;
}

}  // namespace routes

bool host_allowed(const ApiOptions& options, std::string_view host) {
  if (!options.token.empty()) {
    return true;
  }
  const std::string name = host_name(host);
  if (name.empty()) {
    return false;
  }
  if (name == "localhost" || name == "127.0.0.1" || name == "::1" || name == host_name("[" + options.bind + "]")) {
    return true;
  }
  return std::any_of(options.allowed_hosts.begin(), options.allowed_hosts.end(), [&name](const std::string& allowed) {
    const bool bracketed = allowed.starts_with('[');
    return host_name(bracketed || allowed.find(':') == std::string::npos ? allowed : "[" + allowed + "]") == name;
  });
}

bool same_token(std::string_view given, std::string_view expected) {
  unsigned difference = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const char other = i < given.size() ? given[i] : '\0';
    difference |= static_cast<unsigned char>(expected[i] ^ other);
  }
  return difference == 0;
}

}  // namespace maildog::http
