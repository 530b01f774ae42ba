#include "http/mime_cache.hpp"

#include <exception>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <utility>

namespace maildog::http {

namespace {

struct Key {
  std::uint64_t id = 0;
  std::size_t size = 0;
  std::size_t hash = 0;  // of the bytes
  bool operator==(const Key&) const = default;
};

using Tree = std::shared_ptr<const mime::Parsed>;

struct Cache {
  std::mutex mutex;
  std::list<std::pair<Key, std::shared_future<Tree>>> entries;  // most recently used first
};

Cache& cache() {
  static Cache instance;
  return instance;
}

// The entry for `key`, made most recent; or a new one whose parse the caller owes (`promise`).
std::shared_future<Tree> entry_for(Cache& shared, const Key& key, std::promise<Tree>& promise, bool* owner) {
  std::lock_guard lock(shared.mutex);
  for (auto it = shared.entries.begin(); it != shared.entries.end(); ++it) {
    if (it->first == key) {
      shared.entries.splice(shared.entries.begin(), shared.entries, it);
      return it->second;
    }
  }
  *owner = true;
  shared.entries.emplace_front(key, promise.get_future().share());
  if (shared.entries.size() > k_mime_cache_entries) {
    shared.entries.pop_back();
  }
  return shared.entries.front().second;
}

void forget(Cache& shared, const Key& key) {
  std::lock_guard lock(shared.mutex);
  shared.entries.remove_if([&key](const auto& entry) { return entry.first == key; });
}

}  // namespace

std::shared_ptr<const mime::Parsed> cached_parse(std::uint64_t id, std::string_view bytes) {
  const Key key{id, bytes.size(), std::hash<std::string_view>{}(bytes)};
  Cache& shared = cache();
  std::promise<Tree> promise;
  bool owner = false;
  std::shared_future<Tree> tree = entry_for(shared, key, promise, &owner);
  if (owner) {
    // Parsed outside the lock: other messages are looked up meanwhile, and callers for this
    // one wait on the future instead of parsing it again.
    try {
      promise.set_value(std::make_shared<const mime::Parsed>(mime::parse(bytes)));
    } catch (...) {
      forget(shared, key);
      promise.set_exception(std::current_exception());
    }
  }
  return tree.get();
}

}  // namespace maildog::http
