// TLS for the sandbox: an OpenSSL server context with either the certificate files from the
// configuration or an ephemeral self-signed ECDSA P-256 certificate made at start (fast, and
// nothing to manage). Only smtp/ includes this; Asio's SSL headers stay out of other headers.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

#include "smtp/server_config.hpp"

namespace maildog::smtp {

// Throws std::runtime_error with the OpenSSL reason when files cannot be loaded.
boost::asio::ssl::context make_server_tls_context(const ServerConfig& config);

// The PEM of a freshly made self-signed certificate and key for `hostname` (also used by tests).
struct SelfSigned {
  std::string certificate_pem;
  std::string private_key_pem;
};
SelfSigned make_self_signed(const std::string& hostname);

}  // namespace maildog::smtp
