#include "lint/finding.hpp"

#include <algorithm>

namespace maildog::lint {

namespace {

// Escapes every byte: an excerpt goes into terminals, JSON and JUnit XML as it is.
std::string escaped(std::string_view text) {
  constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte >= 0x7F) {
      out += "\\x";
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string excerpt(std::string_view text) {
  if (text.size() <= k_excerpt_max) {
    return escaped(text);
  }
  return escaped(text.substr(0, k_excerpt_max)) + "...";
}

std::string excerpt_around(std::string_view text, std::size_t position) {
  position = std::min(position, text.size());
  const std::size_t half = k_excerpt_max / 2;
  const std::size_t first = position > half ? position - half : 0;
  const std::size_t last = std::min(text.size(), first + k_excerpt_max);
  return (first > 0 ? "..." : "") + escaped(text.substr(first, last - first)) + (last < text.size() ? "..." : "");
}

}  // namespace maildog::lint
