// DKIM public key records published in DNS TXT at <selector>._domainkey.<domain>
// (RFC 6376 3.6.1, with RFC 8463 4 adding k=ed25519). Parsing only; the key bytes stay opaque.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace maildog::auth::dkim {

// RFC 6376 3.6.1 k= ("rsa", the default) and RFC 8463 4 ("ed25519").
enum class KeyType { rsa, ed25519 };

std::string_view key_type_name(KeyType type);

struct KeyRecord {
  KeyType key_type = KeyType::rsa;
  std::vector<std::string> hash_algorithms;     // h=, lower-cased; empty means "any"
  std::string public_key;                       // p=, decoded; empty means revoked (3.6.1)
  std::vector<std::string> service_types{"*"};  // s=, lower-cased
  bool testing = false;                         // t=y: "this domain is testing DKIM"
  bool strict_identity = false;                 // t=s: i= must not be a subdomain of d=
  std::string notes;                            // n=

  bool revoked() const { return public_key.empty(); }
  bool accepts_hash(std::string_view hash) const;  // "sha256"
  bool is_for_email() const;                       // s= has "*" or "email"
};

struct KeyRecordError {
  std::string message;  // e.g. "v= must be the first tag", "p= is not valid base64"
};

// One TXT record, its character-strings already joined. v=, when present, must come first
// and be "DKIM1"; p= is required (it may be empty); unknown tags, unknown hash names and
// unknown flags are ignored (3.6.1); an unknown k= is an error (6.1.2 step 6).
std::variant<KeyRecord, KeyRecordError> parse_key_record(std::string_view txt);

}  // namespace maildog::auth::dkim
