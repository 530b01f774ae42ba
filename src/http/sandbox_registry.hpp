// The sandboxes POST /api/v1/sandboxes makes inside one `serve` process, each with its own SMTP
// listener, memory store and rules, so parallel tests share a serve without seeing each other's
// mail. Ids "s1", "s2", ... are never reused; at most `max` exist at once. It lives in http, not
// serve, because each sandbox carries the RulesAccess its routes use (http -> serve, never back).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/api_options.hpp"
#include "serve/sandbox.hpp"

namespace maildog::http {

inline constexpr std::size_t k_max_sandboxes_default = 64;

// One sandbox. Requests that use it hold it (a long-poll keeps its store alive); once deleted,
// `removed` is set and its listener is closed.
struct ApiSandbox {
  std::string id;    // "s1"
  std::string name;  // the creator's free-text label, empty when none
  std::unique_ptr<serve::ServeSandbox> sandbox;
  RulesAccess rules;
  std::optional<std::string> ca_file;  // the CA of its TLS certificate, when it offers TLS
  std::atomic<bool> removed{false};

  serve::MessageStore& store() { return sandbox->store(); }
};

class SandboxRegistry {
 public:
  // A sandbox not started yet, and its rules' access.
  struct Made {
    std::unique_ptr<serve::ServeSandbox> sandbox;
    RulesAccess rules;
    std::optional<std::string> ca_file;
  };
  // Makes one with serve's configuration and the rules given (a JSON array, as PUT /rules
  // takes), else the configuration's; the error text when the rules are not valid.
  using Factory = std::function<std::variant<Made, std::string>(const std::optional<std::string>& rules_json)>;

  SandboxRegistry(Factory factory, std::size_t max);
  ~SandboxRegistry();  // stop_all()
  SandboxRegistry(const SandboxRegistry&) = delete;
  SandboxRegistry& operator=(const SandboxRegistry&) = delete;

  struct Created {
    std::shared_ptr<ApiSandbox> sandbox;  // null on failure
    unsigned status = 201;                // 400 bad rules, 429 too many, 500 cannot listen
    std::string error;
  };
  Created create(const std::optional<std::string>& rules_json, std::string name);
  std::shared_ptr<ApiSandbox> find(std::string_view id) const;
  std::vector<std::shared_ptr<ApiSandbox>> list() const;  // in the order they were made
  // Closes its listener (open sessions get 421) and drops it; false when there is no such id.
  bool remove(std::string_view id);
  void stop_all();
  std::size_t max() const { return m_max; }

 private:
  Factory m_factory;
  std::size_t m_max;
  mutable std::mutex m_mutex;
  std::uint64_t m_last_id = 0;   // under m_mutex
  std::size_t m_being_made = 0;  // under m_mutex: counted against m_max while they start
  std::map<std::uint64_t, std::shared_ptr<ApiSandbox>> m_sandboxes;  // under m_mutex, by number
};

}  // namespace maildog::http
