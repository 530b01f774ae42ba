#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "scenario/loader.hpp"

namespace maildog::cli {

Command add_validate_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("validate", "Check scenario files against the schema and the semantic rules; run nothing");
  command->footer(
      "Every problem is printed as file:line:col: error: message (at yaml.path), and a likely mistake that is\n"
      "still valid as file:line:col: warning: message; warnings do not change the exit code.\n"
      "Exit code 0 when every file is valid, 2 otherwise.");
  auto paths = std::make_shared<std::vector<std::string>>();
  command->add_option("paths", *paths, "Scenario files or folders (searched recursively for *.yaml, *.yml)")
      ->required();
  return [command, paths]() {
    if (!command->parsed()) {
      return -1;
    }
    std::vector<std::filesystem::path> inputs(paths->begin(), paths->end());
    auto loaded = scenario::load_paths(inputs, scenario::Environment());
    for (const auto& warning : loaded.warnings) {
      std::cerr << warning.format() << '\n';
    }
    for (const auto& diagnostic : loaded.diagnostics) {
      std::cerr << diagnostic.format() << '\n';
    }
    if (!loaded.ok()) {
      std::cerr << loaded.diagnostics.size() << " error" << (loaded.diagnostics.size() == 1 ? "" : "s") << '\n';
      return k_exit_invalid;
    }
    std::cout << loaded.scenarios.size() << " scenario" << (loaded.scenarios.size() == 1 ? "" : "s") << " valid\n";
    return k_exit_passed;
  };
}

}  // namespace maildog::cli
