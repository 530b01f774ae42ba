#include "runner/run_seed.hpp"

#include <random>

namespace maildog::runner {

namespace {

// FNV-1a 64 (http://www.isthe.com/chongo/tech/comp/fnv/): stable across platforms and builds,
// unlike std::hash.
constexpr std::uint64_t k_fnv_offset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t k_fnv_prime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= k_fnv_prime;
  }
  return hash;
}

// splitmix64's finaliser: nearby inputs (seeds 1 and 2) give unrelated outputs.
std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t random_run_seed() {
  std::random_device device;
  return device();
}

std::uint64_t scenario_seed(std::uint64_t run_seed, const std::filesystem::path& file, std::string_view name) {
  std::string seed_bytes;
  for (int shift = 0; shift < 64; shift += 8) {
    seed_bytes += static_cast<char>((run_seed >> shift) & 0xFF);
  }
  std::uint64_t hash = fnv1a(k_fnv_offset, seed_bytes);
  hash = fnv1a(hash, file.filename().generic_string());
  hash = fnv1a(hash, std::string_view("\0", 1));
  return mix(fnv1a(hash, name)) & k_seed_max;
}

void apply_run_seed(std::vector<scenario::Scenario>& scenarios, std::uint64_t run_seed) {
  for (auto& scenario : scenarios) {
    if (!scenario.server_extras.seed_written) {
      scenario.server.seed = scenario_seed(run_seed, scenario.file, scenario.name);
    }
  }
}

}  // namespace maildog::runner
