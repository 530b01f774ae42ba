// DNS blocklist queries (RFC 5782): the reversed client IP under each zone; an A answer in
// 127.0.0.0/24 means listed, with the zone's TXT record as the reason when there is one.
#pragma once

#include <string>
#include <vector>

#include "auth/spf/record.hpp"
#include "dns/resolver.hpp"

namespace maildog::auth {

struct DnsblResult {
  std::string zone;
  bool listed = false;
  std::string answer;      // the A record(s) answered, comma separated; empty when none
  std::string reason;      // listed: the TXT text (or a default); otherwise why not listed
  bool temperror = false;  // the A query failed (SERVFAIL, timeout): listing unknown
};

// One query per zone, in order. IPv6 addresses use the RFC 5782 2.4 nibble form.
std::vector<DnsblResult> check_dnsbl(const spf::IpAddress& ip, const std::vector<std::string>& zones,
                                     dns::Resolver& resolver);

}  // namespace maildog::auth
