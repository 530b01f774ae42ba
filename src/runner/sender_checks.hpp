// The sandbox's sender checks built from a scenario's `server.peer`, `server.checks` and `dns:`:
// the auth verifiers behind the protocol's hooks, with the enforce/report policy and its replies.
#pragma once

#include "scenario/model.hpp"
#include "smtp/server_config.hpp"

namespace maildog::runner {

// Whether any of `checks` is on (spf/dkim/dmarc report or enforce, ptr require, a DNSBL zone).
bool any_check_on(const scenario::ChecksSpec& checks);

// Empty hooks when no check is on. Throws std::invalid_argument for a peer IP that is not an
// address or unusable dns records, std::runtime_error when `dns: live` cannot be set up.
smtp::SenderChecks make_sender_checks(const scenario::Scenario& scenario);

}  // namespace maildog::runner
