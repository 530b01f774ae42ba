#include "support/paths.hpp"

#include <cstdlib>
#include <string>

namespace maildog::test {

std::filesystem::path source_dir() { return MAILDOG_SOURCE_DIR; }

std::filesystem::path received_path(std::string_view name) {
  const auto dir = std::filesystem::path(MAILDOG_BINARY_DIR) / "received";
  std::filesystem::create_directories(dir);
  return dir / std::string(name);
}

std::filesystem::path binary_path() {
  if (const char* from_env = std::getenv("MAILDOG_BINARY")) {
    return from_env;
  }
  return std::filesystem::path(MAILDOG_BINARY_DIR) / "src" / "cli" / "maildog-ci";
}

std::optional<std::filesystem::path> conformance_dir() {
  std::filesystem::path dir;
  if (const char* from_env = std::getenv("MAILDOG_CONFORMANCE_DIR")) {
    dir = from_env;
  } else {
    dir = source_dir().parent_path() / "shared" / "conformance";
  }
  // An empty folder is no data either (ci/test-without-conformance.sh points here at one).
  if (!std::filesystem::is_directory(dir) || std::filesystem::is_empty(dir)) {
    return std::nullopt;
  }
  return dir;
}

}  // namespace maildog::test
