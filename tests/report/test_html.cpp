#include <catch2/catch.hpp>
#include <regex>
#include <sstream>

#include "expect/transcript.hpp"
#include "report/fixture.hpp"
#include "report/html.hpp"
#include "report/style_reference.hpp"

using namespace maildog;

namespace {

std::string html_of(const runner::RunResult& run) {
  std::ostringstream out;
  report::write_html(run, out);
  return out.str();
}

// The transcript line whose text is `text`, with its tag: `<span class="..." id="...">text</span>`.
std::string line_span(const std::string& html, const std::string& text) {
  const std::size_t end = html.find(">" + text + "</span>");
  if (end == std::string::npos) {
    return {};
  }
  const std::size_t start = html.rfind("<span", end);
  return html.substr(start, end + text.size() + 8 - start);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("html_escape", "[report][html]") {
  CHECK(report::html_escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(report::html_escape("a & \"b\" 'c'") == "a &amp; &quot;b&quot; &#39;c&#39;");
  CHECK(report::html_escape("crlf\r\nnext\tt") == "crlf\nnext\tt");
  CHECK(report::html_escape(std::string("nul\0\x1b[0m", 8)) == "nul[0m");
  CHECK(report::html_escape("bad \xff byte") == "bad \xef\xbf\xbd byte");
  CHECK(report::html_escape("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("context_line_indexes finds a failure's excerpt in the transcript", "[report][html]") {
  const std::vector<std::string> lines{"== session 1 from 127.0.0.1", "S: 220 hi", "C: QUIT", "S: 221 bye",
                                       "== session 2 from 127.0.0.1", "S: 220 hi", "C: QUIT", "S: 221 bye"};
  using Indexes = std::vector<std::size_t>;
  CHECK(report::context_line_indexes(lines, {"S: 220 hi", "C: QUIT"}) == Indexes{1, 2});
  // The session header makes the second block unique.
  CHECK(report::context_line_indexes(lines, {"== session 2 from 127.0.0.1", "S: 220 hi"}) == Indexes{4, 5});
  CHECK(report::context_line_indexes(lines, {"C: QUIT", "S: 220 hi"}).empty());
  CHECK(report::context_line_indexes(lines, {}).empty());
  CHECK(report::context_line_indexes({}, {"C: QUIT"}).empty());
}

TEST_CASE("HTML report", "[report][html]") {
  auto run = test::sample_run();
  const std::string html = html_of(run);

  SECTION("one self-contained document") {
    CHECK(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    CHECK(html.ends_with("</html>\n"));
    CHECK(html.find("<style>") != std::string::npos);
    CHECK(html.find("<script>\n") != std::string::npos);
    for (const char* external : {"<link", " src=", "http://", "https://", "@import", "url("}) {
      CAPTURE(external);
      CHECK(html.find(external) == std::string::npos);
    }
  }
  SECTION("summary, seed and filters for every status and tag") {
    CHECK(html.find("<title>maildog-ci: 1 passed, 2 failed</title>") != std::string::npos);
    CHECK(html.find("<span class=\"count passed\">1 passed</span>") != std::string::npos);
    CHECK(html.find("<span class=\"count failed\">1 failed</span>") != std::string::npos);
    CHECK(html.find("<span class=\"count error\">1 could not run</span>") != std::string::npos);
    CHECK(html.find("--seed 42") != std::string::npos);
    CHECK(html.find("<nav id=\"filters\" hidden>") != std::string::npos);
    for (const char* status : {"passed", "failed", "error"}) {
      CHECK(html.find("name=\"status\" value=\"" + std::string(status) + "\" checked") != std::string::npos);
      CHECK(html.find("data-status=\"" + std::string(status) + "\"") != std::string::npos);
    }
    CHECK(html.find("<button type=\"button\" data-tag=\"5.1.1\" aria-pressed=\"false\">5.1.1</button>") !=
          std::string::npos);
    CHECK(count(html, "data-tag=\"transactional\"") == 1);
  }
  SECTION("passed scenarios start collapsed, the others open") {
    const std::regex section(R"re(data-status="(\w+)">\n<details( open)?>)re");
    std::size_t seen = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), section); it != std::sregex_iterator(); ++it) {
      CHECK(((*it)[1] == "passed") == !(*it)[2].matched);
      ++seen;
    }
    CHECK(seen == 3);
  }
  SECTION("failures with expected, actual and a link to the highlighted transcript") {
    CHECK(html.find("<span class=\"expectation\">expect.replies[0]</span> at <span "
                    "class=\"where\">scenarios/reset.yaml:38</span>") != std::string::npos);
    CHECK(html.find("<dt>expected</dt><dd>RCPT ghost@inbox.test -&gt; 550 5.1.1</dd>") != std::string::npos);
    // The failed scenario's transcript: session 2 then 3; the first context block starts at
    // session 2's "S: 250 mx.sandbox.test", line 4 of that scenario's transcript.
    CHECK(html.find("<a href=\"#scenario-2-line-4\">line 4</a>") != std::string::npos);
    CHECK(html.find("<a href=\"#scenario-2-line-20\">line 20</a>") != std::string::npos);
    CHECK(line_span(html, "S: 451 4.7.1 Greylisted, try again later") ==
          "<span class=\"line server hit\" id=\"scenario-2-line-9\">S: 451 4.7.1 Greylisted, try again later</span>");
    CHECK(line_span(html, "== session 2 from 127.0.0.1") ==
          "<span class=\"line session\" id=\"scenario-2-line-1\">== session 2 from 127.0.0.1</span>");
    // Both failures' excerpts: 7 lines and 3 lines, none shared.
    CHECK(count(html, " hit\"") == 10);
  }
  SECTION("the error, the app's output and the captured message") {
    CHECK(html.find("<p class=\"error-text\">app failed to start: execvp python4: No such file or directory</p>") !=
          std::string::npos);
    CHECK(html.find("retrying &lt;ghost@inbox.test&gt; in 1s") != std::string::npos);
    CHECK(html.find("warning[0m: 451 from &quot;mx&quot; &amp; retried") != std::string::npos);
    CHECK(html.find("<pre class=\"headers\">From: Example &lt;noreply@yourdomain.test&gt;\nTo: user@inbox.test\n"
                    "Subject: Reset your password\n</pre>") != std::string::npos);
    CHECK(html.find("authenticated as app with PLAIN") != std::string::npos);
    CHECK(html.find("C: AUTH PLAIN ***") != std::string::npos);
    CHECK(html.find("queued as &lt;id&gt;") != std::string::npos);
    CHECK(html.find('\0') == std::string::npos);
    CHECK(html.find('\x1b') == std::string::npos);
  }
  SECTION("matches the approved output, the stylesheet by reference") {
    // The golden page names the stylesheet and its hash instead of embedding it; the stylesheet
    // is tested on its own (test_html_style.cpp), where the page is checked to embed it as it is.
    CHECK(test::compare_with_golden("run.approved.html", test::with_style_reference(html)) == "");
  }
}

TEST_CASE("HTML report escapes what scenarios, apps and clients wrote", "[report][html]") {
  auto run = test::sample_run();
  const std::string payload = "<script>alert(1)</script>";
  auto& scenario = run.scenarios[0];
  scenario.name = payload + " in a name";
  scenario.tags = {"\"><img onerror=alert(2)>"};
  auto& transaction = scenario.sessions[0].transactions[0];
  transaction.message = std::make_shared<const std::string>("X-Evil: " + payload + "\r\nSubject: hi\r\n\r\nbody\r\n");
  scenario.app->stdout_text = payload + "\n";
  const std::string html = html_of(run);
  CHECK(html.find(payload) == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; in a name</span>") != std::string::npos);
  CHECK(html.find("X-Evil: &lt;script&gt;alert(1)&lt;/script&gt;\n") != std::string::npos);
  CHECK(html.find("data-tag=\"&quot;&gt;&lt;img onerror=alert(2)&gt;\"") != std::string::npos);
  CHECK(count(html, "<script>") == 1);
}

TEST_CASE("HTML report bounds what one scenario shows", "[report][html]") {
  auto run = test::sample_run();
  auto& scenario = run.scenarios[0];
  auto& transcript = scenario.sessions[0].transcript;
  transcript.insert(transcript.begin() + 1, {capture::TranscriptEntry::Direction::client, std::string(10000, 'x'), {}});
  const std::size_t total = report::k_html_transcript_lines_max + 500;
  while (expect::render_lines(scenario.sessions).size() < total) {
    transcript.push_back({capture::TranscriptEntry::Direction::client, "NOOP", {}});
  }
  std::string output;
  for (int i = 0; i < 20000; ++i) {
    output += "log line " + std::to_string(i) + "\n";
  }
  scenario.app->stdout_text = output;
  const auto& message = scenario.sessions[0].transactions[0];
  scenario.sessions[0].transactions.assign(report::k_html_messages_max + 3, message);

  const std::string all = html_of(run);
  const std::string html = all.substr(0, all.find("<section class=\"scenario\" id=\"scenario-2\""));
  CHECK(count(html, "id=\"scenario-1-line-") == report::k_html_transcript_lines_max);
  CHECK(html.find("500 more lines not shown") != std::string::npos);
  CHECK(html.find(">C: " + std::string(report::k_html_line_max - 3, 'x') + "</span>") != std::string::npos);
  CHECK(html.find("log line 19999\n") != std::string::npos);
  CHECK(html.find("log line 0\n") == std::string::npos);
  CHECK(html.find("stdout (last ") != std::string::npos);
  CHECK(count(html, "<div class=\"message\">") == report::k_html_messages_max);
  CHECK(html.find("3 more transactions not shown") != std::string::npos);
}
