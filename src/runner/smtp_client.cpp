#include "runner/smtp_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace maildog::runner {

namespace {

// A reply larger than this is not SMTP (RFC 5321 4.5.3.1.5: 512 octets a line).
constexpr std::size_t k_reply_max = 64 * 1024;

SSL* as_ssl(void* p) { return static_cast<SSL*>(p); }

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) {
    return std::strerror(errno);
  }
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, events, 0};
  int ready = 0;
  do {
    ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

}  // namespace

SmtpClient::SmtpClient() = default;

SmtpClient::~SmtpClient() { close(); }

void SmtpClient::close() {
  if (m_ssl != nullptr) {
    SSL_free(as_ssl(m_ssl));
    m_ssl = nullptr;
  }
  if (m_ssl_ctx != nullptr) {
    SSL_CTX_free(static_cast<SSL_CTX*>(m_ssl_ctx));
    m_ssl_ctx = nullptr;
  }
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  m_buffer.clear();
}

std::optional<std::string> SmtpClient::connect(const std::string& host, std::uint16_t port,
                                               std::chrono::milliseconds timeout) {
  close();
  m_timeout = timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return "cannot resolve " + host + ": " + gai_strerror(rc);
  }
  std::string error = "no address for " + host;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS && wait_for(fd, POLLOUT, timeout)) {
      int so_error = 0;
      socklen_t length = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
      rc = so_error == 0 ? 0 : -1;
      errno = so_error == 0 ? errno : so_error;
    } else if (rc < 0 && errno == EINPROGRESS) {
      errno = ETIMEDOUT;
    }
    if (rc == 0) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      m_fd = fd;
      break;
    }
    error = "cannot connect to " + host + ":" + service + ": " + std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (m_fd < 0) {
    return error;
  }
  return std::nullopt;
}

std::optional<std::string> SmtpClient::start_tls(const std::string& server_name) {
  if (m_fd < 0) {
    return std::string("not connected");
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return "cannot create TLS context: " + openssl_error();
  }
  m_ssl_ctx = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL* ssl = SSL_new(ctx);
  m_ssl = ssl;
  SSL_set_fd(ssl, m_fd);
  // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
  SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(server_name.c_str()));
  // The handshake runs non-blocking under poll so the deadline holds.
  ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + m_timeout;
  for (;;) {
    int rc = SSL_connect(ssl);
    if (rc == 1) {
      break;
    }
    int reason = SSL_get_error(ssl, rc);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    short events = reason == SSL_ERROR_WANT_READ ? POLLIN : reason == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) {
      return "TLS handshake failed: " + openssl_error();
    }
    if (left.count() <= 0 || !wait_for(m_fd, events, left)) {
      return std::string("TLS handshake timed out");
    }
  }
  m_buffer.clear();
  return std::nullopt;
}

std::optional<std::string> SmtpClient::send(std::string_view bytes) {
  if (m_fd < 0) {
    return std::string("not connected");
  }
  auto deadline = std::chrono::steady_clock::now() + m_timeout;
  while (!bytes.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_for(m_fd, POLLOUT, left)) {
      return std::string("timed out sending to the server");
    }
    long sent = 0;
    if (m_ssl != nullptr) {
      sent = SSL_write(as_ssl(m_ssl), bytes.data(), static_cast<int>(bytes.size()));
      if (sent <= 0) {
        int reason = SSL_get_error(as_ssl(m_ssl), static_cast<int>(sent));
        if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
          continue;
        }
        return "TLS write failed: " + openssl_error();
      }
    } else {
      sent = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          continue;
        }
        return std::string("send failed: ") + std::strerror(errno);
      }
    }
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return std::nullopt;
}

long SmtpClient::read_some(char* data, std::size_t size, std::string& error) {
  auto deadline = std::chrono::steady_clock::now() + m_timeout;
  for (;;) {
    if (m_ssl != nullptr && SSL_pending(as_ssl(m_ssl)) > 0) {
      return SSL_read(as_ssl(m_ssl), data, static_cast<int>(size));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_for(m_fd, POLLIN, left)) {
      error = "timed out waiting for a reply";
      return -1;
    }
    if (m_ssl != nullptr) {
      int got = SSL_read(as_ssl(m_ssl), data, static_cast<int>(size));
      if (got > 0) {
        return got;
      }
      int reason = SSL_get_error(as_ssl(m_ssl), got);
      if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
        continue;
      }
      error = reason == SSL_ERROR_ZERO_RETURN ? "server closed the connection" : "TLS read failed: " + openssl_error();
      return -1;
    }
    long got = ::recv(m_fd, data, size, MSG_DONTWAIT);
    if (got > 0) {
      return got;
    }
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    }
    error = got == 0 ? "server closed the connection" : std::string("read failed: ") + std::strerror(errno);
    return -1;
  }
}

std::optional<smtp::Reply> SmtpClient::read_reply(std::string& error) {
  if (m_fd < 0) {
    error = "not connected";
    return std::nullopt;
  }
  std::size_t start = 0;
  for (;;) {
    // A reply ends with a line whose fourth character is a space (or that is just the code).
    std::size_t eol;
    while ((eol = m_buffer.find('\n', start)) != std::string::npos) {
      std::string_view line(m_buffer.data() + start, eol - start);
      start = eol + 1;
      if (line.size() < 4 || line[3] != '-') {
        std::string text = m_buffer.substr(0, start);
        m_buffer.erase(0, start);
        auto reply = smtp::Reply::parse(text);
        if (!reply) {
          error = "not an SMTP reply: " + text.substr(0, 200);
        }
        return reply;
      }
    }
    if (m_buffer.size() > k_reply_max) {
      error = "reply longer than " + std::to_string(k_reply_max) + " octets";
      return std::nullopt;
    }
    char chunk[4096];
    long got = read_some(chunk, sizeof chunk, error);
    if (got <= 0) {
      return std::nullopt;
    }
    m_buffer.append(chunk, static_cast<std::size_t>(got));
  }
}

}  // namespace maildog::runner
