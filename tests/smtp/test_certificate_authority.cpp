// The sandbox's certificates judged by OpenSSL's own verifier: the trusted leaf chains to the
// run's CA and covers localhost, 127.0.0.1, ::1 and the hostname; each bad kind fails with the
// error a client reports (expired, unknown issuer, self-signed, wrong name).
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>

#include "smtp/certificate_authority.hpp"

using namespace maildog::smtp;

namespace {

struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
using CertPtr = std::unique_ptr<X509, FreeCert>;

CertPtr parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

// X509_V_OK or the verify error of `leaf` against a store holding only `ca`.
int verify(const std::string& leaf_pem, const std::string& ca_pem) {
  const CertPtr leaf = parse(leaf_pem);
  const CertPtr ca = parse(ca_pem);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

bool covers_host(const std::string& pem, const std::string& name) {
  return X509_check_host(parse(pem).get(), name.data(), name.size(), 0, nullptr) == 1;
}
bool covers_ip(const std::string& pem, const std::string& ip) {
  return X509_check_ip_asc(parse(pem).get(), ip.c_str(), 0) == 1;
}

}  // namespace

TEST_CASE("certificate kinds have names", "[smtp][tls]") {
  for (auto kind : {CertificateKind::trusted, CertificateKind::untrusted, CertificateKind::expired,
                    CertificateKind::wrong_host, CertificateKind::self_signed}) {
    CHECK(parse_certificate_kind(to_string(kind)) == kind);
  }
  CHECK_FALSE(parse_certificate_kind("valid"));
}

TEST_CASE("the run's CA signs sandbox leaves a verifier accepts, for every sandbox name", "[smtp][tls]") {
  const auto ca = CertificateAuthority::generate("test CA");
  const TlsIdentity leaf = sandbox_identity(ca, CertificateKind::trusted, "mx.sandbox.test");
  CHECK(verify(leaf.certificate_chain_pem, ca.certificate_pem()) == X509_V_OK);
  CHECK(covers_host(leaf.certificate_chain_pem, "localhost"));
  CHECK(covers_host(leaf.certificate_chain_pem, "mx.sandbox.test"));
  CHECK(covers_ip(leaf.certificate_chain_pem, "127.0.0.1"));
  CHECK(covers_ip(leaf.certificate_chain_pem, "::1"));
  CHECK_FALSE(covers_host(leaf.certificate_chain_pem, "other.test"));
  // Each leaf has its own key: nothing is shared between sandboxes but the CA.
  const TlsIdentity second = sandbox_identity(ca, CertificateKind::trusted, "mx.sandbox.test");
  CHECK(second.private_key_pem != leaf.private_key_pem);
  CHECK(verify(leaf.certificate_chain_pem, CertificateAuthority::generate("other CA").certificate_pem()) ==
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_CASE("each bad certificate kind fails as a client sees it", "[smtp][tls]") {
  const auto ca = CertificateAuthority::generate("test CA");
  SECTION("expired: chains to the CA, past notAfter") {
    const auto leaf = sandbox_identity(ca, CertificateKind::expired, "mx.sandbox.test");
    CHECK(verify(leaf.certificate_chain_pem, ca.certificate_pem()) == X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK(covers_ip(leaf.certificate_chain_pem, "127.0.0.1"));
  }
  SECTION("untrusted: signed by another CA") {
    const auto leaf = sandbox_identity(ca, CertificateKind::untrusted, "mx.sandbox.test");
    CHECK(verify(leaf.certificate_chain_pem, ca.certificate_pem()) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  }
  SECTION("self_signed") {
    const auto leaf = sandbox_identity(ca, CertificateKind::self_signed, "mx.sandbox.test");
    CHECK(verify(leaf.certificate_chain_pem, ca.certificate_pem()) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  }
  SECTION("wrong_host: chains to the CA, valid only for wrong-host.invalid") {
    const auto leaf = sandbox_identity(ca, CertificateKind::wrong_host, "mx.sandbox.test");
    CHECK(verify(leaf.certificate_chain_pem, ca.certificate_pem()) == X509_V_OK);
    CHECK(covers_host(leaf.certificate_chain_pem, "wrong-host.invalid"));
    CHECK_FALSE(covers_host(leaf.certificate_chain_pem, "localhost"));
    CHECK_FALSE(covers_host(leaf.certificate_chain_pem, "mx.sandbox.test"));
    CHECK_FALSE(covers_ip(leaf.certificate_chain_pem, "127.0.0.1"));
  }
}

TEST_CASE("a CA read back from its PEM signs leaves the same certificate verifies", "[smtp][tls]") {
  const auto made = CertificateAuthority::generate("kept CA");
  const auto loaded = CertificateAuthority::from_pem(made.certificate_pem(), made.private_key_pem());
  CHECK(loaded.certificate_pem() == made.certificate_pem());
  CHECK(verify(loaded.issue(sandbox_leaf("localhost")).certificate_chain_pem, made.certificate_pem()) == X509_V_OK);
  const auto other = CertificateAuthority::generate("other CA");
  CHECK_THROWS_AS(CertificateAuthority::from_pem(made.certificate_pem(), other.private_key_pem()), std::runtime_error);
  CHECK_THROWS_AS(CertificateAuthority::from_pem("not a certificate", made.private_key_pem()), std::runtime_error);
}
