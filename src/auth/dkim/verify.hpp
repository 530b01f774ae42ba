// DKIM verification (RFC 6376 6, RFC 8463, RFC 8301): one result per DKIM-Signature header
// field, as values. Key records come through a KeyLookup so tests use a map, not DNS.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::auth::dkim {

// What a DNS TXT query for "<selector>._domainkey.<domain>" gave: each record's
// character-strings already joined. not_found covers NXDOMAIN and NODATA.
struct KeyLookupResult {
  enum Status { found, not_found, temp_error };
  Status status = not_found;
  std::vector<std::string> txt;
};

// Called with the full query name, e.g. "brisbane._domainkey.football.example.com".
using KeyLookup = std::function<KeyLookupResult(const std::string& selector_domain_name)>;

// RFC 8601 2.7.1 result values for dkim=.
enum class Status {
  pass,       // the signature verified
  fail,       // it did not verify, or uses what RFC 8301 forbids (rsa-sha1, RSA < 1024 bits)
  neutral,    // signed, but the result says nothing either way
  temperror,  // the key could not be fetched now (DNS temporary failure)
  permerror,  // the signature or its key record is unusable (syntax, missing, revoked key)
  policy,     // verifiable but refused by policy: the signature has expired (x=)
  none,       // not signed (verify() returns no result at all then; for callers' reports)
};

std::string_view status_name(Status status);  // "pass", "permerror", ...

// RFC 8301 3.2: "Verifiers MUST NOT consider signatures using RSA keys of less than 1024 bits
// as valid signatures."
inline constexpr unsigned min_rsa_key_bits = 1024;
// Each signature costs a DNS query; signatures past this many are reported as permerror
// without a lookup (RFC 6376 6.1: verifiers "MAY limit the number of signatures").
inline constexpr std::size_t default_max_signatures = 16;

struct VerifyOptions {
  std::chrono::sys_seconds now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::size_t max_signatures = default_max_signatures;
};

struct VerifyResult {
  Status status = Status::none;
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // a=, as written
  std::string identity;   // i= (or "@" + d=); empty when the signature did not parse
  std::string reason;     // empty on pass; e.g. "body hash did not verify", "key revoked"
  bool testing = false;   // the key record has t=y
};

// Verifies every DKIM-Signature header field of `message_bytes` (top to bottom). Bare LF line
// ends are read as CRLF. A message without signatures gives an empty vector.
std::vector<VerifyResult> verify(std::string_view message_bytes, const KeyLookup& lookup,
                                 const VerifyOptions& options = {});

}  // namespace maildog::auth::dkim
