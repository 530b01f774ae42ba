// The RFC 8601 Authentication-Results header field value for what the sender checks found:
// "authserv-id; spf=... ; dkim=... ; dmarc=... ; iprev=...", values quoted where needed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/dkim/verify.hpp"
#include "auth/dmarc/evaluate.hpp"
#include "auth/ptr.hpp"
#include "auth/spf/check_host.hpp"
#include "auth/spf/record.hpp"

namespace maildog::auth {

struct AuthResults {
  std::string authserv_id;  // RFC 8601 2.5: the receiving host, e.g. "mx.sandbox.test"

  struct Spf {
    spf::SpfStatus status = spf::SpfStatus::none;
    std::string mail_from_domain;  // smtp.mailfrom=; empty for the null reverse-path
    std::string helo;              // smtp.helo=, used when mail_from_domain is empty
  };
  std::optional<Spf> spf;

  // Not checked: nothing. Checked: one dkim= per signature, or "dkim=none" when empty.
  std::optional<std::vector<dkim::VerifyResult>> dkim;

  struct Dmarc {
    dmarc::DmarcResult result;
    std::string from_domain;  // header.from=
  };
  std::optional<Dmarc> dmarc;

  struct Iprev {
    PtrResult result;
    spf::IpAddress ip;  // policy.iprev=
  };
  std::optional<Iprev> iprev;
};

// The field value, without "Authentication-Results:" and unfolded; "<authserv-id>; none" when
// nothing was checked (RFC 8601 2.2). An iprev result of none (no PTR record) is written as
// "permerror", the RFC 8601 2.7.3 result for it.
std::string format_authentication_results(const AuthResults& results);

// RFC 8601 2.2 pvalue: as is when it is an RFC 2045 token or [local-part] "@" domain,
// otherwise an RFC 5322 quoted-string. CR, LF and other controls become spaces.
std::string format_pvalue(std::string_view text);

}  // namespace maildog::auth
