// The store one sandbox writes into: finished sessions, and per-recipient attempt counters
// shared across sessions (greylisting, retry assertions). Thread-safe; readers take snapshots.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "capture/records.hpp"

namespace maildog::capture {

class Capture {
 public:
  std::uint64_t next_session_id();
  // Counts one more RCPT for `address` (compared without case) and returns its number.
  unsigned next_attempt(const std::string& address);
  unsigned attempts(const std::string& address) const;

  // A long-running server (serve) hands every finished session to `sink` instead of keeping
  // it, so memory stays bounded; sessions() then stays empty. Set it before the server starts.
  // The sink runs on the session's thread and must not throw.
  using SessionSink = std::function<void(SessionRecord)>;
  void hand_off_sessions(SessionSink sink);

  void add_session(SessionRecord session);
  std::vector<SessionRecord> sessions() const;  // ordered by session id
  std::size_t session_count() const;            // finished sessions, kept or handed off
  // Waits until `count` sessions have finished or the timeout passes; true when they have.
  bool wait_for_sessions(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex m_mutex;
  mutable std::condition_variable m_changed;
  std::uint64_t m_next_id = 0;
  std::map<std::string, unsigned> m_attempts;
  std::vector<SessionRecord> m_sessions;
  SessionSink m_sink;
  std::size_t m_finished = 0;
};

}  // namespace maildog::capture
