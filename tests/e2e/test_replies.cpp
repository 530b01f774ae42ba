// End-to-end: reply expectations and rule replies through the built binary: `expect.replies`
// without a command, judged on a client.target server (a real `maildog-ci serve`), and a
// rule's {address} reaching the scripted client expanded.
#include <signal.h>

#include <catch2/catch.hpp>
#include <string>

#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/smtp_client.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;

namespace {

ChildResult run_maildog(std::vector<std::string> args) {
  ChildSpec spec;
  spec.argv = {binary_path().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.environment = {{"NO_COLOR", "1"}};
  spec.timeout = std::chrono::seconds(120);
  return run_child(spec);
}

// The team's own MX, as a scenario's client.target would reach it.
constexpr const char* k_mx_config = R"(name: our MX
server:
  domains: [corp.test]
  mailboxes: [ceo@corp.test, grey@corp.test]
  rules:
    - {at: rcpt, match: {rcpt: grey@corp.test}, reply: "451 4.7.1 <{address}>: greylisted {abc} {"}
)";

std::string probe_scenario(std::uint16_t port, const std::string& replies) {
  return R"(name: our MX greylists and refuses unknown users
client:
  target: {host: 127.0.0.1, port: )" +
         std::to_string(port) + R"(}
  steps:
    - send: EHLO probe.test
    - send: "MAIL FROM:<probe@client.test>"
    - send: "RCPT TO:<nobody@corp.test>"
      expect: {code: 550, enhanced: 5.1.1}
    - send: "RCPT TO:<grey@corp.test>"
      expect: {code: 451}
    - send: "RCPT TO:<ceo@corp.test>"
    - data: "Subject: probe\n\nhello\n"
      expect: {code: 250}
    - quit: true
expect:
  replies:
)" + replies;
}

}  // namespace

TEST_CASE("client.target: expect.replies are judged on what the scripted client saw", "[e2e][replies]") {
  TempDir dir;
  ServeProcess serve({"--config", dir.write("mx.yaml", k_mx_config).string(), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());

  SECTION("a real client sees the rule's {address} expanded, other braces as written") {
    SmtpClient client;
    REQUIRE(client.connect(serve.port()));
    REQUIRE(client.read_reply()->code == 220);
    REQUIRE(client.command("EHLO client.test")->code == 250);
    REQUIRE(client.command("MAIL FROM:<app@client.test>")->code == 250);
    auto greylisted = client.command("RCPT TO:<grey@corp.test>");
    REQUIRE(greylisted);
    CHECK(greylisted->code == 451);
    CHECK(greylisted->text() == "<grey@corp.test>: greylisted {abc} {");
  }
  SECTION("replies with and without a command pass") {
    const auto file = dir.write("probe.yaml", probe_scenario(serve.port(), R"(
    - {command: CONNECT, code: 220}
    - {command: RCPT, arg: nobody@corp.test, code: 550, enhanced: 5.1.1, count: 1}
    - {code: 451, enhanced: 4.7.1, text: "<grey@corp.test>: greylisted {abc} {"}
    - {command: END_OF_DATA, code: 250}
    - {code: 421, count: 0}
)"));
    auto run = run_maildog({"run", file.string()});
    INFO(run.describe());
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("1 passed, 0 failed"));
  }
  SECTION("a reply expected at the wrong command says where it went") {
    const auto file = dir.write("probe.yaml", probe_scenario(serve.port(), R"(
    - {command: MAIL, code: 451, enhanced: 4.7.1}
)"));
    auto run = run_maildog({"run", file.string()});
    INFO(run.describe());
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.out,
               Catch::Contains("expect.replies[0]") &&
                   Catch::Contains("451 4.7.1 was the reply to RCPT, not to MAIL (MAIL probe@client.test -> 250"));
  }
  serve.send_signal(SIGINT);
  REQUIRE(serve.wait_exit(std::chrono::seconds(20)));
}

TEST_CASE("a refusal expected at DATA that came after the final dot says so", "[e2e][replies]") {
  TempDir dir;
  const auto file = dir.write("dmarc.yaml", R"(name: the 5.7.26 comes at the end of data
server:
  rules:
    - {at: end_of_data, reply: "550 5.7.26 <{address}>: unauthenticated email is not accepted"}
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<app@client.test>"
    - send: "RCPT TO:<user@inbox.test>"
    - data: "Subject: hi\n\nhello\n"
      expect: {code: 550, text: "<app@client.test>: unauthenticated email is not accepted"}
    - quit: true
expect:
  replies:
    - {code: 550, enhanced: 5.7.26}
    - {command: DATA, code: 550, enhanced: 5.7.26}
)");
  auto run = run_maildog({"run", file.string()});
  INFO(run.describe());
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.out, Catch::Contains("expect.replies[1]") &&
                          Catch::Contains("550 5.7.26 was the reply to END_OF_DATA, not to DATA (DATA -> 354"));
  CHECK_THAT(run.out, !Catch::Contains("expect.replies[0]") && !Catch::Contains("client.steps"));
}
