#include "smtp/dsn.hpp"

#include <algorithm>
#include <array>

#include "core/ascii.hpp"

namespace maildog::smtp {

namespace {

// RFC 3461 4.4 and 4.2: ENVID at most 100 characters, ORCPT at most 500.
constexpr std::size_t k_envid_max = 100;
constexpr std::size_t k_orcpt_max = 500;

bool is_upper_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// RFC 5321 4.1.2 atom, as RFC 3461 4.2 uses it for addr-type.
bool is_atom(std::string_view text) {
  constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           specials.find(c) != std::string_view::npos;
  });
}

}  // namespace

bool is_xtext(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      if (i + 2 >= text.size() || !is_upper_hex(text[i + 1]) || !is_upper_hex(text[i + 2])) {
        return false;
      }
      i += 2;
    } else if (c < '!' || c > '~' || c == '=') {
      return false;
    }
  }
  return true;
}

std::optional<std::string> dsn_mail_parameter_problem(const EsmtpParameter& parameter) {
  const std::string value = parameter.value.value_or("");
  if (parameter.keyword == "RET") {
    if (!ascii::iequals(value, "FULL") && !ascii::iequals(value, "HDRS")) {
      return "RET must be FULL or HDRS: " + value;
    }
    return std::nullopt;
  }
  // ENVID
  if (value.empty() || value.size() > k_envid_max || !is_xtext(value)) {
    return "ENVID must be 1 to 100 characters of xtext (RFC 3461 4.4): " + value;
  }
  return std::nullopt;
}

std::optional<std::string> dsn_rcpt_parameter_problem(const EsmtpParameter& parameter) {
  const std::string value = parameter.value.value_or("");
  if (parameter.keyword == "NOTIFY") {
    // RFC 3461 4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY.
    if (ascii::iequals(value, "NEVER")) {
      return std::nullopt;
    }
    std::array<bool, 3> seen{};
    constexpr std::array<std::string_view, 3> words{"SUCCESS", "FAILURE", "DELAY"};
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = value.find(',', start);
      const std::string_view word = std::string_view(value).substr(start, comma - start);
      auto found =
          std::find_if(words.begin(), words.end(), [&](std::string_view w) { return ascii::iequals(w, word); });
      if (found == words.end() || seen[static_cast<std::size_t>(found - words.begin())]) {
        return "NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY: " + value;
      }
      seen[static_cast<std::size_t>(found - words.begin())] = true;
      if (comma == std::string::npos) {
        return std::nullopt;
      }
      start = comma + 1;
    }
  }
  // ORCPT = addr-type ";" xtext (RFC 3461 4.2)
  const std::size_t semicolon = value.find(';');
  if (value.size() > k_orcpt_max || semicolon == std::string::npos ||
      !is_atom(std::string_view(value).substr(0, semicolon)) || semicolon + 1 == value.size() ||
      !is_xtext(std::string_view(value).substr(semicolon + 1))) {
    return "ORCPT must be addr-type;xtext, e.g. rfc822;user@example.com (RFC 3461 4.2): " + value;
  }
  return std::nullopt;
}

}  // namespace maildog::smtp
