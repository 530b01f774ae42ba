#include "smtp/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace maildog::smtp {

namespace {

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FreeBio {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

[[noreturn]] void throw_openssl(const std::string& what) {
  unsigned long code = ERR_get_error();
  char buffer[256] = "unknown error";
  if (code != 0) {
    ERR_error_string_n(code, buffer, sizeof buffer);
  }
  throw std::runtime_error(what + ": " + buffer);
}

std::string to_pem(const std::unique_ptr<BIO, FreeBio>& bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (extension == nullptr) {
    throw_openssl("cannot make certificate extension");
  }
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

}  // namespace

SelfSigned make_self_signed(const std::string& hostname) {
  std::unique_ptr<EVP_PKEY, FreeKey> key(EVP_EC_gen("P-256"));
  if (!key) {
    throw_openssl("cannot generate an ECDSA P-256 key");
  }
  std::unique_ptr<X509, FreeCert> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string common_name = hostname.substr(0, 64);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("maildog-ci sandbox"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  add_extension(cert.get(), NID_subject_alt_name, "DNS:" + hostname + ",DNS:localhost,IP:127.0.0.1");
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw_openssl("cannot sign the sandbox certificate");
  }
  std::unique_ptr<BIO, FreeBio> cert_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, FreeBio> key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return SelfSigned{to_pem(cert_bio), to_pem(key_bio)};
}

boost::asio::ssl::context make_server_tls_context(const ServerConfig& config) {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_server);
  // TLS 1.2 and newer only, as RFC 8996 and every large receiver require.
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  if (config.tls == TlsMode::none) {
    return context;
  }
  if (config.tls_cert_file && config.tls_key_file) {
    boost::system::error_code ec;
    context.use_certificate_chain_file(*config.tls_cert_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load TLS certificate " + *config.tls_cert_file + ": " + ec.message());
    }
    context.use_private_key_file(*config.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      throw std::runtime_error("cannot load TLS key " + *config.tls_key_file + ": " + ec.message());
    }
    return context;
  }
  SelfSigned generated = make_self_signed(config.hostname);
  context.use_certificate_chain(boost::asio::buffer(generated.certificate_pem));
  context.use_private_key(boost::asio::buffer(generated.private_key_pem), ssl::context::pem);
  return context;
}

}  // namespace maildog::smtp
