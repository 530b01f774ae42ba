// The sandbox SMTP server: Boost.Asio on 127.0.0.1 (port 0 by default; the real port is read
// back), many sessions at once, and an ordered shutdown that drains in-flight transactions
// before it returns, so every captured message is in `capture()` afterwards.
// Asio stays behind a pimpl: including this header costs nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture.hpp"
#include "rules/engine.hpp"
#include "smtp/server_config.hpp"

namespace maildog::smtp {

class IoThreads;

class Server {
 public:
  // With `io`, sessions and the accept loop run on those shared threads (serve's sandboxes)
  // and `config.threads` is ignored; without, the server starts and joins threads of its own.
  explicit Server(ServerConfig config, std::shared_ptr<IoThreads> io = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts serving; throws std::system_error (or std::runtime_error for
  // TLS files) when it cannot. Never leaves a half-started server behind.
  void start();
  // 1. stop accepting; 2. sessions idle between commands get 421 and close; 3. transactions in
  // flight may finish until `grace` runs out; 4. the rest are closed; 5. threads joined.
  // Idempotent; called by the destructor.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Sessions that start from now on use `rules` (with fresh rule state: draws and rates start
  // over), and sessions already running use them from their next MAIL FROM (connect, HELO,
  // STARTTLS and AUTH rules stay those they started with). `times`: the counters of the rules'
  // `times` (index by index; rules::fresh_times), so a rule kept from the set before keeps what
  // is left of it; missing ones start full. Thread-safe.
  void set_rules(std::vector<rules::Rule> rules, std::vector<std::shared_ptr<rules::TimesLeft>> times = {});

  std::uint16_t port() const;
  const std::string& host() const;
  ServerConfig config() const;  // what the next session gets (rules included)
  capture::Capture& capture();
  std::size_t active_sessions() const;
  // Waits until no session is open (clients finished on their own), at most `timeout`.
  bool wait_until_idle(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace maildog::smtp
