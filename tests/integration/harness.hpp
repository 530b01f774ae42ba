// Shared pieces of the loopback integration tests: a sandbox started on 127.0.0.1 port 0 with
// small timeouts, an SMTP test client opened on it, and helpers that read the capture.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/records.hpp"
#include "smtp/server.hpp"
#include "support/smtp_client.hpp"

namespace maildog::test {

// A stuck session ends quickly, yet a slow CI machine never trips it by accident.
inline constexpr std::chrono::milliseconds k_test_idle_timeout{std::chrono::seconds(4)};
inline constexpr std::chrono::milliseconds k_test_session_deadline{std::chrono::seconds(60)};
// How long a test waits for sessions to land in the capture.
inline constexpr std::chrono::milliseconds k_capture_wait{std::chrono::seconds(15)};

inline smtp::ServerConfig test_config() {
  smtp::ServerConfig config;
  config.limits.idle_timeout = k_test_idle_timeout;
  config.limits.session_deadline = k_test_session_deadline;
  return config;
}

// The server under test, started at construction; stopped by finish() or the destructor.
class Sandbox {
 public:
  explicit Sandbox(smtp::ServerConfig config = test_config()) : m_server(std::move(config)) { m_server.start(); }

  std::uint16_t port() const { return m_server.port(); }
  smtp::Server& server() { return m_server; }

  // Stops the server (sessions drain) and returns everything captured.
  std::vector<capture::SessionRecord> finish(std::chrono::milliseconds grace = std::chrono::seconds(2)) {
    m_server.stop(grace);
    return m_server.capture().sessions();
  }
  // Waits for `count` finished sessions without stopping the server.
  std::vector<capture::SessionRecord> wait_for_sessions(std::size_t count) {
    REQUIRE(m_server.capture().wait_for_sessions(count, k_capture_wait));
    return m_server.capture().sessions();
  }

 private:
  smtp::Server m_server;
};

// Connects, checks the 220 greeting and, when `helo` is not empty, says EHLO.
inline void open_session(SmtpClient& client, std::uint16_t port, std::string_view helo = "client.example.test") {
  REQUIRE(client.connect(port));
  auto greeting = client.read_reply();
  REQUIRE(greeting);
  REQUIRE(greeting->code == 220);
  if (!helo.empty()) {
    auto ehlo = client.command("EHLO " + std::string(helo));
    REQUIRE(ehlo);
    REQUIRE(ehlo->code == 250);
  }
}

// "550 5.1.1" for a reply, or "none" when nothing came: compact in REQUIRE output.
inline std::string code_of(const std::optional<smtp::Reply>& reply) {
  if (!reply) {
    return "none";
  }
  std::string text = std::to_string(reply->code);
  if (reply->enhanced) {
    text += ' ' + reply->enhanced->str();
  }
  return text;
}

// The transcript as "C: ...", "S: ...", "*: ..." lines, for failure messages and searches.
inline std::string transcript_text(const capture::SessionRecord& session) {
  std::string text;
  for (const auto& entry : session.transcript) {
    using Direction = capture::TranscriptEntry::Direction;
    text += entry.direction == Direction::client ? "C: " : entry.direction == Direction::server ? "S: " : "*: ";
    text += entry.text;
    text += '\n';
  }
  return text;
}

inline bool has_entry(const capture::SessionRecord& session, capture::TranscriptEntry::Direction direction,
                      std::string_view needle) {
  for (const auto& entry : session.transcript) {
    if (entry.direction == direction && entry.text.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

inline bool client_said(const capture::SessionRecord& session, std::string_view needle) {
  return has_entry(session, capture::TranscriptEntry::Direction::client, needle);
}
inline bool server_said(const capture::SessionRecord& session, std::string_view needle) {
  return has_entry(session, capture::TranscriptEntry::Direction::server, needle);
}
inline bool event_noted(const capture::SessionRecord& session, std::string_view needle) {
  return has_entry(session, capture::TranscriptEntry::Direction::event, needle);
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

inline std::string message_of(const capture::TransactionRecord& transaction) {
  return transaction.message ? *transaction.message : std::string();
}

}  // namespace maildog::test
