// The subcommands: each registers its options on the CLI11 app and returns the exit code
// when it runs. Kept apart so app.cpp reads like a table of contents.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace maildog::cli {

// Exit codes (DESIGN.md): what CI scripts rely on.
inline constexpr int k_exit_passed = 0;
inline constexpr int k_exit_failed = 1;
inline constexpr int k_exit_invalid = 2;
inline constexpr int k_exit_environment = 3;

using Command = std::function<int()>;

Command add_run_command(CLI::App& app);
Command add_validate_command(CLI::App& app);
Command add_check_command(CLI::App& app);
Command add_keygen_command(CLI::App& app);
Command add_sign_command(CLI::App& app);
Command add_explain_command(CLI::App& app);
Command add_merge_command(CLI::App& app);
Command add_serve_command(CLI::App& app);
Command add_healthcheck_command(CLI::App& app);
Command add_record_command(CLI::App& app);

}  // namespace maildog::cli
