// `-j N` on one machine: 2,000 client-only scenarios run under a 256 file descriptor limit. A
// leaked socket, pipe or timer per scenario would exhaust it long before the end (and show as
// scenarios that could not run, exit 3).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

constexpr int k_scenarios = 2000;

// A scripted conversation with the scenario's own sandbox: no app, no process per scenario.
std::string client_only(int number) {
  return "name: scale " + std::to_string(number) +
         "\nclient:\n  steps:\n    - expect: {code: 220}\n    - send: EHLO client.test\n"
         "      expect: {code: 250}\n    - send: \"MAIL FROM:<a@client.test>\"\n      expect: {code: 250}\n"
         "    - quit: true\n";
}

}  // namespace

TEST_CASE("2000 client-only scenarios with -j 8 and ulimit -n 256", "[ci][scale]") {
  TempDir dir;
  const auto suite = dir.path() / "suite";
  for (int folder = 0; folder < 20; ++folder) {
    fs::create_directories(suite / ("part" + std::to_string(folder)));
  }
  for (int number = 0; number < k_scenarios; ++number) {
    std::ofstream(suite / ("part" + std::to_string(number % 20)) / ("s" + std::to_string(number) + ".yaml"))
        << client_only(number);
  }
  const auto report = dir.path() / "report.json";
  ChildSpec spec;
  spec.argv = {"bash",
               "-c",
               "ulimit -n 256 && exec \"$1\" run \"$2\" -j 8 --json \"$3\" --no-color",
               "scale",
               binary_path().string(),
               suite.string(),
               report.string()};
  spec.environment = {{"GITHUB_ACTIONS", "false"}};
  spec.timeout = std::chrono::seconds(240);
  const auto run = run_child(spec);
  INFO(run.exit_code << " " << run.err << run.out.substr(run.out.size() > 4000 ? run.out.size() - 4000 : 0));
  REQUIRE_FALSE(run.timed_out);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("\n2000 passed, 0 failed\n"));
  std::ifstream in(report);
  const auto totals = nlohmann::json::parse(in)["totals"];
  CHECK(totals == nlohmann::json{{"passed", k_scenarios}, {"failed", 0}});
}
