// SPF macros (RFC 7208 7): syntax checks for record parsing and expansion for evaluation, for
// domain-specs (target names) and for explanation text.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/spf/record.hpp"

namespace maildog::auth::spf {

enum class MacroUse {
  domain,       // a domain-spec: c, r and t are syntax errors (RFC 7208 7.3)
  explanation,  // the TXT text an exp= names: every macro letter
};

struct MacroError {
  std::string message;
};

// Syntax of a macro-string (RFC 7208 7.1); nothing when it is well formed.
std::optional<MacroError> check_macro_string(std::string_view text, MacroUse use);

// Whether a well-formed macro-string ends with a macro-expand ("%{...}", "%%", "%_", "%-").
bool ends_with_macro_expand(std::string_view text);

// What the macro letters expand to (RFC 7208 7.3).
struct MacroValues {
  std::string sender;                // s: <sender>; empty local part already replaced by "postmaster"
  std::string domain;                // d: the current <domain>
  IpAddress ip;                      // i, c, v (an IPv4-mapped address must already be unmapped)
  std::string helo;                  // h
  std::string receiver = "unknown";  // r: the checking host's domain
  std::int64_t timestamp = 0;        // t: seconds since the epoch
  // p: the validated domain name of ip, or "unknown"; called at most once, only when used.
  std::function<std::string()> validated_domain;
};

// "strong-bad@email.example.com" -> local part "strong-bad" ("postmaster" when empty or when
// there is no "@", RFC 7208 4.3) and domain "email.example.com" (the whole text without "@").
std::string sender_local_part(std::string_view sender);
std::string sender_domain(std::string_view sender);

// Expands a macro-string. For MacroUse::domain a result over 253 octets loses labels on the
// left until it fits (RFC 7208 7.3).
std::variant<std::string, MacroError> expand_macro_string(std::string_view text, const MacroValues& values,
                                                          MacroUse use);

}  // namespace maildog::auth::spf
