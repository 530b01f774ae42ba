// The run's CA file through the built binary: printed before the first scenario, written where
// --ca-file says (new bytes at each run: nothing is cached), a temporary one removed at exit, and
// a --ca-file that cannot be written stops the run with exit 2.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "e2e/maildog_run.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

const fs::path& verified_scenario() {
  static const fs::path path = source_dir() / "scenarios" / "tls_verified_delivery.yaml";
  return path;
}

}  // namespace

TEST_CASE("run writes its CA file where --ca-file says, new at each run, and prints it", "[e2e][tls]") {
  TempDir dir;
  const fs::path ca_file = dir.path() / "job" / "ca.pem";
  auto first = run_maildog({"run", verified_scenario().string(), "--ca-file", ca_file.string()});
  INFO(first.describe());
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("CA file " + ca_file.string() + "\n"));
  const std::string first_ca = read_text(ca_file);
  CHECK_THAT(first_ca, Catch::StartsWith("-----BEGIN CERTIFICATE-----"));
  auto second = run_maildog({"run", verified_scenario().string(), "--ca-file", ca_file.string()});
  REQUIRE(second.exit_code == 0);
  CHECK(read_text(ca_file) != first_ca);
}

TEST_CASE("without --ca-file the CA file is temporary and gone after the run", "[e2e][tls]") {
  auto run = run_maildog({"run", verified_scenario().string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  std::smatch match;
  REQUIRE(std::regex_search(run.out, match, std::regex("CA file (\\S+/ca\\.pem) \\(removed at exit")));
  CHECK_FALSE(fs::exists(match[1].str()));
  CHECK_FALSE(fs::exists(fs::path(match[1].str()).parent_path()));
}

TEST_CASE("a --ca-file that cannot be written stops the run with exit 2", "[e2e][tls]") {
  TempDir dir;
  const fs::path blocker = dir.write("not-a-folder", "x");
  auto run = run_maildog({"run", verified_scenario().string(), "--ca-file", (blocker / "ca.pem").string()});
  INFO(run.describe());
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("cannot write the CA file"));
  CHECK_THAT(run.out, !Catch::Contains("PASS"));
}
