#include "smtp/tls.hpp"

#include <stdexcept>

#include "smtp/certificate_authority.hpp"

namespace maildog::smtp {

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
  const TlsIdentity identity =
      config.tls_identity ? *config.tls_identity : self_signed_identity(sandbox_leaf(config.hostname));
  context.use_certificate_chain(boost::asio::buffer(identity.certificate_chain_pem));
  context.use_private_key(boost::asio::buffer(identity.private_key_pem), ssl::context::pem);
  return context;
}

}  // namespace maildog::smtp
