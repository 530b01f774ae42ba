// The memory store: messages and sessions in id order under one mutex; for tests and for
// `serve` without --data.
#include <algorithm>
#include <deque>
#include <iterator>
#include <map>
#include <utility>

#include "serve/attempt_keys.hpp"
#include "serve/message_keys.hpp"
#include "serve/store.hpp"

namespace maildog::serve {

namespace {

// Whether `live` holds `stored`'s last line at the same index (both empty: true).
bool same_last_line(const std::vector<capture::TranscriptEntry>& stored,
                    const std::vector<capture::TranscriptEntry>& live) {
  if (stored.empty()) {
    return true;
  }
  const auto& before = stored.back();
  const auto& now = live[stored.size() - 1];
  return now.direction == before.direction && now.offset == before.offset && now.text == before.text;
}

class MemoryStore final : public MessageStore {
 public:
  MemoryStore(std::size_t keep, std::size_t keep_refused) : m_keep(keep), m_keep_refused(keep_refused) {}

  void put_session(const StoredSession& session) override {
    std::lock_guard lock(m_mutex);
    StoredSession copy = session;
    copy.record.transactions.clear();
    m_sessions[session.id] = std::move(copy);
    evict_sessions();
  }

  // A live transcript only grows: an open session's stored one gets the lines added since.
  void update_session(std::uint64_t id, const capture::SessionRecord& live, bool open) override {
    std::lock_guard lock(m_mutex);
    auto found = m_sessions.find(id);
    // ... unless its middle was elided since (smtp/transcript_cap): then it is stored anew.
    const bool extend = found != m_sessions.end() && found->second.open &&
                        found->second.record.transcript.size() <= live.transcript.size() &&
                        same_last_line(found->second.record.transcript, live.transcript);
    std::vector<capture::TranscriptEntry> transcript;
    if (extend) {
      transcript = std::move(found->second.record.transcript);
    }
    StoredSession session{.id = id, .record = session_snapshot(live, transcript.size()), .open = open};
    session.record.id = id;
    transcript.insert(transcript.end(), std::make_move_iterator(session.record.transcript.begin()),
                      std::make_move_iterator(session.record.transcript.end()));
    session.record.transcript = std::move(transcript);
    m_sessions[id] = std::move(session);
    evict_sessions();
  }

  std::vector<StoredMessage> find(const MessageQuery& query) const override {
    std::lock_guard lock(m_mutex);
    std::vector<StoredMessage> out;
    for (auto it = m_messages.rbegin(); it != m_messages.rend() && out.size() < query.limit; ++it) {
      if (matches(it->keys, it->message, query)) {
        out.push_back(it->message);
      }
    }
    return out;
  }

  std::optional<StoredMessage> get(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    auto found = locate(id);
    return found == m_messages.end() ? std::nullopt : std::optional(found->message);
  }

  // The bytes are shared with the stored message: a piece is copied, never the whole.
  std::optional<std::size_t> bytes_size(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    auto found = locate(id);
    if (found == m_messages.end()) {
      return std::nullopt;
    }
    const auto& bytes = found->message.transaction.message;
    return bytes ? bytes->size() : 0;
  }

  std::optional<std::string> read_bytes(std::uint64_t id, std::size_t offset, std::size_t max) const override {
    std::lock_guard lock(m_mutex);
    auto found = locate(id);
    if (found == m_messages.end()) {
      return std::nullopt;
    }
    const auto& bytes = found->message.transaction.message;
    return !bytes || offset >= bytes->size() ? std::string() : bytes->substr(offset, max);
  }

  std::optional<StoredSession> session(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    auto found = m_sessions.find(id);
    return found == m_sessions.end() ? std::nullopt : std::optional(found->second);
  }

  std::vector<StoredSession> sessions(std::size_t limit) const override {
    std::lock_guard lock(m_mutex);
    std::vector<StoredSession> out;
    for (auto it = m_sessions.rbegin(); it != m_sessions.rend() && out.size() < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  std::vector<StoredAttempt> find_attempts(const AttemptQuery& query) const override {
    std::lock_guard lock(m_mutex);
    std::vector<StoredAttempt> out;
    for (auto it = m_attempts.rbegin(); it != m_attempts.rend() && out.size() < query.limit; ++it) {
      if (matches(it->second.keys, it->second.attempt, query)) {
        out.push_back(it->second.attempt);
      }
    }
    return out;
  }

  std::optional<StoredAttempt> attempt(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    auto found = m_attempts.find(id);
    return found == m_attempts.end() ? std::nullopt : std::optional(found->second.attempt);
  }

  bool remove(std::uint64_t id) override {
    std::lock_guard lock(m_mutex);
    auto found = locate(id);
    if (found == m_messages.end()) {
      return false;
    }
    m_messages.erase(found);
    return true;
  }

  std::size_t remove_all() override {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_messages, {}).size();
  }

  std::size_t size() const override {
    std::lock_guard lock(m_mutex);
    return m_messages.size();
  }

 protected:
  std::uint64_t insert(StoredMessage message, const capture::SessionRecord* session) override {
    MessageKeys keys = keys_of(message);
    const std::uint64_t session_id = message.session_id;
    std::uint64_t id = 0;
    {
      std::lock_guard lock(m_mutex);
      id = message.id = ++m_last_id;
      m_messages.push_back({std::move(message), std::move(keys)});
      while (m_keep > 0 && m_messages.size() > m_keep) {
        m_messages.pop_front();
      }
      StoredAttempt attempt = attempt_of_message(m_messages.back().message, session);
      attempt.message_id = id;
      put_attempt(std::move(attempt));
    }
    if (session != nullptr) {
      update_session(session_id, *session, true);
    }
    return id;
  }

  void insert_attempt_async(StoredAttempt attempt, Added done) override {
    std::uint64_t id = 0;
    {
      std::lock_guard lock(m_mutex);
      id = put_attempt(std::move(attempt));
    }
    done(id, nullptr);
  }

 private:
  struct Entry {
    StoredMessage message;
    MessageKeys keys;
  };

  struct AttemptEntry {
    StoredAttempt attempt;
    AttemptKeys keys;
  };

  // Called with m_mutex held. Refused attempts and the others have retention counts of their
  // own, so a flood of refusals never pushes out what was accepted.
  std::uint64_t put_attempt(StoredAttempt attempt) {
    const bool refused = attempt.status == AttemptStatus::refused;
    const std::uint64_t id = attempt.id = ++m_last_attempt_id;
    AttemptKeys keys = keys_of(attempt);
    m_attempts.emplace(id, AttemptEntry{std::move(attempt), std::move(keys)});
    auto& kept = refused ? m_refused_ids : m_accepted_ids;
    kept.push_back(id);
    const std::size_t limit = refused ? m_keep_refused : m_keep;
    while (limit > 0 && kept.size() > limit) {
      m_attempts.erase(kept.front());
      kept.pop_front();
    }
    return id;
  }

  void evict_sessions() {
    while (m_keep > 0 && m_sessions.size() > m_keep) {
      m_sessions.erase(m_sessions.begin());
    }
  }

  std::deque<Entry>::const_iterator locate(std::uint64_t id) const {
    auto at = std::lower_bound(m_messages.begin(), m_messages.end(), id,
                               [](const Entry& entry, std::uint64_t wanted) { return entry.message.id < wanted; });
    return at != m_messages.end() && at->message.id == id ? at : m_messages.end();
  }

  const std::size_t m_keep;
  const std::size_t m_keep_refused;
  mutable std::mutex m_mutex;
  std::uint64_t m_last_attempt_id = 0;
  std::map<std::uint64_t, AttemptEntry> m_attempts;
  std::deque<std::uint64_t> m_refused_ids, m_accepted_ids;  // ascending, for retention
  std::uint64_t m_last_id = 0;
  std::deque<Entry> m_messages;  // ascending id
  std::map<std::uint64_t, StoredSession> m_sessions;
};

}  // namespace

std::unique_ptr<MessageStore> make_memory_store(std::size_t keep, std::optional<std::size_t> keep_refused) {
  return std::make_unique<MemoryStore>(keep, keep_refused.value_or(keep));
}

}  // namespace maildog::serve
