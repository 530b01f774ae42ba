#include "serve/store.hpp"

#include <algorithm>

namespace maildog::serve {

// Field by field: copying the record whole would copy every transaction of the session too.
capture::SessionRecord session_snapshot(const capture::SessionRecord& live, std::size_t first) {
  capture::SessionRecord copy;
  copy.id = live.id;
  copy.client_address = live.client_address;
  copy.client_port = live.client_port;
  copy.helo = live.helo;
  copy.esmtp = live.esmtp;
  copy.tls = live.tls;
  copy.tls_version = live.tls_version;
  copy.tls_cipher = live.tls_cipher;
  copy.auth_user = live.auth_user;
  copy.auth_mechanism = live.auth_mechanism;
  const auto from = live.transcript.begin() + static_cast<std::ptrdiff_t>(std::min(first, live.transcript.size()));
  copy.transcript.assign(from, live.transcript.end());
  copy.refusals = live.refusals;
  copy.close_reason = live.close_reason;
  copy.started = live.started;
  copy.duration = live.duration;
  return copy;
}

void MessageStore::update_session(std::uint64_t id, const capture::SessionRecord& live, bool open) {
  StoredSession session{.id = id, .record = session_snapshot(live), .open = open};
  session.record.id = id;
  put_session(session);
}

void MessageStore::update_session_async(std::uint64_t id, const capture::SessionRecord& live, bool open,
                                        std::function<void(std::exception_ptr)> done) {
  std::exception_ptr error;
  try {
    update_session(id, live, open);
  } catch (...) {
    error = std::current_exception();
  }
  if (done) {
    done(error);
  }
}

std::uint64_t MessageStore::add(StoredMessage message, const capture::SessionRecord* session) {
  const std::uint64_t id = insert(std::move(message), session);
  wake_waiters();
  return id;
}

void MessageStore::add_async(StoredMessage message, const capture::SessionRecord* session, Added done) {
  insert_async(std::move(message), session, [this, done = std::move(done)](std::uint64_t id, std::exception_ptr error) {
    if (!error) {
      wake_waiters();
    }
    done(id, error);
  });
}

void MessageStore::insert_async(StoredMessage message, const capture::SessionRecord* session, Added done) {
  std::uint64_t id = 0;
  std::exception_ptr error;
  try {
    id = insert(std::move(message), session);
  } catch (...) {
    error = std::current_exception();
  }
  done(id, error);
}

void MessageStore::wake_waiters() {
  {
    std::lock_guard lock(m_wait_mutex);
    ++m_generation;
  }
  m_added.notify_all();
  std::lock_guard lock(m_listeners_mutex);
  for (const auto& [handle, listener] : m_listeners) {
    listener();
  }
}

std::uint64_t MessageStore::subscribe(ChangeListener listener) const {
  std::lock_guard lock(m_listeners_mutex);
  const std::uint64_t handle = ++m_last_listener;
  m_listeners.emplace(handle, std::move(listener));
  return handle;
}

void MessageStore::unsubscribe(std::uint64_t handle) const {
  std::lock_guard lock(m_listeners_mutex);
  m_listeners.erase(handle);
}

std::optional<std::size_t> MessageStore::bytes_size(std::uint64_t id) const {
  const auto message = get(id);
  if (!message) {
    return std::nullopt;
  }
  return message->transaction.message ? message->transaction.message->size() : 0;
}

std::optional<std::string> MessageStore::read_bytes(std::uint64_t id, std::size_t offset, std::size_t max) const {
  const auto message = get(id);
  if (!message) {
    return std::nullopt;
  }
  const auto& bytes = message->transaction.message;
  return !bytes || offset >= bytes->size() ? std::string() : bytes->substr(offset, max);
}

void MessageStore::add_attempt_async(StoredAttempt attempt, Added done) {
  insert_attempt_async(std::move(attempt), [this, done = std::move(done)](std::uint64_t id, std::exception_ptr error) {
    if (!error) {
      wake_waiters();
    }
    if (done) {
      done(id, error);
    }
  });
}

std::optional<StoredMessage> MessageStore::wait(const MessageQuery& query, std::chrono::milliseconds timeout) const {
  MessageQuery first = query;
  first.limit = 1;
  return wait_for(
      [&]() -> std::optional<StoredMessage> {
        auto found = find(first);
        return found.empty() ? std::nullopt : std::optional(std::move(found.front()));
      },
      timeout);
}

std::optional<StoredAttempt> MessageStore::wait_attempt(const AttemptQuery& query,
                                                        std::chrono::milliseconds timeout) const {
  AttemptQuery first = query;
  first.limit = 1;
  return wait_for(
      [&]() -> std::optional<StoredAttempt> {
        auto found = find_attempts(first);
        return found.empty() ? std::nullopt : std::optional(std::move(found.front()));
      },
      timeout);
}

template <typename Found>
auto MessageStore::wait_for(Found find_first, std::chrono::milliseconds timeout) const -> decltype(find_first()) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(m_wait_mutex);
  for (;;) {
    // Looked up outside the lock: a store read may take a while; the generation tells
    // whether something was added meanwhile.
    const std::uint64_t seen = m_generation;
    lock.unlock();
    auto found = find_first();
    if (found) {
      return found;
    }
    lock.lock();
    if (!m_added.wait_until(lock, deadline, [&] { return m_generation != seen; })) {
      return std::nullopt;
    }
  }
}

}  // namespace maildog::serve
