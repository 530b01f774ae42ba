// RFC 7208 check_host(): whether a client IP may send for a domain, as a value with the
// matching mechanism, the reason and the DNS work done. DNS only through dns::Resolver.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "auth/spf/record.hpp"
#include "core/name_table.hpp"
#include "dns/resolver.hpp"

namespace maildog::auth::spf {

// RFC 7208 4.6.4: at most 10 mechanisms and modifiers that query DNS (include, a, mx, ptr,
// exists, redirect) per check_host(); beyond it, permerror.
inline constexpr unsigned k_dns_mechanisms_max = 10;
// RFC 7208 4.6.4: at most 2 "void lookups" (no records, or NXDOMAIN); beyond it, permerror.
inline constexpr unsigned k_void_lookups_max = 2;
// RFC 7208 4.6.4: an "mx" with more than 10 MX names is a permerror.
inline constexpr unsigned k_mx_names_max = 10;
// RFC 7208 4.6.4: "ptr" and %{p} look at the first 10 PTR names only, ignoring the rest.
inline constexpr unsigned k_ptr_names_max = 10;

enum class SpfStatus { none, neutral, pass, fail, softfail, temperror, permerror };  // RFC 7208 2.6

inline constexpr NameTable<SpfStatus, 7> k_spf_status_names{{
    {SpfStatus::none, "none"},
    {SpfStatus::neutral, "neutral"},
    {SpfStatus::pass, "pass"},
    {SpfStatus::fail, "fail"},
    {SpfStatus::softfail, "softfail"},
    {SpfStatus::temperror, "temperror"},
    {SpfStatus::permerror, "permerror"},
}};

struct SpfOptions {
  // %{t} in explanations; nothing: the system clock.
  std::optional<std::chrono::system_clock::time_point> now;
  std::string receiver = "unknown";  // %{r}: the domain of the checking host
  unsigned dns_mechanisms_max = k_dns_mechanisms_max;
  unsigned void_lookups_max = k_void_lookups_max;
};

struct SpfResult {
  SpfStatus status = SpfStatus::none;
  std::string explanation;    // fail only: the expanded exp= text, when the record has a usable one
  std::string mechanism;      // the term that decided, e.g. "-all" or "redirect=example.org"
  std::string reason;         // why, in words, for reports: "matched ip4:192.0.2.0/24", ...
  unsigned dns_lookups = 0;   // DNS-querying mechanisms and modifiers evaluated (RFC 7208 4.6.4)
  unsigned void_lookups = 0;  // of their queries, those without an answer
};

// RFC 7208 4: `domain` is the domain to check (the MAIL FROM domain, or the HELO name); empty:
// the domain of `sender`. An empty `sender` (the null reverse-path) means "postmaster@" + helo
// (RFC 7208 2.4), and a sender without a local part gets "postmaster" (4.3).
SpfResult check_host(const IpAddress& ip, std::string_view domain, std::string_view sender, std::string_view helo,
                     dns::Resolver& resolver, const SpfOptions& options = {});

}  // namespace maildog::auth::spf
