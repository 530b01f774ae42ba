// serve's ready document for programs (--ready-file, --print-ready-json): where the SMTP and
// HTTP listeners are, the CA file to trust, the pid and version, as one JSON line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace maildog::cli {

struct ReadyDocument {
  std::string smtp_host;  // an address a client can connect to (see reachable_address)
  std::uint16_t smtp_port = 0;
  std::string http_host;
  std::uint16_t http_port = 0;
  std::optional<std::filesystem::path> ca_file;  // absolute; none when the config offers no TLS
  long pid = 0;
  std::string version;  // "0.1.0 (commit ..., clean tree)"
};

// A bound address as a client reaches it: the wildcards 0.0.0.0 and :: as loopback (a client
// cannot connect to a wildcard), anything else as it is.
std::string reachable_address(const std::string& bound);

// `{"smtp": {"host", "port"}, "http": {"url"}, "ca_file", "pid", "version"}` and a newline; the
// URL ends with "/" and brackets an IPv6 host.
std::string ready_json(const ReadyDocument& document);

// Writes `text` to `path` atomically (a temporary file beside it, then a rename), so a reader
// never sees a partial document. Throws std::runtime_error when it cannot.
void write_ready_file(const std::filesystem::path& path, const std::string& text);

}  // namespace maildog::cli
