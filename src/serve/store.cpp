#include "serve/store.hpp"

namespace maildog::serve {

std::uint64_t MessageStore::add(StoredMessage message) {
  const std::uint64_t id = insert(std::move(message));
  {
    std::lock_guard lock(m_wait_mutex);
    ++m_generation;
  }
  m_added.notify_all();
  return id;
}

std::optional<StoredMessage> MessageStore::wait(const MessageQuery& query, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MessageQuery first = query;
  first.limit = 1;
  std::unique_lock lock(m_wait_mutex);
  for (;;) {
    // Looked up outside the lock: a store read may take a while; the generation tells
    // whether something was added meanwhile.
    const std::uint64_t seen = m_generation;
    lock.unlock();
    auto found = find(first);
    if (!found.empty()) {
      return std::move(found.front());
    }
    lock.lock();
    if (!m_added.wait_until(lock, deadline, [&] { return m_generation != seen; })) {
      return std::nullopt;
    }
  }
}

}  // namespace maildog::serve
