// End-to-end: `run --html` on a passing, a failing and a hostile scenario, the report rendered
// by headless Chromium: the DOM after the page's script ran, and a screenshot.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

#include "e2e/maildog_run.hpp"
#include "support/chromium.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_png_magic = "\x89PNG\r\n\x1a\n";
// A blank 1280x2000 page compresses to about 10 KB; a rendered report is several times that.
constexpr std::size_t k_screenshot_min_bytes = 40 * 1024;

// A scenario whose name and message header carry markup, as a hostile app or scenario could.
constexpr const char* k_hostile_scenario = R"(name: "<script>alert(1)</script> stays text"
tags: [hostile]
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@client.test>"
    - send: "RCPT TO:<user@inbox.test>"
    - data: "Subject: <script>alert(2)</script>\n\nhello\n"
      expect: {code: 250}
    - quit: true
)";

// Clicks through the report's controls once the page has loaded and writes down what each
// click left shown, for --dump-dom to carry out.
constexpr const char* k_click_script = R"(<script>
function shownIds() {
  return Array.prototype.filter.call(document.querySelectorAll('section.scenario'), function (s) { return !s.hidden; })
    .map(function (s) { return s.id; }).join(' ');
}
function note(name) {
  document.body.setAttribute('data-' + name, document.getElementById('shown-count').textContent + ': ' + shownIds());
}
document.querySelector('input[name="status"][value="passed"]').click();
note('without-passed');
document.querySelector('input[name="status"][value="passed"]').click();
document.querySelector('button[data-tag="hostile"]').click();
note('tag-hostile');
document.querySelector('button[data-tag="hostile"]').click();
note('no-tag');
document.getElementById('expand-all').click();
document.body.setAttribute('data-open-after-expand', document.querySelectorAll('details[open]').length);
document.getElementById('collapse-all').click();
document.body.setAttribute('data-open-after-collapse', document.querySelectorAll('details[open]').length);
</script>
)";

// Contains, with a short failure message: the DOM is too long to print.
bool has(const std::string& dom, std::string_view what) { return dom.find(what) != std::string::npos; }

std::uint32_t big_endian(std::string_view bytes) {
  std::uint32_t value = 0;
  for (char c : bytes.substr(0, 4)) {
    value = (value << 8) | static_cast<unsigned char>(c);
  }
  return value;
}

}  // namespace

TEST_CASE("the HTML report renders in headless Chromium", "[e2e][html]") {
  if (!chromium_available("HTML rendering test")) {
    return;
  }
  TempDir dir;
  const fs::path hostile = dir.write("hostile.yaml", k_hostile_scenario);
  const fs::path html = dir.path() / "report.html";
  auto run = run_maildog({"run", (source_dir() / "scenarios" / "happy_path.yaml").string(),
                          (source_dir() / "tests" / "e2e" / "failing" / "wrong_reply.yaml").string(), hostile.string(),
                          "-j", "2", "--seed", "7", "--html", html.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);
  REQUIRE(fs::exists(html));

  SECTION("the DOM after the script ran") {
    auto dump = run_chromium(dir.path(), {"--dump-dom", "file://" + html.string()});
    INFO(dump.err.substr(0, 2000));
    REQUIRE(dump.exit_code == 0);
    const std::string& dom = dump.out;
    CHECK(has(dom, "password reset is delivered over STARTTLS with AUTH"));
    CHECK(has(dom, "expects 250 where the server answers 550 5.1.1"));
    CHECK(has(dom, "expect.replies[0]"));
    CHECK(has(dom, "550 5.1.1 &lt;ghost@inbox.test&gt;: Recipient address rejected"));
    // The refusal is among the highlighted lines (their number depends on the EHLO reply).
    CHECK(std::regex_search(dom, std::regex(R"(class="line server hit" id="scenario-2-line-\d+">S: 550 5\.1\.1 )")));
    CHECK(has(dom, "authenticated as app with"));
    CHECK(has(dom, "Subject: Reset your password"));
    // Markup from the scenario and the message stayed text: no script element was made of it.
    CHECK(has(dom, "&lt;script&gt;alert(1)&lt;/script&gt; stays text"));
    CHECK(has(dom, "Subject: &lt;script&gt;alert(2)&lt;/script&gt;"));
    CHECK_FALSE(has(dom, "<script>alert("));
    // The page's script ran: the filters are shown and counted.
    CHECK(has(dom, "<nav id=\"filters\">"));
    CHECK(has(dom, "<span id=\"shown-count\">3 of 3 shown</span>"));
    CHECK(has(dom, "data-tag=\"hostile\""));
  }
  SECTION("the filters and expand/collapse buttons") {
    std::string page = read_text(html);
    const std::size_t body_end = page.rfind("</body>");
    REQUIRE(body_end != std::string::npos);
    page.insert(body_end, k_click_script);
    const fs::path clicked = dir.write("clicked.html", page);
    auto dump = run_chromium(dir.path(), {"--dump-dom", "file://" + clicked.string()});
    REQUIRE(dump.exit_code == 0);
    const std::string& dom = dump.out;
    CHECK(has(dom, "data-without-passed=\"1 of 3 shown: scenario-2\""));
    CHECK(has(dom, "data-tag-hostile=\"1 of 3 shown: scenario-3\""));
    CHECK(has(dom, "data-no-tag=\"3 of 3 shown: scenario-1 scenario-2 scenario-3\""));
    CHECK(has(dom, "data-open-after-expand=\"3\""));
    CHECK(has(dom, "data-open-after-collapse=\"0\""));
  }
  SECTION("a screenshot") {
    // Kept in the test's working folder (the build tree) for people to look at.
    const fs::path png = fs::current_path() / "html-report.png";
    fs::remove(png);
    auto shot = run_chromium(dir.path(),
                             {"--screenshot=" + png.string(), "--window-size=1280,2000", "file://" + html.string()});
    INFO(shot.err.substr(0, 2000));
    REQUIRE(shot.exit_code == 0);
    const std::string image = read_text(png);
    WARN("screenshot of the HTML report: " << png.string() << " (" << image.size() << " bytes)");
    REQUIRE(image.size() > k_screenshot_min_bytes);
    CHECK(image.substr(0, k_png_magic.size()) == k_png_magic);
    // IHDR: width and height as asked for.
    CHECK(std::string_view(image).substr(12, 4) == "IHDR");
    CHECK(big_endian(std::string_view(image).substr(16)) == 1280);
    CHECK(big_endian(std::string_view(image).substr(20)) == 2000);
  }
}
