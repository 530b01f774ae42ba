#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#include "cli/commands.hpp"
#include "cli/report_files.hpp"
#include "expect/after_app.hpp"
#include "report/artifacts.hpp"
#include "report/console.hpp"
#include "report/github.hpp"
#include "report/normalise.hpp"
#include "runner/run_seed.hpp"
#include "runner/scenario_run.hpp"
#include "runner/scheduler.hpp"
#include "runner/shard.hpp"
#include "scenario/loader.hpp"

namespace maildog::cli {

namespace {

struct RunSettings {
  std::vector<std::string> paths;
  unsigned jobs = std::max(1U, std::thread::hardware_concurrency());
  ReportPaths reports;
  std::string artifacts;
  std::string filter;
  std::vector<std::string> tags;
  bool fail_fast = false;
  unsigned timeout_seconds = 30;
  bool update_golden = false;
  bool no_color = false;
  std::string shard;                  // "K/N", checked by the option
  std::optional<std::uint64_t> seed;  // absent: drawn at random and printed
  std::string ca_file;                // --ca-file; empty: a temporary file removed at exit
};

bool selected(const scenario::Scenario& scenario, const RunSettings& settings,
              const std::optional<std::regex>& filter) {
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

// The scenarios of `--shard K/N`; an empty shard is fine: a matrix may have more jobs than scenarios.
std::vector<scenario::Scenario> shard_part(std::vector<scenario::Scenario> chosen, const std::string& shard_text) {
  const runner::Shard shard = *runner::parse_shard(shard_text).shard;
  const std::size_t before = chosen.size();
  chosen = runner::select_shard(std::move(chosen), shard, std::filesystem::current_path());
  std::cout << "shard " << shard.label() << ": " << chosen.size() << " of " << before << " scenarios\n";
  return chosen;
}

// In GitHub Actions: an annotation per failure on stdout, the job summary appended to
// $GITHUB_STEP_SUMMARY. False when the summary cannot be written.
bool report_to_github(const runner::RunResult& result, const std::string& shard) {
  const char* actions = std::getenv("GITHUB_ACTIONS");
  if (actions == nullptr || std::string_view(actions) != "true") {
    return true;
  }
  report::GithubContext context;
  const char* workspace = std::getenv("GITHUB_WORKSPACE");
  context.workspace = workspace == nullptr ? "" : workspace;
  context.cwd = std::filesystem::current_path();
  context.shard = shard;
  report::write_github_annotations(result, context, std::cout);
  const char* summary = std::getenv("GITHUB_STEP_SUMMARY");
  if (summary == nullptr || *summary == '\0') {
    return true;
  }
  std::ofstream out(summary, std::ios::binary | std::ios::app);
  if (out) {
    report::write_github_summary(result, context, out);
  }
  if (!out) {
    std::cerr << "maildog-ci: cannot append the job summary to " << summary << '\n';
    return false;
  }
  return true;
}

int run(const RunSettings& settings) {
  std::vector<std::filesystem::path> inputs(settings.paths.begin(), settings.paths.end());
  auto loaded = scenario::load_paths(inputs, scenario::Environment());
  for (const auto& warning : loaded.warnings) {
    std::cerr << warning.format() << '\n';
  }
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
  // Checked before anything runs: a report that cannot land would otherwise cost the whole run.
  if (!outputs_ready(settings.reports, settings.artifacts)) {
    return k_exit_invalid;
  }
  if (!settings.shard.empty()) {
    chosen = shard_part(std::move(chosen), settings.shard);
  }
  const std::uint64_t seed = settings.seed.value_or(runner::random_run_seed());
  runner::apply_run_seed(chosen, seed);
  // Printed before anything runs, so a run that hangs or is cancelled can still be repeated.
  std::cout << "seed " << seed << ": rerun with --seed " << seed << '\n';

  runner::RunOptions options;
  options.default_timeout = std::chrono::seconds(settings.timeout_seconds);
  std::mutex golden_output;  // scenarios run on several threads
  expect::GoldenChanged golden_changed;
  if (settings.update_golden) {
    golden_changed = [&golden_output](const std::string& change) {
      std::lock_guard lock(golden_output);
      std::cout << change << std::flush;
    };
  }
  options.expectations = expect::expectation_hooks(golden_changed);
  try {
    options.certificates = std::make_shared<const runner::RunCertificates>(settings.ca_file);
  } catch (const std::exception& error) {
    std::cerr << "maildog-ci: " << error.what() << '\n';
    return settings.ca_file.empty() ? k_exit_environment : k_exit_invalid;
  }
  // Printed before anything runs: a job can point its clients at the file (NODE_EXTRA_CA_CERTS=...).
  std::cout << "CA file " << options.certificates->ca_file().string()
            << (settings.ca_file.empty() ? " (removed at exit; --ca-file PATH keeps it)" : "") << '\n';
  const bool color = !settings.no_color && std::getenv("NO_COLOR") == nullptr && ::isatty(STDOUT_FILENO) == 1;
  report::ConsoleReporter console(std::cout, color);
  console.set_total(chosen.size());

  runner::RunResult result;
  result.seed = seed;
  result.started = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  // The runner returns each scenario finished: judged, its status settled, its secrets masked.
  auto run_one = [&](const scenario::Scenario& one) { return runner::run_scenario(one, options); };
  runner::ScheduleOptions schedule{settings.jobs, settings.fail_fast};
  result.scenarios = runner::run_all(chosen, schedule, run_one,
                                     [&](const runner::ScenarioResult& done) { console.scenario_finished(done); });
  result.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  console.finish(result);

  const runner::RunResult shown = report::normalise_for_reports(result);
  // Reports are written even when scenarios failed: CI needs them most then.
  bool written = write_reports(shown, settings.reports);
  if (!settings.artifacts.empty()) {
    try {
      report::write_artifacts(result, settings.artifacts);
    } catch (const std::exception& error) {
      std::cerr << "maildog-ci: " << error.what() << '\n';
      written = false;
    }
  }
  written = report_to_github(result, settings.shard) && written;
  bool environment_failed = !written;
  for (const auto& scenario_result : result.scenarios) {
    environment_failed = environment_failed ||
                         (scenario_result.status == runner::Status::error && !runner::app_not_started(scenario_result));
  }
  if (environment_failed) {
    return k_exit_environment;
  }
  return result.failed() == 0 ? k_exit_passed : k_exit_failed;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto settings = std::make_shared<RunSettings>();
  auto* command = app.add_subcommand(
      "run", "Run scenarios: start a sandbox per scenario, run the app or client, check expectations");
  command->footer(
      "Examples:\n"
      "  maildog-ci run scenarios/\n"
      "  maildog-ci run scenarios/ -j 4 --junit report.xml --json report.json\n"
      "  maildog-ci run scenarios/greylisting.yaml --filter 'retry' --fail-fast\n"
      "  maildog-ci run scenarios/ --html report.html --seed 12345\n"
      "Exit codes: 0 all passed, 1 a scenario failed (an app that could not start included), 2 invalid input,\n"
      "3 the environment failed (a port, a report).");
  command->add_option("paths", settings->paths, "Scenario files or folders (searched recursively for *.yaml, *.yml)")
      ->required();
  command->add_option("-j,--jobs", settings->jobs, "Scenarios run in parallel (default: number of CPUs)")
      ->check(CLI::Range(1U, 256U));
  command->add_option("--junit", settings->reports.junit, "Write a JUnit XML report to this file");
  command->add_option("--json", settings->reports.json,
                      "Write a JSON report to this file (schemas/report.schema.json)");
  command->add_option("--html", settings->reports.html, "Write a self-contained HTML report to this file");
  command->add_option("--artifacts", settings->artifacts,
                      "Write each scenario's transcript and captured messages (.eml) under this folder");
  command->add_option("--filter", settings->filter, "Only scenarios whose name matches this regex");
  command->add_option("--tag", settings->tags, "Only scenarios with this tag (repeatable: any of them)");
  command->add_flag("--fail-fast", settings->fail_fast, "Start no new scenario after the first failure");
  command->add_option("--timeout", settings->timeout_seconds, "App timeout in seconds when a scenario sets none")
      ->check(CLI::Range(1U, 86400U));
  command
      ->add_option("--seed", settings->seed,
                   "Seed for the scenarios that set no server.seed (default: random, printed for a rerun)")
      ->check(CLI::Range(std::uint64_t{0}, runner::k_seed_max));
  command
      ->add_option("--ca-file", settings->ca_file,
                   "Write the run's CA certificate (PEM) here, for clients that verify the sandbox\n"
                   "(default: a temporary file, removed at exit; apps get MAILDOG_SMTP_CA_FILE)")
      ->type_name("PATH");
  command->add_flag("--update-golden", settings->update_golden, "Rewrite golden transcript files from this run");
  command
      ->add_option("--shard", settings->shard,
                   "Run only shard K of N (1-based): a stable split by file path and name, for CI matrices")
      ->check(CLI::Validator(
          [](std::string& text) {
            auto parsed = runner::parse_shard(text);
            return parsed.shard ? std::string() : parsed.error;
          },
          "K/N"));
  command->add_flag("--no-color", settings->no_color, "No colours in the console report (NO_COLOR is honoured too)");
  return [command, settings]() { return command->parsed() ? run(*settings) : -1; };
}

}  // namespace maildog::cli
