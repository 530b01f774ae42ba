// The client side of GET /healthz, for `maildog-ci healthcheck` (a container's HEALTHCHECK has
// no shell and no curl): the base URL parsed (pure), then one request with one deadline over
// connect, write and read. Beast stays in health_probe.cpp: including this header costs nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace maildog::http {

// Where serve's HTTP API listens: "http://HOST[:PORT][/PREFIX]" (IPv6 as [::1]; port 80 when
// the URL has none, as in any http URL). PREFIX is kept for an API behind a reverse proxy.
struct ProbeUrl {
  std::string host;  // without brackets
  std::uint16_t port = 80;
  std::string prefix;  // "" or "/maildog", never ending in '/'

  std::string health_path() const { return prefix + "/healthz"; }
  std::string host_header() const;  // "HOST:PORT", IPv6 in brackets
  std::string describe() const;     // "http://HOST:PORT/PREFIX/healthz", for messages
};

// Nothing, with the reason in `error`, when the text is not such a URL (https, a query, user
// info and a port out of range are refused by name).
std::optional<ProbeUrl> parse_probe_url(std::string_view text, std::string* error);

struct ProbeResult {
  bool healthy = false;  // a 2xx answer
  unsigned status = 0;   // the HTTP status; 0 when no answer came
  std::string reason;    // one line: what answered or what failed
};

// GET PREFIX/healthz with `Authorization: Bearer TOKEN` when the token is not empty. The
// timeout covers connecting, sending and reading the answer; a host name (not an address) is
// resolved first, as long as the system resolver takes.
ProbeResult probe_health(const ProbeUrl& url, const std::string& token, std::chrono::milliseconds timeout);

}  // namespace maildog::http
