// Where tests find the source tree, the built binary and the shared conformance data.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace maildog::test {

std::filesystem::path source_dir();
// Where a failed golden test writes its `*.received.*` output: under the build tree, never the
// source tree (created on demand).
std::filesystem::path received_path(std::string_view name);
// The built maildog-ci (from $MAILDOG_BINARY, set by CTest, or the build tree).
std::filesystem::path binary_path();
// $MAILDOG_CONFORMANCE_DIR, else ../shared/conformance beside the source tree; nothing when
// absent or empty (a user's fresh clone): callers skip (support/skip.hpp).
std::optional<std::filesystem::path> conformance_dir();

}  // namespace maildog::test
