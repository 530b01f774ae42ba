// Signal names as scenarios write them (`TERM`, `SIGTERM`, `15`) and as reports show them
// ("15 (SIGTERM)"), from the C library's own table so every signal of the platform is known.
#pragma once

#include <signal.h>
#include <string.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ascii.hpp"

namespace maildog::signals {

// The number of a signal named with or without "SIG", in any case; nothing for an unknown name.
inline std::optional<int> number_of(std::string_view name) {
  std::string wanted = ascii::upper(name);
  if (wanted.starts_with("SIG")) {
    wanted.erase(0, 3);
  }
  for (int number = 1; number < NSIG; ++number) {
    const char* abbreviation = sigabbrev_np(number);
    if (abbreviation != nullptr && wanted == abbreviation) {
      return number;
    }
  }
  return std::nullopt;
}

// True for a number the platform has a signal for (real-time signals have no name but count).
inline bool known(std::int64_t number) { return number >= 1 && number < NSIG; }

// "15 (SIGTERM)"; just the number when the platform has no name for it.
inline std::string describe(int number) {
  std::string text = std::to_string(number);
  if (const char* abbreviation = sigabbrev_np(number)) {
    text += std::string(" (SIG") + abbreviation + ")";
  }
  return text;
}

}  // namespace maildog::signals
