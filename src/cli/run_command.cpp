#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <thread>

#include "cli/commands.hpp"
#include "expect/evaluate.hpp"
#include "report/artifacts.hpp"
#include "report/console.hpp"
#include "report/json.hpp"
#include "report/junit.hpp"
#include "runner/scenario_run.hpp"
#include "runner/scheduler.hpp"
#include "scenario/loader.hpp"

namespace maildog::cli {

namespace {

struct RunSettings {
  std::vector<std::string> paths;
  unsigned jobs = std::max(1U, std::thread::hardware_concurrency());
  std::string junit;
  std::string json;
  std::string artifacts;
  std::string filter;
  std::vector<std::string> tags;
  bool fail_fast = false;
  unsigned timeout_seconds = 30;
  bool update_golden = false;
  bool no_color = false;
};

bool selected(const scenario::Scenario& scenario, const RunSettings& settings, const std::optional<std::regex>& filter) {
  if (filter && !std::regex_search(scenario.name, *filter)) {
    return false;
  }
  if (settings.tags.empty()) {
    return true;
  }
  for (const auto& tag : settings.tags) {
    if (std::find(scenario.tags.begin(), scenario.tags.end(), tag) != scenario.tags.end()) {
      return true;
    }
  }
  return false;
}

// Reports are written even when scenarios failed: CI needs them most then.
bool write_report(const std::string& path, const char* what, const std::function<void(std::ostream&)>& write) {
  if (path.empty()) {
    return true;
  }
  std::ofstream out(path, std::ios::binary);
  if (out) {
    write(out);
  }
  if (!out) {
    std::cerr << "maildog-ci: cannot write the " << what << " report to " << path << '\n';
    return false;
  }
  return true;
}

int run(const RunSettings& settings) {
  std::vector<std::filesystem::path> inputs(settings.paths.begin(), settings.paths.end());
  auto loaded = scenario::load_paths(inputs, scenario::Environment());
  for (const auto& diagnostic : loaded.diagnostics) {
    std::cerr << diagnostic.format() << '\n';
  }
  if (!loaded.ok()) {
    return k_exit_invalid;
  }
  std::optional<std::regex> filter;
  if (!settings.filter.empty()) {
    try {
      filter.emplace(settings.filter);
    } catch (const std::regex_error& error) {
      std::cerr << "maildog-ci: --filter is not a valid regex: " << error.what() << '\n';
      return k_exit_invalid;
    }
  }
  std::vector<scenario::Scenario> chosen;
  for (auto& candidate : loaded.scenarios) {
    if (selected(candidate, settings, filter)) {
      chosen.push_back(std::move(candidate));
    }
  }
  if (chosen.empty()) {
    std::cerr << "maildog-ci: no scenario to run (check the paths, --filter and --tag)\n";
    return k_exit_invalid;
  }

  runner::RunOptions options;
  options.default_timeout = std::chrono::seconds(settings.timeout_seconds);
  const bool color = !settings.no_color && std::getenv("NO_COLOR") == nullptr && ::isatty(STDOUT_FILENO) == 1;
  report::ConsoleReporter console(std::cout, color);
  console.set_total(chosen.size());

  runner::RunResult result;
  result.started = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  auto run_one = [&](const scenario::Scenario& one) {
    runner::ScenarioResult outcome = runner::run_scenario(one, options);
    if (settings.update_golden) {
      expect::update_golden(one, outcome);
    }
    outcome.failures = expect::evaluate(one, outcome);
    if (outcome.status == runner::Status::passed && !outcome.failures.empty()) {
      outcome.status = runner::Status::failed;
    }
    return outcome;
  };
  runner::ScheduleOptions schedule{settings.jobs, settings.fail_fast};
  result.scenarios = runner::run_all(chosen, schedule, run_one,
                                     [&](const runner::ScenarioResult& done) { console.scenario_finished(done); });
  result.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  console.finish(result);

  bool written = write_report(settings.junit, "JUnit", [&](std::ostream& out) { report::write_junit(result, out); });
  written = write_report(settings.json, "JSON", [&](std::ostream& out) { report::write_json(result, out); }) && written;
  if (!settings.artifacts.empty()) {
    try {
      report::write_artifacts(result, settings.artifacts);
    } catch (const std::exception& error) {
      std::cerr << "maildog-ci: " << error.what() << '\n';
      written = false;
    }
  }
  bool environment_failed = !written;
  for (const auto& scenario_result : result.scenarios) {
    environment_failed = environment_failed || scenario_result.status == runner::Status::error;
  }
  if (environment_failed) {
    return k_exit_environment;
  }
  return result.failed() == 0 ? k_exit_passed : k_exit_failed;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto settings = std::make_shared<RunSettings>();
  auto* command = app.add_subcommand("run", "Run scenarios: start a sandbox per scenario, run the app or client, check expectations");
  command->footer(
      "Examples:\n"
      "  maildog-ci run scenarios/\n"
      "  maildog-ci run scenarios/ -j 4 --junit report.xml --json report.json\n"
      "  maildog-ci run scenarios/greylisting.yaml --filter 'retry' --fail-fast\n"
      "Exit codes: 0 all passed, 1 a scenario failed, 2 invalid input, 3 the environment failed.");
  command->add_option("paths", settings->paths, "Scenario files or folders (searched recursively for *.yaml, *.yml)")
      ->required();
  command->add_option("-j,--jobs", settings->jobs, "Scenarios run in parallel (default: number of CPUs)")
      ->check(CLI::Range(1U, 256U));
  command->add_option("--junit", settings->junit, "Write a JUnit XML report to this file");
  command->add_option("--json", settings->json, "Write a JSON report to this file (schemas/report.schema.json)");
  command->add_option("--artifacts", settings->artifacts,
                      "Write each scenario's transcript and captured messages (.eml) under this folder");
  command->add_option("--filter", settings->filter, "Only scenarios whose name matches this regex");
  command->add_option("--tag", settings->tags, "Only scenarios with this tag (repeatable: any of them)");
  command->add_flag("--fail-fast", settings->fail_fast, "Start no new scenario after the first failure");
  command->add_option("--timeout", settings->timeout_seconds, "App timeout in seconds when a scenario sets none")
      ->check(CLI::Range(1U, 86400U));
  command->add_flag("--update-golden", settings->update_golden, "Rewrite golden transcript files from this run");
  command->add_flag("--no-color", settings->no_color, "No colours in the console report (NO_COLOR is honoured too)");
  return [command, settings]() { return command->parsed() ? run(*settings) : -1; };
}

}  // namespace maildog::cli
