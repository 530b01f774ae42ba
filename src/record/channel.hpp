// One side of the recording proxy: a TCP connection, TLS once started, read and written one
// operation at a time on the proxy's single io_context, each bounded by a timeout and each read
// by a length limit (an endless line or a stalled peer ends the session, never the process).
// Only record/ includes this; Asio's SSL headers stay out of other headers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace maildog::record {

// A peer that failed: refused, timed out, closed, sent a line over the limit, or broke TLS.
// `what()` says which peer and how, for the user.
class ChannelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The peer closed the connection cleanly between lines.
class ChannelClosed : public ChannelError {
 public:
  using ChannelError::ChannelError;
};

class Channel {
 public:
  using Clock = std::chrono::steady_clock;

  // `name` ("upstream", "app") prefixes every error. `stop_requested` is asked while waiting, so
  // a SIGINT ends a wait at once.
  Channel(boost::asio::io_context& io, boost::asio::ip::tcp::socket socket, std::string name,
          std::function<bool()> stop_requested);

  // Connects to host:port within `timeout`.
  static Channel connect(boost::asio::io_context& io, const std::string& host, const std::string& port,
                         std::chrono::milliseconds timeout, std::function<bool()> stop_requested);

  // A line without its CRLF (a bare LF ends a line too); throws ChannelError past `limit` octets.
  std::string read_line(std::size_t limit, std::chrono::milliseconds timeout);
  // Exactly `count` octets (BDAT chunks).
  std::string read_exact(std::size_t count, std::chrono::milliseconds timeout);
  void write(const std::string& bytes, std::chrono::milliseconds timeout);

  // Starts TLS on this connection: as a client (`server_name` for SNI and verification), or as
  // a server. Bytes read ahead of the handshake are a protocol error (RFC 3207 5: STARTTLS
  // injection), refused here.
  void start_tls_client(boost::asio::ssl::context& context, const std::string& server_name, bool verify,
                        std::chrono::milliseconds timeout);
  void start_tls_server(boost::asio::ssl::context& context, std::chrono::milliseconds timeout);
  bool tls() const { return m_tls != nullptr; }
  bool has_buffered_input() const { return !m_buffer.empty(); }

  // Best effort: TLS close_notify within `timeout`, then the socket closed.
  void close(std::chrono::milliseconds timeout);

 private:
  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;
  void fill(std::chrono::milliseconds timeout);
  // Runs the io_context until `done` or the deadline; on the deadline or a stop, cancels the
  // socket's operations and throws.
  void wait(const bool& done, Clock::time_point deadline, const char* doing);

  boost::asio::io_context* m_io;
  boost::asio::ip::tcp::socket m_socket;
  std::unique_ptr<TlsStream> m_tls;
  std::string m_name;
  std::function<bool()> m_stop_requested;
  std::string m_buffer;
};

}  // namespace maildog::record
