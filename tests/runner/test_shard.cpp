#include "runner/shard.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace maildog::runner {
namespace {

namespace fs = std::filesystem;

scenario::Scenario named(const fs::path& file, const std::string& name) {
  scenario::Scenario one;
  one.file = file;
  one.name = name;
  return one;
}

// 30 files in a few folders, 1 to 4 scenarios each: the shape of a real suite.
std::vector<scenario::Scenario> suite() {
  std::vector<scenario::Scenario> scenarios;
  for (int file = 0; file < 30; ++file) {
    const fs::path path =
        fs::path("scenarios") / ("group" + std::to_string(file % 4)) / ("f" + std::to_string(file) + ".yaml");
    for (int doc = 0; doc <= file % 4; ++doc) {
      scenarios.push_back(named(path, "scenario " + std::to_string(doc) + " of file " + std::to_string(file)));
    }
  }
  return scenarios;
}

std::string id(const scenario::Scenario& one) { return one.file.generic_string() + "|" + one.name; }

std::set<std::string> ids(const std::vector<scenario::Scenario>& scenarios) {
  std::set<std::string> out;
  for (const auto& one : scenarios) {
    out.insert(id(one));
  }
  return out;
}

}  // namespace

TEST_CASE("parse_shard accepts K/N and says what is wrong otherwise", "[runner][shard]") {
  const auto two_of_four = parse_shard("2/4");
  REQUIRE(two_of_four.shard);
  CHECK(two_of_four.shard->index == 2);
  CHECK(two_of_four.shard->count == 4);
  CHECK(two_of_four.shard->label() == "2/4");
  CHECK(parse_shard("1/1").shard);
  CHECK(parse_shard("1000/1000").shard);

  const auto bad = GENERATE(as<std::string>{}, "", "3", "0/4", "5/4", "1/1001", "1/0", "a/b", "1/", "/4", "1/4/2",
                            "-1/4", "+1/4", " 1/4", "1/4 ", "01/99999", "4294967297/4294967297");
  CAPTURE(bad);
  const auto parsed = parse_shard(bad);
  CHECK_FALSE(parsed.shard);
  CHECK_THAT(parsed.error, Catch::Contains("K/N") && Catch::Contains("1000"));
}

TEST_CASE("fnv1a_64 is FNV-1a 64 (reference vectors)", "[runner][shard]") {
  CHECK(fnv1a_64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a_64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a_64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("shard_key: the path relative to the working directory, normalised, then the name", "[runner][shard]") {
  const fs::path base = "/work/repo";
  const std::string expected = "scenarios/reset.yaml\nunknown user";
  CHECK(shard_key("scenarios/reset.yaml", "unknown user", base) == expected);
  CHECK(shard_key("./scenarios/reset.yaml", "unknown user", base) == expected);
  CHECK(shard_key("scenarios/nested/../reset.yaml", "unknown user", base) == expected);
  CHECK(shard_key("/work/repo/scenarios/reset.yaml", "unknown user", base) == expected);
  CHECK(shard_key("/work/repo/scenarios/reset.yaml", "unknown user", "/work/repo/") == expected);
  CHECK(shard_key("/elsewhere/reset.yaml", "x", base) == "../../elsewhere/reset.yaml\nx");
  // Pinned: a change of hash or key would reshuffle every user's matrix.
  const std::string pinned = "scenarios/happy_path.yaml\npassword reset is delivered over STARTTLS with AUTH";
  for (unsigned n = 1; n <= 7; ++n) {
    CHECK(shard_of(pinned, n) == n);
  }
}

TEST_CASE("every scenario is in exactly one shard, whatever the order and the path spelling", "[runner][shard]") {
  const auto all = suite();
  const unsigned n = GENERATE(range(1U, 8U));
  CAPTURE(n);
  const fs::path base = "/work/repo";

  std::map<std::string, unsigned> shard_by_id;
  std::size_t total = 0;
  for (unsigned k = 1; k <= n; ++k) {
    const auto part = select_shard(all, Shard{k, n}, base);
    total += part.size();
    for (const auto& one : part) {
      CHECK(shard_by_id.emplace(id(one), k).second);  // in no other shard
    }
    if (n <= 4) {
      CHECK_FALSE(part.empty());  // 73 scenarios spread over a few shards: none left idle
    }
  }
  CHECK(total == all.size());
  CHECK(shard_by_id.size() == all.size());

  SECTION("the discovery order does not matter, and each part keeps the input order") {
    auto shuffled = all;
    std::mt19937 random(n);
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    for (unsigned k = 1; k <= n; ++k) {
      const auto part = select_shard(shuffled, Shard{k, n}, base);
      CHECK(ids(part) == ids(select_shard(all, Shard{k, n}, base)));
      std::vector<std::size_t> positions;
      for (const auto& one : part) {
        positions.push_back(static_cast<std::size_t>(
            std::find_if(shuffled.begin(), shuffled.end(), [&](const auto& s) { return id(s) == id(one); }) -
            shuffled.begin()));
      }
      CHECK(std::is_sorted(positions.begin(), positions.end()));
    }
  }
  SECTION("absolute paths under the working directory give the same split") {
    std::vector<scenario::Scenario> absolute;
    for (const auto& one : all) {
      absolute.push_back(named(base / one.file, one.name));
    }
    for (unsigned k = 1; k <= n; ++k) {
      std::set<std::string> relative_again;
      for (const auto& one : select_shard(absolute, Shard{k, n}, base)) {
        relative_again.insert(one.file.lexically_relative(base).generic_string() + "|" + one.name);
      }
      CHECK(relative_again == ids(select_shard(all, Shard{k, n}, base)));
    }
  }
}

}  // namespace maildog::runner
