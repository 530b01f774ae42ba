// SASL pieces for AUTH (RFC 4954): base64, the PLAIN (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195)
// mechanisms as pure functions. Credentials are values; the session never logs them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace maildog::smtp::sasl {

std::string base64_encode(std::string_view bytes);
// Strict RFC 4648 decoding (padding required, no white space); nothing on malformed input.
std::optional<std::string> base64_decode(std::string_view text);

struct Credentials {
  std::string authzid;
  std::string user;
  std::string password;
};

// PLAIN message: authzid NUL authcid NUL passwd, already base64-decoded.
std::optional<Credentials> parse_plain(std::string_view decoded);

// CRAM-MD5 challenge: "<random.timestamp@hostname>", made from the caller's random value.
std::string cram_md5_challenge(std::string_view hostname, std::uint64_t random, std::uint64_t timestamp);
// Checks a decoded CRAM-MD5 response "user hex(hmac_md5(password, challenge))" against
// `password`; returns the user name when it is well formed (whether or not the digest matches
// is the second member).
struct CramResponse {
  std::string user;
  std::string digest_hex;  // lower-case
};
std::optional<CramResponse> parse_cram_md5_response(std::string_view decoded);
std::string hmac_md5_hex(std::string_view key, std::string_view message);

}  // namespace maildog::smtp::sasl
