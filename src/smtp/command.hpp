// One SMTP command line split into its verb and argument (RFC 5321 4.1.1). No state, no I/O:
// whether the command is allowed now is the protocol's business (smtp/protocol.hpp).
#pragma once

#include <string>
#include <string_view>

namespace maildog::smtp {

enum class Verb { ehlo, helo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth, unknown };

std::string_view to_string(Verb verb);

struct Command {
  Verb verb = Verb::unknown;
  std::string verb_text;   // upper-cased as received, for the transcript and `replies` matching
  std::string argument;    // after "FROM:"/"TO:" for MAIL/RCPT; otherwise after the verb, trimmed
  bool malformed = false;  // MAIL without "FROM:" or RCPT without "TO:"
};

// `line` excludes the CRLF. Verbs are case-insensitive (RFC 5321 2.4).
Command parse_command(std::string_view line);

}  // namespace maildog::smtp
