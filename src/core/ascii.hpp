// ASCII-only case folding and trimming, as the mail standards compare names (RFC 5321 2.4,
// RFC 6376 3.2, RFC 7208 4.3): locale-free, so results never depend on the environment.
#pragma once

#include <string>
#include <string_view>

namespace maildog::ascii {

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = lower(c);
  }
  return out;
}

inline std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = upper(c);
  }
  return out;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// Removes `chars` (by default space and tab) from both ends.
constexpr std::string_view trim(std::string_view text, std::string_view chars = " \t") {
  const std::size_t first = text.find_first_not_of(chars);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(chars) - first + 1);
}

}  // namespace maildog::ascii
