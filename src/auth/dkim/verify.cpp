#include "auth/dkim/verify.hpp"

#include "auth/dkim/canonicalize.hpp"
#include "auth/dkim/key_record.hpp"
#include "auth/dkim/signature.hpp"
#include "core/ascii.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace maildog::auth::dkim {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

using ascii::iequals;

// RFC 6376 3.6.1 p= for k=rsa is "an RSA public key in DER (SubjectPublicKeyInfo)"; dkimpy and
// some publishers use a bare PKCS#1 RSAPublicKey, which is accepted too. The whole input must
// be consumed. Failed attempts leave nothing on OpenSSL's error queue (the TLS code shares it).
Pkey decode_rsa_public_key(std::string_view der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const auto size = static_cast<long>(der.size());
  const unsigned char* cursor = begin;
  Pkey key(d2i_PUBKEY(nullptr, &cursor, size));
  if (!key || cursor != begin + size) {
    cursor = begin;
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, size));
    if (key && cursor != begin + size) {
      key.reset();
    }
  }
  if (key && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    key.reset();
  }
  ERR_clear_error();
  return key;
}

using SharedPkey = std::shared_ptr<EVP_PKEY>;

// OpenSSL 3 decodes a key through its provider framework, which costs several times the RSA
// verify itself (bench/RESULTS.md), while a verifier meets the same few keys again and again
// (one per selector). Decoded keys are kept, a bounded number, keyed by their DER bytes; an
// EVP_PKEY is safe to share between threads for verification once built.
class DecodedRsaKeys {
 public:
  SharedPkey get(std::string_view der) {
    std::lock_guard lock(m_mutex);
    for (const auto& [bytes, key] : m_keys) {
      if (bytes == der) {
        return key;
      }
    }
    SharedPkey key(decode_rsa_public_key(der).release(), PkeyFree{});
    if (key) {
      if (m_keys.size() == k_capacity) {
        m_keys.pop_front();
      }
      m_keys.emplace_back(std::string(der), key);
    }
    return key;
  }

 private:
  static constexpr std::size_t k_capacity = 32;
  std::mutex m_mutex;
  std::deque<std::pair<std::string, SharedPkey>> m_keys;
};

SharedPkey decoded_rsa_key(std::string_view der) {
  static DecodedRsaKeys keys;
  return keys.get(der);
}

bool rsa_sha256_verify(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  return ok;
}

// RFC 8463 3: the Ed25519 signature is over the SHA-256 of the canonicalised header data.
bool ed25519_sha256_verify(std::string_view public_key, std::string_view data, std::string_view signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  const std::string digest = sha256(data);
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(digest.data()), digest.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

VerifyResult with(VerifyResult result, Status status, std::string reason) {
  result.status = status;
  result.reason = std::move(reason);
  return result;
}

// d=, s= and a= as written (first occurrence), for reporting a signature that does not parse;
// a lenient scan, as the tag list itself may be what is broken.
void describe_unparsed(std::string_view raw_field, VerifyResult& result) {
  const std::size_t colon = raw_field.find(':');
  if (colon == std::string_view::npos) {
    return;
  }
  constexpr std::string_view space = " \t\r\n";
  const auto trim = [&](std::string_view text) {
    const std::size_t first = text.find_first_not_of(space);
    return first == std::string_view::npos ? std::string_view()
                                           : text.substr(first, text.find_last_not_of(space) - first + 1);
  };
  std::string_view rest = raw_field.substr(colon + 1);
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find(';'), rest.size());
    const std::string_view spec = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    const std::size_t equals = spec.find('=');
    if (equals == std::string_view::npos) {
      continue;
    }
    const std::string_view name = trim(spec.substr(0, equals));
    std::string* target = name == "d"   ? &result.domain
                          : name == "s" ? &result.selector
                          : name == "a" ? &result.algorithm
                                        : nullptr;
    if (target != nullptr && target->empty()) {
      *target = std::string(trim(spec.substr(equals + 1)));
    }
  }
}

// RFC 6376 6.1.2: fetch and parse the key; the first record that parses is used.
std::variant<KeyRecord, VerifyResult> fetch_key(const Signature& sig, const KeyLookup& lookup,
                                                const VerifyResult& base) {
  const KeyLookupResult answer = lookup(sig.selector + "._domainkey." + sig.domain);
  if (answer.status == KeyLookupResult::temp_error) {
    return with(base, Status::temperror, "key unavailable (DNS temporary failure)");
  }
  if (answer.status == KeyLookupResult::not_found || answer.txt.empty()) {
    return with(base, Status::permerror, "no key for signature");
  }
  std::string first_error;
  for (const std::string& txt : answer.txt) {
    auto parsed = parse_key_record(txt);
    if (auto* record = std::get_if<KeyRecord>(&parsed)) {
      return std::move(*record);
    }
    if (first_error.empty()) {
      first_error = std::get<KeyRecordError>(parsed).message;
    }
  }
  return with(base, Status::permerror, "key syntax error: " + first_error);
}

VerifyResult verify_one(const MessageParts& parts, const HeaderField& field, const KeyLookup& lookup,
                        const VerifyOptions& options) {
  VerifyResult result;
  auto parsed = parse_signature(field.raw);
  if (const auto* failure = std::get_if<SignatureError>(&parsed)) {
    describe_unparsed(field.raw, result);
    return with(result, Status::permerror, "signature syntax error: " + failure->message);
  }
  const Signature& sig = std::get<Signature>(parsed);
  result.domain = sig.domain;
  result.selector = sig.selector;
  result.algorithm = std::string(algorithm_name(sig.algorithm));
  result.identity = sig.identity;

  // RFC 8301 3.1: "Verifiers MUST NOT consider signatures using rsa-sha1 valid".
  if (sig.algorithm == Algorithm::rsa_sha1) {
    return with(result, Status::fail, "rsa-sha1 is not accepted (RFC 8301)");
  }
  // RFC 6376 3.5 x=: "Signatures MAY be considered invalid if the verification time at the
  // Verifier is past the expiration date."
  if (sig.expiration && *sig.expiration < options.now.time_since_epoch().count()) {
    return with(result, Status::policy, "signature expired");
  }

  auto fetched = fetch_key(sig, lookup, result);
  if (auto* failed = std::get_if<VerifyResult>(&fetched)) {
    return std::move(*failed);
  }
  const KeyRecord& key = std::get<KeyRecord>(fetched);
  result.testing = key.testing;

  // RFC 6376 6.1.2 steps 5-7 and 3.6.1 s=, t=s.
  if (key.revoked()) {
    return with(result, Status::permerror, "key revoked");
  }
  const KeyType wanted = sig.algorithm == Algorithm::ed25519_sha256 ? KeyType::ed25519 : KeyType::rsa;
  if (key.key_type != wanted) {
    return with(result, Status::permerror,
                "inappropriate key algorithm: k=" + std::string(key_type_name(key.key_type)) +
                    " for a=" + result.algorithm);
  }
  if (!key.accepts_hash("sha256")) {
    return with(result, Status::permerror, "inappropriate hash algorithm: key h= does not allow sha256");
  }
  if (!key.is_for_email()) {
    return with(result, Status::permerror, "key is not for email (s=)");
  }
  if (key.strict_identity) {
    const std::string_view identity_domain = std::string_view(sig.identity).substr(sig.identity.rfind('@') + 1);
    if (!iequals(identity_domain, sig.domain)) {
      return with(result, Status::permerror, "key has t=s but the i= domain is not d=");
    }
  }
  SharedPkey rsa_key;
  if (key.key_type == KeyType::rsa) {
    rsa_key = decoded_rsa_key(key.public_key);
    if (!rsa_key) {
      return with(result, Status::permerror, "public key could not be decoded");
    }
    const int bits = EVP_PKEY_get_bits(rsa_key.get());
    if (bits < static_cast<int>(min_rsa_key_bits)) {
      return with(result, Status::fail,
                  "RSA key of " + std::to_string(bits) + " bits is below " + std::to_string(min_rsa_key_bits) +
                      " (RFC 8301)");
    }
  } else if (key.public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return with(result, Status::permerror, "ed25519 key is not 32 bytes");
  }

  // RFC 6376 6.1.3: body hash first, then the signature over the header data.
  const auto body = body_hash(sig.body_canonicalization, parts.body, sig.body_length);
  if (!body) {
    return with(result, Status::fail, "body is shorter than l=");
  }
  if (body->digest.size() != sig.body_hash.size() ||
      CRYPTO_memcmp(body->digest.data(), sig.body_hash.data(), body->digest.size()) != 0) {
    return with(result, Status::fail, "body hash did not verify");
  }
  std::string emptied = sig.raw_header;
  emptied.erase(sig.b_value_begin, sig.b_value_end - sig.b_value_begin);
  const std::string data =
      signed_header_data(parts.headers, sig.signed_headers, sig.header_canonicalization, emptied, &field);
  const bool verified = key.key_type == KeyType::rsa ? rsa_sha256_verify(rsa_key.get(), data, sig.signature)
                                                     : ed25519_sha256_verify(key.public_key, data, sig.signature);
  if (!verified) {
    return with(result, Status::fail, "signature did not verify");
  }
  result.status = Status::pass;
  return result;
}

}  // namespace

std::string_view status_name(Status status) {
  switch (status) {
    case Status::pass:
      return "pass";
    case Status::fail:
      return "fail";
    case Status::neutral:
      return "neutral";
    case Status::temperror:
      return "temperror";
    case Status::permerror:
      return "permerror";
    case Status::policy:
      return "policy";
    case Status::none:
      return "none";
  }
  return "none";
}

std::vector<VerifyResult> verify(std::string_view message_bytes, const KeyLookup& lookup,
                                 const VerifyOptions& options) {
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium could not be initialised");
  }
  const std::string message = normalize_line_endings(message_bytes);
  const MessageParts parts = split_message(message);
  std::vector<VerifyResult> results;
  for (const HeaderField& field : parts.headers) {
    if (!iequals(field.name, "DKIM-Signature")) {
      continue;
    }
    if (results.size() >= options.max_signatures) {
      VerifyResult skipped;
      describe_unparsed(field.raw, skipped);
      results.push_back(with(std::move(skipped), Status::permerror,
                             "not checked: more than " + std::to_string(options.max_signatures) + " signatures"));
      continue;
    }
    results.push_back(verify_one(parts, field, lookup, options));
  }
  return results;
}

}  // namespace maildog::auth::dkim
