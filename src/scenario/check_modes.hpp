// `server.checks` modes as values: the scenario builder parses each word once, against the
// words that check allows (the schema's enums), and an unknown word is a load error; the runner
// only ever sees these enums.
#pragma once

#include <array>
#include <string_view>

#include "core/name_table.hpp"

namespace maildog::scenario {

// report: results only; enforce: refuse what the record or signature says fails (SPF -all,
// DMARC p=reject, no passing DKIM signature, the RFC 5322 problems Gmail refuses); require:
// refuse anything but a pass (ptr: a PTR name that resolves back; unsubscribe: RFC 8058).
enum class CheckMode { off, report, enforce, require };

// `checks.authentication`: the large receivers' floor for every sender is SPF or DKIM passing
// (Gmail, Yahoo); their bulk-sender rules ask for both.
enum class AuthenticationFloor { off, spf_or_dkim, spf_and_dkim };

// The words each check allows, in the schema's order (its diagnostics list them so).
inline constexpr NameTable<CheckMode, 4> k_spf_modes{{{CheckMode::off, "off"},
                                                      {CheckMode::report, "report"},
                                                      {CheckMode::enforce, "enforce"},
                                                      {CheckMode::require, "require"}}};
inline constexpr NameTable<CheckMode, 3> k_dkim_modes{
    {{CheckMode::off, "off"}, {CheckMode::report, "report"}, {CheckMode::enforce, "enforce"}}};
inline constexpr NameTable<CheckMode, 4> k_dmarc_modes = k_spf_modes;
inline constexpr NameTable<CheckMode, 2> k_ptr_modes{{{CheckMode::require, "require"}, {CheckMode::off, "off"}}};
inline constexpr NameTable<CheckMode, 2> k_rfc5322_modes{{{CheckMode::off, "off"}, {CheckMode::enforce, "enforce"}}};
inline constexpr NameTable<CheckMode, 2> k_unsubscribe_modes{
    {{CheckMode::off, "off"}, {CheckMode::require, "require"}}};
inline constexpr NameTable<AuthenticationFloor, 3> k_authentication_floors{
    {{AuthenticationFloor::off, "off"},
     {AuthenticationFloor::spf_or_dkim, "spf_or_dkim"},
     {AuthenticationFloor::spf_and_dkim, "spf_and_dkim"}}};

}  // namespace maildog::scenario
