#include "cli/bundle_env.hpp"

#include <iconv.h>

#include <cstdlib>

namespace maildog::cli {

void restore_launcher_environment() {
  if (std::getenv("MAILDOG_LAUNCHER") == nullptr) return;
  // glibc reads GCONV_PATH once, on the first iconv_open, and keeps the module list it found;
  // opening one conversion now makes that happen while GCONV_PATH still names the bundle.
  if (iconv_t probe = iconv_open("UTF-8", "ISO-2022-JP"); probe != reinterpret_cast<iconv_t>(-1)) {
    iconv_close(probe);
  }
  if (const char* saved = std::getenv("MAILDOG_LAUNCHER_GCONV_PATH"); saved != nullptr) {
    setenv("GCONV_PATH", saved, 1);
    unsetenv("MAILDOG_LAUNCHER_GCONV_PATH");
  } else {
    unsetenv("GCONV_PATH");
  }
  unsetenv("MAILDOG_LAUNCHER");
}

}  // namespace maildog::cli
