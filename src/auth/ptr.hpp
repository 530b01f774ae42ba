// Forward-confirmed reverse DNS (RFC 8601 3 "iprev"): the client IP's PTR names, each of which
// must resolve back to that IP. Also the reversed-address names PTR and DNSBL queries use.
#pragma once

#include <string>

#include "auth/spf/record.hpp"
#include "core/name_table.hpp"
#include "dns/resolver.hpp"

namespace maildog::auth {

// At most this many PTR names are looked up forward (the RFC 7208 4.6.4 limit for "ptr").
inline constexpr unsigned k_iprev_names_max = 10;

enum class IprevStatus {
  pass,       // a PTR name resolves back to the IP
  fail,       // PTR names exist but none resolves back to the IP
  none,       // the IP has no PTR record
  temperror,  // a DNS failure kept the check from concluding
};

inline constexpr NameTable<IprevStatus, 4> k_iprev_status_names{{
    {IprevStatus::pass, "pass"},
    {IprevStatus::fail, "fail"},
    {IprevStatus::none, "none"},
    {IprevStatus::temperror, "temperror"},
}};

struct PtrResult {
  IprevStatus status = IprevStatus::none;
  std::string hostname;  // pass: the confirmed name; fail: the first PTR name
  std::string reason;
};

// "5.113.0.203" for 203.0.113.5; 32 dot-separated nibbles, least significant first, for IPv6.
// An IPv4-mapped IPv6 address is reversed as IPv4.
std::string reversed_address(const spf::IpAddress& ip);
// reversed_address + ".in-addr.arpa" (RFC 1035 3.5) or ".ip6.arpa" (RFC 3596 2.5).
std::string reverse_lookup_name(const spf::IpAddress& ip);

PtrResult check_ptr(const spf::IpAddress& ip, dns::Resolver& resolver);

}  // namespace maildog::auth
