// Refusals in the web inspector, end to end: swaks is refused by a real `serve` (an unknown RCPT,
// DMARC at the end of data, a partly refused message, a dropped connection), and headless
// Chromium shows each in the attempt list and opens a refusal on its cause, highlighted in the
// transcript, with the diagnosis beside it; filters from the page's query; the dark theme;
// markup in a subject stays text; keyboard navigation (j/k, Enter, /) over the DevTools pipe
// (inspector_keys.py). Screenshots of the list and of a refusal's detail are kept
// as artifacts in the test's working folder (artifacts/inspector-attempts.png,
// artifacts/inspector-refusal.png, artifacts/inspector-refusal-dark.png).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/chromium.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& dom, std::string_view what) { return dom.find(what) != std::string::npos; }

std::size_t count(const std::string& dom, std::string_view what) {
  std::size_t found = 0;
  for (auto at = dom.find(what); at != std::string::npos; at = dom.find(what, at + 1)) {
    ++found;
  }
  return found;
}

ChildResult swaks(std::uint16_t port, const std::string& from, const std::string& to, const std::string& subject) {
  ChildSpec spec;
  spec.argv = {"swaks",
               "--server",
               "127.0.0.1:" + std::to_string(port),
               "--from",
               from,
               "--to",
               to,
               "--header",
               "Subject: " + subject,
               "--body",
               "hello <i>from</i> swaks"};
  spec.timeout = 30s;
  return run_child(spec);
}

// The id of the attempt /api/v1/wait finds for `query`.
std::uint64_t attempt_id(std::uint16_t http_port, const std::string& query) {
  ChildSpec spec;
  spec.argv = {"curl", "-sSf", "--max-time", "30",
               "http://127.0.0.1:" + std::to_string(http_port) + "/api/v1/wait?timeout=20&" + query};
  spec.timeout = 40s;
  const auto result = run_child(spec);
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out).at("id").get<std::uint64_t>();
}

std::string dom_of(const fs::path& profile, const std::string& page, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--virtual-time-budget=5000", "--dump-dom"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(page);
  const auto dump = run_chromium(profile, args);
  INFO(dump.err.substr(0, 2000));
  REQUIRE(dump.exit_code == 0);
  return dump.out;
}

void screenshot(const fs::path& profile, const std::string& page, const std::string& name,
                std::vector<std::string> extra = {}) {
  const fs::path artifacts = fs::current_path() / "artifacts";
  fs::create_directories(artifacts);
  const fs::path png = artifacts / name;
  fs::remove(png);
  std::vector<std::string> args{"--virtual-time-budget=5000", "--screenshot=" + png.string(), "--window-size=1400,900"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(page);
  const auto shot = run_chromium(profile, args);
  INFO(shot.err.substr(0, 2000));
  REQUIRE(shot.exit_code == 0);
  std::ifstream in(png, std::ios::binary);
  std::stringstream image;
  image << in.rdbuf();
  WARN("inspector screenshot: " << png.string() << " (" << image.str().size() << " bytes)");
  CHECK(image.str().size() > 10 * 1024);
  CHECK(image.str().substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8));
}

}  // namespace

TEST_CASE("serve: refusals in the web inspector", "[serve][integration][chromium][attempts]") {
  if (!chromium_available("inspector refusal test") || !program_available("swaks") || !program_available("curl")) {
    MAILDOG_SKIP("swaks, curl or chromium missing: test skipped");
    return;
  }
  TempDir dir;
  const auto config = dir.path() / "serve.yaml";
  std::ofstream(config) << "name: refusals in the inspector\n"
                           "dns:\n"
                           "  yourdomain.test: {TXT: \"v=spf1 ip4:203.0.113.5 -all\"}\n"
                           "  _dmarc.yourdomain.test: {TXT: \"v=DMARC1; p=reject\"}\n"
                           "server:\n"
                           "  peer: {ip: 198.51.100.7, helo: mail.yourdomain.test}\n"
                           "  checks: {spf: report, dmarc: enforce}\n"
                           "  mailboxes: [user@inbox.test]\n"
                           "  rules:\n"
                           "    - {at: data, match: {mail_from: drop@example.test}, fault: drop}\n";
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto port = serve.port();
  const auto http = serve.http_port();

  CHECK(swaks(port, "app@example.test", "ghost@inbox.test", "to nobody").exit_code != 0);
  const auto ghost = attempt_id(http, "status=refused&reason=unknown_user");
  CHECK(swaks(port, "app@yourdomain.test", "user@inbox.test", "Your invoice").exit_code != 0);
  const auto dmarc = attempt_id(http, "status=refused&reason=dmarc");
  CHECK(swaks(port, "app@example.test", "user@inbox.test,ghost2@inbox.test", "<b>bold</b><img src=x onerror=alert(1)>")
            .exit_code == 0);
  const auto partial = attempt_id(http, "status=partial");
  swaks(port, "drop@example.test", "user@inbox.test", "dropped");
  const auto dropped = attempt_id(http, "status=refused&from=drop@");
  const std::string base = "http://127.0.0.1:" + std::to_string(http) + "/";

  SECTION("the list: every attempt marked, with reply and reason; markup stays text") {
    const auto dom = dom_of(dir.path(), base);
    INFO(dom.substr(0, 8000));
    CHECK(count(dom, "data-status=\"refused\"") == 3);
    CHECK(count(dom, "data-status=\"partial\"") == 1);
    CHECK(has(dom,
              "<span class=\"badge refused\">refused</span><span class=\"reply-code\">550 5.1.1</span> "
              "<span class=\"reason\">unknown_user</span>"));
    CHECK(has(dom, "<span class=\"reply-code\">550 5.7.26</span> <span class=\"reason\">dmarc</span>"));
    CHECK(has(dom, "<span class=\"badge partial\">partly refused</span>"));
    CHECK(has(dom, "<span class=\"subject\">&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;</span>"));
    CHECK_FALSE(has(dom, "<b>bold</b>"));
    CHECK(has(dom, " s ago</time>"));
    CHECK(has(dom, "data-theme=\"light\""));
    screenshot(dir.path(), base + "#/attempts/" + std::to_string(ghost), "inspector-attempts.png");
  }
  SECTION("a refused RCPT opens on the envelope field, highlighted in the transcript") {
    const auto dom = dom_of(dir.path(), base + "#/attempts/" + std::to_string(ghost));
    INFO(dom.substr(0, 12000));
    CHECK(has(dom, "RCPT TO <mark class=\"cause-value\">&lt;ghost@inbox.test&gt;</mark> was refused (unknown_user)"));
    CHECK(has(dom, "class=\"server cause\""));
    CHECK(has(dom, "S: 550 5.1.1 &lt;ghost@inbox.test&gt;"));
    CHECK(has(dom, "class=\"client cause-command\""));
    CHECK(has(dom, "C: RCPT TO:&lt;ghost@inbox.test&gt;"));
    CHECK(has(dom, "class=\"diagnosis-title\""));
    CHECK(has(dom, "<h4>Fixes</h4>"));
  }
  SECTION("a DMARC refusal at end of data shows the DMARC result as its cause") {
    const auto page = base + "#/attempts/" + std::to_string(dmarc);
    const auto dom = dom_of(dir.path(), page);
    INFO(dom.substr(0, 12000));
    CHECK(has(dom, "<mark class=\"cause-value\">DMARC result: fail</mark> refused it at the end of data"));
    CHECK(has(dom, "<td>dmarc</td><td><span class=\"result-fail\">fail</span></td>"));
    CHECK(has(dom, "class=\"server cause\""));
    CHECK(has(dom, "S: 550 5.7.26"));
    // The check's verdict in the transcript is marked with the refusing reply.
    CHECK(has(dom, "<span class=\"event cause-command\" data-line=\""));
    CHECK(has(dom, "* checks: spf=fail dkim=none dmarc=fail (p=reject)"));
    screenshot(dir.path(), page, "inspector-refusal.png");
  }
  SECTION("a partly refused message links to the message kept") {
    const auto dom = dom_of(dir.path(), base + "#/attempts/" + std::to_string(partial));
    INFO(dom.substr(0, 12000));
    CHECK(has(dom, "<span class=\"badge partial\">partly refused</span>"));
    CHECK(has(dom, "RCPT TO <mark class=\"cause-value\">&lt;ghost2@inbox.test&gt;</mark> was refused (unknown_user)"));
    CHECK(has(dom, "open message #1 (kept for the accepted recipients)"));
    CHECK_FALSE(has(dom, "<b>bold</b>"));
  }
  SECTION("a dropped connection shows the fault") {
    const auto dom = dom_of(dir.path(), base + "#/attempts/" + std::to_string(dropped));
    INFO(dom.substr(0, 12000));
    CHECK(has(dom, "a fault rule: <mark class=\"cause-value\">drop</mark> (no reply was sent)"));
    CHECK(has(dom, "class=\"event cause\""));
  }
  SECTION("filters from the page's query") {
    const auto dom = dom_of(dir.path(), base + "?status=refused&reason=dmarc");
    INFO(dom.substr(0, 8000));
    CHECK(count(dom, "data-status=\"refused\"") == 1);
    CHECK(count(dom, "data-status=\"partial\"") == 0);
    CHECK(has(dom, "<span class=\"reason\">dmarc</span>"));
    const auto by_code = dom_of(dir.path(), base + "?enhanced=5.1.1");
    CHECK(count(by_code, "data-status=") == 2);  // ghost, and the partial one's ghost2
    const auto by_address = dom_of(dir.path(), base + "?q=drop@");
    CHECK(count(by_address, "data-status=") == 1);
  }
  SECTION("the dark theme follows the system setting") {
    const auto page = base + "#/attempts/" + std::to_string(dmarc);
    const auto dom = dom_of(dir.path(), page, {"--force-dark-mode", "--blink-settings=preferredColorScheme=0"});
    CHECK(has(dom, "data-theme=\"dark\""));
    screenshot(dir.path(), page, "inspector-refusal-dark.png",
               {"--force-dark-mode", "--blink-settings=preferredColorScheme=0"});
  }
  SECTION("keyboard: j and k move, Enter opens, / goes to the filter") {
    ChildSpec keys;
    keys.argv = {"/usr/bin/python3", (source_dir() / "tests" / "serve" / "inspector_keys.py").string(), base,
                 (dir.path() / "keys-profile").string()};
    keys.timeout = 90s;
    const auto result = run_child(keys);
    INFO(result.describe());
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("keyboard navigation: ok") != std::string::npos);
  }
}
