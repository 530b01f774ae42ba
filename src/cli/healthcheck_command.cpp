// `maildog-ci healthcheck`: is a `serve` answering? The container image's HEALTHCHECK, which
// has neither a shell nor curl to ask with.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "http/health_probe.hpp"

namespace maildog::cli {

namespace {

constexpr double k_default_timeout_seconds = 3.0;
// Docker's own default health check timeout is 30 s; more than that is never a health check.
constexpr double k_max_timeout_seconds = 30.0;

struct HealthcheckSettings {
  std::string url = "http://127.0.0.1:8025";
  double timeout_seconds = k_default_timeout_seconds;
  std::string api_token;  // --api-token, else MAILDOG_API_TOKEN
};

int healthcheck(const HealthcheckSettings& settings) {
  std::string error;
  const auto url = http::parse_probe_url(settings.url, &error);
  if (!url) {
    std::cerr << "maildog-ci healthcheck: --url " << settings.url << ": " << error << '\n';
    return k_exit_invalid;
  }
  const auto timeout = std::chrono::milliseconds(std::llround(settings.timeout_seconds * 1000.0));
  const auto result = http::probe_health(*url, settings.api_token, timeout);
  if (!result.healthy) {
    std::cerr << "maildog-ci healthcheck: unhealthy: " << result.reason << '\n';
    return k_exit_failed;
  }
  std::cout << "maildog-ci healthcheck: healthy: " << result.reason << '\n';
  return k_exit_passed;
}

}  // namespace

Command add_healthcheck_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("healthcheck", "Ask a running `maildog-ci serve` whether it answers (exit 0 if so)");
  command->footer(
      "Sends GET /healthz to serve's HTTP API at --url and exits 0 when it answers 2xx within --timeout,\n"
      "1 otherwise, with the reason on one line of stderr (refused, timed out, the HTTP status).\n"
      "It needs no shell and no curl: the container image's HEALTHCHECK runs it. /healthz needs no\n"
      "token; when MAILDOG_API_TOKEN (or --api-token) is set it is sent as a bearer token anyway, so a\n"
      "proxy in front that checks it lets the probe through.\n"
      "When serve listens on another port, give --url or set MAILDOG_HEALTHCHECK_URL.\n"
      "Examples:\n"
      "  maildog-ci healthcheck\n"
      "  maildog-ci healthcheck --url http://127.0.0.1:9025 --timeout 1\n"
      "  docker run -e MAILDOG_HEALTHCHECK_URL=http://127.0.0.1:9025 IMAGE serve --bind 0.0.0.0 --http-port 9025\n"
      "Exit codes: 0 healthy, 1 unhealthy or unreachable, 2 an invalid --url or option.");
  auto settings = std::make_shared<HealthcheckSettings>();
  command->add_option("--url", settings->url, "Base URL of serve's HTTP API: http://HOST[:PORT][/PREFIX]")
      ->envname("MAILDOG_HEALTHCHECK_URL")
      ->capture_default_str();
  command->add_option("--timeout", settings->timeout_seconds, "Seconds to wait for connecting and the answer, in all")
      ->check(CLI::Range(0.001, k_max_timeout_seconds))
      ->capture_default_str();
  command
      ->add_option("--api-token", settings->api_token, "Bearer token to send (default: MAILDOG_API_TOKEN, else none)")
      ->envname("MAILDOG_API_TOKEN");
  return [command, settings]() {
    if (!command->parsed()) {
      return -1;
    }
    return healthcheck(*settings);
  };
}

}  // namespace maildog::cli
