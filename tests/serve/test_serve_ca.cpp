// `maildog-ci serve` signs its TLS certificate with a CA clients can trust: kept in --data (the
// same CA certificate bytes after a restart, its key mode 0600), new at each start without it
// (in a temporary folder removed on exit); openssl s_client verifies the served leaf with it.
// Covers serve/kept_authority (the CA kept under --data) through the built binary.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct ServeRun {
  fs::path ca_file;
  std::string ca_pem;
  std::string output;
  bool verified = false;  // s_client -verify_return_error with the CA file passed
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts serve with `args`, reads the CA file it names, verifies its leaf, stops it with SIGTERM.
ServeRun serve_once(std::vector<std::string> args) {
  ServeRun run;
  ServeProcess serve(std::move(args));
  REQUIRE(serve.started());
  REQUIRE(serve.wait_for_output("stop with Ctrl-C", 20s));
  run.output = serve.output();
  std::smatch match;
  REQUIRE(std::regex_search(run.output, match, std::regex("TLS certificate signed by the CA in (\\S+) \\(")));
  run.ca_file = match[1].str();
  run.ca_pem = read_bytes(run.ca_file);
  if (program_available("openssl")) {
    ChildResult check = run_child(
        ChildSpec{{"openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:" + std::to_string(serve.port()),
                   "-verify_return_error", "-CAfile", run.ca_file.string(), "-verify_ip", "127.0.0.1"},
                  "QUIT\r\n",
                  {},
                  30s});
    INFO(check.describe());
    run.verified = check.exit_code == 0 && check.out.find("Verify return code: 0 (ok)") != std::string::npos;
  }
  serve.send_signal(SIGTERM);
  auto exit = serve.wait_exit(30s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  return run;
}

}  // namespace

TEST_CASE("serve keeps its CA in --data across restarts and makes a new one without it", "[serve][tls]") {
  if (!program_available("openssl")) {
    MAILDOG_SKIP("openssl is not installed: test skipped (ci/install-deps.sh installs it)");
    return;
  }
  TempDir dir;
  const fs::path config = dir.write("serve.yaml", "server:\n  tls: starttls\n");
  const std::vector<std::string> base{"--config", config.string(), "--smtp-port", "0"};

  SECTION("with --data: the same CA after a restart, its key private") {
    const fs::path data = dir.path() / "data";
    auto args = base;
    args.insert(args.end(), {"--data", data.string()});
    const ServeRun first = serve_once(args);
    CHECK(first.ca_file == fs::absolute(data / "ca.pem"));
    CHECK(first.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    CHECK(first.verified);
    CHECK(first.output.find("(made now, kept in --data)") != std::string::npos);
    struct stat key {};
    REQUIRE(::stat((data / "ca.key").c_str(), &key) == 0);
    CHECK((key.st_mode & 0777) == 0600);

    const ServeRun second = serve_once(args);
    CHECK(second.ca_file == first.ca_file);
    CHECK(second.ca_pem == first.ca_pem);
    CHECK(second.verified);  // the new leaf is signed by the kept CA
    CHECK(second.output.find("(kept in --data)") != std::string::npos);
  }
  SECTION("without --data: a new CA at each start, removed on exit") {
    const ServeRun first = serve_once(base);
    const ServeRun second = serve_once(base);
    CHECK(first.verified);
    CHECK(second.verified);
    CHECK_FALSE(first.ca_pem.empty());
    CHECK(first.ca_pem != second.ca_pem);
    CHECK_FALSE(fs::exists(first.ca_file));
    CHECK_FALSE(fs::exists(second.ca_file.parent_path()));
  }
}
