#include "runner/run_resources.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace maildog::runner {

namespace {

class Socket {
 public:
  Socket() : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (m_fd < 0) {
      throw std::system_error(errno, std::generic_category(), "socket");
    }
  }
  Socket(Socket&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket& operator=(Socket&&) = delete;
  ~Socket() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  int fd() const { return m_fd; }

 private:
  int m_fd;
};

}  // namespace

ScratchFolder::ScratchFolder(std::string_view prefix, std::string_view purpose) {
  std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot make a temporary folder for " + std::string(purpose));
  }
  m_path = pattern;
}

ScratchFolder::~ScratchFolder() {
  std::error_code ignored;  // a destructor cannot report; what is left is in the temporary folder
  std::filesystem::remove_all(m_path, ignored);
}

std::map<std::string, std::uint16_t> free_loopback_ports(const std::set<std::string>& names) {
  std::map<std::string, std::uint16_t> ports;
  std::vector<Socket> held;  // open until every name has its port
  for (const auto& name : names) {
    Socket& socket = held.emplace_back();
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::system_error(errno, std::generic_category(), "cannot find a free port for {{port." + name + "}}");
    }
    ports[name] = ntohs(address.sin_port);
  }
  return ports;
}

}  // namespace maildog::runner
