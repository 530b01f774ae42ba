// DKIM signing (RFC 6376 5, RFC 8463) with the same canonicalisation code as the verifier, and
// key generation for the DNS record a sandbox publishes. Inputs are values; errors throw.
#pragma once

#include "auth/dkim/signature.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::auth::dkim {

// RFC 6376 5.4.1 recommends signing the fields that carry the message's meaning.
inline const std::vector<std::string> default_signed_headers{
    "from",     "to",          "cc",         "subject",      "date",         "message-id",
    "reply-to", "in-reply-to", "references", "mime-version", "content-type", "content-transfer-encoding"};

struct SignOptions {
  std::string domain;                           // d=
  std::string selector;                         // s=
  Algorithm algorithm = Algorithm::rsa_sha256;  // rsa-sha256 or ed25519-sha256
  // rsa-sha256: a PEM private key (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY").
  // ed25519-sha256: a 32-byte seed or 64-byte libsodium secret key, raw or in base64, or a
  // PKCS#8 PEM key.
  std::string private_key;
  std::vector<std::string> headers = default_signed_headers;  // names to sign; From is added
  Canonicalization header_canonicalization = Canonicalization::relaxed;
  Canonicalization body_canonicalization = Canonicalization::relaxed;
  std::optional<std::string> identity;                 // i=; left out when empty
  std::optional<std::chrono::sys_seconds> timestamp;   // t=
  std::optional<std::chrono::sys_seconds> expiration;  // x=
  // Lists each name once more than it occurs, so that adding another instance breaks the
  // signature (RFC 6376 8.15); names that do not occur are then signed as absent.
  bool over_sign = false;
  bool body_length = false;  // write l= with the canonical body length (RFC 6376 3.5)
};

// Returns the folded "DKIM-Signature: ...\r\n" field to put in front of `message`. Bare LF
// line ends in `message` are read as CRLF. Throws std::invalid_argument for an unusable key,
// an unusable domain or selector, rsa-sha1 (RFC 8301), or a message without From.
std::string sign(std::string_view message, const SignOptions& options);

struct KeyPair {
  std::string private_key_pem;  // PKCS#8 PEM, accepted by SignOptions::private_key
  std::string dns_txt;          // "v=DKIM1; k=rsa; p=..." for <selector>._domainkey.<domain>
};

// A fresh key from the system's random source. `rsa_bits` is for rsa-sha256 only; sizes
// under 1024 are allowed so that tests can produce what RFC 8301 forbids.
KeyPair generate_keypair(Algorithm algorithm, unsigned rsa_bits = 2048);

}  // namespace maildog::auth::dkim
