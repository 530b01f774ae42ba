// Where tests find the source tree, the built binary and the shared conformance data.
#pragma once

#include <filesystem>
#include <optional>

namespace maildog::test {

std::filesystem::path source_dir();
// The built maildog-ci (from $MAILDOG_BINARY, set by CTest, or the build tree).
std::filesystem::path binary_path();
// $MAILDOG_CONFORMANCE_DIR, else ../shared/conformance beside the source tree; nothing when
// absent (a user's fresh clone): callers skip with a visible WARN.
std::optional<std::filesystem::path> conformance_dir();

}  // namespace maildog::test
