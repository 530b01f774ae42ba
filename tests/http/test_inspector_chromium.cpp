// The web inspector in headless Chromium against a live ApiServer: the list shows the message,
// opening it by URL fragment shows its MIME tree and auth results, markup from the message stays
// text, and a screenshot is kept in the build tree.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/api_fixture.hpp"
#include "support/child.hpp"
#include "support/chromium.hpp"
#include "support/temp_dir.hpp"

using namespace maildog;
using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_png_magic = "\x89PNG\r\n\x1a\n";

bool has(const std::string& dom, std::string_view what) { return dom.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("the web inspector renders in headless Chromium", "[http][chromium]") {
  if (!chromium_available("inspector rendering test")) {
    return;
  }
  ApiFixture api;
  TempDir dir;
  const std::string page = api.url("/#/messages/" + std::to_string(api.multipart_id));

  SECTION("the list and the opened message") {
    const auto dump = run_chromium(dir.path(), {"--virtual-time-budget=5000", "--dump-dom", page});
    INFO(dump.err.substr(0, 2000));
    REQUIRE(dump.exit_code == 0);
    const std::string& dom = dump.out;
    INFO(dom.substr(0, 6000));
    // The list, with both subjects.
    CHECK(has(dom, "<span class=\"subject\">Reset your password \xE2\x9C\x93</span>"));
    CHECK(has(dom, "<span class=\"subject\">Weekly digest</span>"));
    CHECK(has(dom, "<h2 id=\"message-subject\">Reset your password \xE2\x9C\x93</h2>"));
    // The MIME tree.
    CHECK(has(dom, "<span class=\"type\">multipart/mixed</span>"));
    CHECK(has(dom, "<span class=\"type\">1 multipart/alternative</span>"));
    CHECK(has(dom, "<span class=\"type\">1.2 text/html</span>"));
    CHECK(has(dom, "<span class=\"type\">2 application/pdf</span>"));
    CHECK(has(dom, "invoice.pdf"));
    // Auth results with the reason.
    CHECK(has(dom, "<td>dkim</td><td><span class=\"result-fail\">fail</span></td><td>body hash did not verify</td>"));
    CHECK(has(dom, "<td>spf</td><td><span class=\"result-pass\">pass</span></td>"));
    // Envelope and transcript.
    CHECK(has(dom, "ghost@inbox.test"));
    CHECK(has(dom, "S: 550 5.1.1 &lt;ghost@inbox.test&gt;: Recipient address rejected: User unknown"));
    // The HTML body is in a sandboxed frame without scripts; markup elsewhere stays text.
    CHECK(has(dom, "sandbox=\"\""));
    CHECK(has(dom, "&lt;script&gt;document.title='pwned'&lt;/script&gt;"));  // in the raw source tab
    CHECK_FALSE(has(dom, "<title>pwned"));
  }
  SECTION("a screenshot") {
    const fs::path artifacts = fs::current_path() / "artifacts";
    fs::create_directories(artifacts);
    const fs::path png = artifacts / "inspector.png";
    fs::remove(png);
    const auto shot = run_chromium(dir.path(), {"--virtual-time-budget=5000", "--screenshot=" + png.string(),
                                                "--window-size=1280,900", page});
    INFO(shot.err.substr(0, 2000));
    REQUIRE(shot.exit_code == 0);
    std::ifstream in(png, std::ios::binary);
    std::stringstream image;
    image << in.rdbuf();
    WARN("screenshot of the web inspector: " << png.string() << " (" << image.str().size() << " bytes)");
    REQUIRE(image.str().size() > 10 * 1024);
    CHECK(image.str().substr(0, k_png_magic.size()) == k_png_magic);
  }
}
