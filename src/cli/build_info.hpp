// What this binary is: the version, and the git commit and tree state it was built from
// (generated at build time by cmake/build_info.cmake).
#pragma once

#include <string_view>

namespace maildog::cli {

// e.g. "maildog-ci 0.1.0 (commit 3e9e59d1a2b3, clean tree)"; what `--version` prints.
std::string_view version_line();

}  // namespace maildog::cli
