#include "runner/scenario_run.hpp"

#include "lint/transaction.hpp"
#include "runner/client_script.hpp"
#include "runner/sender_checks.hpp"
#include "scenario/template.hpp"
#include "smtp/server.hpp"

namespace maildog::runner {

namespace {

constexpr const char* k_sandbox_host = "127.0.0.1";

std::chrono::microseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

ProcessSpec app_process(const scenario::Scenario& scenario, const std::map<std::string, std::string>& values,
                        const RunOptions& options) {
  const scenario::AppSpec& app = *scenario.app;
  ProcessSpec spec;
  if (app.shell) {
    spec.shell_command = scenario::expand_templates(*app.shell, values);
  }
  for (const auto& arg : app.argv) {
    spec.argv.push_back(scenario::expand_templates(arg, values));
  }
  const auto& server = scenario.server;
  spec.environment_overrides = {
      {"MAILDOG_SMTP_HOST", values.at("smtp.host")},
      {"MAILDOG_SMTP_PORT", values.at("smtp.port")},
      {"MAILDOG_SMTP_TLS", std::string(smtp::to_string(server.tls))},
      {"MAILDOG_SMTP_USER", values.at("smtp.user")},
      {"MAILDOG_SMTP_PASSWORD", values.at("smtp.password")},
      {"MAILDOG_SMTP_CA_FILE", values.at("smtp.ca_file")},
  };
  for (const auto& [name, value] : app.env) {
    spec.environment_overrides[name] = scenario::expand_templates(value, values);
  }
  spec.working_directory = app.cwd ? scenario.dir / *app.cwd : scenario.dir;
  spec.timeout = app.timeout.value_or(options.default_timeout);
  return spec;
}

ClientTarget client_target(const scenario::Scenario& scenario, std::uint16_t sandbox_port) {
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
    out.tls = target.tls.value_or(smtp::TlsMode::none);
    out.server_name = target.host;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> template_values(const scenario::Scenario& scenario, std::uint16_t port,
                                                   const std::filesystem::path& ca_file) {
  std::string user;
  std::string password;
  if (scenario.server.auth && !scenario.server.auth->users.empty()) {
    const auto& first = *scenario.server.auth->users.begin();
    user = first.first;
    password = first.second;
  }
  return {
      {"smtp.host", k_sandbox_host},
      {"smtp.port", std::to_string(port)},
      {"smtp.user", user},
      {"smtp.password", password},
      {"smtp.ca_file", ca_file.string()},
      {"scenario.dir", scenario.dir.empty() ? std::string(".") : scenario.dir.string()},
  };
}

ScenarioResult run_scenario(const scenario::Scenario& scenario, const RunOptions& options) {
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
  const auto values = template_values(scenario, server.port(), certificates->ca_file());

  if (scenario.app) {
    result.app = run_process(app_process(scenario, values, options));
    if (result.app->outcome == ProcessResult::Outcome::failed_to_start) {
      result.status = Status::error;
      result.error = "cannot start the app: " + result.app->error;
    }
  } else if (scenario.client) {
    auto run = run_client(*scenario.client, client_target(scenario, server.port()), values, options.step_timeout);
    result.steps = std::move(run.steps);
    if (!scenario.client->target.sandbox) {
      result.client_sessions = std::move(run.sessions);
    }
  }
  // Let clients that are still saying goodbye finish on their own, so the transcript shows
  // what they did rather than our shutdown.
  server.wait_until_idle(options.drain_timeout);
  server.stop();
  result.sessions = server.capture().sessions();
  for (auto& session : result.sessions) {
    for (auto& transaction : session.transactions) {
      transaction.lint = lint::lint_notes(transaction);
    }
  }
  result.duration = since(start);
  return result;
}

}  // namespace maildog::runner
