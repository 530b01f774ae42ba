// The HTTP API and web inspector of `maildog-ci serve` (Boost.Beast on its own io_context
// thread): reads the message store, long-polls for messages, reads and replaces the rules.
// Beast stays behind a pimpl: including this header costs nothing.
#pragma once

#include <cstdint>
#include <memory>

#include "http/api_options.hpp"
#include "serve/store.hpp"

namespace maildog::http {

class SandboxRegistry;

class ApiServer {
 public:
  // `sandboxes`: serves /api/v1/sandboxes and the routes under their prefixes (see ApiRoutes).
  ApiServer(serve::MessageStore& store, RulesAccess rules, ApiOptions options = {},
            SandboxRegistry* sandboxes = nullptr);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds, listens and starts serving; throws std::system_error when it cannot bind.
  void start();
  // Closes the listener and every connection, long-polls included, and joins the threads.
  // Idempotent; called by the destructor.
  void stop();
  std::uint16_t port() const;
  // GET /readyz answers 503 from now on (serve is draining before stop()).
  void set_stopping();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace maildog::http
