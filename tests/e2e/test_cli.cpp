// End-to-end: the built maildog-ci binary on scenario files, as users and CI run it. These
// drive src/cli/run_command.cpp and src/cli/validate_command.cpp through the real executable.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "report/json_schema.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

ChildResult run_maildog(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  ChildSpec spec;
  spec.argv = {binary_path().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.environment = {{"NO_COLOR", "1"}};
  spec.timeout = timeout;
  return run_child(spec);
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("maildog-e2e-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("--help and --version", "[e2e]") {
  auto help = run_maildog({"--help"});
  REQUIRE(help.exit_code == 0);
  REQUIRE_THAT(help.out, Catch::Contains("run") && Catch::Contains("validate") && Catch::Contains("Exit codes"));
  auto version = run_maildog({"--version"});
  REQUIRE(version.exit_code == 0);
  REQUIRE_THAT(version.out, Catch::StartsWith("maildog-ci "));
  auto run_help = run_maildog({"run", "--help"});
  REQUIRE_THAT(run_help.out,
               Catch::Contains("--junit") && Catch::Contains("--fail-fast") && Catch::Contains("Examples"));
  REQUIRE(run_maildog({"--bogus"}).exit_code == 2);
}

TEST_CASE("every bundled scenario passes, and the reports validate", "[e2e]") {
  fs::path junit = scratch("bundled.xml");
  fs::path json = scratch("bundled.json");
  auto run = run_maildog(
      {"run", (source_dir() / "scenarios").string(), "-j", "2", "--junit", junit.string(), "--json", json.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  REQUIRE_THAT(run.out, Catch::Contains(" passed, 0 failed"));

  SECTION("JSON report against schemas/report.schema.json") {
    auto report = nlohmann::json::parse(read_file(json));
    auto schema_json = nlohmann::json::parse(read_file(source_dir() / "schemas" / "report.schema.json"));
    CHECK(maildog::report::json_schema_errors(schema_json, report) == "");
    REQUIRE(report["scenarios"].size() >= 9);
  }
  SECTION("JUnit report against the Jenkins junit-10.xsd, with file and line stripped") {
    auto conformance = conformance_dir();
    if (!conformance) {
      skip_test("no conformance data (MAILDOG_CONFORMANCE_DIR): the JUnit XSD check");
      return;
    }
    std::string xml = read_file(junit);
    REQUIRE_THAT(xml, Catch::Contains("file=\"") && Catch::Contains("line=\""));
    xml = std::regex_replace(xml, std::regex(R"( (file|line)="[^"]*")"), "");
    fs::path stripped = scratch("stripped.xml");
    std::ofstream(stripped) << xml;
    if (!program_available("xmllint")) {
      FAIL("xmllint is missing: run ci/install-deps.sh");
    }
    ChildSpec lint_spec;
    lint_spec.argv = {"xmllint", "--noout", "--schema", (*conformance / "junit-xsd" / "junit-10.xsd").string(),
                      stripped.string()};
    auto lint = run_child(lint_spec);
    INFO(lint.describe());
    REQUIRE(lint.exit_code == 0);
  }
}

TEST_CASE("meant-to-fail scenarios fail with the right message", "[e2e]") {
  fs::path failing = source_dir() / "tests" / "e2e" / "failing";
  struct Case {
    std::string file;
    std::vector<std::string> messages;
  };
  auto row = GENERATE(values<Case>({
      {"wrong_reply.yaml", {"expect.replies[0]", "550 5.1.1"}},
      {"step_mismatch.yaml",
       {"expected: MAIL FROM:<a@client.test> -> 550 5.1.0", "actual:   MAIL FROM:<a@client.test> -> 250 2.1.0"}},
      {"retries_a_5xx.yaml", {"expect.retries[0]", "expect.delivered[0]"}},
      {"hanging_app.yaml", {"expect.app.timed_out", "timed out after 500ms"}},
      {"app_cannot_start.yaml", {"ERROR app that cannot start", "cannot execute 'no-such-program-xyz'"}},
      {"app_exit.yaml", {"expect.app", "goodbye"}},
  }));
  CAPTURE(row.file);
  auto run = run_maildog({"run", (failing / row.file).string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);
  for (const auto& message : row.messages) {
    REQUIRE_THAT(run.out, Catch::Contains(message));
  }
  REQUIRE_THAT(run.out, Catch::Contains("0 passed, 1 failed"));
  REQUIRE_THAT(run.out, Catch::Contains(row.file));
}

TEST_CASE("malformed scenarios exit 2 with file:line:col", "[e2e]") {
  fs::path corpus = source_dir() / "tests" / "scenario" / "malformed";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 30);
  const std::regex expectation(R"(# expect-error: (\d+):(\d+) (.*))");
  for (const auto& file : files) {
    CAPTURE(file);
    auto validate = run_maildog({"validate", file.string()});
    INFO(validate.describe());
    REQUIRE(validate.exit_code == 2);
    std::istringstream lines(read_file(file));
    std::string line;
    std::size_t expected = 0;
    while (std::getline(lines, line)) {
      std::smatch match;
      if (std::regex_search(line, match, expectation)) {
        ++expected;
        // A problem with the whole file (line 0) is reported as "file: error: ...".
        std::string location = match[1].str() == "0"
                                   ? file.string() + ": error:"
                                   : file.string() + ":" + match[1].str() + ":" + match[2].str() + ":";
        REQUIRE_THAT(validate.err, Catch::Contains(location) && Catch::Contains(match[3].str()));
      }
    }
    REQUIRE(expected > 0);
    REQUIRE(run_maildog({"run", file.string()}).exit_code == 2);
  }
}

TEST_CASE("validate and run print warnings at file:line:col and keep the exit code", "[e2e]") {
  fs::path scenario = scratch("warned.yaml");
  std::ofstream(scenario) << "name: an app field under env\n"
                             "app:\n"
                             "  run: [\"true\"]\n"
                             "  env:\n"
                             "    timeout: 20s\n";
  const std::string warning = scenario.string() + ":5:5: warning: app.env.timeout sets an environment variable";
  auto validate = run_maildog({"validate", scenario.string()});
  INFO(validate.describe());
  REQUIRE(validate.exit_code == 0);
  REQUIRE_THAT(validate.err, Catch::Contains(warning));
  auto run = run_maildog({"run", scenario.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  REQUIRE_THAT(run.err, Catch::Contains(warning));

  fs::path dnsbl = scratch("dnsbl.yaml");
  std::ofstream(dnsbl) << "name: a forward DNSBL name\n"
                          "dns:\n"
                          "  192.0.2.1.zen.dnsbl.test: {A: [127.0.0.2]}\n"
                          "server: {peer: {ip: 192.0.2.1}, checks: {dnsbl: [zen.dnsbl.test]}}\n"
                          "client: {steps: [{quit: true}]}\n";
  auto listed = run_maildog({"validate", dnsbl.string()});
  INFO(listed.describe());
  REQUIRE(listed.exit_code == 0);
  REQUIRE_THAT(listed.err,
               Catch::Contains(dnsbl.string() + ":3:3: warning: 192.0.2.1.zen.dnsbl.test lists 1.2.0.192") &&
                   Catch::Contains("write 1.2.0.192.zen.dnsbl.test"));
}

TEST_CASE("a hanging app is killed and leaves no process behind", "[e2e]") {
  fs::path pid_file = scratch("hang.pid");
  fs::path scenario = scratch("hang.yaml");
  std::ofstream(scenario) << "name: hang\napp:\n  run: 'sleep 120 & echo $! > " << pid_file.string()
                          << "; sleep 120'\n  timeout: 400ms\nexpect:\n  app: {exit: 0}\n";
  auto run = run_maildog({"run", scenario.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);
  REQUIRE_THAT(run.out, Catch::Contains("timed out"));
  pid_t grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  REQUIRE(grandchild > 0);
  REQUIRE(::kill(grandchild, 0) == -1);
}

TEST_CASE("exit code 2 for bad usage and missing paths", "[e2e]") {
  REQUIRE(run_maildog({"run"}).exit_code == 2);
  auto missing = run_maildog({"run", "/nonexistent/scenarios"});
  REQUIRE(missing.exit_code == 2);
  REQUIRE_THAT(missing.err, Catch::Contains("/nonexistent/scenarios"));
}

// Drives src/cli/keygen_command.cpp.
TEST_CASE("keygen writes a private key and prints the DNS record", "[e2e][keygen]") {
  fs::path prefix = scratch("s1");
  auto keygen = run_maildog(
      {"keygen", "--type", "ed25519", "--selector", "s1", "--domain", "example.test", "--out", prefix.string()});
  INFO(keygen.describe());
  REQUIRE(keygen.exit_code == 0);
  REQUIRE_THAT(keygen.out, Catch::Contains("s1._domainkey.example.test IN TXT \"v=DKIM1; k=ed25519; p="));
  REQUIRE_THAT(read_file(prefix.string() + ".key"), Catch::StartsWith("-----BEGIN PRIVATE KEY-----"));
}

// Drives src/cli/check_command.cpp: SPF and DMARC of a saved message against a DNS fixture.
TEST_CASE("check judges a message against a DNS fixture", "[e2e][check]") {
  fs::path message = scratch("message.eml");
  std::ofstream(message) << "From: Billing <billing@example.test>\r\nTo: you@inbox.test\r\n"
                            "Subject: invoice\r\n\r\nhello\r\n";
  fs::path dns = scratch("dns.yaml");
  std::ofstream(dns) << "example.test: {TXT: \"v=spf1 ip4:203.0.113.5 -all\"}\n"
                        "_dmarc.example.test: {TXT: \"v=DMARC1; p=reject\"}\n";
  auto check = [&](const std::string& ip) {
    return run_maildog({"check", message.string(), "--client-ip", ip, "--helo", "mail.example.test", "--mail-from",
                        "billing@example.test", "--dns", dns.string(), "--no-ptr"});
  };
  auto pass = check("203.0.113.5");
  INFO(pass.describe());
  REQUIRE(pass.exit_code == 0);
  REQUIRE_THAT(pass.out, Catch::Contains("spf=pass") && Catch::Contains("dmarc=pass"));
  auto forged = check("198.51.100.9");
  INFO(forged.describe());
  REQUIRE(forged.exit_code == 0);  // a verdict, not a failure of the command
  REQUIRE_THAT(forged.out, Catch::Contains("spf=fail") && Catch::Contains("dmarc=fail"));
  auto json = run_maildog({"check", message.string(), "--client-ip", "198.51.100.9", "--helo", "mail.example.test",
                           "--mail-from", "billing@example.test", "--dns", dns.string(), "--no-ptr", "--json"});
  INFO(json.describe());
  auto verdict = nlohmann::json::parse(json.out);
  REQUIRE(verdict["spf"]["result"] == "fail");
  REQUIRE(verdict["dmarc"]["result"] == "fail");
  REQUIRE(verdict["dmarc"]["policy"] == "reject");
  REQUIRE(verdict["dkim"].empty());
  REQUIRE(run_maildog({"check", message.string(), "--client-ip", "not-an-ip", "--helo", "h"}).exit_code == 2);
}

// Drives src/cli/sign_command.cpp: a key from keygen signs a message that check then verifies
// against the printed record, and one changed body byte breaks the signature.
TEST_CASE("sign adds a DKIM signature that check verifies", "[e2e][sign]") {
  fs::path prefix = scratch("sign-key");
  auto keygen = run_maildog(
      {"keygen", "--type", "ed25519", "--selector", "sel", "--domain", "example.test", "--out", prefix.string()});
  INFO(keygen.describe());
  REQUIRE(keygen.exit_code == 0);
  const auto first_quote = keygen.out.find('"');
  const auto last_quote = keygen.out.rfind('"');
  REQUIRE(first_quote != std::string::npos);
  REQUIRE(last_quote > first_quote);
  const std::string record = keygen.out.substr(first_quote + 1, last_quote - first_quote - 1);
  fs::path dns = scratch("sign-dns.yaml");
  std::ofstream(dns) << "sel._domainkey.example.test: {TXT: \"" << record << "\"}\n";

  fs::path message = scratch("sign-message.eml");
  std::ofstream(message) << "From: Billing <billing@example.test>\r\nTo: you@inbox.test\r\n"
                            "Subject: invoice\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n\r\nhello\r\n";
  fs::path signed_message = scratch("sign-signed.eml");
  auto sign = run_maildog({"sign", message.string(), "--key", prefix.string() + ".key", "--selector", "sel", "--domain",
                           "example.test", "--headers", "from:to:subject:date", "--out", signed_message.string()});
  INFO(sign.describe());
  REQUIRE(sign.exit_code == 0);
  const std::string signed_text = read_file(signed_message);
  REQUIRE_THAT(signed_text, Catch::StartsWith("DKIM-Signature: ") && Catch::Contains("a=ed25519-sha256"));

  auto dkim_result = [&](const fs::path& path) {
    auto check = run_maildog({"check", path.string(), "--client-ip", "203.0.113.5", "--helo", "mail.example.test",
                              "--mail-from", "billing@example.test", "--dns", dns.string(), "--no-ptr", "--json"});
    INFO(check.describe());
    REQUIRE(check.exit_code == 0);
    auto verdict = nlohmann::json::parse(check.out);
    REQUIRE(verdict["dkim"].size() == 1);
    return verdict["dkim"][0]["result"].get<std::string>();
  };
  REQUIRE(dkim_result(signed_message) == "pass");

  std::string tampered_text = signed_text;
  const auto body = tampered_text.find("\r\n\r\nhello");
  REQUIRE(body != std::string::npos);
  tampered_text[body + 4] = 'j';
  fs::path tampered = scratch("sign-tampered.eml");
  std::ofstream(tampered, std::ios::binary) << tampered_text;
  REQUIRE(dkim_result(tampered) == "fail");

  SECTION("a missing key or message is exit 2 with the path") {
    auto no_key = run_maildog(
        {"sign", message.string(), "--key", "/nonexistent/key.pem", "--selector", "sel", "--domain", "example.test"});
    REQUIRE(no_key.exit_code == 2);
    REQUIRE_THAT(no_key.err, Catch::Contains("/nonexistent/key.pem"));
    auto no_message = run_maildog({"sign", "/nonexistent/m.eml", "--key", prefix.string() + ".key", "--selector", "sel",
                                   "--domain", "example.test"});
    REQUIRE(no_message.exit_code == 2);
    REQUIRE_THAT(no_message.err, Catch::Contains("/nonexistent/m.eml"));
    auto bad_key = run_maildog({"sign", message.string(), "--key", message.string(), "--selector", "sel", "--domain",
                                "example.test", "--type", "rsa"});
    REQUIRE(bad_key.exit_code == 2);
  }
}
