#include "support/smtp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace maildog::test {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes one recv may return; replies are small.
constexpr std::size_t k_recv_chunk = 16 * 1024;
// A reply longer than this is garbage, not a reply (bounds every read loop).
constexpr std::size_t k_reply_max = 1024 * 1024;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// RFC 5321 4.2.1: "250-" continues a reply, "250 " (or a bare "250") ends it.
bool is_last_reply_line(std::string_view line) { return line.size() < 4 || line[3] != '-'; }

}  // namespace

SmtpClient::SmtpClient(std::chrono::milliseconds timeout) : m_timeout(timeout) {}

SmtpClient::~SmtpClient() { close(); }

bool SmtpClient::connect(std::uint16_t port, const std::string& host) {
  close();
  m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_fd < 0) {
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      ::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close();
    return false;
  }
  return true;
}

void SmtpClient::close() {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  m_buffer.clear();
  m_eof = false;
}

bool SmtpClient::send_raw(std::string_view bytes) {
  if (m_fd < 0) {
    return false;
  }
  const auto deadline = Clock::now() + m_timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd waiting{m_fd, POLLOUT, 0};
      if (Clock::now() >= deadline || ::poll(&waiting, 1, remaining_ms(deadline)) <= 0) {
        return false;
      }
      continue;
    }
    return false;
  }
  return true;
}

bool SmtpClient::send_line(std::string_view line) {
  std::string wire(line);
  wire += "\r\n";
  return send_raw(wire);
}

bool SmtpClient::fill(Clock::time_point deadline) {
  if (m_fd < 0 || m_eof) {
    return false;
  }
  for (;;) {
    pollfd waiting{m_fd, POLLIN, 0};
    int ready = ::poll(&waiting, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      return false;
    }
    char chunk[k_recv_chunk];
    ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      m_eof = true;
      return false;
    }
    m_buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<std::string> SmtpClient::read_line(Clock::time_point deadline) {
  for (;;) {
    auto eol = m_buffer.find('\n');
    if (eol != std::string::npos) {
      std::string line = m_buffer.substr(0, eol + 1);
      m_buffer.erase(0, eol + 1);
      return line;
    }
    if (m_buffer.size() > k_reply_max || !fill(deadline)) {
      return std::nullopt;
    }
  }
}

std::optional<smtp::Reply> SmtpClient::read_reply() {
  const auto deadline = Clock::now() + m_timeout;
  m_last_raw.clear();
  while (m_last_raw.size() <= k_reply_max) {
    auto line = read_line(deadline);
    if (!line) {
      return std::nullopt;
    }
    m_last_raw += *line;
    std::string_view text(*line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.remove_suffix(1);
    }
    if (is_last_reply_line(text)) {
      return smtp::Reply::parse(m_last_raw);
    }
  }
  return std::nullopt;
}

std::optional<smtp::Reply> SmtpClient::command(std::string_view line) {
  if (!send_line(line)) {
    return std::nullopt;
  }
  return read_reply();
}

std::string SmtpClient::read_available(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  while (Clock::now() < deadline && fill(deadline)) {
  }
  return std::exchange(m_buffer, std::string());
}

bool SmtpClient::wait_for_close() {
  const auto deadline = Clock::now() + m_timeout;
  while (!m_eof && Clock::now() < deadline) {
    fill(deadline);
    m_buffer.clear();
  }
  return m_eof;
}

}  // namespace maildog::test
