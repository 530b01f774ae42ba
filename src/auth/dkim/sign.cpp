#include "auth/dkim/sign.hpp"

#include "auth/dkim/canonicalize.hpp"
#include "core/ascii.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace maildog::auth::dkim {
namespace {

// RFC 5322 2.1.1: lines SHOULD be no more than 78 characters; folding keeps the field under it.
constexpr std::size_t fold_width = 78;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

[[noreturn]] void reject(const std::string& message) {
  ERR_clear_error();
  throw std::invalid_argument("DKIM signing: " + message);
}

using ascii::lower;
std::string_view trim(std::string_view text) { return ascii::trim(text, " \t\r\n"); }

// Never prompts: an encrypted PEM key is refused instead.
int no_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return 0; }

Pkey read_pem_private_key(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    reject("out of memory reading the key");
  }
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    reject("the private key is not a readable unencrypted PEM key");
  }
  return key;
}

std::string rsa_sha256_sign(std::string_view pem, std::string_view data) {
  const Pkey key = read_pem_private_key(pem);
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    reject("rsa-sha256 needs an RSA private key");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, bytes, data.size()) != 1) {
    reject("RSA signing failed");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, bytes, data.size()) != 1) {
    reject("RSA signing failed");
  }
  signature.resize(size);
  return signature;
}

// The 64-byte libsodium secret key (seed followed by public key) for any accepted form.
std::string ed25519_secret_key(std::string_view key_text) {
  std::string seed_or_secret;
  if (key_text.find("-----BEGIN") != std::string_view::npos) {
    const Pkey key = read_pem_private_key(key_text);
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
      reject("ed25519-sha256 needs an Ed25519 private key");
    }
    std::string seed(crypto_sign_SEEDBYTES, '\0');
    std::size_t size = seed.size();
    if (EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(seed.data()), &size) != 1 ||
        size != crypto_sign_SEEDBYTES) {
      reject("the Ed25519 PEM key has no raw private key");
    }
    seed_or_secret = seed;
  } else if (key_text.size() == crypto_sign_SEEDBYTES || key_text.size() == crypto_sign_SECRETKEYBYTES) {
    seed_or_secret = std::string(key_text);
  } else if (const auto decoded = decode_base64(trim(key_text))) {
    seed_or_secret = *decoded;
  }
  if (seed_or_secret.size() == crypto_sign_SECRETKEYBYTES) {
    return seed_or_secret;
  }
  if (seed_or_secret.size() != crypto_sign_SEEDBYTES) {
    reject("an Ed25519 key must be a 32-byte seed or a 64-byte secret key");
  }
  std::string public_key(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string secret(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                           reinterpret_cast<unsigned char*>(secret.data()),
                           reinterpret_cast<const unsigned char*>(seed_or_secret.data()));
  return secret;
}

// RFC 8463 3: Ed25519 over the SHA-256 of the canonicalised header data.
std::string ed25519_sha256_sign(std::string_view key_text, std::string_view data) {
  const std::string secret = ed25519_secret_key(key_text);
  const std::string digest = sha256(data);
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(digest.data()), digest.size(),
                       reinterpret_cast<const unsigned char*>(secret.data()));
  return signature;
}

// Builds a folded field: items are joined by one space while they fit in fold_width,
// otherwise a new line starting with one space begins.
class FieldWriter {
 public:
  explicit FieldWriter(std::string start) : text_(std::move(start)), line_length_(text_.size()) {}

  // `reserve`: characters that must still fit on the line after `item`.
  void add(std::string_view item, std::size_t reserve = 0) {
    if (line_length_ + 1 + item.size() + reserve > fold_width) {
      text_ += "\r\n";
      line_length_ = 0;
    }
    text_ += ' ';
    text_ += item;
    line_length_ += 1 + item.size();
  }

  // Appends without a separator (continuing a value), folding first when the line is full.
  void append(std::string_view piece) {
    if (line_length_ + piece.size() > fold_width) {
      text_ += "\r\n ";
      line_length_ = 1;
    }
    text_ += piece;
    line_length_ += piece.size();
  }

  std::size_t room() const { return line_length_ >= fold_width ? 0 : fold_width - line_length_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::size_t line_length_;
};

}  // namespace

std::string sign(std::string_view message_bytes, const SignOptions& options) {
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium could not be initialised");
  }
  if (options.algorithm == Algorithm::rsa_sha1) {
    reject("rsa-sha1 is not accepted (RFC 8301)");
  }
  if (!is_valid_domain(options.domain)) {
    reject("invalid domain \"" + options.domain + "\"");
  }
  if (!is_valid_selector(options.selector)) {
    reject("invalid selector \"" + options.selector + "\"");
  }
  if (options.identity && !options.identity->empty()) {
    const std::size_t at = options.identity->rfind('@');
    if (at == std::string::npos || !is_same_or_subdomain(options.identity->substr(at + 1), options.domain)) {
      reject("i= must be an address in d= or a subdomain of it");
    }
  }
  if (options.timestamp && options.expiration && *options.expiration < *options.timestamp) {
    reject("x= is earlier than t=");
  }

  const std::string message = normalize_line_endings(message_bytes);
  const MessageParts parts = split_message(message);
  const auto count_of = [&](std::string_view name) {
    return static_cast<std::size_t>(std::count_if(parts.headers.begin(), parts.headers.end(),
                                                  [&](const HeaderField& field) { return lower(field.name) == name; }));
  };
  if (count_of("from") == 0) {
    reject("the message has no From header field (RFC 6376 5.4: From must be signed)");
  }

  // RFC 6376 5.4.2: a name listed n times signs the last n instances.
  std::vector<std::string> wanted{"from"};
  for (const std::string& name : options.headers) {
    const std::string folded = lower(trim(name));
    if (!folded.empty() && std::find(wanted.begin(), wanted.end(), folded) == wanted.end()) {
      wanted.push_back(folded);
    }
  }
  std::vector<std::string> names;
  for (const std::string& name : wanted) {
    const std::size_t times = count_of(name) + (options.over_sign ? 1 : 0);
    names.insert(names.end(), times, name);
  }

  const auto hash = body_hash(options.body_canonicalization, parts.body);

  FieldWriter field("DKIM-Signature:");
  field.add("v=1;");
  field.add("a=" + std::string(algorithm_name(options.algorithm)) + ";");
  field.add("c=" + std::string(canonicalization_name(options.header_canonicalization)) + "/" +
            std::string(canonicalization_name(options.body_canonicalization)) + ";");
  field.add("d=" + options.domain + ";");
  field.add("s=" + options.selector + ";");
  if (options.identity && !options.identity->empty()) {
    field.add("i=" + *options.identity + ";");
  }
  if (options.timestamp) {
    field.add("t=" + std::to_string(options.timestamp->time_since_epoch().count()) + ";");
  }
  if (options.expiration) {
    field.add("x=" + std::to_string(options.expiration->time_since_epoch().count()) + ";");
  }
  if (options.body_length) {
    field.add("l=" + std::to_string(hash->canonical_length) + ";");
  }
  // h= folds between names (FWS is allowed around ':' by the sig-h-tag ABNF).
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string piece = (i == 0 ? "h=" : "") + names[i] + (i + 1 == names.size() ? ";" : ":");
    if (i == 0) {
      field.add(piece);
    } else {
      field.append(piece);
    }
  }
  field.add("bh=" + encode_base64(hash->digest) + ";");
  // Some of b='s value goes on the "b=" line itself: what is signed ends right after "b=", and
  // a fold there would leave FWS in front of the value that verifiers keep.
  field.add("b=", 8);
  const std::string unsigned_field = field.text();

  const std::string data = signed_header_data(parts.headers, names, options.header_canonicalization, unsigned_field);
  const std::string signature = options.algorithm == Algorithm::ed25519_sha256
                                    ? ed25519_sha256_sign(options.private_key, data)
                                    : rsa_sha256_sign(options.private_key, data);
  const std::string encoded = encode_base64(signature);

  std::string out = unsigned_field;
  std::size_t pos = 0;
  std::size_t room = field.room();
  while (pos < encoded.size()) {
    const std::size_t take = std::min(std::max<std::size_t>(room, 1), encoded.size() - pos);
    out.append(encoded, pos, take);
    pos += take;
    if (pos < encoded.size()) {
      out += "\r\n ";
      room = fold_width - 1;
    }
  }
  out += "\r\n";
  return out;
}

KeyPair generate_keypair(Algorithm algorithm, unsigned rsa_bits) {
  const bool ed25519 = algorithm == Algorithm::ed25519_sha256;
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, ed25519 ? "ED25519" : "RSA", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      (!ed25519 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(rsa_bits)) != 1)) {
    ERR_clear_error();
    throw std::runtime_error("DKIM key generation could not start");
  }
  EVP_PKEY* generated = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &generated) != 1) {
    ERR_clear_error();
    throw std::runtime_error("DKIM key generation failed");
  }
  const Pkey key(generated);

  KeyPair pair;
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    throw std::runtime_error("DKIM key could not be written as PEM");
  }
  char* pem = nullptr;
  const long pem_size = BIO_get_mem_data(bio.get(), &pem);
  pair.private_key_pem.assign(pem, static_cast<std::size_t>(pem_size));

  std::string public_key;
  if (ed25519) {
    public_key.resize(crypto_sign_PUBLICKEYBYTES);
    std::size_t size = public_key.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(public_key.data()), &size) != 1) {
      ERR_clear_error();
      throw std::runtime_error("Ed25519 public key could not be read");
    }
    public_key.resize(size);
  } else {
    // RFC 6376 3.6.1 p=: the DER SubjectPublicKeyInfo.
    const int size = i2d_PUBKEY(key.get(), nullptr);
    if (size <= 0) {
      ERR_clear_error();
      throw std::runtime_error("RSA public key could not be encoded");
    }
    public_key.resize(static_cast<std::size_t>(size));
    auto* cursor = reinterpret_cast<unsigned char*>(public_key.data());
    i2d_PUBKEY(key.get(), &cursor);
  }
  pair.dns_txt = std::string("v=DKIM1; k=") + (ed25519 ? "ed25519" : "rsa") + "; p=" + encode_base64(public_key);
  return pair;
}

}  // namespace maildog::auth::dkim
