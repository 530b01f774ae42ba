// An SPF record as parsed from its TXT text (RFC 7208 4.5, 4.6, 5, 6, 12) and the client IP
// address it is evaluated for. Pure: no DNS here; check_host.hpp evaluates a Record.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/name_table.hpp"

namespace maildog::auth::spf {

// An IPv4 or IPv6 address (IPv4 in the first 4 bytes).
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};

  // Dotted quad or any RFC 4291 text form, through inet_pton. An IPv4-mapped IPv6 address
  // (::ffff:a.b.c.d) stays IPv6 here; check_host treats it as IPv4 (RFC 7208 5 para 9).
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;  // inet_ntop: "192.0.2.1", "2001:db8::1"
  bool is_v4_mapped() const;
  IpAddress unmapped() const;  // the IPv4 address of a mapped one, else itself
  // Whether the first `prefix` bits equal those of `network` (same family only).
  bool in_network(const IpAddress& network, unsigned prefix) const;
  bool operator==(const IpAddress&) const = default;
};

enum class Qualifier { pass, fail, softfail, neutral };  // "+" "-" "~" "?" (RFC 7208 4.6.2)

enum class MechanismKind { all, include, a, mx, ptr, ip4, ip6, exists };

inline constexpr NameTable<MechanismKind, 8> k_mechanism_names{{
    {MechanismKind::all, "all"},
    {MechanismKind::include, "include"},
    {MechanismKind::a, "a"},
    {MechanismKind::mx, "mx"},
    {MechanismKind::ptr, "ptr"},
    {MechanismKind::ip4, "ip4"},
    {MechanismKind::ip6, "ip6"},
    {MechanismKind::exists, "exists"},
}};

// RFC 7208 5.6: CIDR lengths default to the whole address.
inline constexpr unsigned k_ip4_cidr_max = 32;
inline constexpr unsigned k_ip6_cidr_max = 128;

struct Mechanism {
  Qualifier qualifier = Qualifier::pass;
  MechanismKind kind = MechanismKind::all;
  // include, exists: the target domain-spec (a macro-string); a, mx, ptr: empty for <domain>.
  std::string domain_spec;
  IpAddress network;                     // ip4, ip6
  unsigned ip4_prefix = k_ip4_cidr_max;  // ip4; a and mx for an IPv4 client
  unsigned ip6_prefix = k_ip6_cidr_max;  // ip6; a and mx for an IPv6 client
  std::string text;                      // the term as written, e.g. "-ip4:192.0.2.0/24"

  // include, a, mx, ptr and exists query DNS and count against the limit of RFC 7208 4.6.4.
  bool queries_dns() const;
};

struct Modifier {
  std::string name;  // as written
  std::string value;
};

struct Record {
  std::vector<Mechanism> mechanisms;        // in order of evaluation
  std::optional<std::string> redirect;      // redirect= domain-spec (RFC 7208 6.1)
  std::optional<std::string> explanation;   // exp= domain-spec (RFC 7208 6.2)
  std::vector<Modifier> unknown_modifiers;  // RFC 7208 6: ignored, but must be well formed
};

struct RecordError {
  std::string message;  // e.g. "unknown mechanism \"moo\"": the reason of a permerror
};

// RFC 7208 4.5: an SPF record starts with "v=spf1" (any case) followed by a space or its end.
bool is_spf_record(std::string_view text);

// Parses a whole record first, so a syntax error anywhere is a permerror (RFC 7208 4.6).
std::variant<Record, RecordError> parse_record(std::string_view text);

// RFC 7208 7.1 domain-spec = macro-string domain-end, where domain-end is "." toplabel ["."] or
// a macro-expand; the letters c, r and t are not allowed. Nothing when it is well formed.
std::optional<RecordError> check_domain_spec(std::string_view domain_spec);

// RFC 7208 7.1 toplabel: alphanumeric with a letter, or alphanumeric and hyphens with neither
// a leading nor a trailing hyphen.
bool is_toplabel(std::string_view label);

}  // namespace maildog::auth::spf
