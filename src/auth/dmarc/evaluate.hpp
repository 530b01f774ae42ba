// DMARC evaluation (RFC 7489 6.6): record discovery, identifier alignment and the policy to
// apply. Takes the SPF and DKIM outcomes as inputs and never re-runs them; DNS via dns::Resolver.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim/verify.hpp"
#include "auth/dmarc/record.hpp"
#include "auth/spf/check_host.hpp"
#include "core/name_table.hpp"
#include "dns/resolver.hpp"

namespace maildog::auth::dmarc {

enum class Status { none, pass, fail, temperror, permerror };  // RFC 8601 2.7.1 dmarc= values

inline constexpr NameTable<Status, 5> k_status_names{{
    {Status::none, "none"},
    {Status::pass, "pass"},
    {Status::fail, "fail"},
    {Status::temperror, "temperror"},
    {Status::permerror, "permerror"},
}};

// The SPF result DMARC looks at: its status and the domain SPF checked (the MAIL FROM domain,
// or the HELO name for the null reverse-path, RFC 7489 3.1.2 / RFC 7208 2.4).
struct SpfOutcome {
  spf::SpfStatus status = spf::SpfStatus::none;
  std::string domain;
};

struct DmarcOptions {
  // RFC 7489 6.3 "pct": the message is subject to the policy when draw < pct. The draw is in
  // 0..99; nothing: drawn from std::random_device.
  std::optional<unsigned> percent_draw;
};

struct DmarcResult {
  Status status = Status::none;
  // The policy to apply: none on pass and when there is no usable record; on fail p= (sp= for a
  // subdomain of the record's domain), lowered one step when pct= left the message out
  // (RFC 7489 6.6.4: reject -> quarantine, quarantine -> none).
  Policy policy = Policy::none;
  // The policy the record asks for this From domain (p= or sp=), before pct=.
  Policy requested_policy = Policy::none;
  std::optional<Record> record;
  std::string record_domain;  // where the record was found, without "_dmarc."
  bool spf_aligned = false;
  bool dkim_aligned = false;
  std::string reason;
};

// RFC 7489 3.2: the registrable domain under the Public Suffix List (libpsl's built-in copy),
// in lower case; a name that is itself a public suffix is its own organisational domain.
std::string organizational_domain(std::string_view domain);

// RFC 7489 3.1: whether `identifier` is aligned with the From domain: equal (strict) or with
// the same organisational domain (relaxed). Compared without case and trailing dot.
bool aligned(std::string_view identifier, std::string_view from_domain, Alignment mode);

DmarcResult evaluate(std::string_view from_domain, const SpfOutcome& spf,
                     const std::vector<dkim::VerifyResult>& dkim_results, dns::Resolver& resolver,
                     const DmarcOptions& options = {});

}  // namespace maildog::auth::dmarc
