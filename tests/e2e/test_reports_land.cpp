// End-to-end: reports always land (their folders are created, a path that cannot be written
// stops the run before any scenario, a report that fails at the end does not take the others
// with it), and failures say why (the JUnit message, client steps, transcript excerpts and
// who closed the connection). Drives src/cli/report_files.cpp through the built binary.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "e2e/maildog_run.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

// A scenario whose app leaves a marker file: the proof that it ran.
std::string marker_scenario(const fs::path& marker) {
  return "name: leaves a marker\napp:\n  run: 'touch " + marker.string() +
         "'\n  timeout: 10s\nexpect:\n  app: {exit: 0}\n";
}

constexpr const char* k_passing = R"(name: a greeting
client:
  steps:
    - expect: {code: 220}
    - quit: true
)";

}  // namespace

TEST_CASE("report folders that do not exist yet are created", "[e2e][reports]") {
  TempDir dir;
  const auto scenario = dir.write("pass.yaml", k_passing);
  const fs::path junit = dir.path() / "new" / "dir" / "r.xml";
  const fs::path json = dir.path() / "other" / "x.json";
  const fs::path html = dir.path() / "deep" / "er" / "r.html";
  auto run = run_maildog(
      {"run", scenario.string(), "--junit", junit.string(), "--json", json.string(), "--html", html.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(read_text(junit), Catch::StartsWith("<?xml"));
  CHECK_THAT(read_text(json), Catch::StartsWith("{"));
  CHECK_THAT(read_text(html), Catch::StartsWith("<!DOCTYPE html>"));
}

TEST_CASE("a report path that cannot be written stops the run before any scenario", "[e2e][reports]") {
  TempDir dir;
  const fs::path marker = dir.path() / "the-app-ran";
  const auto scenario = dir.write("marker.yaml", marker_scenario(marker));
  const auto file = dir.write("a-file", "not a folder\n");
  fs::create_directories(dir.path() / "a-folder");

  struct Case {
    std::string option;
    fs::path path;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"--json", file / "x.json", "Not a directory (" + file.string() + " is a file)"},
      {"--junit", file / "sub" / "r.xml", "Not a directory"},
      {"--html", dir.path() / "a-folder", "it is a folder"},
      {"--json", "/proc/maildog-ci-report.json", "No such file or directory"},
      {"--artifacts", file / "out", "Not a directory"},
  };
  for (const auto& row : cases) {
    CAPTURE(row.option, row.path);
    auto run = run_maildog({"run", scenario.string(), row.option, row.path.string()});
    INFO(run.describe());
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("cannot write the") && Catch::Contains(row.path.string() + ": ") &&
                            Catch::Contains(row.reason));
    CHECK_FALSE(fs::exists(marker));
    CHECK_THAT(run.out, !Catch::Contains("seed "));
  }
  // The same scenario with a writable path runs: the marker proves the check above could fail.
  auto run = run_maildog({"run", scenario.string(), "--json", (dir.path() / "ok" / "r.json").string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  REQUIRE(fs::exists(marker));
}

TEST_CASE("merge checks its report paths before reading the inputs", "[e2e][reports]") {
  TempDir dir;
  const auto file = dir.write("a-file", "not a folder\n");
  auto merge = run_maildog({"merge", (dir.path() / "missing.json").string(), "--junit", (file / "r.xml").string()});
  INFO(merge.describe());
  REQUIRE(merge.exit_code == 2);
  REQUIRE_THAT(merge.err, Catch::Contains("cannot write the JUnit report to " + (file / "r.xml").string()) &&
                              Catch::Contains("Not a directory"));
}

TEST_CASE("a report that fails at the end names the reason; the others are written", "[e2e][reports]") {
  TempDir dir;
  // The app turns the JUnit report's folder into a file while the run is on.
  const fs::path late = dir.path() / "late";
  const auto scenario =
      dir.write("sabotage.yaml", "name: sabotage\napp:\n  run: 'rm -rf " + late.string() + " && echo file > " +
                                     late.string() + "'\n  timeout: 10s\nexpect:\n  app: {exit: 0}\n");
  const fs::path json = dir.path() / "reports" / "r.json";
  auto run = run_maildog({"run", scenario.string(), "--junit", (late / "r.xml").string(), "--json", json.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 3);
  REQUIRE_THAT(run.err, Catch::Contains("cannot write the JUnit report to " + (late / "r.xml").string() + ": ") &&
                            Catch::Contains("Not a directory"));
  REQUIRE_THAT(read_text(json), Catch::Contains("\"sabotage\""));
}

namespace {

// Three expectations about the refused RCPT of ghost@, none about the session's end.
constexpr const char* k_ghost = R"(name: three expectations about one RCPT
server:
  domains: [inbox.test]
  mailboxes: [user@inbox.test]
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@client.test>"
    - send: "RCPT TO:<ghost@inbox.test>"
    - send: "RCPT TO:<user@inbox.test>"
    - data: "Subject: hi\n\nhello\n"
    - send: NOOP
    - send: NOOP
    - quit: true
expect:
  replies:
    - {command: RCPT, arg: ghost@inbox.test, code: 250}
  delivered:
    - {to: ghost@inbox.test}
  retries:
    - {rcpt: ghost@inbox.test, min_attempts: 2}
)";

}  // namespace

TEST_CASE("the JUnit failure message is the first failed expectation and how many more", "[e2e][reports]") {
  TempDir dir;
  const auto scenario = dir.write("ghost.yaml", k_ghost);
  const fs::path junit = dir.path() / "r.xml";
  auto run = run_maildog({"run", scenario.string(), "--junit", junit.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);
  const std::string xml = read_text(junit);
  const std::regex message(
      R"x(<failure message="expect\.replies\[0\]: expected RCPT ghost@inbox\.test -&gt; 250, )x"
      R"x(got RCPT ghost@inbox\.test -&gt; 550 5\.1\.1 [^"]* \(and 2 more\)" type="expectation">)x");
  CHECK(std::regex_search(xml, message));
  // The body still lists every failed expectation.
  CHECK_THAT(xml, Catch::Contains("expect.delivered[0] at") && Catch::Contains("expect.retries[0] at"));
}

TEST_CASE("a failed client step states the reply it expected", "[e2e][reports]") {
  TempDir dir;
  const auto scenario = dir.write("step.yaml", R"(name: a step expects a refusal
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@client.test>"
      expect: {code: 550, enhanced: 5.7.1, text: /denied/}
    - quit: true
)");
  auto run = run_maildog({"run", scenario.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);
  CHECK_THAT(run.out, Catch::Contains("expected: MAIL FROM:<a@client.test> -> 550 5.7.1 text /denied/") &&
                          Catch::Contains("actual:   MAIL FROM:<a@client.test> -> 250 2.1.0"));
}

namespace {

// Each scenario's artifacts transcript, in run order.
std::vector<std::string> artifact_transcripts(const fs::path& dir) {
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(dir)) {
    folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  std::vector<std::string> transcripts;
  for (const auto& folder : folders) {
    transcripts.push_back(read_text(folder / "transcript.txt"));
  }
  return transcripts;
}

}  // namespace

TEST_CASE("transcripts mark who closed the connection", "[e2e][reports]") {
  TempDir dir;
  const auto scenarios = dir.write("closes.yaml", R"yaml(name: a 421 at MAIL
server:
  rules:
    - {at: mail, reply: "421 4.3.2 going down"}
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@client.test>"
      expect: {code: 421}
---
name: a disconnect at RCPT
server:
  rules:
    - {at: rcpt, fault: disconnect}
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@client.test>"
    - send: "RCPT TO:<user@inbox.test>"
---
name: the client leaves without QUIT
client:
  steps:
    - send: EHLO client.test
    - send: NOOP
---
name: an idle client
server:
  limits: {idle_timeout: 200ms}
app:
  run: [/usr/bin/python3, -c, "import socket, time; s = socket.create_connection(('{{smtp.host}}', {{smtp.port}})); s.recv(512); time.sleep(2); s.close()"]
  timeout: 10s
---
name: a clean QUIT
client:
  steps:
    - send: EHLO client.test
    - quit: true
)yaml");
  const fs::path artifacts = dir.path() / "artifacts";
  const fs::path junit = dir.path() / "r.xml";
  auto run =
      run_maildog({"run", scenarios.string(), "-j", "1", "--artifacts", artifacts.string(), "--junit", junit.string()});
  INFO(run.describe());
  const auto transcripts = artifact_transcripts(artifacts);
  REQUIRE(transcripts.size() == 5);
  CHECK_THAT(transcripts[0], Catch::EndsWith("S: 421 4.3.2 going down\n*  server closed the connection\n"));
  CHECK_THAT(transcripts[1],
             Catch::Contains("*  fault: disconnect\n") && Catch::EndsWith("*  transaction abandoned: closed by server\n"
                                                                          "*  server closed the connection\n"));
  CHECK_THAT(transcripts[2],
             Catch::EndsWith("C: NOOP\nS: 250 2.0.0 Ok\n*  client closed the connection without QUIT\n"));
  CHECK_THAT(transcripts[3], Catch::Contains("*  idle timeout\nS: 421 ") &&
                                 Catch::EndsWith("*  server closed the connection (idle timeout)\n"));
  // After QUIT the 221 says the channel closes; no line repeats it.
  CHECK_THAT(transcripts[4], Catch::EndsWith("C: QUIT\n") || Catch::EndsWith(" Bye\n"));
  // The JUnit report renders the same transcripts.
  CHECK_THAT(read_text(junit), Catch::Contains("S: 421 4.3.2 going down\n*  server closed the connection\n") &&
                                   Catch::Contains("*  client closed the connection without QUIT\n"));
}

namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("failure excerpts show the place they are about, once", "[e2e][reports]") {
  TempDir dir;
  const auto scenario = dir.write("ghost.yaml", k_ghost);
  auto run = run_maildog({"run", scenario.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);
  // Three failures about the same RCPT: one excerpt, around that RCPT, not the closing lines.
  CHECK(occurrences(run.out, "transcript:\n") == 1);
  const auto excerpt = run.out.substr(run.out.find("transcript:\n"));
  CHECK_THAT(excerpt, Catch::Contains("C: RCPT TO:<ghost@inbox.test>") && Catch::Contains("S: 550 5.1.1") &&
                          !Catch::Contains("C: QUIT") && !Catch::Contains("S: 221"));
}
