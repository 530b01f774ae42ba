// DKIM canonicalisation (RFC 6376 3.4) and the body hash (3.7) as pure functions over the
// message bytes, shared by the verifier and the signer. Input is CRLF text (RFC 5322).
#pragma once

#include "auth/dkim/signature.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::auth::dkim {

// Turns every LF not preceded by CR into CRLF. DKIM hashes are defined over CRLF lines (RFC 6376
// 5.3: "bare LF ... MUST be converted to CRLF"); messages kept on disk often use LF only.
std::string normalize_line_endings(std::string_view message);

struct HeaderField {
  std::string_view name;  // as written, without the colon or trailing whitespace
  std::string_view raw;   // the whole field, folding kept, with its terminating CRLF
};

struct MessageParts {
  std::vector<HeaderField> headers;  // in message order
  std::string_view body;             // everything after the empty line that ends the header
};

// Splits a CRLF message into header fields and body; the parts are views into `message`,
// which must outlive them. Continuation lines (starting with SP or
// HTAB) belong to the field above; a line with no ':' (an mbox "From " line) is skipped.
// A message without an empty line is all header and has an empty body.
MessageParts split_message(std::string_view message);

// RFC 6376 3.4.1 "simple" (unchanged) and 3.4.2 "relaxed" (lower-case name, unfold, runs of
// WSP to one SP, no WSP around the colon or at the end). `raw_field` may or may not end in
// CRLF; the result always does.
std::string canonicalize_header(Canonicalization canon, std::string_view raw_field);

// RFC 6376 3.4.3 "simple" (trailing empty lines removed; an empty body becomes one CRLF) and
// 3.4.4 "relaxed" (WSP at line ends removed, inner runs of WSP to one SP, trailing empty lines
// removed; an empty body stays empty, per erratum 1384). A missing final CRLF is added.
std::string canonicalize_body(Canonicalization canon, std::string_view body);

// RFC 6376 3.7 and 5.4.2: the header part of what b= signs. For each name in h= (compared
// without case) the last instance not yet used is taken, working bottom-up; a name with no
// instance left contributes nothing (which is what makes over-signing work). The field at
// `self` (the signature being made or checked) is never selected. Then comes `signature_field`
// (the DKIM-Signature field with b='s value emptied), canonicalised, without its final CRLF.
std::string signed_header_data(const std::vector<HeaderField>& headers, const std::vector<std::string>& names,
                               Canonicalization canon, std::string_view signature_field,
                               const HeaderField* self = nullptr);

std::string sha256(std::string_view data);  // the 32-byte digest

struct BodyHash {
  std::string digest;                  // SHA-256 of the canonical body, cut to l= when given
  std::uint64_t canonical_length = 0;  // length of the whole canonical body
};

// RFC 6376 3.7 with l= (3.5): hashes the first `length` octets of the canonical body. Nothing
// when `length` is greater than the canonical body.
std::optional<BodyHash> body_hash(Canonicalization canon, std::string_view body,
                                  std::optional<std::uint64_t> length = std::nullopt);

}  // namespace maildog::auth::dkim
