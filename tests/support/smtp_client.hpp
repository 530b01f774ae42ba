// A tiny blocking SMTP test client over a POSIX socket: send lines or raw bytes, read (multi-line)
// replies with a receive timeout. For loopback tests that need exact control of the bytes sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reply/reply.hpp"

namespace maildog::test {

// Long enough for a loaded CI machine, short enough that a missing reply fails fast.
inline constexpr std::chrono::milliseconds k_client_timeout_default{std::chrono::seconds(5)};

class SmtpClient {
 public:
  explicit SmtpClient(std::chrono::milliseconds timeout = k_client_timeout_default);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Connects to host:port (IPv4 literal); false when the connection is refused.
  bool connect(std::uint16_t port, const std::string& host = "127.0.0.1");
  // Reads one complete reply ("250-a" ... "250 z"); nothing on timeout, close or garbage.
  // The raw text of the last reply read (with CRLFs) stays in last_raw().
  std::optional<smtp::Reply> read_reply();
  // Appends CRLF. Returns false when the peer is gone (never raises SIGPIPE).
  bool send_line(std::string_view line);
  bool send_raw(std::string_view bytes);
  // send_line, then read_reply.
  std::optional<smtp::Reply> command(std::string_view line);

  // Waits up to `wait` for bytes; returns whatever arrived (buffered bytes first).
  std::string read_available(std::chrono::milliseconds wait);
  // True when the peer closed (EOF or reset) within the timeout; data still pending is dropped.
  bool wait_for_close();
  void close();

  const std::string& last_raw() const { return m_last_raw; }
  bool connected() const { return m_fd >= 0; }

 private:
  int m_fd = -1;
  std::chrono::milliseconds m_timeout;
  std::string m_buffer;
  std::string m_last_raw;
  bool m_eof = false;

  // Reads once, waiting at most until `deadline`; false on timeout, EOF or error.
  bool fill(std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> read_line(std::chrono::steady_clock::time_point deadline);
};

}  // namespace maildog::test
