// Headless Debian chromium for the browser tests (HTML report, web inspector): one run with a
// throwaway profile under `profile_dir`, bounded by `timeout` twice over (the tool and the child).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/child.hpp"

namespace maildog::test {

// chromium --headless=new --no-sandbox --disable-gpu --user-data-dir=... ARGS...
ChildResult run_chromium(const std::filesystem::path& profile_dir, const std::vector<std::string>& args);

// True when chromium is installed; otherwise says so in a WARN naming `what` was skipped.
bool chromium_available(const std::string& what);

}  // namespace maildog::test
