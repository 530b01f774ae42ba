// All sender checks for one message in one call: SPF, DKIM, DMARC over their results, iprev
// and DNSBLs, with the Authentication-Results value. Also the DNS-backed DKIM key lookup.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim/verify.hpp"
#include "auth/dmarc/evaluate.hpp"
#include "auth/dnsbl.hpp"
#include "auth/ptr.hpp"
#include "auth/spf/check_host.hpp"
#include "auth/spf/record.hpp"
#include "dns/resolver.hpp"

namespace maildog::auth {

// A DKIM key lookup through `resolver` (TXT): ok -> found, NXDOMAIN/NODATA -> not_found,
// SERVFAIL/timeout -> temp_error. The lookup refers to `resolver`, which must outlive it.
dkim::KeyLookup dkim_key_lookup(dns::Resolver& resolver);

struct FromDomain {
  std::string domain;  // lower case; empty when `error` is set
  std::string error;
};

// RFC 7489 6.6.1: the domain of the message's single From address. "Name <a@b>", "a@b" and
// "a@b (comment)" forms; several From fields, several addresses or none is an error.
FromDomain from_header_domain(std::string_view message);

inline constexpr std::string_view k_default_receiver = "mx.sandbox.test";

struct CheckInput {
  spf::IpAddress client_ip;
  std::string helo;
  std::string mail_from;                     // the MAIL FROM address, with or without <>; empty: null reverse-path
  std::string receiver{k_default_receiver};  // authserv-id, and SPF's %{r}
  std::vector<std::string> dnsbl_zones;
  bool check_ptr = true;
};

struct CheckOptions {
  std::optional<std::chrono::sys_seconds> now;  // DKIM x= and SPF %{t}; nothing: the clock
  dmarc::DmarcOptions dmarc;
};

struct AuthVerdict {
  spf::SpfResult spf;
  dmarc::SpfOutcome spf_identity;  // the domain SPF checked (MAIL FROM domain or HELO)
  bool spf_used_helo = false;
  std::vector<dkim::VerifyResult> dkim;
  FromDomain from;
  dmarc::DmarcResult dmarc;
  std::optional<PtrResult> ptr;  // when CheckInput::check_ptr
  std::vector<DnsblResult> dnsbl;
  std::string authentication_results;  // the header field value

  bool dmarc_failed() const { return dmarc.status == dmarc::Status::fail; }
};

AuthVerdict check_message(std::string_view message, const CheckInput& input, dns::Resolver& resolver,
                          const CheckOptions& options = {});

}  // namespace maildog::auth
