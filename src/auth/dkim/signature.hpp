// DKIM-Signature header fields (RFC 6376 3.5) and the tag=value lists they are written in
// (RFC 6376 3.2), plus the base64 used by b=, bh= and key p=. Parsing only; no evaluation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace maildog::auth::dkim {

// RFC 6376 3.3 (rsa-sha1, rsa-sha256) and RFC 8463 3 (ed25519-sha256). rsa-sha1 is parsed so
// that a verifier can say why it refuses it (RFC 8301 3.1).
enum class Algorithm { rsa_sha1, rsa_sha256, ed25519_sha256 };

// RFC 6376 3.4.
enum class Canonicalization { simple, relaxed };

std::string_view algorithm_name(Algorithm algorithm);            // "rsa-sha256"
std::string_view canonicalization_name(Canonicalization canon);  // "relaxed"

// One tag of a tag-list. `value` has its surrounding FWS removed (inner FWS is kept);
// `value_begin`/`value_end` are offsets of the value in the parsed text, trimmed the same way.
struct Tag {
  std::string name;
  std::string value;
  std::size_t value_begin = 0;
  std::size_t value_end = 0;
};

struct TagListError {
  std::string message;  // e.g. "duplicate tag \"d\"", "tag \"x\" has no '='"
};

// RFC 6376 3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ]. Tag names are case-sensitive;
// a repeated tag name is an error ("Tags with duplicate names MUST NOT occur").
std::variant<std::vector<Tag>, TagListError> parse_tag_list(std::string_view text);

// Base64 (RFC 2045 alphabet) with whitespace (SP, HTAB, CR, LF) allowed anywhere, as in b=, bh=
// (RFC 6376 3.5) and p= (3.6.1). Padding is optional; nothing on bad characters or lengths.
std::optional<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

struct Signature {
  std::string raw_header;  // the whole field as received, name included, without the final CRLF
  // Where b='s tag-value lies in raw_header (surrounding FWS excluded, as in the 3.2 grammar):
  // verifiers and signers hash the field with exactly these bytes removed (3.7).
  std::size_t b_value_begin = 0;
  std::size_t b_value_end = 0;

  Algorithm algorithm = Algorithm::rsa_sha256;
  std::string signature;  // b=, decoded
  std::string body_hash;  // bh=, decoded
  Canonicalization header_canonicalization = Canonicalization::simple;
  Canonicalization body_canonicalization = Canonicalization::simple;
  std::string domain;                        // d= (SDID), as written
  std::vector<std::string> signed_headers;   // h=, in order, as written
  std::string identity;                      // i= (AUID); "@" + d= when absent (3.5)
  std::optional<std::uint64_t> body_length;  // l=
  std::string selector;                      // s=
  std::optional<std::int64_t> timestamp;     // t=
  std::optional<std::int64_t> expiration;    // x=
  std::string copied_headers;                // z=, undecoded (diagnostic use only)
};

struct SignatureError {
  std::string message;  // e.g. "missing required tag bh=", "i= is not within d="
};

// Parses one DKIM-Signature header field (`raw_header` is "DKIM-Signature:" and its value,
// folded as received, with or without the final CRLF) and applies RFC 6376 6.1.1: v=1, the
// required tags a b bh d h s, h= naming From, i= within d=, x= not before t=, q= offering
// dns/txt. Unknown tags are ignored (3.2); unknown algorithms are errors.
std::variant<Signature, SignatureError> parse_signature(std::string_view raw_header);

// Domain names in d= and s= (RFC 6376 3.5 domain-name / selector): dot-separated labels of
// letters, digits and hyphens (not at either end of a label); octets >= 0x80 are allowed for
// RFC 8616 U-labels. The selector also allows '_' as deployed selectors use it.
bool is_valid_domain(std::string_view domain);
bool is_valid_selector(std::string_view selector);

// True when `domain` equals `parent` or is a subdomain of it, ignoring ASCII case.
bool is_same_or_subdomain(std::string_view domain, std::string_view parent);

}  // namespace maildog::auth::dkim
