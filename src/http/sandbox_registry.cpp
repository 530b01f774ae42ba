#include "http/sandbox_registry.hpp"

#include <charconv>
#include <chrono>

namespace maildog::http {

namespace {
// A deleted sandbox's transactions in flight may finish for this long; idle sessions get 421 at once.
constexpr std::chrono::milliseconds k_remove_grace{1000};

// "s12" -> 12; nothing for anything else ("s012", "12", "s").
std::optional<std::uint64_t> number_of(std::string_view id) {
  if (id.size() < 2 || id.front() != 's' || id[1] == '0') {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(id.data() + 1, id.data() + id.size(), value);
  if (error != std::errc() || end != id.data() + id.size()) {
    return std::nullopt;
  }
  return value;
}
}  // namespace

SandboxRegistry::SandboxRegistry(Factory factory, std::size_t max) : m_factory(std::move(factory)), m_max(max) {}

SandboxRegistry::~SandboxRegistry() { stop_all(); }

SandboxRegistry::Created SandboxRegistry::create(const std::optional<std::string>& rules_json, std::string name) {
  Created created;
  std::uint64_t number = 0;
  {
    std::lock_guard lock(m_mutex);
    if (m_sandboxes.size() + m_being_made >= m_max) {
      created.status = 429;
      created.error = "at most " + std::to_string(m_max) +
                      " sandboxes at once (--max-sandboxes): delete one (DELETE /api/v1/sandboxes/{id}) first";
      return created;
    }
    ++m_being_made;
    number = ++m_last_id;  // taken even if making it fails: ids are never reused
  }
  auto entry = std::make_shared<ApiSandbox>();
  entry->id = "s" + std::to_string(number);
  entry->name = std::move(name);
  try {
    auto made = m_factory(rules_json);
    if (auto* error = std::get_if<std::string>(&made)) {
      created.status = 400;
      created.error = *error;
    } else {
      auto& parts = std::get<Made>(made);
      entry->sandbox = std::move(parts.sandbox);
      entry->rules = std::move(parts.rules);
      entry->ca_file = std::move(parts.ca_file);
      entry->sandbox->start();
    }
  } catch (const std::exception& e) {
    created.status = 500;
    created.error = std::string("cannot start the sandbox: ") + e.what();
  }
  std::lock_guard lock(m_mutex);
  --m_being_made;
  if (created.status == 201) {
    m_sandboxes.emplace(number, entry);
    created.sandbox = std::move(entry);
  }
  return created;
}

std::shared_ptr<ApiSandbox> SandboxRegistry::find(std::string_view id) const {
  const auto number = number_of(id);
  if (!number) {
    return nullptr;
  }
  std::lock_guard lock(m_mutex);
  const auto found = m_sandboxes.find(*number);
  return found == m_sandboxes.end() ? nullptr : found->second;
}

std::vector<std::shared_ptr<ApiSandbox>> SandboxRegistry::list() const {
  std::lock_guard lock(m_mutex);
  std::vector<std::shared_ptr<ApiSandbox>> all;
  for (const auto& [number, sandbox] : m_sandboxes) {
    all.push_back(sandbox);
  }
  return all;
}

bool SandboxRegistry::remove(std::string_view id) {
  const auto number = number_of(id);
  std::shared_ptr<ApiSandbox> removed;
  {
    std::lock_guard lock(m_mutex);
    const auto found = number ? m_sandboxes.find(*number) : m_sandboxes.end();
    if (found == m_sandboxes.end()) {
      return false;
    }
    removed = std::move(found->second);
    m_sandboxes.erase(found);
  }
  removed->removed = true;
  // Outside the lock: the others stay usable while this one's sessions are told 421.
  removed->sandbox->stop(k_remove_grace);
  return true;
}

void SandboxRegistry::stop_all() {
  std::map<std::uint64_t, std::shared_ptr<ApiSandbox>> all;
  {
    std::lock_guard lock(m_mutex);
    all.swap(m_sandboxes);
  }
  for (auto& [number, sandbox] : all) {
    sandbox->removed = true;
    sandbox->sandbox->stop(k_remove_grace);
  }
}

}  // namespace maildog::http
