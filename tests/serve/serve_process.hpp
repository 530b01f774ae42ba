// The built `maildog-ci serve` as a background child for integration tests: its stdout and
// stderr read as they come, the ports parsed from "SMTP on HOST:PORT" and "HTTP on HOST:PORT", signals sent, exit
// awaited with a deadline. The destructor kills and reaps a child still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::test {

inline constexpr std::chrono::milliseconds k_serve_start_timeout{std::chrono::seconds(20)};

class ServeProcess {
 public:
  // Starts `maildog-ci serve ARGS...` (with `--http-port 0` unless ARGS give one) and waits
  // until it prints its SMTP and HTTP ports.
  explicit ServeProcess(std::vector<std::string> args);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool started() const { return m_port != 0; }
  pid_t pid() const { return m_pid; }
  std::uint16_t port() const { return m_port; }
  std::uint16_t http_port() const { return m_http_port; }
  // Waits until the output holds `fragment`, at most `timeout`.
  bool wait_for_output(std::string_view fragment, std::chrono::milliseconds timeout);
  void send_signal(int signal);
  struct Exit {
    int code = -1;   // when it exited
    int signal = 0;  // when a signal ended it
  };
  // Nothing when it is still running after `timeout`.
  std::optional<Exit> wait_exit(std::chrono::milliseconds timeout);
  const std::string& output() const { return m_output; }  // stdout and stderr so far

 private:
  pid_t m_pid = -1;
  int m_out = -1;
  std::uint16_t m_port = 0;
  std::uint16_t m_http_port = 0;
  std::string m_output;
  std::optional<Exit> m_exit;

  bool read_some(std::chrono::milliseconds wait);  // false once the pipe is closed
};

}  // namespace maildog::test
