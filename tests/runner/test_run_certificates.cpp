// The run's CA: written to a temporary file removed with the run, or to the --ca-file path (kept);
// each scenario's app gets that file in MAILDOG_SMTP_CA_FILE and {{smtp.ca_file}}, and a sandbox
// with TLS presents a leaf the CA file verifies (checked by openssl verify, a real client).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runner/run_certificates.hpp"
#include "runner/scenario_run.hpp"
#include "scenario/loader.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the run's CA file: temporary and removed, or where --ca-file says and kept", "[runner][tls]") {
  fs::path temporary;
  {
    runner::RunCertificates certificates;
    temporary = certificates.ca_file();
    CHECK(read_bytes(temporary) == certificates.authority().certificate_pem());
  }
  CHECK_FALSE(fs::exists(temporary));
  CHECK_FALSE(fs::exists(temporary.parent_path()));

  test::TempDir dir;
  const fs::path chosen = dir.path() / "nested" / "ca.pem";
  {
    runner::RunCertificates certificates(chosen);
    CHECK(certificates.ca_file() == chosen);
  }
  CHECK(read_bytes(chosen).starts_with("-----BEGIN CERTIFICATE-----"));
}

TEST_CASE("an app gets the run's CA file and verifies the sandbox's leaf with it", "[runner][tls]") {
  if (!test::program_available("openssl")) {
    MAILDOG_SKIP("openssl is not installed: test skipped (ci/install-deps.sh installs it)");
    return;
  }
  test::TempDir dir;
  auto loaded = scenario::load_text(R"(
name: the app sees the CA file
server: {tls: implicit, hostname: mail.example.test}
app:
  run: >-
    test "$MAILDOG_SMTP_CA_FILE" = "{{smtp.ca_file}}" &&
    openssl s_client -connect 127.0.0.1:{{smtp.port}} -verify_return_error -CAfile "{{smtp.ca_file}}"
    -verify_hostname mail.example.test < /dev/null
)",
                                    dir.path() / "scenario.yaml", scenario::Environment::from_map({}));
  REQUIRE(loaded.diagnostics.empty());
  runner::RunOptions options;
  options.certificates = std::make_shared<const runner::RunCertificates>(dir.path() / "ca.pem");
  const auto result = runner::run_scenario(loaded.scenarios.front(), options);
  REQUIRE(result.app);
  INFO(result.app->stdout_text << result.app->stderr_text);
  CHECK(result.app->exit_code == 0);
  CHECK(result.app->stdout_text.find("Verify return code: 0 (ok)") != std::string::npos);
}
