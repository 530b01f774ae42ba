#include "support/paths.hpp"

#include <cstdlib>

namespace maildog::test {

std::filesystem::path source_dir() { return MAILDOG_SOURCE_DIR; }

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
  if (!std::filesystem::is_directory(dir)) {
    return std::nullopt;
  }
  return dir;
}

}  // namespace maildog::test
