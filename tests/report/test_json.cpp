#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "report/fixture.hpp"
#include "report/json.hpp"
#include "report/json_schema.hpp"
#include "support/paths.hpp"

using namespace maildog;

namespace {

std::string json_of(const runner::RunResult& run) {
  std::ostringstream out;
  report::write_json(run, out);
  return out.str();
}

std::string schema_errors(const nlohmann::json& document) {
  return report::json_schema_errors(nlohmann::json::parse(report::report_schema()), document);
}

}  // namespace

TEST_CASE("JSON report", "[report][json]") {
  const auto run = test::sample_run();
  const std::string text = json_of(run);
  const auto report = nlohmann::json::parse(text);

  SECTION("fields") {
    CHECK(report["version"] == 1);
    CHECK(report["seed"] == 42);
    CHECK(report["started"] == "2025-06-03T10:00:00.000Z");
    CHECK(report["duration_ms"] == 1045.2);
    CHECK(report["totals"] == nlohmann::json{{"passed", 1}, {"failed", 2}});
    REQUIRE(report["scenarios"].size() == 3);
    const auto& failed = report["scenarios"][1];
    CHECK(failed["status"] == "failed");
    CHECK(failed["error"].is_null());
    CHECK(failed["failures"][0]["expected"] == "RCPT ghost@inbox.test -> 550 5.1.1");
    CHECK(failed["failures"][1]["line"] == 41);
    CHECK(failed["sessions"][1]["transactions"][0]["recipients"][0]["reply"] ==
          nlohmann::json{{"code", 250}, {"enhanced", "2.1.5"}, {"text", "Recipient ok"}});
    CHECK(failed["sessions"][1]["transactions"][0]["recipients"][0]["attempt"] == 2);
    // Invalid UTF-8 from the app becomes U+FFFD instead of breaking the report.
    CHECK(failed["app"]["stderr"].get<std::string>().ends_with("\xef\xbf\xbd\n"));
    const auto& passed = report["scenarios"][0];
    CHECK(passed["sessions"][0]["transcript"][1] ==
          nlohmann::json{{"dir", "client"}, {"text", "EHLO app.test"}, {"offset_us", 310}});
    CHECK(passed["sessions"][0]["transactions"][0]["size"] == 98);
    CHECK(passed["sessions"][0]["transactions"][0]["headers"][2] ==
          nlohmann::json{{"name", "Subject"}, {"value", "Reset your password"}});
    CHECK(passed["sessions"][0]["auth_user"] == "app");
    const auto& error = report["scenarios"][2];
    CHECK(error["status"] == "error");
    CHECK(error["app"]["outcome"] == "failed_to_start");
    CHECK(error["sessions"].empty());
  }
  SECTION("valid against schemas/report.schema.json") {
    CHECK(schema_errors(report) == "");
    CHECK(schema_errors(nlohmann::json::parse(json_of(runner::RunResult{}))) == "");
  }
  SECTION("the schema rejects what it does not describe") {
    auto extra = report;
    extra["scenarios"][0]["unexpected"] = true;
    CHECK(schema_errors(extra) != "");
    auto wrong = report;
    wrong["scenarios"][1]["status"] = "flaky";
    CHECK(schema_errors(wrong) != "");
  }
  SECTION("the embedded schema is schemas/report.schema.json") {
    std::ifstream in(test::source_dir() / "schemas" / "report.schema.json", std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(file == std::string(report::report_schema()));
  }
  SECTION("matches the approved output") {
    const std::string normalised =
        std::regex_replace(text, std::regex(R"("duration_ms": [0-9.eE+-]+)"), R"("duration_ms": 0)");
    CHECK(test::compare_with_golden("run.approved.json", normalised) == "");
  }
}
