// The linter seen from outside: `maildog-ci check` prints the findings of a message file, and
// the scenario schema accepts exactly the finding names as `expect.lint` keys.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "lint/finding.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using maildog::test::binary_path;
using maildog::test::ChildSpec;
using maildog::test::run_child;

namespace {

maildog::test::ChildResult check(const std::filesystem::path& message, bool json) {
  ChildSpec spec;
  spec.argv = {binary_path().string(), "check",  message.string(),    "--client-ip",
               "203.0.113.5",          "--helo", "mail.example.test", "--no-ptr"};
  if (json) {
    spec.argv.emplace_back("--json");
  }
  return run_child(spec);
}

}  // namespace

TEST_CASE("check prints the lint findings of a message file", "[lint][cli]") {
  maildog::test::TempDir dir;
  const auto sloppy = dir.write("sloppy.eml", "From: App <app@yourdomain.test>\r\nSubject: hi\r\n\r\nbare\nend\r\n" +
                                                  std::string(1200, 'x') + "\r\n");
  SECTION("as text, one line per finding with its line and excerpt") {
    auto result = check(sloppy, false);
    INFO(result.describe());
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out,
               Catch::Contains("Lint   bare_lf line 4: 1 line ends in LF without CR (RFC 5322 2.3) \"bare\\n\""));
    CHECK_THAT(result.out, Catch::Contains("Lint   long_lines line 6: 1 line is over 998 octets"));
    CHECK_THAT(result.out, Catch::Contains("Lint   missing_date: no Date field"));
    CHECK_THAT(result.out, Catch::Contains("Lint   missing_message_id: "));
    // Without an envelope, 8BITMIME is unknown: no guess.
    CHECK_THAT(result.out, !Catch::Contains("eight_bit"));
  }
  SECTION("as JSON, a \"lint\" array beside the verdict") {
    auto result = check(sloppy, true);
    INFO(result.describe());
    REQUIRE(result.exit_code == 0);
    const auto report = nlohmann::json::parse(result.out);
    REQUIRE(report["lint"].is_array());
    std::vector<std::string> names;
    for (const auto& finding : report["lint"]) {
      names.push_back(finding["name"].get<std::string>());
    }
    CHECK(names == std::vector<std::string>{"bare_lf", "long_lines", "missing_date", "missing_message_id"});
    CHECK(report["lint"][0]["line"] == 4);
    CHECK(report["lint"][0]["excerpt"] == "bare\\n");
    CHECK(report["lint"][2]["line"] == 0);
    CHECK(report.contains("dmarc"));
  }
  SECTION("a clean message says so") {
    const auto clean = dir.write("clean.eml",
                                 "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nFrom: a@yourdomain.test\r\n"
                                 "Message-ID: <1@yourdomain.test>\r\n\r\nhi\r\n");
    auto result = check(clean, false);
    INFO(result.describe());
    CHECK_THAT(result.out, Catch::Contains("Lint   clean"));
    CHECK(nlohmann::json::parse(check(clean, true).out)["lint"].empty());
  }
}

TEST_CASE("expect.lint in the scenario schema names exactly the findings", "[lint][scenario]") {
  std::ifstream in(maildog::test::source_dir() / "schemas" / "scenario.schema.json");
  const auto schema = nlohmann::json::parse(in);
  const auto& lint = schema.at("definitions").at("expect").at("properties").at("lint");
  CHECK(lint.at("additionalProperties") == false);
  std::set<std::string> in_schema;
  for (const auto& [name, property] : lint.at("properties").items()) {
    in_schema.insert(name);
    CHECK(property.at("type") == "boolean");
  }
  std::set<std::string> in_code;
  for (const auto& [kind, name] : maildog::lint::k_kind_names) {
    in_code.emplace(name);
  }
  CHECK(in_schema == in_code);
}
