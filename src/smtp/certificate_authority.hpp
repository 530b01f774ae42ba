// The sandbox's certificates: a small ECDSA P-256 certificate authority that signs a leaf per
// sandbox (so one CA file, trusted once, covers every sandbox of a run), and the deliberately
// bad certificates of `server.tls.certificate` (unknown CA, expired, wrong host, self-signed).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/server_config.hpp"

namespace maildog::smtp {

// What the sandbox presents (`server.tls.certificate`).
enum class CertificateKind {
  trusted,      // a leaf signed by the run's CA, valid for the sandbox's names
  untrusted,    // a leaf signed by a throwaway CA nobody trusts
  expired,      // signed by the run's CA, notAfter in the past
  wrong_host,   // signed by the run's CA, valid only for wrong-host.invalid
  self_signed,  // a self-signed leaf
};
std::string_view to_string(CertificateKind kind);
std::optional<CertificateKind> parse_certificate_kind(std::string_view text);

// What a leaf is valid for, and when (offsets from now).
struct LeafSpec {
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;   // literals: 127.0.0.1, ::1
  std::chrono::seconds not_before{-3600};  // an hour back: clocks differ a little
  std::chrono::seconds not_after{std::chrono::hours(24 * 7)};
};

// The names every sandbox leaf covers: localhost, 127.0.0.1, ::1 and `hostname`.
LeafSpec sandbox_leaf(const std::string& hostname);

class CertificateAuthority {
 public:
  // A fresh CA (key made now); throws std::runtime_error with OpenSSL's reason.
  static CertificateAuthority generate(const std::string& common_name);
  // A CA kept earlier (serve --data); throws when the PEM does not parse or the key does not match.
  static CertificateAuthority from_pem(const std::string& certificate_pem, const std::string& private_key_pem);

  const std::string& certificate_pem() const;
  std::string private_key_pem() const;
  // A new key and a leaf signed by this CA; the chain is the leaf alone (clients hold the CA).
  // Safe to call from several threads.
  TlsIdentity issue(const LeafSpec& leaf) const;

  struct Impl;

 private:
  explicit CertificateAuthority(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> m_impl;
};

// A new key and a self-signed leaf.
TlsIdentity self_signed_identity(const LeafSpec& leaf);

// What a sandbox named `hostname` presents for `kind`, `run_ca` being the CA clients trust.
TlsIdentity sandbox_identity(const CertificateAuthority& run_ca, CertificateKind kind, const std::string& hostname);

}  // namespace maildog::smtp
