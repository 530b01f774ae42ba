#include "smtp/sasl.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace maildog::smtp::sasl {

namespace {

// RFC 4616 2: servers must accept authzid, authcid and passwd of up to 255 octets; longer
// ones are refused rather than carried around.
constexpr std::size_t k_plain_field_max = 255;
// RFC 2195 2: the digest is 16 octets written as 32 lower-case hex digits.
constexpr std::size_t k_md5_size = 16;
constexpr std::size_t k_cram_digest_hex_size = 2 * k_md5_size;
constexpr std::string_view k_hex_digits = "0123456789abcdef";

constexpr std::string_view k_base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int k_not_base64 = -1;
constexpr std::size_t k_base64_quantum = 4;  // RFC 4648 4: 24 bits as four characters

constexpr std::array<int, 256> make_base64_values() {
  std::array<int, 256> values{};
  values.fill(k_not_base64);
  for (std::size_t i = 0; i < k_base64_alphabet.size(); ++i) {
    values[static_cast<unsigned char>(k_base64_alphabet[i])] = static_cast<int>(i);
  }
  return values;
}
constexpr std::array<int, 256> k_base64_values = make_base64_values();

}  // namespace

// Base64 is hand-written: EVP_DecodeBlock trims white space, decodes '=' anywhere as zero bits
// and reports padding as data, so making it strict would take a full validation pass anyway.
std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * k_base64_quantum);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto group = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out += k_base64_alphabet[group >> 18 & 0x3f];
    out += k_base64_alphabet[group >> 12 & 0x3f];
    out += k_base64_alphabet[group >> 6 & 0x3f];
    out += k_base64_alphabet[group & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned group = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      group |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out += k_base64_alphabet[group >> 18 & 0x3f];
    out += k_base64_alphabet[group >> 12 & 0x3f];
    out += rest == 2 ? k_base64_alphabet[group >> 6 & 0x3f] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % k_base64_quantum != 0) {
    return std::nullopt;
  }
  // RFC 4648 3.3: padding only at the very end, one or two characters of it.
  const std::size_t padding = text.size() - std::min(text.size(), text.find_last_not_of('=') + 1);
  if (padding > 2) {
    return std::nullopt;
  }
  const std::string_view digits = text.substr(0, text.size() - padding);
  std::string out;
  out.reserve(digits.size() / k_base64_quantum * 3 + 2);
  unsigned bits = 0;
  int bit_count = 0;
  for (char c : digits) {
    const int value = k_base64_values[static_cast<unsigned char>(c)];
    if (value == k_not_base64) {
      return std::nullopt;
    }
    bits = (bits << 6 | static_cast<unsigned>(value)) & 0xffffff;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>(bits >> bit_count & 0xff);
    }
  }
  // RFC 4648 3.5: the bits left over before the padding must be zero.
  if ((bits & ((1u << bit_count) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

std::optional<Credentials> parse_plain(std::string_view decoded) {
  // RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
  if (std::count(decoded.begin(), decoded.end(), '\0') != 2) {
    return std::nullopt;
  }
  const std::size_t first_nul = decoded.find('\0');
  const std::size_t second_nul = decoded.find('\0', first_nul + 1);
  Credentials credentials{std::string(decoded.substr(0, first_nul)),
                          std::string(decoded.substr(first_nul + 1, second_nul - first_nul - 1)),
                          std::string(decoded.substr(second_nul + 1))};
  if (credentials.user.empty() || credentials.password.empty() || credentials.authzid.size() > k_plain_field_max ||
      credentials.user.size() > k_plain_field_max || credentials.password.size() > k_plain_field_max) {
    return std::nullopt;
  }
  return credentials;
}

std::string cram_md5_challenge(std::string_view hostname, std::uint64_t random, std::uint64_t timestamp) {
  // RFC 2195 2: a msg-id in the RFC 822 style, e.g. "<1896.697170952@postoffice.reston.mci.net>".
  return "<" + std::to_string(random) + "." + std::to_string(timestamp) + "@" + std::string(hostname) + ">";
}

std::optional<CramResponse> parse_cram_md5_response(std::string_view decoded) {
  // RFC 2195 2: user name, a space, the digest; the last space splits them, as user names may
  // contain spaces.
  const std::size_t space = decoded.rfind(' ');
  if (space == std::string_view::npos || space == 0) {
    return std::nullopt;
  }
  const std::string_view user = decoded.substr(0, space);
  const std::string_view digest = decoded.substr(space + 1);
  if (user.size() > k_plain_field_max || digest.size() != k_cram_digest_hex_size ||
      digest.find_first_not_of(k_hex_digits) != std::string_view::npos) {
    return std::nullopt;
  }
  return CramResponse{std::string(user), std::string(digest)};
}

std::string hmac_md5_hex(std::string_view key, std::string_view message) {
  // EVP_Q_mac rather than HMAC(), which OpenSSL 3 deprecates. A null key pointer means "keep
  // the previous key" to EVP_MAC_init, so an empty key still needs a real address.
  static constexpr unsigned char k_empty_key = 0;
  const void* key_bytes = key.empty() ? static_cast<const void*>(&k_empty_key) : static_cast<const void*>(key.data());
  std::array<unsigned char, k_md5_size> digest{};
  std::size_t digest_size = 0;
  const unsigned char* result = EVP_Q_mac(nullptr, "HMAC", nullptr, "MD5", nullptr, key_bytes, key.size(),
                                          reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                          digest.data(), digest.size(), &digest_size);
  if (result == nullptr || digest_size != k_md5_size) {
    // Only an OpenSSL without MD5 (FIPS mode) gets here: a start-up problem, not a client's.
    throw std::runtime_error("HMAC-MD5 is not available from OpenSSL");
  }
  std::string hex;
  hex.reserve(k_cram_digest_hex_size);
  for (unsigned char octet : digest) {
    hex += k_hex_digits[octet >> 4];
    hex += k_hex_digits[octet & 0x0f];
  }
  return hex;
}

}  // namespace maildog::smtp::sasl
