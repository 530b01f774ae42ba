// Runs the built maildog-ci for the end-to-end tests of the reports (HTML, determinism,
// secrets) and reads back what it wrote.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/child.hpp"

namespace maildog::test {

// maildog-ci with `args`, NO_COLOR set, `environment` on top of the test's own.
ChildResult run_maildog(const std::vector<std::string>& args, std::map<std::string, std::string> environment = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(180));

std::string read_text(const std::filesystem::path& path);

}  // namespace maildog::test
