// Delivery Status Notification parameters (RFC 3461): MAIL's RET and ENVID, RCPT's NOTIFY and
// ORCPT. The sandbox delivers nothing, so it never sends a DSN: it checks the syntax, so a
// client that sends them wrongly is told so, and records them as sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "smtp/address.hpp"

namespace maildog::smtp {

// RFC 3461 4: xtext = *( xchar / hexchar ), with '+' and '=' only as "+HH".
bool is_xtext(std::string_view text);

// Why `parameter` is not a valid RET or ENVID (MAIL) / NOTIFY or ORCPT (RCPT); nullopt: valid.
std::optional<std::string> dsn_mail_parameter_problem(const EsmtpParameter& parameter);
std::optional<std::string> dsn_rcpt_parameter_problem(const EsmtpParameter& parameter);

}  // namespace maildog::smtp
