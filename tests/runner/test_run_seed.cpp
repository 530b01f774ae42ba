#include <catch2/catch.hpp>
#include <set>

#include "runner/run_seed.hpp"
#include "scenario/loader.hpp"

using namespace maildog;

namespace {

std::vector<scenario::Scenario> load(const std::string& yaml) {
  auto loaded = scenario::load_text(yaml, "/suite/seeds.yaml", scenario::Environment::from_map({}));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  return loaded.scenarios;
}

}  // namespace

TEST_CASE("scenario_seed: different per scenario, the same on every run", "[runner][seed]") {
  const auto a = runner::scenario_seed(12345, "scenarios/a.yaml", "first");
  CHECK(runner::scenario_seed(12345, "scenarios/a.yaml", "first") == a);
  // The folder does not count: a run from another directory repeats.
  CHECK(runner::scenario_seed(12345, "/home/ci/repo/scenarios/a.yaml", "first") == a);
  CHECK(runner::scenario_seed(12345, "scenarios/a.yaml", "second") != a);
  CHECK(runner::scenario_seed(12345, "scenarios/b.yaml", "first") != a);
  CHECK(runner::scenario_seed(12346, "scenarios/a.yaml", "first") != a);
  // File and name are kept apart: "a" + "b.yaml..." is not "ab" + ".yaml...".
  CHECK(runner::scenario_seed(1, "a", "bc") != runner::scenario_seed(1, "ab", "c"));
  // JSON readers that hold numbers as doubles read every derived seed back exactly.
  for (std::uint64_t run_seed : std::vector<std::uint64_t>{0, 1, 4242, 0xFFFFFFFF, runner::k_seed_max}) {
    CHECK(runner::scenario_seed(run_seed, "x.yaml", "y") <= runner::k_seed_max);
  }
}

TEST_CASE("random_run_seed fits in 32 bits and varies", "[runner][seed]") {
  std::set<std::uint64_t> seeds;
  for (int i = 0; i < 8; ++i) {
    const auto seed = runner::random_run_seed();
    CHECK(seed <= 0xFFFFFFFFULL);
    seeds.insert(seed);
  }
  CHECK(seeds.size() > 1);
}

TEST_CASE("apply_run_seed leaves a scenario's own server.seed alone", "[runner][seed]") {
  auto scenarios = load(R"(
name: no seed of its own
client: {steps: [{quit: true}]}
---
name: its own seed
server: {seed: 7}
client: {steps: [{quit: true}]}
---
name: its own seed of 1, the default value
server: {seed: 1}
client: {steps: [{quit: true}]}
)");
  REQUIRE(scenarios.size() == 3);
  CHECK_FALSE(scenarios[0].server_extras.seed_written);
  CHECK(scenarios[1].server_extras.seed_written);
  runner::apply_run_seed(scenarios, 99);
  CHECK(scenarios[0].server.seed == runner::scenario_seed(99, "/suite/seeds.yaml", "no seed of its own"));
  CHECK(scenarios[1].server.seed == 7);
  CHECK(scenarios[2].server.seed == 1);
}
