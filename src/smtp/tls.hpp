// TLS for the sandbox: an OpenSSL server context with the certificate files from the
// configuration, the identity the caller made (smtp/certificate_authority.hpp), or else an
// ephemeral self-signed ECDSA P-256 certificate made at start (fast, and nothing to manage).
// Only smtp/ includes this; Asio's SSL headers stay out of other headers.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

#include "smtp/server_config.hpp"

namespace maildog::smtp {

// Throws std::runtime_error with the OpenSSL reason when files cannot be loaded.
boost::asio::ssl::context make_server_tls_context(const ServerConfig& config);

}  // namespace maildog::smtp
