// DKIM verification rate: dkim::verify on a 4 KiB message signed with rsa-2048 and ed25519,
// side by side with the bare crypto (OpenSSL RSA, libsodium Ed25519) on the same bytes.
// Prints a table: medians of 5 timed rounds per row, and the ratio DKIM / raw against 50%.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/dkim/sign.hpp"
#include "auth/dkim/signature.hpp"
#include "auth/dkim/verify.hpp"

namespace {

namespace dkim = maildog::auth::dkim;
using Clock = std::chrono::steady_clock;

constexpr std::size_t k_body_bytes = 4096;
constexpr int k_rounds = 5;
constexpr auto k_round_time = std::chrono::milliseconds(400);  // 5 rounds: 2 s per row
constexpr long k_round_cap = 200000;                           // iterations per round at most
constexpr double k_target_ratio = 0.5;
constexpr const char* k_domain = "bench.example";

struct BenchSetup {
  std::string message;                         // unsigned, CRLF line ends, 4 KiB body
  std::map<std::string, std::string> records;  // "<selector>._domainkey.<domain>" -> TXT
};

std::string make_message() {
  std::string message =
      "From: Bench <bench@bench.example>\r\nTo: inbox@inbox.example\r\nSubject: DKIM verification bench\r\n"
      "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <bench@bench.example>\r\n\r\n";
  const std::string line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
  std::string body;
  while (body.size() + line.size() <= k_body_bytes) {
    body += line;
  }
  body.append(k_body_bytes - body.size() - 2, 'x');
  body += "\r\n";
  return message + body;
}

// Calls `step` for k_round_time (or k_round_cap times), k_rounds times; median of the rates.
double median_rate(const std::function<void()>& step) {
  std::vector<double> rates;
  for (int round = 0; round < k_rounds; ++round) {
    long count = 0;
    const auto start = Clock::now();
    auto now = start;
    while (now - start < k_round_time && count < k_round_cap) {
      step();
      ++count;
      now = Clock::now();
    }
    rates.push_back(static_cast<double>(count) / std::chrono::duration<double>(now - start).count());
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

double dkim_rate(const std::string& signed_message, const dkim::KeyLookup& lookup) {
  const auto check = dkim::verify(signed_message, lookup);
  if (check.size() != 1 || check[0].status != dkim::Status::pass) {
    throw std::runtime_error("the bench message did not verify: " +
                             (check.empty() ? std::string("no result") : check[0].reason));
  }
  return median_rate([&] {
    if (dkim::verify(signed_message, lookup).front().status != dkim::Status::pass) {
      throw std::runtime_error("verification stopped passing");
    }
  });
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Pkey load_private_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    throw std::runtime_error("OpenSSL could not read the generated RSA key");
  }
  return key;
}

bool rsa_verify_once(EVP_PKEY* key, const std::string& data, const std::vector<unsigned char>& signature) {
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

// SHA-256 + RSA-2048 PKCS#1 v1.5 verification of the 4 KiB message, a fresh context each time.
double raw_rsa_rate(const std::string& private_key_pem, const std::string& data) {
  Pkey key = load_private_key(private_key_pem);
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes, data.size()) != 1) {
    throw std::runtime_error("OpenSSL could not size the RSA signature");
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, bytes, data.size()) != 1) {
    throw std::runtime_error("OpenSSL could not sign");
  }
  signature.resize(length);
  if (!rsa_verify_once(key.get(), data, signature)) {
    throw std::runtime_error("OpenSSL did not verify its own signature");
  }
  return median_rate([&] {
    if (!rsa_verify_once(key.get(), data, signature)) {
      throw std::runtime_error("raw RSA verification stopped passing");
    }
  });
}

// libsodium Ed25519 (crypto_sign_verify_detached) over the same 4 KiB.
double raw_ed25519_rate(const std::string& data) {
  std::vector<unsigned char> public_key(crypto_sign_PUBLICKEYBYTES);
  std::vector<unsigned char> secret_key(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(public_key.data(), secret_key.data());
  std::vector<unsigned char> signature(crypto_sign_BYTES);
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  crypto_sign_detached(signature.data(), nullptr, bytes, data.size(), secret_key.data());
  return median_rate([&] {
    if (crypto_sign_verify_detached(signature.data(), bytes, data.size(), public_key.data()) != 0) {
      throw std::runtime_error("raw Ed25519 verification stopped passing");
    }
  });
}

std::string signed_with(BenchSetup& setup, dkim::Algorithm algorithm, const std::string& selector,
                        const dkim::KeyPair& pair) {
  setup.records[selector + "._domainkey." + k_domain] = pair.dns_txt;
  dkim::SignOptions options;
  options.domain = k_domain;
  options.selector = selector;
  options.algorithm = algorithm;
  options.private_key = pair.private_key_pem;
  return dkim::sign(setup.message, options) + setup.message;
}

// For bench/dkim_verify.sh: the signed message and its key record, so that another verifier
// (dkimpy) can be timed on the same bytes.
void export_for_peer(const std::string& dir, const std::string& selector, const std::string& signed_message,
                     const std::string& record) {
  std::ofstream message_file(dir + "/" + selector + ".eml", std::ios::binary);
  message_file << signed_message;
  std::ofstream record_file(dir + "/" + selector + ".txt", std::ios::binary);
  record_file << record;
  if (!message_file || !record_file) {
    throw std::runtime_error("cannot write to " + dir);
  }
}

void print_row(const char* name, double dkim_per_s, double raw_per_s) {
  const double ratio = dkim_per_s / raw_per_s;
  std::printf("| %-15s | %13.0f | %12.0f | %8.2f | >= %.2f: %-7s |\n", name, dkim_per_s, raw_per_s, ratio,
              k_target_ratio, ratio >= k_target_ratio ? "met" : "not met");
}

}  // namespace

int main() {
  try {
    if (sodium_init() < 0) {
      throw std::runtime_error("libsodium did not initialise");
    }
    BenchSetup setup;
    setup.message = make_message();
    const dkim::KeyPair rsa = dkim::generate_keypair(dkim::Algorithm::rsa_sha256, 2048);
    const dkim::KeyPair ed = dkim::generate_keypair(dkim::Algorithm::ed25519_sha256);
    const std::string rsa_message = signed_with(setup, dkim::Algorithm::rsa_sha256, "rsa", rsa);
    const std::string ed_message = signed_with(setup, dkim::Algorithm::ed25519_sha256, "ed", ed);
    const dkim::KeyLookup lookup = [&setup](const std::string& name) {
      const auto found = setup.records.find(name);
      if (found == setup.records.end()) {
        return dkim::KeyLookupResult{};
      }
      return dkim::KeyLookupResult{dkim::KeyLookupResult::found, {found->second}};
    };

    std::printf("DKIM verification, %zu-byte message (%zu-byte body), median of %d rounds of %lld ms\n",
                setup.message.size(), k_body_bytes, k_rounds, static_cast<long long>(k_round_time.count()));
    std::printf("| algorithm       | DKIM verify/s | raw verify/s | DKIM/raw | target           |\n");
    std::printf("| --- | --- | --- | --- | --- |\n");
    print_row("rsa-sha256 2048", dkim_rate(rsa_message, lookup), raw_rsa_rate(rsa.private_key_pem, setup.message));
    print_row("ed25519-sha256", dkim_rate(ed_message, lookup), raw_ed25519_rate(setup.message));
    std::printf(
        "raw: OpenSSL EVP_DigestVerify (SHA-256 + RSA) / libsodium crypto_sign_verify_detached over "
        "the same message bytes; DKIM: dkim::verify with an in-memory key lookup.\n");
    if (const char* dir = std::getenv("MAILDOG_BENCH_EXPORT_DIR")) {
      export_for_peer(dir, "rsa", rsa_message, rsa.dns_txt);
      export_for_peer(dir, "ed", ed_message, ed.dns_txt);
    }
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench_dkim_verify: " << error.what() << '\n';
    return 1;
  }
}
