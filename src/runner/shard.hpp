// `--shard K/N`: a stable partition of scenarios so the jobs of a CI matrix run disjoint parts.
// A scenario's shard depends only on its file path (relative to the working directory) and its
// name, never on discovery order, -j or absolute paths, so every job computes the same split.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/model.hpp"

namespace maildog::runner {

// Matrices larger than this are a typo, not a plan.
inline constexpr unsigned k_shard_count_max = 1000;

struct Shard {
  unsigned index = 1;         // K: 1-based
  unsigned count = 1;         // N
  std::string label() const;  // "2/4"
};

struct ShardParse {
  std::optional<Shard> shard;
  std::string error;  // set when shard is empty
};

// "K/N" with 1 <= K <= N <= k_shard_count_max, digits only.
ShardParse parse_shard(std::string_view text);

// FNV-1a, 64 bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3), over the bytes.
std::uint64_t fnv1a_64(std::string_view bytes);

// "<path>\n<name>": the file taken against `base` (the working directory), made relative to it
// and lexically normalised, with '/' separators ("scenarios/reset.yaml\nunknown user").
std::string shard_key(const std::filesystem::path& file, std::string_view name, const std::filesystem::path& base);

// 1-based shard of a key: fnv1a_64(key) % count + 1.
unsigned shard_of(std::string_view key, unsigned count);

// The scenarios of `shard`, in their input order; `base` is the working directory.
std::vector<scenario::Scenario> select_shard(std::vector<scenario::Scenario> scenarios, const Shard& shard,
                                             const std::filesystem::path& base);

}  // namespace maildog::runner
