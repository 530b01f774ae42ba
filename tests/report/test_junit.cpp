#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "report/fixture.hpp"
#include "report/junit.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"

using namespace maildog;

namespace {

std::string junit_of(const runner::RunResult& run) {
  std::ostringstream out;
  report::write_junit(run, out);
  return out.str();
}

// Durations change from run to run; the approved file has them as "0".
std::string without_times(const std::string& xml) {
  return std::regex_replace(xml, std::regex(R"( time="[0-9.]*")"), R"( time="0")");
}

// `file` and `line` on testcases are what GitHub reporters read; junit-10.xsd does not know them.
std::string without_file_and_line(const std::string& xml) {
  return std::regex_replace(xml, std::regex(R"((<testcase [^>]*?) file="[^"]*" line="[0-9]*")"), "$1");
}

bool has_xmllint() { return std::system("command -v xmllint >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("xml_escape", "[report][junit]") {
  CHECK(report::xml_escape("a < b & c > d \"q\"") == "a &lt; b &amp; c &gt; d \"q\"");
  CHECK(report::xml_escape("a \"q\"\n\tx", true) == "a &quot;q&quot;&#10;&#9;x");
  CHECK(report::xml_escape("line\r\n") == "line&#13;\n");
  CHECK(report::xml_escape(std::string("nul\0here", 8)) == "nulhere");
  CHECK(report::xml_escape("\x1b[31mred\x1b[0m \x01\x1f\x7f") == "[31mred[0m \x7f");
  CHECK(report::xml_escape("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x93\xa7") == "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x93\xa7");
  CHECK(report::xml_escape("bad \xff byte") == "bad \xef\xbf\xbd byte");
  CHECK(report::xml_escape("overlong \xc0\xaf") == "overlong \xef\xbf\xbd\xef\xbf\xbd");
  CHECK(report::xml_escape("surrogate \xed\xa0\x80") == "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(report::xml_escape("cut \xe2\x9c") == "cut \xef\xbf\xbd\xef\xbf\xbd");
  CHECK(report::xml_escape("nonchar \xef\xbf\xbe!") == "nonchar !");
}

TEST_CASE("JUnit report", "[report][junit]") {
  const auto run = test::sample_run();
  const std::string xml = junit_of(run);

  SECTION("suites per file, cases with file and line") {
    CHECK(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"maildog-ci\" tests=\"3\" "
                        "failures=\"1\" errors=\"1\""));
    CHECK(
        xml.find(
            R"(<testsuite name="scenarios/reset.yaml" tests="2" failures="1" errors="0" skipped="0" time="1.044" timestamp="2025-06-03T10:00:00" hostname="localhost" id="0" package="scenarios.reset.yaml">)") !=
        std::string::npos);
    CHECK(
        xml.find(
            R"(<testsuite name="scenarios/broken.yaml" tests="1" failures="0" errors="1" skipped="0" time="0.001" timestamp="2025-06-03T10:00:00" hostname="localhost" id="1" package="scenarios.broken.yaml">)") !=
        std::string::npos);
    CHECK(
        xml.find(
            R"(<testcase name="unknown user is rejected &amp; not retried" classname="scenarios.reset.yaml" time="1.032" file="scenarios/reset.yaml" line="24">)") !=
        std::string::npos);
    // The first failed expectation in full and how many more: many CI UIs show only this.
    CHECK(
        xml.find(
            R"x(<failure message="expect.replies[0]: expected RCPT ghost@inbox.test -&gt; 550 5.1.1, got RCPT ghost@inbox.test -&gt; 451 4.7.1 Greylisted, try again later; RCPT ghost@inbox.test -&gt; 250 2.1.5 Recipient ok (and 1 more)" type="expectation">)x") !=
        std::string::npos);
    CHECK(
        xml.find(
            R"(<error message="app failed to start: execvp python4: No such file or directory" type="environment">)") !=
        std::string::npos);
    CHECK(xml.find('\0') == std::string::npos);
    CHECK(xml.find('\x1b') == std::string::npos);
  }
  SECTION("the transcript is the real one, AUTH as recorded") {
    CHECK(xml.find("S: 250 2.0.0 Ok: queued as 0A1B2C3D4E") != std::string::npos);
    CHECK(xml.find("== session 1 from 127.0.0.1:40312") != std::string::npos);
    CHECK(xml.find("C: AUTH PLAIN ***") != std::string::npos);
  }
  SECTION("matches the approved output") {
    CHECK(test::compare_with_golden("run.approved.xml", without_times(xml)) == "");
  }
}

// Its own test case: without the conformance data it is skipped, and the checks above still pass.
TEST_CASE("JUnit report: valid against junit-10.xsd once file and line are removed", "[report][junit]") {
  const std::string xml = junit_of(test::sample_run());
  auto conformance = test::conformance_dir();
  if (!conformance) {
    test::skip_test("no conformance data (MAILDOG_CONFORMANCE_DIR): JUnit schema validation");
    return;
  }
  if (!has_xmllint()) {
    WARN("xmllint not installed (Debian: libxml2-utils): JUnit schema validation skipped");
    return;
  }
  const auto xsd = *conformance / "junit-xsd" / "junit-10.xsd";
  REQUIRE(std::filesystem::exists(xsd));
  const std::string stripped = without_file_and_line(xml);
  REQUIRE(stripped.find(" line=\"") == std::string::npos);
  const auto runs = {stripped, without_file_and_line(junit_of(runner::RunResult{}))};
  int index = 0;
  for (const auto& document : runs) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("maildog-junit-" + std::to_string(::getpid()) + "-" + std::to_string(index++) + ".xml");
    std::ofstream(path, std::ios::binary) << document;
    const std::string command = "xmllint --noout --schema '" + xsd.string() + "' '" + path.string() + "' 2>&1";
    INFO(command);
    CHECK(std::system(command.c_str()) == 0);
    std::filesystem::remove(path);
  }
}
