// A small blocking SMTP client for scripted conversations: a POSIX socket with send and
// receive timeouts, and OpenSSL for STARTTLS or implicit TLS. Every call has a deadline and
// every reply a size limit, so a silent or hostile server cannot hang the runner.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reply/reply.hpp"

namespace maildog::runner {

class SmtpClient {
 public:
  SmtpClient();
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Each returns an error in words, or nothing on success.
  std::optional<std::string> connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);
  // TLS client handshake on the open connection; certificates are not verified (sandboxes
  // and test servers use self-signed ones).
  std::optional<std::string> start_tls(const std::string& server_name);
  std::optional<std::string> send(std::string_view bytes);
  // Reads one complete (possibly multi-line) reply.
  std::optional<smtp::Reply> read_reply(std::string& error);
  void close();

  bool connected() const { return m_fd >= 0; }
  bool tls() const { return m_ssl != nullptr; }
  void set_timeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }

 private:
  int m_fd = -1;
  void* m_ssl_ctx = nullptr;  // SSL_CTX*, kept opaque so OpenSSL stays out of this header
  void* m_ssl = nullptr;      // SSL*
  std::string m_buffer;
  std::chrono::milliseconds m_timeout{10000};

  long read_some(char* data, std::size_t size, std::string& error);
};

}  // namespace maildog::runner
