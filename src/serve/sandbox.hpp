// What `maildog-ci serve` runs: the SMTP server writing every accepted message into a store
// before its 250, and every finished session beside them. The HTTP API reads store() and may
// change the rules with server().set_rules().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "serve/store.hpp"
#include "smtp/server.hpp"

namespace maildog::serve {

class ServeSandbox {
 public:
  using Listener = std::function<void(const StoredMessage&)>;
  using AttemptListener = std::function<void(const StoredAttempt&)>;

  // `on_stored` hears of each message once it is stored (on the store's writer thread, or a
  // session's with the memory store); `on_refused` of each refused attempt once it is stored,
  // and of each partly refused message once it is (id 0, message_id set); either may be empty.
  // `config.on_accepted`, `config.on_attempt_refused` and the capture's session hand-off are set here.
  // `io`: the I/O threads the server runs on (serve's, shared by its sandboxes); none: its own.
  ServeSandbox(smtp::ServerConfig config, std::unique_ptr<MessageStore> store, Listener on_stored = {},
               AttemptListener on_refused = {}, std::shared_ptr<smtp::IoThreads> io = nullptr);
  ~ServeSandbox();
  ServeSandbox(const ServeSandbox&) = delete;
  ServeSandbox& operator=(const ServeSandbox&) = delete;

  void start();  // throws as smtp::Server::start does
  // Stops accepting; transactions in flight may finish within `grace` (smtp::Server::stop).
  void stop(std::chrono::milliseconds grace);

  MessageStore& store() { return *m_store; }
  smtp::Server& server() { return *m_server; }

 private:
  smtp::Acceptance keep(const capture::SessionRecord& session, const capture::TransactionRecord& transaction);
  void keep_closed_session(const capture::SessionRecord& session);
  void keep_refused(const capture::SessionRecord& session, const smtp::RefusedAttempt& refused);

  std::unique_ptr<MessageStore> m_store;  // declared first: outlives the server's sessions
  Listener m_on_stored;
  AttemptListener m_on_refused;
  // Session ids restart at 1 with every server; stored ones continue after those of earlier runs.
  std::uint64_t m_session_base = 0;
  std::unique_ptr<smtp::Server> m_server;
};

}  // namespace maildog::serve
