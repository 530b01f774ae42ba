// One SMTP connection on the Asio side: owns the socket (plain, then TLS), its buffers and its
// watchdog timer; moves bytes between the socket and the pure Protocol. Internal to smtp/:
// only server.cpp and session.cpp include it (it pulls in Asio and OpenSSL).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "capture/capture.hpp"
#include "rules/engine.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/protocol.hpp"
#include "smtp/server_config.hpp"

namespace maildog::smtp {

struct SessionShared {
  const ServerConfig& config;
  boost::asio::ssl::context& tls;
  rules::EngineState& rules;
  capture::Capture& capture;
  std::shared_ptr<const void> owner;          // keeps `config` and `rules` alive while the session runs
  std::function<RulesInUse()> current_rules;  // the server's rules now: Protocol::follow_rules
  // Set by the server while it is over 80% of its connection limit: idle timeouts are then
  // limits::k_stress_idle_timeout (Postfix's stress adaptation). Null: never under stress.
  const std::atomic<bool>* stressed = nullptr;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, SessionShared shared, bool over_connection_limit);

  // The whole dialogue; the record lands in the capture when it returns, whatever happened.
  boost::asio::awaitable<void> run();
  // Both run on the session's executor (the server posts them there), whose context has one thread.
  void request_stop();  // finish the current transaction, then 421 and close
  void force_close();   // close now
  // Stress adaptation (both on the session's executor): a session idle between commands gets
  // the short idle timeout now / is closed now with the timeout's 421 4.4.2, as Postfix's
  // smtpd under stress. Either does nothing to a session busy with a command.
  void tighten_idle_timeout();
  void close_if_idle();
  // Since when the session has been waiting for a command (steady clock ticks); 0 while it is
  // busy or finished. Read by the server's accept loop on another thread to find the longest idle.
  std::int64_t idle_since() const { return m_idle_since.load(std::memory_order_relaxed); }
  // The server picks each session for eviction only once (in its accept loop, under its mutex).
  bool picked_for_eviction() const { return m_evicting.load(std::memory_order_relaxed); }
  void pick_for_eviction() { m_evicting.store(true, std::memory_order_relaxed); }
  boost::asio::any_io_executor executor() { return m_socket.get_executor(); }

 private:
  using Clock = std::chrono::steady_clock;

  boost::asio::ip::tcp::socket m_socket;
  // Made by handshake(): a plain session never holds the TLS stream's record buffers (34 KiB).
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> m_tls;
  SessionShared m_shared;
  bool m_over_limit;
  boost::asio::steady_timer m_watchdog;
  boost::asio::steady_timer m_pause;  // a rule's delay fault; cancelled by force_close
  capture::SessionRecord m_record;
  Clock::time_point m_started;
  std::mt19937_64 m_random;
  Protocol m_protocol;

  std::string m_in;
  std::string m_out;
  // limits::k_read_chunk bytes while reading; released while the session waits for a command.
  std::unique_ptr<char[]> m_chunk;
  bool m_tls_active = false;
  bool m_finished = false;
  bool m_stop_requested = false;
  bool m_waiting_for_command = false;
  bool m_skipping_long_line = false;
  std::atomic<std::int64_t> m_idle_since{0};
  std::atomic<bool> m_evicting{false};
  std::string m_timeout_reason;
  Clock::time_point m_idle_deadline = Clock::time_point::max();
  Clock::time_point m_session_deadline = Clock::time_point::max();
  // The read mode the protocol asked for last: a DATA message (its decoder), a BDAT chunk (its
  // octets still to read), or command lines when neither is set.
  std::optional<DataDecoder> m_decoder;
  std::optional<std::uint64_t> m_chunk_left;
  bool m_drop_in_data = false;  // a drop fault: close once message bytes arrive

  // What one read step tells the dialogue: read on, end the dialogue (noting how the session
  // ended), or stop at once (the session is finished already).
  enum class Step { more, end, stop };

  boost::asio::awaitable<void> dialogue();
  boost::asio::awaitable<Step> chunk_step();  // BDAT
  boost::asio::awaitable<Step> data_step();   // DATA
  boost::asio::awaitable<Step> line_step();   // command lines
  boost::asio::awaitable<void> close_dialogue();
  void note_server_close();
  boost::asio::awaitable<void> watchdog();
  void arm(std::chrono::milliseconds timeout);
  // The configured idle timeout, or the stress one while the server is over 80% of its limit.
  std::chrono::milliseconds idle_timeout() const;
  // One read over TLS or the plain socket; the byte count is 0 on error.
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buffer);
  // One read into m_chunk; the byte count is 0 on error or end of stream.
  boost::asio::awaitable<std::size_t> read_chunk();
  boost::asio::awaitable<bool> read_more();  // read_chunk() appended to m_in
  boost::asio::awaitable<bool> read_command();
  boost::asio::awaitable<bool> flush();
  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<bool> apply(const Output& output);
  // `output` once its when_kept (if any) gave its verdict; a refusal replaces the 250.
  boost::asio::awaitable<Output> wait_until_kept(Output output);
  boost::asio::awaitable<bool> pause(std::chrono::milliseconds duration);
  boost::asio::awaitable<bool> send_shaped(std::string bytes, const Output& output);
  // Returns false when the session should end.
  boost::asio::awaitable<bool> wait_for_command();
  boost::asio::awaitable<void> say_goodbye(const Reply& reply);
  void close_socket();
};

}  // namespace maildog::smtp
