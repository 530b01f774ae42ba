// RFC 5321 4.1.2 paths and mailboxes, with RFC 6531 (SMTPUTF8) UTF-8 local parts and domains,
// and the ESMTP parameters that follow a path in MAIL and RCPT. Pure functions over text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace maildog::smtp {

struct Mailbox {
  std::string local_part;  // as written (quoted local parts keep their quotes)
  std::string domain;      // a domain or an address literal such as "[192.0.2.1]"
  bool utf8 = false;       // contains octets >= 0x80 (needs SMTPUTF8)
  // "<postmaster>" (RFC 5321 4.1.1.3) has no domain and is just its local part.
  std::string address() const { return domain.empty() ? local_part : local_part + "@" + domain; }
};

struct EsmtpParameter {
  std::string keyword;  // upper-cased
  std::optional<std::string> value;
};

struct PathArgument {
  std::optional<Mailbox> mailbox;  // nothing for the null reverse-path "<>"
  std::vector<EsmtpParameter> parameters;
  std::string parameters_text;  // as written after the path, trimmed
  std::string address() const { return mailbox ? mailbox->address() : std::string(); }
};

struct SyntaxError {
  std::string message;  // for the 501 reply text, e.g. "missing '>' at end of path"
};

// `argument` is what follows "MAIL FROM:" / "RCPT TO:" (leading spaces allowed, as Postfix
// tolerates). The reverse-path may be "<>"; a forward-path may not, except "<postmaster>"
// (RFC 5321 4.1.1.3) which parses as local part "postmaster" with an empty domain.
// Source routes ("<@a,@b:user@c>") are accepted and ignored (RFC 5321 4.1.2, C).
std::variant<PathArgument, SyntaxError> parse_reverse_path(std::string_view argument);
std::variant<PathArgument, SyntaxError> parse_forward_path(std::string_view argument);

// Splits "SIZE=1000 BODY=8BITMIME" into parameters; esmtp-keyword and esmtp-value syntax per
// RFC 5321 4.1.2 (value: printable US-ASCII except '=' and SP; UTF-8 allowed when `utf8`).
std::variant<std::vector<EsmtpParameter>, SyntaxError> parse_esmtp_parameters(std::string_view text, bool utf8);

// Lower-cases the domain (local parts are case-sensitive per RFC 5321 2.4, but every real
// receiver compares them without case, and so does the sandbox's policy).
std::string normalized_address(std::string_view address);

}  // namespace maildog::smtp
