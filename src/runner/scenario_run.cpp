#include "runner/scenario_run.hpp"

#include <charconv>
#include <filesystem>
#include <optional>

#include "runner/client_script.hpp"
#include "runner/process_tree.hpp"
#include "runner/run_resources.hpp"
#include "runner/sender_checks.hpp"
#include "runner/services.hpp"
#include "runner/verdict.hpp"
#include "scenario/template.hpp"
#include "smtp/server.hpp"

namespace maildog::runner {

namespace {

constexpr const char* k_sandbox_host = "127.0.0.1";

std::chrono::microseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

// The variables every process of the scenario gets: the sandbox's address, and the cookie that
// finds it (and whatever it starts) when the scenario ends (process_tree.hpp).
std::map<std::string, std::string> sandbox_environment(const scenario::Scenario& scenario,
                                                       const std::map<std::string, std::string>& values,
                                                       const std::string& cookie) {
  const auto& server = scenario.server;
  return {
      {"MAILDOG_SMTP_HOST", values.at("smtp.host")},
      {"MAILDOG_SMTP_PORT", values.at("smtp.port")},
      {"MAILDOG_SMTP_TLS", std::string(smtp::to_string(server.tls))},
      {"MAILDOG_SMTP_USER", values.at("smtp.user")},
      {"MAILDOG_SMTP_PASSWORD", values.at("smtp.password")},
      {k_scenario_cookie_variable, cookie},
      {"MAILDOG_SMTP_CA_FILE", values.at("smtp.ca_file")},
  };
}

// run (a shell string or argv), env and cwd of the app, a service or a step, templates expanded.
ProcessSpec command_process(const std::optional<std::string>& shell, const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env, const std::optional<std::string>& cwd,
                            const scenario::Scenario& scenario, const std::map<std::string, std::string>& values,
                            const std::string& cookie) {
  ProcessSpec spec;
  if (shell) {
    spec.shell_command = scenario::expand_templates(*shell, values);
  }
  for (const auto& arg : argv) {
    spec.argv.push_back(scenario::expand_templates(arg, values));
  }
  spec.environment_overrides = sandbox_environment(scenario, values, cookie);
  for (const auto& [name, value] : env) {
    spec.environment_overrides[name] = scenario::expand_templates(value, values);
  }
  spec.working_directory = cwd ? scenario.dir / scenario::expand_templates(*cwd, values) : scenario.dir;
  return spec;
}

// The app's command, or a then step's (they take the same run, env, cwd and timeout).
ProcessSpec app_process(const scenario::Scenario& scenario, const scenario::AppSpec& app,
                        const std::map<std::string, std::string>& values, const RunOptions& options,
                        const std::string& cookie) {
  ProcessSpec spec = command_process(app.shell, app.argv, app.env, app.cwd, scenario, values, cookie);
  spec.timeout = app.timeout.value_or(options.default_timeout);
  return spec;
}

ProcessSpec service_process(const scenario::ServiceSpec& service, const scenario::Scenario& scenario,
                            const std::map<std::string, std::string>& values, const std::string& cookie) {
  return command_process(service.shell, service.argv, service.env, service.cwd, scenario, values, cookie);
}

ClientTarget client_target(const scenario::Scenario& scenario, std::uint16_t sandbox_port,
                           const std::map<std::string, std::string>& values) {
  const scenario::Target& target = scenario.client->target;
  ClientTarget out;
  if (target.sandbox) {
    out.host = k_sandbox_host;
    out.port = sandbox_port;
    out.tls = target.tls.value_or(scenario.server.tls == smtp::TlsMode::implicit ? smtp::TlsMode::implicit
                                                                                 : smtp::TlsMode::none);
    out.server_name = scenario.server.hostname;
  } else {
    out.host = target.host;
    out.port = target.port;
    if (!target.port_template.empty()) {
      // The loader allows only {{port.NAME}} here, which always expands to a port number.
      const std::string text = scenario::expand_templates(target.port_template, values);
      std::from_chars(text.data(), text.data() + text.size(), out.port);
    }
    out.tls = target.tls.value_or(smtp::TlsMode::none);
    out.server_name = target.host;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> template_values(const scenario::Scenario& scenario, std::uint16_t port,
                                                   const RunTemplates& run) {
  std::string user;
  std::string password;
  if (scenario.server.auth && !scenario.server.auth->users.empty()) {
    const auto& first = *scenario.server.auth->users.begin();
    user = first.first;
    password = first.second;
  }
  // Absolute: the app runs in the scenario's folder, so a path relative to where maildog-ci
  // started would point elsewhere.
  std::error_code ignored;
  const auto dir = std::filesystem::absolute(scenario.dir.empty() ? std::filesystem::path(".") : scenario.dir, ignored)
                       .lexically_normal();
  std::string dir_text = dir.string();
  if (dir_text.size() > 1 && dir_text.ends_with('/')) {
    dir_text.pop_back();
  }
  std::map<std::string, std::string> values{
      {"smtp.host", k_sandbox_host},      {"smtp.port", std::to_string(port)},    {"smtp.user", user},
      {"smtp.password", password},        {"smtp.ca_file", run.ca_file.string()}, {"scenario.dir", dir_text},
      {"scenario.tmp", run.tmp.string()},
  };
  for (const auto& [name, number] : run.ports) {
    values[std::string(scenario::k_port_template_prefix) + name] = std::to_string(number);
  }
  return values;
}

namespace {

// The scenario as it ran, not yet judged (run_scenario finishes it); returns early, with
// Status::error, when the sandbox or what it needs cannot be set up.
ScenarioResult run_sandboxed(const scenario::Scenario& scenario, const RunOptions& options) {
  ScenarioResult result;
  result.name = scenario.name;
  result.tags = scenario.tags;
  result.file = scenario.file;
  result.line = scenario.line;
  result.seed = scenario.server.seed;
  result.started = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();

  smtp::ServerConfig config = scenario.server;
  std::shared_ptr<const RunCertificates> certificates = options.certificates;
  try {
    if (!certificates) {
      certificates = std::make_shared<const RunCertificates>();
    }
    // Only a sandbox that offers TLS needs a leaf; the user's tls_cert/tls_key win.
    if (config.tls != smtp::TlsMode::none && !config.tls_cert_file) {
      config.tls_identity = certificates->sandbox_identity(scenario.server_extras.certificate, config.hostname);
    }
  } catch (const std::exception& error) {
    result.status = Status::error;
    result.error = std::string("cannot make the sandbox's certificate: ") + error.what();
    result.duration = since(start);
    return result;
  }
  try {
    config.sender_checks = make_sender_checks(scenario);
  } catch (const std::exception& error) {
    result.status = Status::error;
    result.error = std::string("cannot set up the sender checks: ") + error.what();
    result.duration = since(start);
    return result;
  }
  smtp::Server server(std::move(config));
  try {
    server.start();
  } catch (const std::exception& error) {
    result.status = Status::error;
    result.error = std::string("cannot start the sandbox: ") + error.what();
    result.duration = since(start);
    return result;
  }
  result.sandbox_port = server.port();
  // Declared before the services: destroyed after they are stopped and the leftovers swept.
  std::optional<ScratchFolder> scratch;
  RunTemplates run_templates;
  try {
    scratch.emplace();
    run_templates.tmp = scratch->path();
    run_templates.ca_file = certificates->ca_file();
    run_templates.ports = free_loopback_ports(scenario.port_names);
  } catch (const std::exception& error) {
    result.status = Status::error;
    result.error = std::string("cannot prepare the scenario's templates: ") + error.what();
    result.duration = since(start);
    return result;
  }
  const auto values = template_values(scenario, server.port(), run_templates);
  // Destroyed in reverse: the services are stopped, then the leftovers ended, then the folder removed.
  ScenarioProcesses processes;
  const std::string& cookie = processes.cookie();
  ServiceSet services;
  const std::string service_problem = services.start(
      scenario.services,
      [&](const scenario::ServiceSpec& service) { return service_process(service, scenario, values, cookie); },
      [&](const std::string& text) { return scenario::expand_templates(text, values); });
  if (!service_problem.empty()) {
    result.status = Status::error;
    result.error = service_problem;
  } else if (scenario.app) {
    result.app = run_process(app_process(scenario, *scenario.app, values, options, cookie));
    if (result.app->outcome == ProcessResult::Outcome::failed_to_start) {
      result.status = Status::error;
      result.error = "cannot start the app: " + result.app->error;
    } else {
      run_then_steps(
          scenario, server.capture(), options.expectations,
          [&](const scenario::AppSpec& command) { return app_process(scenario, command, values, options, cookie); },
          result);
    }
  } else if (scenario.client) {
    auto run =
        run_client(*scenario.client, client_target(scenario, server.port(), values), values, options.step_timeout);
    result.steps = std::move(run.steps);
    if (!scenario.client->target.sandbox) {
      result.client_sessions = std::move(run.sessions);
    }
  }
  // Mail sent after the app returned (a background job, a queue): `within` waits for it, with
  // the services still running.
  if (result.status != Status::error) {
    watch_expectations(scenario, server.capture(), options.expectations, result);
  }
  // Let clients that are still saying goodbye finish on their own, so the transcript shows
  // what they did rather than our shutdown.
  server.wait_until_idle(options.drain_timeout);
  // The services go after the app or client and the drain (and before the sandbox: a worker
  // may still be sending), in reverse order; then whatever else carries the scenario's cookie
  // (a daemon that called setsid or double-forked) is ended and reaped.
  processes.note_descendants();  // before stopping a service orphans what scrubbed its environment
  result.services = services.stop();
  for (const auto& service : result.services) {
    if (!service.problem.empty()) {
      result.error = service.problem;  // now with how it ended
    }
  }
  processes.end();
  server.stop();
  result.sessions = server.capture().sessions();
  result.duration = since(start);
  return result;
}

}  // namespace

ScenarioResult run_scenario(const scenario::Scenario& scenario, const RunOptions& options) {
  ScenarioResult result = run_sandboxed(scenario, options);
  finish_result(scenario, options.expectations, result);
  return result;
}

}  // namespace maildog::runner
