// serve started by a program: --ready-file appears (atomically) only once both listeners accept
// and is removed on exit, --print-ready-json puts the same document on stdout's first line, and
// GET /readyz answers 200 while serving and 503 while a transaction in flight holds the stop.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "serve/http_client.hpp"
#include "serve/serve_process.hpp"
#include "support/paths.hpp"
#include "support/smtp_client.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
using namespace std::chrono_literals;

namespace {

// `maildog-ci serve ARGS` with stdout on a pipe and stderr discarded: what a program that reads
// the ready line sees. SIGTERM and a bounded wait at the end, SIGKILL if it does not stop.
class QuietServe {
 public:
  explicit QuietServe(std::vector<std::string> args) {
    std::vector<std::string> argv{binary_path().string(), "serve", "--smtp-port", "0", "--http-port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    m_pid = ::fork();
    if (m_pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      std::vector<char*> raw;
      for (auto& arg : argv) {
        raw.push_back(arg.data());
      }
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    m_out = fds[0];
  }
  ~QuietServe() {
    if (m_pid > 0 && !m_reaped) {
      ::kill(m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
    ::close(m_out);
  }
  QuietServe(const QuietServe&) = delete;
  QuietServe& operator=(const QuietServe&) = delete;

  // stdout's first line, without its newline; empty when none came within `timeout`.
  std::string first_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_stdout.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd fd{m_out, POLLIN, 0};
      if (::poll(&fd, 1, 100) > 0) {
        char buffer[4096];
        const ssize_t n = ::read(m_out, buffer, sizeof buffer);
        if (n <= 0) {
          break;
        }
        m_stdout.append(buffer, static_cast<std::size_t>(n));
      }
    }
    const auto end = m_stdout.find('\n');
    return end == std::string::npos ? std::string() : m_stdout.substr(0, end);
  }

  // SIGTERM, then the exit code (-1 when it had not exited within 20 s).
  int terminate() {
    ::kill(m_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_reaped = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

  pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid = -1;
  int m_out = -1;
  bool m_reaped = false;
  std::string m_stdout;
};

std::uint16_t http_port_of(const nlohmann::json& ready) {
  const std::string url = ready.at("http").at("url").get<std::string>();
  const std::string prefix = "http://127.0.0.1:";
  REQUIRE(url.starts_with(prefix));
  REQUIRE(url.ends_with("/"));
  return static_cast<std::uint16_t>(std::stoi(url.substr(prefix.size())));
}

// Both listeners answer: SMTP with its 220 greeting, HTTP /readyz with 200 ready.
void check_both_accept(const nlohmann::json& ready) {
  CHECK(ready.at("smtp").at("host") == "127.0.0.1");
  SmtpClient client;
  REQUIRE(client.connect(ready.at("smtp").at("port").get<std::uint16_t>()));
  const auto greeting = client.read_reply();
  REQUIRE(greeting);
  CHECK(greeting->code == 220);
  const auto readyz = curl(http_port_of(ready), "/readyz");
  CHECK(readyz.status == 200);
  CHECK(nlohmann::json::parse(readyz.body) == nlohmann::json{{"status", "ready"}});
}

}  // namespace

TEST_CASE("serve --ready-file: written once both listeners accept, removed on exit", "[serve][integration][ready]") {
  if (!have("curl")) {
    return;
  }
  TempDir dir;
  const auto ready_file = dir.path() / "sub-ready.json";
  const auto config = dir.write("tls.yaml", "name: tls\nserver:\n  tls: starttls\n");
  QuietServe serve({"--config", config.string(), "--ready-file", ready_file.string()});
  // Polled from the start: whenever it exists, it is whole and both ports already accept.
  const auto deadline = std::chrono::steady_clock::now() + k_serve_start_timeout;
  while (!std::filesystem::exists(ready_file) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(std::filesystem::exists(ready_file));
  std::ifstream in(ready_file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string document = text.str();
  REQUIRE(document.ends_with("}\n"));
  REQUIRE(std::count(document.begin(), document.end(), '\n') == 1);
  const auto ready = nlohmann::json::parse(document);
  check_both_accept(ready);
  CHECK(ready.at("pid").get<pid_t>() == serve.pid());
  CHECK(ready.at("version").get<std::string>().starts_with("0."));
  // The CA that signs the STARTTLS certificate, as an absolute path to a PEM file.
  const std::filesystem::path ca_file = ready.at("ca_file").get<std::string>();
  CHECK(ca_file.is_absolute());
  std::ifstream ca(ca_file);
  std::string first;
  std::getline(ca, first);
  CHECK(first == "-----BEGIN CERTIFICATE-----");
  // No temporary file left beside it.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 2);
  CHECK(serve.terminate() == 0);
  CHECK_FALSE(std::filesystem::exists(ready_file));
}

TEST_CASE("serve --print-ready-json: the ready document is stdout's first line", "[serve][integration][ready]") {
  if (!have("curl")) {
    return;
  }
  QuietServe serve({"--print-ready-json"});
  const std::string line = serve.first_line(k_serve_start_timeout);
  INFO(line);
  REQUIRE_FALSE(line.empty());
  const auto ready = nlohmann::json::parse(line);
  check_both_accept(ready);
  CHECK(ready.at("ca_file").is_null());  // no TLS without a config
  CHECK(ready.at("pid").get<pid_t>() == serve.pid());
  CHECK(serve.terminate() == 0);
}

TEST_CASE("serve /readyz: 503 stopping while a transaction in flight holds the stop", "[serve][integration][ready]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  REQUIRE(serve.started());
  CHECK(curl(serve.http_port(), "/readyz").status == 200);
  SmtpClient client;
  REQUIRE(client.connect(serve.port()));
  REQUIRE(client.read_reply());
  REQUIRE(client.command("EHLO client.test"));
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<user@inbox.test>")->code == 250);
  REQUIRE(client.command("DATA")->code == 354);
  REQUIRE(client.send_raw("Subject: in flight\r\n\r\nfirst half\r\n"));
  serve.send_signal(SIGTERM);
  REQUIRE(serve.wait_for_output("finishing transactions in flight", 10s));
  const auto stopping = curl(serve.http_port(), "/readyz");
  CHECK(stopping.status == 503);
  CHECK(nlohmann::json::parse(stopping.body) == nlohmann::json{{"status", "stopping"}});
  REQUIRE(client.send_raw("second half\r\n.\r\n"));
  const auto done = client.read_reply();
  REQUIRE(done);
  CHECK(done->code == 250);
  const auto exit = serve.wait_exit(20s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
}
