#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/report_files.hpp"
#include "report/console.hpp"
#include "report/json_read.hpp"
#include "report/merge.hpp"

namespace maildog::cli {

namespace {

// A shard report is a few MiB at most; this stops a wrong path (a disk image, a log) early.
constexpr std::uintmax_t k_report_size_max = 1024ULL * 1024 * 1024;

struct MergeSettings {
  std::vector<std::string> inputs;
  ReportPaths reports;
};

// Every problem with one input, as "PATH: what is wrong"; nothing when it reads as a report.
std::optional<report::ShardReport> read_input(const std::string& path, std::string& problem) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) {
    problem = path + ": cannot read it (" + error.message() + ")";
    return std::nullopt;
  }
  if (size > k_report_size_max) {
    problem = path + ": larger than 1 GiB, not a shard report";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    problem = path + ": cannot read it";
    return std::nullopt;
  }
  const std::string content = text.str();
  const auto first = content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && content[first] == '<') {
    problem = path + ": looks like JUnit XML; merge reads the JSON reports that `run --json` writes";
    return std::nullopt;
  }
  auto read = report::read_json_report(content);
  if (!read.run) {
    problem = path + ": " + read.error;
    return std::nullopt;
  }
  return report::ShardReport{path, std::move(*read.run)};
}

int merge(const MergeSettings& settings) {
  if (settings.reports.junit.empty() && settings.reports.json.empty() && settings.reports.html.empty()) {
    std::cerr << "maildog-ci: merge needs --junit FILE, --json FILE or --html FILE to write\n";
    return k_exit_invalid;
  }
  if (!outputs_ready(settings.reports)) {
    return k_exit_invalid;
  }
  std::vector<report::ShardReport> reports;
  bool inputs_ok = true;
  for (const auto& path : settings.inputs) {
    std::string problem;
    if (auto one = read_input(path, problem)) {
      reports.push_back(std::move(*one));
    } else {
      std::cerr << "maildog-ci: " << problem << '\n';
      inputs_ok = false;
    }
  }
  if (!inputs_ok) {
    return k_exit_invalid;
  }
  auto merged = report::merge_runs(std::move(reports));
  if (!merged.run) {
    std::cerr << "maildog-ci: " << merged.error << '\n';
    return k_exit_invalid;
  }
  if (!merged.seed_warning.empty()) {
    std::cerr << "maildog-ci: warning: " << merged.seed_warning << '\n';
  }
  const runner::RunResult& run = *merged.run;
  std::cout << "merged " << settings.inputs.size() << (settings.inputs.size() == 1 ? " report: " : " reports: ")
            << run.scenarios.size() << " scenarios\n";
  report::ConsoleReporter console(std::cout);
  console.finish(run);
  if (!write_reports(run, settings.reports)) {
    return k_exit_environment;
  }
  return run.failed() == 0 ? k_exit_passed : k_exit_failed;
}

}  // namespace

Command add_merge_command(CLI::App& app) {
  auto settings = std::make_shared<MergeSettings>();
  auto* command = app.add_subcommand("merge", "Merge the JSON reports of shards (run --shard K/N --json) into one");
  command->footer(
      "Inputs are JSON reports written by `run --json` (JUnit files cannot be read back: let every\n"
      "shard write --json too). A scenario found in two inputs is an error. The merged run lists the\n"
      "scenarios by file and line, as one run over the same folder would.\n"
      "Example:\n"
      "  maildog-ci merge --junit report.xml --json report.json shard-*/report.json\n"
      "Exit codes: 0 all passed, 1 a scenario failed, 2 invalid input, 3 a report could not be written.");
  command->add_option("reports", settings->inputs, "JSON reports of the shards")->required();
  command->add_option("--junit", settings->reports.junit, "Write the merged JUnit XML report to this file");
  command->add_option("--json", settings->reports.json, "Write the merged JSON report to this file");
  command->add_option("--html", settings->reports.html, "Write the merged self-contained HTML report to this file");
  return [command, settings]() { return command->parsed() ? merge(*settings) : -1; };
}

}  // namespace maildog::cli
