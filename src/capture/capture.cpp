#include "capture/capture.hpp"

#include <algorithm>

#include "core/ascii.hpp"

namespace maildog::capture {

std::uint64_t Capture::next_session_id() {
  std::lock_guard lock(m_mutex);
  return ++m_next_id;
}

unsigned Capture::next_attempt(const std::string& address) {
  std::lock_guard lock(m_mutex);
  return ++m_attempts[ascii::lower(address)];
}

unsigned Capture::attempts(const std::string& address) const {
  std::lock_guard lock(m_mutex);
  auto found = m_attempts.find(ascii::lower(address));
  return found == m_attempts.end() ? 0 : found->second;
}

void Capture::hand_off_sessions(SessionSink sink) {
  std::lock_guard lock(m_mutex);
  m_sink = std::move(sink);
}

void Capture::add_session(SessionRecord session) {
  SessionSink sink;
  {
    std::lock_guard lock(m_mutex);
    sink = m_sink;
  }
  if (sink) {
    sink(std::move(session));
    {
      std::lock_guard lock(m_mutex);
      ++m_finished;
    }
    m_changed.notify_all();
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    ++m_finished;
    auto at = std::upper_bound(m_sessions.begin(), m_sessions.end(), session.id,
                               [](std::uint64_t id, const SessionRecord& s) { return id < s.id; });
    m_sessions.insert(at, std::move(session));
  }
  m_changed.notify_all();
}

std::vector<SessionRecord> Capture::sessions() const {
  std::lock_guard lock(m_mutex);
  return m_sessions;
}

std::size_t Capture::session_count() const {
  std::lock_guard lock(m_mutex);
  return m_finished;
}

bool Capture::wait_for_sessions(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(m_mutex);
  return m_changed.wait_for(lock, timeout, [&] { return m_finished >= count; });
}

}  // namespace maildog::capture
