// The bounce's addresses mapped to stable test addresses (user1@recipient.test, sender@sender.test,
// other1@other.test), so no customer address lands in a repository; the same map is applied to
// every text of the scenario. With keep, every address maps to itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bounce/facts.hpp"

namespace maildog::scaffold {

class TestAddresses {
 public:
  TestAddresses(const bounce::BounceFacts& facts, bool keep);

  std::vector<std::string> recipients() const;
  std::optional<std::string> sender() const;
  // `text` with every known address replaced (case-insensitively), the rest unchanged.
  std::string apply(std::string_view text) const;

 private:
  std::vector<std::pair<std::string, std::string>> m_map;  // original -> test address
  std::size_t m_recipients = 0;
  bool m_has_sender = false;
};

}  // namespace maildog::scaffold
