// Enum <-> name tables: one constexpr array per enum, looked up both ways, so names used in
// scenario files, reports and the wire are written once.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace maildog {

template <typename Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <typename Enum, std::size_t N>
std::optional<Enum> lookup_name(const NameTable<Enum, N>& table, std::string_view text) {
  for (const auto& [value, name] : table) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view name_of(const NameTable<Enum, N>& table, Enum wanted) {
  for (const auto& [value, name] : table) {
    if (value == wanted) {
      return name;
    }
  }
  return "unknown";
}

}  // namespace maildog
