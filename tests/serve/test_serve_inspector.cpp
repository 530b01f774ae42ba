// The whole `serve` path in a browser: swaks sends a message with an attachment to the built
// binary, whose sender checks judge it; headless Chromium opens the inspector and shows the
// message in the list, its MIME tree and its SPF result; a screenshot is kept as an artifact.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/chromium.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& dom, std::string_view what) { return dom.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("serve: a message from swaks in the web inspector", "[serve][integration][chromium]") {
  if (!chromium_available("inspector end-to-end test") || !program_available("swaks")) {
    MAILDOG_SKIP("swaks or chromium missing: test skipped");
    return;
  }
  TempDir dir;
  const auto config = dir.path() / "serve.yaml";
  std::ofstream(config) << "name: inspected\n"
                           "dns:\n  example.test: {TXT: \"v=spf1 ip4:203.0.113.5 -all\"}\n"
                           "server:\n  peer: {ip: 203.0.113.5}\n  checks: {spf: report}\n";
  const auto attachment = dir.path() / "report.csv";
  std::ofstream(attachment) << "month,sent\nNovember,1200\n";
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());

  ChildSpec send;
  send.argv = {"swaks",
               "--server",
               "127.0.0.1:" + std::to_string(serve.port()),
               "--from",
               "app@example.test",
               "--to",
               "user@inbox.test",
               "--header",
               "Subject: Monthly report",
               "--body",
               "The report is attached.",
               "--attach-type",
               "text/csv",
               "--attach-name",
               "report.csv",
               "--attach",
               "@" + attachment.string()};
  send.timeout = std::chrono::seconds(30);
  const auto sent = run_child(send);
  INFO(sent.describe());
  REQUIRE(sent.exit_code == 0);
  REQUIRE(serve.wait_for_output("message 1:", std::chrono::seconds(10)));

  const std::string page = "http://127.0.0.1:" + std::to_string(serve.http_port()) + "/#/messages/1";
  const auto dump = run_chromium(dir.path(), {"--virtual-time-budget=5000", "--dump-dom", page});
  INFO(dump.err.substr(0, 2000));
  REQUIRE(dump.exit_code == 0);
  const std::string& dom = dump.out;
  INFO(dom.substr(0, 6000));
  CHECK(has(dom, "<span class=\"subject\">Monthly report</span>"));
  CHECK(has(dom, "<span class=\"type\">multipart/mixed</span>"));
  CHECK(has(dom, "text/csv"));
  CHECK(has(dom, "report.csv"));
  CHECK(has(dom, "<td>spf</td><td><span class=\"result-pass\">pass</span></td>"));

  const fs::path artifacts = fs::current_path() / "artifacts";
  fs::create_directories(artifacts);
  const fs::path png = artifacts / "serve-inspector.png";
  fs::remove(png);
  const auto shot = run_chromium(dir.path(), {"--virtual-time-budget=5000", "--screenshot=" + png.string(),
                                              "--window-size=1280,900", page});
  REQUIRE(shot.exit_code == 0);
  std::ifstream in(png, std::ios::binary);
  std::stringstream image;
  image << in.rdbuf();
  WARN("screenshot of the inspector after swaks: " << png.string() << " (" << image.str().size() << " bytes)");
  CHECK(image.str().size() > 10 * 1024);
}
