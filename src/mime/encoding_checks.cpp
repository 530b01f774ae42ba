#include "mime/encoding_checks.hpp"

#include <cstddef>
#include <cstdio>

namespace maildog::mime {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_base64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

// "'!'" for printable ASCII, "byte 0xE9" otherwise.
std::string shown(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7F) {
    return std::string("'") + c + "'";
  }
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "byte 0x%02X", byte);
  return buffer;
}

std::string at_line(std::size_t line) { return " on line " + std::to_string(line); }

}  // namespace

std::optional<std::string> base64_problem(std::string_view encoded) {
  std::size_t line = 1;
  std::size_t significant = 0;  // alphabet characters and padding
  std::size_t padding = 0;
  for (char c : encoded) {
    if (c == '\n') {
      ++line;
    }
    if (is_space(c)) {
      continue;
    }
    if (c == '=') {
      ++padding;
      ++significant;
      continue;
    }
    if (!is_base64(c)) {
      return "invalid base64 character " + shown(c) + at_line(line);
    }
    if (padding > 0) {
      return "base64 data continues after '=' padding" + at_line(line);
    }
    ++significant;
  }
  if (padding > 2) {
    return "base64 data ends in " + std::to_string(padding) + " '=' (at most 2)";
  }
  if (significant % 4 != 0) {
    return "base64 data ends mid-quantum: " + std::to_string(significant) + " characters, not a multiple of 4";
  }
  return std::nullopt;
}

std::optional<std::string> quoted_printable_problem(std::string_view encoded) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '\n') {
      ++line;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      return "unencoded 8-bit " + shown(c) + " in quoted-printable" + at_line(line);
    }
    if (c != '=') {
      continue;
    }
    if (i + 2 < encoded.size() && is_hex(encoded[i + 1]) && is_hex(encoded[i + 2])) {
      i += 2;
      continue;
    }
    // A soft line break: '=' then optional transport padding, then the end of the line (6.7 (5)).
    std::size_t next = i + 1;
    while (next < encoded.size() && (encoded[next] == ' ' || encoded[next] == '\t')) {
      ++next;
    }
    const bool soft_break = next == encoded.size() || encoded[next] == '\n' ||
                            (encoded[next] == '\r' && next + 1 < encoded.size() && encoded[next + 1] == '\n');
    if (!soft_break) {
      return "invalid quoted-printable escape '=" + std::string(encoded.substr(i + 1, 2)) + "'" + at_line(line);
    }
  }
  return std::nullopt;
}

}  // namespace maildog::mime
