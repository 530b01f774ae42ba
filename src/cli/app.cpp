#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/build_info.hpp"
#include "cli/commands.hpp"

namespace maildog::cli {

int run_app(int argc, char** argv) {
  CLI::App app{"maildog-ci: reproduce SMTP rejections in a sandbox and keep them from coming back"};
  app.footer(
      "Start with `maildog-ci run scenarios/`; `maildog-ci COMMAND --help` explains each command.\n"
      "Exit codes: 0 all passed, 1 a scenario failed, 2 invalid input or usage, 3 the environment failed.");
  app.set_version_flag("--version", std::string(version_line()));
  app.require_subcommand(0, 1);
  std::vector<Command> commands{add_run_command(app),         add_validate_command(app), add_check_command(app),
                                add_keygen_command(app),      add_sign_command(app),     add_merge_command(app),
                                add_explain_command(app),     add_new_command(app),      add_serve_command(app),
                                add_healthcheck_command(app), add_record_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? k_exit_passed : k_exit_invalid;
  }
  try {
    for (const auto& command : commands) {
      if (int code = command(); code >= 0) {
        return code;
      }
    }
  } catch (const std::exception& error) {
    std::cerr << "maildog-ci: " << error.what() << '\n';
    return k_exit_environment;
  }
  std::cout << app.help();
  return k_exit_passed;
}

}  // namespace maildog::cli
