// The `services:` of one scenario run: started in order before the app or client, each awaited
// until ready (a port accepts, an HTTP GET answers 2xx, or a regex matches its output), and
// stopped in reverse order afterwards: SIGTERM to its process group, its stop_timeout of grace,
// SIGKILL, reaped. Their output is captured like the app's, bounded, while they run.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runner/process.hpp"
#include "runner/result.hpp"
#include "scenario/service.hpp"

namespace maildog::runner {

class RunningService;

class ServiceSet {
 public:
  // How a service's ProcessSpec is made (run, env, cwd with templates, the sandbox's variables
  // and the scenario cookie); the ready target is expanded by `expand`.
  using SpecFor = std::function<ProcessSpec(const scenario::ServiceSpec&)>;
  using Expand = std::function<std::string(const std::string&)>;

  ServiceSet();
  ServiceSet(const ServiceSet&) = delete;
  ServiceSet& operator=(const ServiceSet&) = delete;
  ~ServiceSet();  // stops what is still running

  // Starts the services in order, each once the one before is ready. On the first that fails to
  // start, exits before it is ready or is not ready in time, stops at it and returns a message
  // naming it; empty when all are ready.
  std::string start(const std::vector<scenario::ServiceSpec>& services, const SpecFor& spec_for, const Expand& expand);

  // Stops the running services in reverse order and returns what each did, in `services:` order.
  std::vector<ServiceResult> stop();

 private:
  std::vector<std::unique_ptr<RunningService>> m_running;
  std::vector<ServiceResult> m_results;
};

// Whether `url` (http://HOST:PORT/PATH, HOST a loopback name or address) answers a GET with a
// 2xx status within `timeout`; false for any other URL.
bool http_answers_2xx(const std::string& url, std::chrono::milliseconds timeout);

// Whether a TCP connection to 127.0.0.1:`port` succeeds.
bool loopback_port_open(std::uint16_t port);

}  // namespace maildog::runner
