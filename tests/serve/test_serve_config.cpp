#include <catch2/catch.hpp>

#include "scenario/loader.hpp"
#include "support/temp_dir.hpp"

using namespace maildog;

TEST_CASE("a serve config needs only name and server, validated like a scenario", "[serve][config]") {
  test::TempDir dir;
  const scenario::Environment env = scenario::Environment::from_map({});
  SECTION("name and server are enough for serve, not for run") {
    const auto file =
        dir.write("serve.yaml", "name: sandbox\nserver:\n  hostname: mx.serve.test\n  domains: [inbox.test]\n");
    auto loaded = scenario::load_serve_config(file, env);
    REQUIRE(loaded.ok());
    REQUIRE(loaded.scenarios.size() == 1);
    REQUIRE(loaded.scenarios[0].server.hostname == "mx.serve.test");
    REQUIRE(loaded.scenarios[0].server.domains == std::vector<std::string>{"inbox.test"});
    REQUIRE_FALSE(scenario::load_paths({file}, env).ok());
  }
  SECTION("a server: block without a name is a serve config, not a scenario") {
    const auto file = dir.write("serve.yaml", "server:\n  hostname: mx.serve.test\n");
    auto loaded = scenario::load_serve_config(file, env);
    INFO((loaded.diagnostics.empty() ? std::string() : loaded.diagnostics[0].format()));
    REQUIRE(loaded.ok());
    REQUIRE(loaded.scenarios.size() == 1);
    REQUIRE(loaded.scenarios[0].server.hostname == "mx.serve.test");
    REQUIRE_FALSE(scenario::load_paths({file}, env).ok());
  }
  SECTION("a whole scenario file serves too") {
    const auto file =
        dir.write("scenario.yaml", "name: s\nserver: {hostname: mx.full.test}\nclient:\n  steps: [{quit: true}]\n");
    auto loaded = scenario::load_serve_config(file, env);
    REQUIRE(loaded.ok());
    REQUIRE(loaded.scenarios[0].server.hostname == "mx.full.test");
  }
  SECTION("errors point at file:line:col") {
    const auto file = dir.write("bad.yaml", "name: sandbox\nserver:\n  tls: sometimes\n");
    auto loaded = scenario::load_serve_config(file, env);
    REQUIRE_FALSE(loaded.ok());
    REQUIRE(loaded.diagnostics[0].format().rfind(file.string() + ":3:", 0) == 0);
  }
}
