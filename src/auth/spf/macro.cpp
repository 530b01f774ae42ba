#include "auth/spf/macro.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "dns/resolver.hpp"

namespace maildog::auth::spf {

namespace {

// RFC 7208 7.1: "implementations MUST support at least a value of 128"; larger counts mean
// "all parts" anyway, so they are capped here to keep the arithmetic small.
constexpr unsigned k_transformer_digits_cap = 1000;

struct MacroExpand {
  char letter = 's';     // lower case
  bool escape = false;   // written in upper case: URL-escape the value (RFC 7208 7.3)
  unsigned parts = 0;    // keep this many right-hand parts; 0: all
  bool reverse = false;  // "r"
  std::string delimiters = ".";
};

bool is_ascii_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_lower(char c) { return is_ascii_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 7208 7.1 macro-letter; c, r and t only in explanation text (7.3).
bool is_macro_letter(char letter, MacroUse use) {
  static constexpr std::string_view anywhere = "slodiphv";
  static constexpr std::string_view explanation_only = "crt";
  return anywhere.find(letter) != std::string_view::npos ||
         (use == MacroUse::explanation && explanation_only.find(letter) != std::string_view::npos);
}

bool is_delimiter(char c) { return std::string_view(".-+,/_=").find(c) != std::string_view::npos; }

// macro-literal = %x21-24 / %x26-7E; explain-string also allows SP.
bool is_literal(char c, MacroUse use) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte >= 0x21 && byte <= 0x7E && c != '%') || (use == MacroUse::explanation && c == ' ');
}

// Walks a macro-string, calling on_text for literal text and on_macro for each "%{...}".
template <typename OnText, typename OnMacro>
std::optional<MacroError> walk(std::string_view text, MacroUse use, OnText&& on_text, OnMacro&& on_macro) {
  std::size_t at = 0;
  while (at < text.size()) {
    const char c = text[at];
    if (c != '%') {
      if (!is_literal(c, use)) {
        return MacroError{"character " + std::to_string(static_cast<unsigned char>(c)) + " not allowed at offset " +
                          std::to_string(at)};
      }
      on_text(std::string_view(&text[at], 1));
      ++at;
      continue;
    }
    const char next = at + 1 < text.size() ? text[at + 1] : '\0';
    if (next == '%') {
      on_text("%");
    } else if (next == '_') {
      on_text(" ");
    } else if (next == '-') {
      on_text("%20");
    } else if (next != '{') {
      return MacroError{"'%' not followed by '{', '%', '_' or '-' at offset " + std::to_string(at)};
    }
    if (next != '{') {
      at += 2;
      continue;
    }
    std::size_t cursor = at + 2;
    if (cursor >= text.size()) {
      return MacroError{"unterminated macro at offset " + std::to_string(at)};
    }
    MacroExpand expand;
    expand.letter = to_lower(text[cursor]);
    expand.escape = is_ascii_upper(text[cursor]);
    if (!is_macro_letter(expand.letter, use)) {
      return MacroError{"macro letter '" + std::string(1, text[cursor]) + "' not allowed " +
                        (use == MacroUse::domain ? "in a domain-spec" : "here")};
    }
    ++cursor;
    bool has_digits = false;
    while (cursor < text.size() && is_digit(text[cursor])) {
      has_digits = true;
      expand.parts = std::min(k_transformer_digits_cap, expand.parts * 10 + static_cast<unsigned>(text[cursor] - '0'));
      ++cursor;
    }
    if (has_digits && expand.parts == 0) {
      return MacroError{"macro transformer digits must be nonzero at offset " + std::to_string(at)};
    }
    if (cursor < text.size() && to_lower(text[cursor]) == 'r') {
      expand.reverse = true;
      ++cursor;
    }
    std::string delimiters;
    while (cursor < text.size() && is_delimiter(text[cursor])) {
      delimiters += text[cursor];
      ++cursor;
    }
    if (!delimiters.empty()) {
      expand.delimiters = delimiters;
    }
    if (cursor >= text.size() || text[cursor] != '}') {
      return MacroError{"malformed macro at offset " + std::to_string(at)};
    }
    on_macro(expand);
    at = cursor + 1;
  }
  return std::nullopt;
}

// RFC 7208 7.3: unreserved characters (RFC 3986) stay, every other octet becomes %XX.
std::string url_escaped(std::string_view value) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string escaped;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved =
        is_ascii_lower(c) || is_ascii_upper(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      escaped += c;
    } else {
      escaped += '%';
      escaped += hex[byte >> 4];
      escaped += hex[byte & 0x0F];
    }
  }
  return escaped;
}

// RFC 7208 7.3 "i": dotted quad, or 32 dot-separated lower-case nibbles for IPv6 (7.4).
std::string ip_dotted(const IpAddress& ip) {
  if (!ip.v6) {
    return ip.to_string();
  }
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string nibbles;
  for (const std::uint8_t byte : ip.bytes) {
    for (const unsigned nibble : {static_cast<unsigned>(byte >> 4), static_cast<unsigned>(byte & 0x0F)}) {
      if (!nibbles.empty()) {
        nibbles += '.';
      }
      nibbles += hex[nibble];
    }
  }
  return nibbles;
}

// Split on the delimiters, optionally reverse, keep the right-hand parts, join with "." (7.3).
std::string transformed(std::string_view value, const MacroExpand& expand) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t at = 0; at <= value.size(); ++at) {
    if (at == value.size() || expand.delimiters.find(value[at]) != std::string::npos) {
      parts.push_back(value.substr(start, at - start));
      start = at + 1;
    }
  }
  if (expand.reverse) {
    std::reverse(parts.begin(), parts.end());
  }
  const std::size_t keep = expand.parts == 0 ? parts.size() : std::min<std::size_t>(expand.parts, parts.size());
  const std::size_t first = parts.size() - keep;
  std::string joined;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (i != first) {
      joined += '.';
    }
    joined += parts[i];
  }
  return joined;
}

// RFC 7208 7.3: an expanded domain name over 253 octets loses labels on the left until it fits.
void truncate_domain(std::string& name) {
  const bool trailing_dot = !name.empty() && name.back() == '.';
  while (name.size() - (trailing_dot ? 1 : 0) > dns::k_name_max) {
    const std::size_t dot = name.find('.');
    if (dot == std::string::npos || dot + 1 >= name.size()) {
      return;
    }
    name.erase(0, dot + 1);
  }
}

}  // namespace

std::optional<MacroError> check_macro_string(std::string_view text, MacroUse use) {
  return walk(
      text, use, [](std::string_view) {}, [](const MacroExpand&) {});
}

bool ends_with_macro_expand(std::string_view text) {
  bool last_was_macro = false;
  std::size_t at = 0;
  while (at < text.size()) {
    if (text[at] != '%' || at + 1 >= text.size()) {
      last_was_macro = false;
      ++at;
    } else if (text[at + 1] == '{') {
      const std::size_t close = text.find('}', at);
      if (close == std::string_view::npos) {
        return false;
      }
      last_was_macro = true;
      at = close + 1;
    } else {
      last_was_macro = true;  // "%%", "%_", "%-"
      at += 2;
    }
  }
  return last_was_macro;
}

std::string sender_local_part(std::string_view sender) {
  const std::size_t at = sender.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return "postmaster";
  }
  return std::string(sender.substr(0, at));
}

std::string sender_domain(std::string_view sender) {
  const std::size_t at = sender.rfind('@');
  return std::string(at == std::string_view::npos ? sender : sender.substr(at + 1));
}

std::variant<std::string, MacroError> expand_macro_string(std::string_view text, const MacroValues& values,
                                                          MacroUse use) {
  std::string result;
  std::optional<std::string> validated;
  auto value_of = [&](char letter) -> std::string {
    switch (letter) {
      case 's':
        return values.sender;
      case 'l':
        return sender_local_part(values.sender);
      case 'o':
        return sender_domain(values.sender);
      case 'd':
        return values.domain;
      case 'i':
        return ip_dotted(values.ip);
      case 'p':
        if (!validated) {
          validated = values.validated_domain ? values.validated_domain() : std::string("unknown");
        }
        return *validated;
      case 'v':
        return values.ip.v6 ? "ip6" : "in-addr";
      case 'h':
        return values.helo;
      case 'c':
        return values.ip.to_string();
      case 'r':
        return values.receiver;
      case 't':
        return std::to_string(values.timestamp);
      default:
        return {};
    }
  };
  const auto error = walk(
      text, use, [&](std::string_view literal) { result += literal; },
      [&](const MacroExpand& expand) {
        const std::string value = transformed(value_of(expand.letter), expand);
        result += expand.escape ? url_escaped(value) : value;
      });
  if (error) {
    return *error;
  }
  if (use == MacroUse::domain) {
    truncate_domain(result);
  }
  return result;
}

}  // namespace maildog::auth::spf
