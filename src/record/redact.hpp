// AUTH credentials never reach a recording (issue 20): the mechanism stays visible, its initial
// response and every continuation line the app sends become `***`. Pure.
#pragma once

#include <string>
#include <string_view>

namespace maildog::record {

// "AUTH PLAIN dXNlcgB1c2VyAHB3" -> "AUTH PLAIN ***"; "AUTH LOGIN" stays "AUTH LOGIN".
std::string redacted_auth_command(std::string_view line);

// What the recording keeps of a SASL continuation line: "***" ("*", the client's cancel, stays).
std::string redacted_sasl_line(std::string_view line);

}  // namespace maildog::record
