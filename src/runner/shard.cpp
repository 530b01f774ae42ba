#include "runner/shard.hpp"

#include <charconv>

namespace maildog::runner {

namespace {

constexpr std::uint64_t k_fnv_offset_basis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t k_fnv_prime = 0x100000001b3ULL;

// Digits only: no sign, no spaces, no leading '+'; nothing when out of range.
std::optional<unsigned> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 4) {
    return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string Shard::label() const { return std::to_string(index) + "/" + std::to_string(count); }

ShardParse parse_shard(std::string_view text) {
  const std::string expected = "expected K/N with 1 <= K <= N <= " + std::to_string(k_shard_count_max) +
                               " (e.g. 2/4), not \"" + std::string(text) + "\"";
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return {std::nullopt, expected};
  }
  const auto index = parse_count(text.substr(0, slash));
  const auto count = parse_count(text.substr(slash + 1));
  if (!index || !count || *index < 1 || *count < *index || *count > k_shard_count_max) {
    return {std::nullopt, expected};
  }
  return {Shard{*index, *count}, {}};
}

std::uint64_t fnv1a_64(std::string_view bytes) {
  std::uint64_t hash = k_fnv_offset_basis;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= k_fnv_prime;
  }
  return hash;
}

std::string shard_key(const std::filesystem::path& file, std::string_view name, const std::filesystem::path& base) {
  const auto normal_base = base.lexically_normal();
  const auto absolute = (file.is_absolute() ? file : base / file).lexically_normal();
  auto relative = absolute.lexically_relative(normal_base);
  if (relative.empty()) {
    relative = absolute;
  }
  return relative.generic_string() + "\n" + std::string(name);
}

unsigned shard_of(std::string_view key, unsigned count) { return static_cast<unsigned>(fnv1a_64(key) % count) + 1; }

std::vector<scenario::Scenario> select_shard(std::vector<scenario::Scenario> scenarios, const Shard& shard,
                                             const std::filesystem::path& base) {
  std::vector<scenario::Scenario> chosen;
  for (auto& one : scenarios) {
    if (shard_of(shard_key(one.file, one.name, base), shard.count) == shard.index) {
      chosen.push_back(std::move(one));
    }
  }
  return chosen;
}

}  // namespace maildog::runner
