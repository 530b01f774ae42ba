// `maildog-ci healthcheck` (the container image's HEALTHCHECK): the built binary against a real
// `maildog-ci serve` on loopback, a port nothing listens on, and a listener that never answers;
// and its URL parsing, which decides where the probe goes (src/cli/healthcheck_command.cpp,
// src/http/health_probe.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/health_probe.hpp"
#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"

using namespace maildog::test;
using maildog::http::parse_probe_url;

namespace {

// A probe with --timeout 1 must be done well within this (start-up of the binary included).
constexpr auto k_probe_bound = std::chrono::seconds(5);

// A loopback socket bound to a free port; listening (with a backlog that completes connects
// but nobody accepting) when asked, else only bound, so connects are refused.
class LoopbackSocket {
 public:
  explicit LoopbackSocket(bool listening) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        (listening && ::listen(m_fd, 8) != 0)) {
      return;
    }
    m_port = ntohs(address.sin_port);
  }
  ~LoopbackSocket() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  std::uint16_t port() const { return m_port; }
  int fd() const { return m_fd; }

 private:
  int m_fd = -1;
  std::uint16_t m_port = 0;
};

// A loopback HTTP peer for one request: it keeps the request's header section and sends
// `answer`, on its own thread, within bounded waits.
class OneAnswer {
 public:
  explicit OneAnswer(std::string answer) : m_listener(true), m_answer(std::move(answer)) {
    m_thread = std::thread([this]() { serve_one(); });
  }
  ~OneAnswer() {
    if (m_thread.joinable()) {
      m_thread.join();
    }
  }
  OneAnswer(const OneAnswer&) = delete;
  OneAnswer& operator=(const OneAnswer&) = delete;

  std::uint16_t port() const { return m_listener.port(); }
  // What came, once the exchange is over.
  std::string request() {
    if (m_thread.joinable()) {
      m_thread.join();
    }
    return m_request;
  }

 private:
  LoopbackSocket m_listener;
  std::string m_answer;
  std::string m_request;
  std::thread m_thread;

  void serve_one() {
    pollfd ready{m_listener.fd(), POLLIN, 0};
    if (m_listener.port() == 0 || ::poll(&ready, 1, 10000) != 1) {
      return;
    }
    const int connection = ::accept4(m_listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) {
      return;
    }
    char buffer[4096];
    pollfd readable{connection, POLLIN, 0};
    while (m_request.find("\r\n\r\n") == std::string::npos && ::poll(&readable, 1, 5000) == 1) {
      const ssize_t n = ::read(connection, buffer, sizeof buffer);
      if (n <= 0) {
        break;
      }
      m_request.append(buffer, static_cast<std::size_t>(n));
    }
    [[maybe_unused]] const auto sent = ::write(connection, m_answer.data(), m_answer.size());
    ::close(connection);
  }
};

struct Probe {
  ChildResult result;
  std::chrono::steady_clock::duration took{};
};

Probe healthcheck(std::vector<std::string> args, std::map<std::string, std::string> environment = {}) {
  ChildSpec spec;
  spec.argv = {binary_path().string(), "healthcheck"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  // The test's own environment must not point the probe elsewhere.
  environment.try_emplace("MAILDOG_HEALTHCHECK_URL", "");
  environment.try_emplace("MAILDOG_API_TOKEN", "");
  spec.environment = std::move(environment);
  spec.timeout = std::chrono::seconds(20);
  const auto start = std::chrono::steady_clock::now();
  Probe probe{run_child(spec), {}};
  probe.took = std::chrono::steady_clock::now() - start;
  return probe;
}

std::string url(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

}  // namespace

TEST_CASE("healthcheck: a running serve is healthy, a wrong path is not", "[cli][healthcheck][integration]") {
  ServeProcess serve({"--smtp-port", "0", "--http-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());

  auto healthy = healthcheck({"--url", url(serve.http_port())});
  INFO(healthy.result.describe());
  CHECK(healthy.result.exit_code == 0);
  CHECK(healthy.result.out.find("answered 200") != std::string::npos);
  CHECK(healthy.result.err.empty());

  // The URL from the environment, as the image's HEALTHCHECK reads it when serve moved ports.
  auto from_environment = healthcheck({}, {{"MAILDOG_HEALTHCHECK_URL", url(serve.http_port()) + "/"}});
  INFO(from_environment.result.describe());
  CHECK(from_environment.result.exit_code == 0);

  // A prefix the server does not serve: it answers, but 404 is not healthy.
  auto wrong_path = healthcheck({"--url", url(serve.http_port()) + "/behind/a/proxy"});
  INFO(wrong_path.result.describe());
  CHECK(wrong_path.result.exit_code == 1);
  CHECK(wrong_path.result.err.find("/behind/a/proxy/healthz answered 404") != std::string::npos);
}

TEST_CASE("healthcheck: the request is GET PREFIX/healthz, with MAILDOG_API_TOKEN as a bearer token",
          "[cli][healthcheck][integration]") {
  // serve's /healthz needs no token, so it cannot tell whether one came: a loopback listener
  // reads the request the probe sends and answers 204.
  {
    OneAnswer server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    REQUIRE(server.port() != 0);
    auto probe = healthcheck({"--url", url(server.port()) + "/maildog/"}, {{"MAILDOG_API_TOKEN", "s3cret"}});
    const std::string request = server.request();
    INFO(probe.result.describe());
    INFO(request);
    CHECK(probe.result.exit_code == 0);
    CHECK(probe.result.out.find("answered 204") != std::string::npos);
    CHECK(request.starts_with("GET /maildog/healthz HTTP/1.1\r\n"));
    CHECK(request.find("\r\nAuthorization: Bearer s3cret\r\n") != std::string::npos);
    CHECK(request.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
  }
  {
    // Without the variable: no Authorization header; and a 503 is unhealthy.
    OneAnswer server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(server.port() != 0);
    auto probe = healthcheck({"--url", url(server.port())});
    const std::string request = server.request();
    INFO(probe.result.describe());
    INFO(request);
    CHECK(probe.result.exit_code == 1);
    CHECK(probe.result.err.find("/healthz answered 503 Service Unavailable") != std::string::npos);
    CHECK(request.starts_with("GET /healthz HTTP/1.1\r\n"));
    CHECK(request.find("Authorization") == std::string::npos);
  }
}

TEST_CASE("healthcheck: nothing listening is unhealthy at once, with the reason on stderr",
          "[cli][healthcheck][integration]") {
  std::uint16_t closed_port = 0;
  {
    const LoopbackSocket bound(false);  // bound, never listening: connects to it are refused
    REQUIRE(bound.port() != 0);
    closed_port = bound.port();
    auto probe = healthcheck({"--url", url(closed_port), "--timeout", "1"});
    INFO(probe.result.describe());
    CHECK(probe.result.exit_code == 1);
    CHECK(probe.result.out.empty());
    CHECK(probe.result.err.find("cannot connect to 127.0.0.1:" + std::to_string(closed_port)) != std::string::npos);
    // One line: a container engine shows it as the health check's log.
    CHECK(std::count(probe.result.err.begin(), probe.result.err.end(), '\n') == 1);
    CHECK(probe.took < k_probe_bound);
  }
}

TEST_CASE("healthcheck: a listener that never answers is unhealthy within --timeout",
          "[cli][healthcheck][integration]") {
  const LoopbackSocket silent(true);  // the kernel completes the connect; nobody ever reads or writes
  REQUIRE(silent.port() != 0);
  auto probe = healthcheck({"--url", url(silent.port()), "--timeout", "1"});
  INFO(probe.result.describe());
  CHECK(probe.result.exit_code == 1);
  CHECK(probe.result.err.find("no answer from http://127.0.0.1:" + std::to_string(silent.port()) +
                              "/healthz within 1 s") != std::string::npos);
  CHECK(probe.took >= std::chrono::milliseconds(900));
  CHECK(probe.took < k_probe_bound);
}

TEST_CASE("healthcheck: an invalid --url is a usage error (2)", "[cli][healthcheck]") {
  for (const std::string bad : {"https://127.0.0.1:8025", "127.0.0.1:8025", "http://127.0.0.1:0", "http://:8025"}) {
    auto probe = healthcheck({"--url", bad});
    INFO(bad << '\n' << probe.result.describe());
    CHECK(probe.result.exit_code == 2);
  }
}

TEST_CASE("healthcheck URLs: host, port, prefix", "[cli][healthcheck]") {
  std::string error;
  auto plain = parse_probe_url("http://127.0.0.1:8025", &error);
  REQUIRE(plain);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == 8025);
  CHECK(plain->health_path() == "/healthz");

  auto no_port = parse_probe_url("HTTP://maildog/", &error);
  REQUIRE(no_port);
  CHECK(no_port->port == 80);
  CHECK(no_port->health_path() == "/healthz");
  CHECK(no_port->host_header() == "maildog:80");

  auto ipv6 = parse_probe_url("http://[::1]:9025/mail/", &error);
  REQUIRE(ipv6);
  CHECK(ipv6->host == "::1");
  CHECK(ipv6->port == 9025);
  CHECK(ipv6->describe() == "http://[::1]:9025/mail/healthz");

  for (const char* bad : {"http://[::1:8025", "http://host:", "http://host:65536", "http://host:80x",
                          "http://user@host:8025", "http://host:8025/?x=1", "ftp://host"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parse_probe_url(bad, &error));
    CHECK_FALSE(error.empty());
  }
}
