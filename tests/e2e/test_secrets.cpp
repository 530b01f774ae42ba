// End-to-end: a password given through ${VAR} never reaches a report, an artifact or the
// console, in clear or in the base64 that AUTH PLAIN and LOGIN carry it in, even from an app
// that prints it, logs its AUTH commands and puts it in the messages it sends.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/maildog_run.hpp"
#include "report/artifacts.hpp"
#include "smtp/sasl.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;
using maildog::smtp::sasl::base64_encode;

namespace {

const std::string k_password = "Vq9-hunter2-xZ7pL";
const std::string k_wrong_password = "Wr0ng-pa55-Kj4tQ";

// Every form a password travels in: clear, AUTH LOGIN (base64), AUTH PLAIN (base64 of
// "\0user\0password", and with the authorisation id spelled out).
std::vector<std::pair<std::string, std::string>> forbidden_forms() {
  const std::string nul(1, '\0');
  std::vector<std::pair<std::string, std::string>> forms;
  for (const auto& password : {k_password, k_wrong_password}) {
    forms.emplace_back(password, password);
    forms.emplace_back("LOGIN base64 of " + password, base64_encode(password));
    forms.emplace_back("PLAIN base64 of " + password, base64_encode(nul + "app" + nul + password));
    forms.emplace_back("PLAIN base64 with authzid of " + password, base64_encode("app" + nul + "app" + nul + password));
  }
  return forms;
}

}  // namespace

TEST_CASE("passwords never appear in any report, artifact or log", "[e2e][secrets]") {
  TempDir dir;
  const fs::path junit = dir.path() / "report.xml";
  const fs::path json = dir.path() / "report.json";
  const fs::path html = dir.path() / "report.html";
  const fs::path artifacts = dir.path() / "artifacts";
  auto run = run_maildog({"run", (source_dir() / "tests" / "e2e" / "secrets" / "auth_secrets.yaml").string(), "--seed",
                          "3", "--junit", junit.string(), "--json", json.string(), "--html", html.string(),
                          "--artifacts", artifacts.string()},
                         {{"MAILDOG_TEST_PASSWORD", k_password}, {"MAILDOG_TEST_WRONG_PASSWORD", k_wrong_password}});
  REQUIRE(run.exit_code == 1);
  REQUIRE_THAT(run.out, Catch::Contains("1 passed, 1 failed"));

  std::vector<std::pair<std::string, std::string>> outputs{{"stdout", run.out}, {"stderr", run.err}};
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file()) {
      outputs.emplace_back(entry.path().string(), read_text(entry.path()));
    }
  }
  // Three reports, two transcripts and the two messages the first scenario delivered.
  REQUIRE(outputs.size() >= 2 + 3 + 2 + 2);

  SECTION("no form of either password anywhere") {
    for (const auto& [name, text] : outputs) {
      for (const auto& [form, value] : forbidden_forms()) {
        CAPTURE(name, form);
        CHECK(text.find(value) == std::string::npos);
      }
    }
  }
  SECTION("*** stands where the AUTH payloads and the password were") {
    const std::string junit_text = read_text(junit);
    CHECK_THAT(junit_text, Catch::Contains("C: AUTH PLAIN ***") && Catch::Contains("C: AUTH LOGIN ***") &&
                               Catch::Contains("\nC: ***\n"));
    CHECK_THAT(read_text(html), Catch::Contains("C: AUTH PLAIN ***") && Catch::Contains("X-App-Password: ***"));
    const fs::path first =
        artifacts / maildog::report::artifact_name(0, "AUTH PLAIN and LOGIN with a password from the environment");
    CHECK_THAT(read_text(first / "transcript.txt"), Catch::Contains("C: AUTH LOGIN ***"));
    CHECK_THAT(read_text(first / "message-1-1.eml"),
               Catch::Contains("X-App-Password: ***\r\n") && Catch::Contains("logged in as app with ***"));
    // The console's failure report quotes the app's output and the transcript around AUTH.
    CHECK_THAT(run.out, Catch::Contains("with password ***") && Catch::Contains("C: AUTH PLAIN ***"));

    const auto report = nlohmann::json::parse(read_text(json));
    REQUIRE(report["scenarios"].size() == 2);
    for (const auto& scenario : report["scenarios"]) {
      CAPTURE(scenario["name"]);
      const auto& app = scenario["app"];
      CHECK_THAT(app["stdout"].get<std::string>(), Catch::Contains("logging in as app with password ***"));
      // smtplib's debug output: the AUTH command with its payload.
      CHECK_THAT(app["stderr"].get<std::string>(), Catch::Contains("AUTH PLAIN ***"));
    }
    const auto& failed = report["scenarios"][1];
    CHECK(failed["status"] == "failed");
    bool context_has_auth = false;
    for (const auto& failure : failed["failures"]) {
      for (const auto& line : failure["context"]) {
        context_has_auth = context_has_auth || line == "C: AUTH PLAIN ***";
      }
    }
    CHECK(context_has_auth);
    const auto& headers = report["scenarios"][0]["sessions"][0]["transactions"][0]["headers"];
    CHECK(std::find(headers.begin(), headers.end(), nlohmann::json{{"name", "X-App-Password"}, {"value", "***"}}) !=
          headers.end());
  }
}
