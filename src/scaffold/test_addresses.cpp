#include "scaffold/test_addresses.hpp"

#include <algorithm>

#include "core/ascii.hpp"

namespace maildog::scaffold {

TestAddresses::TestAddresses(const bounce::BounceFacts& facts, bool keep) {
  auto add = [&](const std::string& original, std::string replacement) {
    m_map.emplace_back(original, keep ? original : std::move(replacement));
  };
  for (std::size_t i = 0; i < facts.recipients.size(); ++i) {
    add(facts.recipients[i], "user" + std::to_string(i + 1) + "@recipient.test");
  }
  m_recipients = facts.recipients.size();
  if (facts.sender) {
    add(*facts.sender, "sender@sender.test");
    m_has_sender = true;
  }
  for (std::size_t i = 0; i < facts.other_addresses.size(); ++i) {
    add(facts.other_addresses[i], "other" + std::to_string(i + 1) + "@other.test");
  }
}

std::vector<std::string> TestAddresses::recipients() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < m_recipients; ++i) {
    out.push_back(m_map[i].second);
  }
  return out;
}

std::optional<std::string> TestAddresses::sender() const {
  return m_has_sender ? std::optional<std::string>(m_map[m_recipients].second) : std::nullopt;
}

std::string TestAddresses::apply(std::string_view text) const {
  // Longest first, so "a.b@x.test" is not half-replaced by a rule for "b@x.test".
  std::vector<const std::pair<std::string, std::string>*> order;
  for (const auto& entry : m_map) {
    order.push_back(&entry);
  }
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first.size() > b->first.size(); });
  // One pass over the text: at each position the longest original that starts there wins.
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::pair<std::string, std::string>* hit = nullptr;
    for (const auto* entry : order) {
      const auto& original = entry->first;
      if (!original.empty() && i + original.size() <= text.size() &&
          ascii::iequals(text.substr(i, original.size()), original)) {
        hit = entry;
        break;
      }
    }
    if (hit) {
      out += hit->second;
      i += hit->first.size();
    } else {
      out += text[i];
      ++i;
    }
  }
  return out;
}

}  // namespace maildog::scaffold
