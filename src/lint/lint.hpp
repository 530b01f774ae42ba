// The sender linter: a pure function over a message's bytes and what the SMTP session knew
// about it, listing what a strict receiver would refuse or what breaks DKIM in transit.
// No I/O and no state, so it can be fuzzed as it is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lint/finding.hpp"

namespace maildog::lint {

// RFC 5322 2.1.1: a line is at most 998 octets, CRLF not counted.
inline constexpr std::size_t k_line_max = 998;
// RFC 5322 sets no limit on the header section; receivers do: sendmail refuses more than
// 32768 octets of headers (MaxHeadersLength), Gmail a single field over 32 KB.
inline constexpr std::size_t k_header_section_max = 32 * 1024;

// What the session knew about a message. A std::nullopt means unknown (a message file has no
// envelope): the findings that need it are skipped.
struct Envelope {
  std::optional<bool> eight_bit_mime;   // MAIL ... BODY=8BITMIME (or BINARYMIME, RFC 3030)
  std::optional<bool> smtputf8;         // MAIL ... SMTPUTF8
  std::string mail_from;                // reverse-path without brackets
  std::vector<std::string> recipients;  // every RCPT address
  // What the DATA decoder saw that the kept bytes may not show.
  bool bare_lf = false;            // read when no bytes were kept
  std::size_t smuggling_line = 0;  // see smtp::DataDecoder::smuggling_line(); 0: none
};

// Findings for a message (the DATA content: dot-unstuffed, line endings as received), at most
// one per kind, in the order of Kind. Includes the envelope's findings.
std::vector<Finding> lint_message(std::string_view bytes, const Envelope& envelope);

// Findings for a transaction whose message was not kept (refused before DATA, or too big):
// the envelope and what the decoder saw.
std::vector<Finding> lint_envelope(const Envelope& envelope);

}  // namespace maildog::lint
