// `services:` — processes a scenario starts before its app or client (a web service the app
// triggers, a worker, "our MX" for a client) and stops after it. Kept apart from model.hpp so
// the app, its steps and the services can grow without touching each other.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::scenario {

inline constexpr std::chrono::milliseconds k_ready_timeout_default{std::chrono::seconds(10)};
inline constexpr std::chrono::milliseconds k_stop_timeout_default{std::chrono::seconds(2)};

// `services[].ready` — when a service counts as ready. Strings may hold templates
// ({{port.web}}); the runner expands them before it checks.
struct ReadySpec {
  enum class Kind {
    started,  // no `ready:`: ready once spawned
    port,     // a TCP connect to 127.0.0.1:<target> succeeds
    http,     // GET <target> (an http:// URL on loopback) answers 2xx
    log,      // the regex <target> finds a match on stdout or stderr
  };
  Kind kind = Kind::started;
  std::string target;
  std::chrono::milliseconds timeout = k_ready_timeout_default;
  std::size_t line = 0;  // line of the `ready:` key
};

struct ServiceSpec {
  std::string name;                        // [a-z][a-z0-9_-]*, unique in the scenario
  std::vector<std::string> argv;           // `run` as a list
  std::optional<std::string> shell;        // `run` as a string: /bin/sh -c
  std::map<std::string, std::string> env;  // on top of the MAILDOG_SMTP_* variables
  std::optional<std::string> cwd;          // as written; relative to Scenario::dir
  ReadySpec ready;
  std::chrono::milliseconds stop_timeout = k_stop_timeout_default;  // SIGTERM .. SIGKILL of its group
  std::size_t line = 0;                                             // line of the item
};

}  // namespace maildog::scenario
