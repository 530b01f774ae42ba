// The scenario loader's diagnostics: file:line:col, bad input found by fuzzing, warnings for
// likely mistakes, YAML syntax errors at their path.
#include <catch2/catch.hpp>

#include <tuple>

#include "scenario/loader_fixtures.hpp"

using namespace loader_fixtures;

TEST_CASE("diagnostics format as file:line:col and cover the whole input", "[scenario]") {
  SECTION("format") {
    scn::Diagnostic at_line{"s/a.yaml", 3, 7, "server.rules[1].reply", "reply code 700 is out of range 200-599"};
    CHECK(at_line.format() == "s/a.yaml:3:7: error: reply code 700 is out of range 200-599 (at server.rules[1].reply)");
    scn::Diagnostic whole_file{"s/missing.yaml", 0, 0, "", "no such file or folder"};
    CHECK(whole_file.format() == "s/missing.yaml: error: no such file or folder");
  }
  SECTION("a missing path is reported on that path") {
    auto result = scn::load_paths({"does/not/exist.yaml"}, test_env());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].format() == "does/not/exist.yaml: error: no such file or folder");
  }
  SECTION("every error of a file is listed, in line order, and good documents still load") {
    auto result = load_one(
        "name: good\nclient: {steps: [{quit: true}]}\n---\n"
        "name: bad\nsevrer: {}\nclient:\n  steps:\n    - {send: HELO x, expect: {code: 700}}\n"
        "    - {quit: true, expect: {enhanced: 9.1.1}}\n");
    REQUIRE(result.scenarios.size() == 1);
    CHECK(result.scenarios[0].name == "good");
    REQUIRE(result.diagnostics.size() == 3);
    CHECK(result.diagnostics[0].format() ==
          "mem/test.yaml:5:1: error: unknown key 'sevrer' (did you mean 'server'?) (at sevrer)");
    CHECK(result.diagnostics[1].line == 8);
    CHECK(result.diagnostics[1].message == "reply code 700 is out of range 200-599");
    CHECK(result.diagnostics[2].line == 9);
    CHECK_THAT(result.diagnostics[2].message, Catch::Contains("bad enhanced code '9.1.1'"));
  }
}

// Found by fuzz/fuzz_scenario_load: valijson's UTF-8 length count read past its tables on a run
// of continuation bytes (UBSan: index out of bounds). Invalid bytes reach the schema as U+FFFD.
TEST_CASE("a string of UTF-8 continuation bytes is checked against the schema safely", "[scenario]") {
  const std::string tag = "rule" + std::string(24, '\xac') + "s";
  auto ok = load_one("name: continuation bytes\ntags: [\"" + tag + "\"]\nclient:\n  steps: [{quit: true}]\n");
  INFO(messages(ok));
  REQUIRE(ok.diagnostics.empty());
  REQUIRE(ok.scenarios.size() == 1);
  CHECK(ok.scenarios[0].tags == std::vector<std::string>{tag});

  auto bad = load_one("name: continuation bytes\nserver:\n  tls: \"" + std::string(24, '\xac') +
                      "\"\n"
                      "client:\n  steps: [{quit: true}]\n");
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].line == 3);
  CHECK_THAT(bad.diagnostics[0].message, Catch::Contains("is not one of: none, starttls, required, implicit"));
}

// Found by fuzz/fuzz_scenario_load: yaml-cpp 0.7's LoadAll never returned on these.
TEST_CASE("a ',' where a value or a document should start is a syntax error, not a hang", "[scenario]") {
  for (const auto& [yaml, line, column] :
       {std::tuple{std::string(","), 1U, 1U}, std::tuple{std::string("  , a\n"), 1U, 3U},
        std::tuple{std::string("# comment\n,\xff\xc0\n"), 2U, 1U}, std::tuple{std::string("name: x\n---\n,\n"), 3U, 1U},
        std::tuple{std::string("name: x\n--- ,\n"), 2U, 5U}, std::tuple{std::string("-\n,\n"), 2U, 1U},
        std::tuple{std::string("- !tag\n,"), 2U, 1U}, std::tuple{std::string("- a\n- b\n,\n- c\n"), 3U, 1U}}) {
    INFO(yaml);
    auto result = load_one(yaml);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].line == line);
    CHECK(result.diagnostics[0].column == column);
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("unexpected ','"));
  }
  auto fine = load_one("name: a, b\nclient:\n  steps: [{quit: true}, {send: \"NOOP\"}]\n");
  INFO(messages(fine));
  CHECK(fine.diagnostics.empty());
}

// Found by fuzz/fuzz_scenario_load: a NUL before a ',' hung yaml-cpp 0.7 too.
TEST_CASE("a control character is a syntax error at its place", "[scenario]") {
  auto result = load_one(std::string("name: x\n\0,\t\b\0\0\0\xc0\n", 17));
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].line == 2);
  CHECK(result.diagnostics[0].column == 1);
  CHECK_THAT(result.diagnostics[0].message, Catch::Contains("control character 0x00 is not allowed"));
  auto bell = load_one(
      "name: a\x07"
      "b\n");
  REQUIRE(bell.diagnostics.size() == 1);
  CHECK(bell.diagnostics[0].column == 8);
  CHECK_THAT(bell.diagnostics[0].message, Catch::Contains("control character 0x07"));
}

TEST_CASE("likely mistakes that are valid are warnings at their place, not errors", "[scenario]") {
  SECTION("an app field indented under app.env") {
    auto result = load_one(
        "name: env\n"
        "app:\n"
        "  run: [./send]\n"
        "  env:\n"
        "    MAILDOG_MODE: test\n"
        "    timeout: 20s\n"
        "    cwd: apps\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenarios.size() == 1);
    REQUIRE(result.warnings.size() == 2);
    CHECK(result.warnings[0].format() ==
          "mem/test.yaml:6:5: warning: app.env.timeout sets an environment variable named like the app field "
          "'timeout': if it is meant as app.timeout, indent it as deep as env:, not under it (at app.env.timeout)");
    CHECK(result.warnings[1].line == 7);
    CHECK(result.warnings[1].yaml_path == "app.env.cwd");
  }
  SECTION("a DNSBL fixture name with the address forward") {
    auto result = load_one(
        "name: dnsbl\n"
        "dns:\n"
        "  192.0.2.1.zen.dnsbl.test: {A: [127.0.0.2]}\n"
        "  2.0.0.127.zen.dnsbl.test: {A: [127.0.0.2]}\n"
        "  203.0.113.9.other.test: {A: [127.0.0.2]}\n"
        "server:\n"
        "  peer: {ip: 192.0.2.1}\n"
        "  checks: {dnsbl: [zen.dnsbl.test]}\n"
        "client: {steps: [{quit: true}]}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.warnings.size() == 1);
    CHECK(result.warnings[0].format() ==
          "mem/test.yaml:3:3: warning: 192.0.2.1.zen.dnsbl.test lists 1.2.0.192 in zen.dnsbl.test, not 192.0.2.1: a "
          "DNSBL is queried with the octets reversed, so write 1.2.0.192.zen.dnsbl.test to list 192.0.2.1 "
          "(at dns[\"192.0.2.1.zen.dnsbl.test\"])");
  }
  SECTION("the reversed name is what a DNSBL is asked for: no warning") {
    auto result = load_one(
        "name: dnsbl\n"
        "dns:\n"
        "  1.2.0.192.zen.dnsbl.test: {A: [127.0.0.2]}\n"
        "server:\n"
        "  peer: {ip: 192.0.2.1}\n"
        "  checks: {dnsbl: [zen.dnsbl.test]}\n"
        "client: {steps: [{quit: true}]}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    CHECK(result.warnings.empty());
  }
}

TEST_CASE("a YAML syntax error says where the structure opened, at its YAML path", "[scenario]") {
  auto result = load_one(
      "name: x\n"
      "server:\n"
      "  domains: [inbox.test, other.test\n"
      "  mailboxes: [user@inbox.test]\n"
      "client: {steps: [{quit: true}]}\n");
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].format() ==
        "mem/test.yaml:4:12: error: YAML syntax error: end of sequence flow not found: unclosed '[' opened at 3:12 "
        "(a [...] list ends with ']') (at server.domains)");
}
