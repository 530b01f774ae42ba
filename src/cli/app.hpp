// The command-line application: parses arguments with CLI11 and runs one subcommand.
// Returns the process exit code (0 passed, 1 a scenario failed, 2 bad usage or input,
// 3 the environment failed); never exits from inside.
#pragma once

namespace maildog::cli {

int run_app(int argc, char** argv);

}  // namespace maildog::cli
