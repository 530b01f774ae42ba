#include "smtp/certificate_authority.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <mutex>
#include <stdexcept>

#include "core/name_table.hpp"

namespace maildog::smtp {

namespace {

constexpr NameTable<CertificateKind, 5> k_certificate_kinds{{
    {CertificateKind::trusted, "trusted"},
    {CertificateKind::untrusted, "untrusted"},
    {CertificateKind::expired, "expired"},
    {CertificateKind::wrong_host, "wrong_host"},
    {CertificateKind::self_signed, "self_signed"},
}};

// The only name a wrong_host certificate is valid for: .invalid never resolves (RFC 2606).
constexpr const char* k_wrong_host = "wrong-host.invalid";
constexpr std::size_t k_common_name_max = 64;  // RFC 5280 ub-common-name

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FreeBio {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, FreeKey>;
using CertPtr = std::unique_ptr<X509, FreeCert>;
using BioPtr = std::unique_ptr<BIO, FreeBio>;

[[noreturn]] void throw_openssl(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char buffer[256] = "unknown error";
  if (code != 0) {
    ERR_error_string_n(code, buffer, sizeof buffer);
  }
  ERR_clear_error();
  throw std::runtime_error(what + ": " + buffer);
}

KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    throw_openssl("cannot generate an ECDSA P-256 key");
  }
  return key;
}

std::string bio_text(const BioPtr& bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string certificate_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bio_text(bio);
}

std::string key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio);
}

// An extension from OpenSSL's config syntax; `issuer` is read for the authority key id.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (extension == nullptr) {
    throw_openssl("cannot make certificate extension");
  }
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

// subjectAltName built name by name, so a hostname can never inject config syntax (a comma).
void add_subject_alt_names(X509* cert, const LeafSpec& leaf) {
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  auto push = [&](int type, ASN1_STRING* value) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(name, type, value);
    sk_GENERAL_NAME_push(names, name);
  };
  for (const auto& dns : leaf.dns_names) {
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size()));
    push(GEN_DNS, text);
  }
  for (const auto& ip : leaf.ip_addresses) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (octets == nullptr) {
      GENERAL_NAMES_free(names);
      throw std::runtime_error("not an IP address for a certificate: " + ip);
    }
    push(GEN_IPADD, octets);
  }
  const int added = X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(names);
  if (added != 1) {
    throw_openssl("cannot add the subjectAltName");
  }
}

// Random and positive (RFC 5280 4.1.2.2): two certificates of a run never share a serial.
void set_random_serial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw_openssl("cannot draw a certificate serial");
  }
  bytes[0] &= 0x7f;
  BIGNUM* number = BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert));
  BN_free(number);
}

void set_subject(X509* cert, const std::string& common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  const std::string cn = common_name.substr(0, k_common_name_max);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("maildog-ci sandbox"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

CertPtr new_certificate(EVP_PKEY* key, const std::string& common_name, std::chrono::seconds not_before,
                        std::chrono::seconds not_after) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);  // v3
  set_random_serial(cert.get());
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(not_before.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(not_after.count()));
  X509_set_pubkey(cert.get(), key);
  set_subject(cert.get(), common_name);
  return cert;
}

std::string leaf_common_name(const LeafSpec& leaf) {
  if (!leaf.dns_names.empty()) {
    return leaf.dns_names.front();
  }
  return leaf.ip_addresses.empty() ? std::string("maildog-ci sandbox") : leaf.ip_addresses.front();
}

// The leaf's extensions, as strict verifiers (Python 3.13's VERIFY_X509_STRICT) want them.
void add_leaf_extensions(X509* cert, X509* issuer, const LeafSpec& leaf) {
  add_extension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert, issuer, NID_key_usage, "critical,digitalSignature");
  add_extension(cert, issuer, NID_ext_key_usage, "serverAuth");
  add_extension(cert, issuer, NID_subject_key_identifier, "hash");
  add_extension(cert, issuer, NID_authority_key_identifier, "keyid:always");
  add_subject_alt_names(cert, leaf);
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) == 0) {
    throw_openssl("cannot sign a certificate");
  }
}

}  // namespace

std::string_view to_string(CertificateKind kind) { return name_of(k_certificate_kinds, kind); }

std::optional<CertificateKind> parse_certificate_kind(std::string_view text) {
  return lookup_name(k_certificate_kinds, text);
}

LeafSpec sandbox_leaf(const std::string& hostname) {
  LeafSpec leaf;
  leaf.dns_names.push_back(hostname);
  if (hostname != "localhost") {
    leaf.dns_names.emplace_back("localhost");
  }
  leaf.ip_addresses = {"127.0.0.1", "::1"};
  return leaf;
}

struct CertificateAuthority::Impl {
  KeyPtr key;
  CertPtr certificate;
  std::string certificate_pem;
  // OpenSSL 3 caches provider data on a key when it is first used; one signature at a time.
  std::mutex signing;
};

CertificateAuthority::CertificateAuthority(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}

CertificateAuthority CertificateAuthority::generate(const std::string& common_name) {
  auto impl = std::make_shared<Impl>();
  impl->key = new_key();
  // Ten years: a CA kept by serve --data outlives many restarts; each leaf is short-lived.
  impl->certificate =
      new_certificate(impl->key.get(), common_name, std::chrono::seconds(-3600), std::chrono::hours(24 * 3650));
  X509* cert = impl->certificate.get();
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  add_extension(cert, cert, NID_authority_key_identifier, "keyid:always");
  sign(cert, impl->key.get());
  impl->certificate_pem = certificate_to_pem(cert);
  return CertificateAuthority(std::move(impl));
}

CertificateAuthority CertificateAuthority::from_pem(const std::string& certificate_pem,
                                                    const std::string& private_key_pem) {
  auto impl = std::make_shared<Impl>();
  BioPtr cert_bio(BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  impl->certificate.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!impl->certificate) {
    throw_openssl("cannot read the CA certificate");
  }
  BioPtr key_bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  impl->key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!impl->key) {
    throw_openssl("cannot read the CA key");
  }
  if (X509_check_private_key(impl->certificate.get(), impl->key.get()) != 1) {
    throw_openssl("the CA key does not belong to the CA certificate");
  }
  impl->certificate_pem = certificate_to_pem(impl->certificate.get());
  return CertificateAuthority(std::move(impl));
}

const std::string& CertificateAuthority::certificate_pem() const { return m_impl->certificate_pem; }

std::string CertificateAuthority::private_key_pem() const { return key_to_pem(m_impl->key.get()); }

TlsIdentity CertificateAuthority::issue(const LeafSpec& leaf) const {
  KeyPtr key = new_key();
  CertPtr cert = new_certificate(key.get(), leaf_common_name(leaf), leaf.not_before, leaf.not_after);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(m_impl->certificate.get()));
  {
    std::lock_guard lock(m_impl->signing);
    add_leaf_extensions(cert.get(), m_impl->certificate.get(), leaf);
    sign(cert.get(), m_impl->key.get());
  }
  return TlsIdentity{certificate_to_pem(cert.get()), key_to_pem(key.get())};
}

TlsIdentity self_signed_identity(const LeafSpec& leaf) {
  KeyPtr key = new_key();
  CertPtr cert = new_certificate(key.get(), leaf_common_name(leaf), leaf.not_before, leaf.not_after);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  add_subject_alt_names(cert.get(), leaf);
  sign(cert.get(), key.get());
  return TlsIdentity{certificate_to_pem(cert.get()), key_to_pem(key.get())};
}

TlsIdentity sandbox_identity(const CertificateAuthority& run_ca, CertificateKind kind, const std::string& hostname) {
  LeafSpec leaf = sandbox_leaf(hostname);
  switch (kind) {
    case CertificateKind::trusted:
      break;
    case CertificateKind::untrusted:
      return CertificateAuthority::generate("maildog-ci throwaway CA (untrusted)").issue(leaf);
    case CertificateKind::expired:
      leaf.not_before = -std::chrono::hours(48);
      leaf.not_after = -std::chrono::hours(24);
      break;
    case CertificateKind::wrong_host:
      leaf = LeafSpec{};
      leaf.dns_names = {k_wrong_host};
      break;
    case CertificateKind::self_signed:
      return self_signed_identity(leaf);
  }
  return run_ca.issue(leaf);
}

}  // namespace maildog::smtp
