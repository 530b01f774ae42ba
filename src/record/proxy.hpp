// The recording SMTP proxy behind `maildog-ci record`: an app connects, the proxy connects to the
// upstream server and relays the greeting, each command and each reply unchanged, recording
// them. STARTTLS ends at the proxy (a leaf signed by a CA it makes, whose file the app is told
// about, as the sandbox does) and is opened separately to the upstream. Sessions are served one
// after another: an app's connections queue in the listen backlog meanwhile.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "record/recording.hpp"

namespace maildog::record {

enum class UpstreamTls { starttls, implicit, none };

struct ProxyOptions {
  std::string listen_host = "127.0.0.1";
  std::string listen_port = "2525";  // "0": any free port (printed)
  std::string upstream_host;
  std::string upstream_port;
  UpstreamTls upstream_tls = UpstreamTls::starttls;
  std::string upstream_ca;   // PEM file; empty: the system's store
  bool insecure = false;     // no verification of the upstream's certificate
  std::size_t sessions = 0;  // stop after this many app sessions; 0: at SIGINT/SIGTERM
  bool keep_bodies = false;
  std::filesystem::path ca_file;  // where the proxy's CA certificate is written for the app
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};           // each read and write
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};  // reaching the upstream
  std::size_t message_size_limit = 64 * 1024 * 1024;
  // Console lines ("listening on ...", each session's end).
  std::function<void(const std::string&)> say;
};

// The upstream failed (refused, timed out, closed, garbage, an endless line): the recording
// ends without a scenario. The app got a 421 first.
class UpstreamFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Serves app sessions until SIGINT/SIGTERM or options.sessions; returns what was recorded.
// Throws UpstreamFailed, or std::runtime_error when it cannot listen or make its certificates.
Recording run_proxy(const ProxyOptions& options);

}  // namespace maildog::record
