#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "runner/client_script.hpp"
#include "runner/scenario_run.hpp"
#include "runner/scheduler.hpp"
#include "scenario/loader.hpp"
#include "smtp/server.hpp"

using namespace maildog;

namespace {

scenario::Scenario load_one(const std::string& yaml, const std::filesystem::path& name = "/tmp/scenario.yaml") {
  auto loaded = scenario::load_text(yaml, name, scenario::Environment::from_map({}));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  REQUIRE(loaded.scenarios.size() == 1);
  return loaded.scenarios.front();
}

runner::RunOptions quick_options() {
  runner::RunOptions options;
  options.default_timeout = std::chrono::seconds(10);
  options.step_timeout = std::chrono::seconds(5);
  return options;
}

}  // namespace

TEST_CASE("a scripted client runs against the scenario's sandbox", "[runner][scenario]") {
  auto scenario = load_one(R"(
name: unknown user in a scripted dialogue
server:
  domains: [inbox.test]
  mailboxes: [user@inbox.test]
  tls: starttls
  auth: {users: {app: pw}}
client:
  steps:
    - expect: {code: 220}
    - send: EHLO client.test
    - starttls: true
    - send: EHLO client.test
    - auth: {mechanism: LOGIN, user: "{{smtp.user}}", password: "{{smtp.password}}"}
      expect: {code: 235}
    - send: "MAIL FROM:<app@client.test>"
    - send: "RCPT TO:<ghost@inbox.test>"
      expect: {code: 550, enhanced: 5.1.1}
    - send: "RCPT TO:<user@inbox.test>"
      expect: {code: 250}
    - data: "Subject: hi\n\n.leading dot\n"
      expect: {code: 250}
    - quit: true
)");
  auto result = runner::run_scenario(scenario, quick_options());
  REQUIRE(result.status == runner::Status::passed);
  REQUIRE(result.steps.size() == 10);
  for (const auto& step : result.steps) {
    CAPTURE(step.line, step.action, step.problem);
    REQUIRE(step.ok);
  }
  REQUIRE(result.steps[4].action == "AUTH LOGIN ***");
  REQUIRE(result.sessions.size() == 1);
  const auto& session = result.sessions.front();
  REQUIRE(session.tls);
  REQUIRE(session.auth_user == "app");
  REQUIRE(session.transactions.size() == 1);
  REQUIRE(session.transactions.front().delivered);
  REQUIRE(*session.transactions.front().message == "Subject: hi\r\n\r\n.leading dot\r\n");
}

TEST_CASE("a step whose reply differs is reported with expected and actual", "[runner][scenario]") {
  auto scenario = load_one(R"(
name: wrong expectation
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@b.test>"
      expect: {code: 550}
)");
  auto result = runner::run_scenario(scenario, quick_options());
  REQUIRE(result.steps.size() == 2);
  REQUIRE_FALSE(result.steps[1].ok);
  REQUIRE(result.steps[1].problem == "expected 550, got 250 2.1.0 Sender ok");
}

TEST_CASE("client.target reaches another server: testing your own MX", "[runner][scenario]") {
  smtp::ServerConfig mx;
  mx.domains = {"corp.test"};
  mx.mailboxes = {"ceo@corp.test"};
  smtp::Server other(mx);
  other.start();
  auto scenario = load_one(R"(
name: our MX refuses unknown users
client:
  target: {host: 127.0.0.1, port: )" +
                           std::to_string(other.port()) + R"(}
  steps:
    - expect: {code: 220}
    - send: EHLO probe.test
    - send: "MAIL FROM:<>"
    - send: "RCPT TO:<nobody@corp.test>"
      expect: {code: 550, enhanced: 5.1.1}
    - quit: true
)");
  auto result = runner::run_scenario(scenario, quick_options());
  for (const auto& step : result.steps) {
    CAPTURE(step.action, step.problem);
    REQUIRE(step.ok);
  }
  REQUIRE(result.sessions.empty());
  other.stop();
  REQUIRE(other.capture().sessions().size() == 1);
  // The client kept its own transcript, as the sandbox writes one, for expect.replies.
  REQUIRE(result.client_sessions.size() == 1);
  std::string seen;
  for (const auto& entry : result.client_sessions.front().transcript) {
    seen += entry.text + "\n";
  }
  CAPTURE(seen);
  CHECK_THAT(seen, Catch::StartsWith("220 "));
  CHECK_THAT(seen, Catch::Contains("\nRCPT TO:<nobody@corp.test>\n550 5.1.1 "));
  CHECK_THAT(seen, Catch::Contains("\nQUIT\n221 "));
}

TEST_CASE("the client's own transcript masks AUTH and marks the message", "[runner][scenario]") {
  smtp::ServerConfig mx;
  mx.auth = smtp::AuthConfig{};
  mx.auth->users = {{"app", "secret-pw"}};
  smtp::Server other(mx);
  other.start();
  auto scenario = load_one(R"(
name: our submission server
client:
  target: {host: 127.0.0.1, port: )" +
                           std::to_string(other.port()) + R"(}
  steps:
    - send: EHLO probe.test
    - auth: {mechanism: LOGIN, user: app, password: secret-pw}
      expect: {code: 235}
    - send: "MAIL FROM:<app@corp.test>"
    - send: "RCPT TO:<user@corp.test>"
    - data: "Subject: hi\n\nhello\n"
      expect: {code: 250}
    - quit: true
)");
  auto result = runner::run_scenario(scenario, quick_options());
  other.stop();
  for (const auto& step : result.steps) {
    CAPTURE(step.action, step.problem);
    REQUIRE(step.ok);
  }
  REQUIRE(result.client_sessions.size() == 1);
  std::string transcript;
  for (const auto& entry : result.client_sessions.front().transcript) {
    transcript += entry.text + "\n";
  }
  CAPTURE(transcript);
  CHECK(transcript.find("secret-pw") == std::string::npos);
  CHECK(transcript.find("YXBw") == std::string::npos);  // "app" in base64
  CHECK(transcript.find("AUTH LOGIN\n334 ") != std::string::npos);
  CHECK(transcript.find("\n***\n334 ") != std::string::npos);
  CHECK(transcript.find("DATA\n354 ") != std::string::npos);
  CHECK(transcript.find("\nmessage: ") != std::string::npos);
}

TEST_CASE("the app gets the sandbox in its environment and templates", "[runner][scenario]") {
  auto dir = std::filesystem::temp_directory_path() / "maildog-runner-test";
  std::filesystem::create_directories(dir);
  auto scenario = load_one(R"(
name: environment
server:
  auth: {users: {app: pw}}
app:
  run: 'echo "$MAILDOG_SMTP_HOST $MAILDOG_SMTP_PORT $MAILDOG_SMTP_USER $MAILDOG_SMTP_PASSWORD $MAILDOG_SMTP_TLS {{smtp.port}} $EXTRA" ; pwd'
  env: {EXTRA: "port={{smtp.port}}"}
)",
                           dir / "env.yaml");
  auto result = runner::run_scenario(scenario, quick_options());
  REQUIRE(result.app);
  const std::string port = std::to_string(result.sandbox_port);
  REQUIRE(result.app->stdout_text ==
          "127.0.0.1 " + port + " app pw none " + port + " port=" + port + "\n" + dir.string() + "\n");
}

TEST_CASE("an app that hangs is killed at its timeout with nothing left behind", "[runner][scenario]") {
  auto pid_file = std::filesystem::temp_directory_path() / "maildog-hang.pid";
  std::filesystem::remove(pid_file);
  auto scenario = load_one(R"(
name: hanging app
app:
  run: 'sleep 60 & echo $! > )" +
                           pid_file.string() + R"(; sleep 60'
  timeout: 300ms
)");
  auto result = runner::run_scenario(scenario, quick_options());
  REQUIRE(result.app->outcome == runner::ProcessResult::Outcome::timed_out);
  std::ifstream in(pid_file);
  pid_t grandchild = 0;
  in >> grandchild;
  REQUIRE(grandchild > 0);
  REQUIRE(::kill(grandchild, 0) == -1);
  std::filesystem::remove(pid_file);
}

// The scenario's own error (exit code 1), not maildog-ci's environment (exit code 3).
TEST_CASE("an app that cannot start is the scenario's error", "[runner][scenario]") {
  auto scenario = load_one(R"(
name: missing program
app:
  run: [/nonexistent/program-for-maildog]
)");
  auto result = runner::run_scenario(scenario, quick_options());
  REQUIRE(result.status == runner::Status::error);
  REQUIRE_THAT(result.error, Catch::Contains("/nonexistent/program-for-maildog"));
  CHECK(runner::app_not_started(result));
  runner::ScenarioResult sandbox_failed;
  sandbox_failed.status = runner::Status::error;
  sandbox_failed.error = "cannot start the sandbox: no port";
  CHECK_FALSE(runner::app_not_started(sandbox_failed));
}

TEST_CASE("the scheduler keeps input order whatever the parallelism", "[runner][scheduler]") {
  std::vector<scenario::Scenario> scenarios(12);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    scenarios[i].name = "s" + std::to_string(i);
  }
  auto jobs = GENERATE(1U, 3U, 8U);
  std::vector<std::string> finished;
  auto results = runner::run_all(
      scenarios, {jobs, false},
      [](const scenario::Scenario& one) {
        runner::ScenarioResult result;
        result.name = one.name;
        std::this_thread::sleep_for(std::chrono::milliseconds((one.name.size() * 7) % 5));
        return result;
      },
      [&](const runner::ScenarioResult& done) { finished.push_back(done.name); });
  REQUIRE(results.size() == 12);
  REQUIRE(finished.size() == 12);
  for (std::size_t i = 0; i < results.size(); ++i) {
    REQUIRE(results[i].name == "s" + std::to_string(i));
  }
}

TEST_CASE("fail-fast starts nothing after a failure", "[runner][scheduler]") {
  std::vector<scenario::Scenario> scenarios(10);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    scenarios[i].name = std::to_string(i);
  }
  auto results = runner::run_all(
      scenarios, {1, true},
      [](const scenario::Scenario& one) {
        runner::ScenarioResult result;
        result.name = one.name;
        result.status = one.name == "2" ? runner::Status::failed : runner::Status::passed;
        return result;
      },
      [](const runner::ScenarioResult&) {});
  REQUIRE(results.size() == 3);
}

TEST_CASE("message bodies are dot-stuffed with CRLF line ends", "[runner][client]") {
  REQUIRE(runner::dot_stuff("a\n.b\n") == "a\r\n..b\r\n.\r\n");
  REQUIRE(runner::dot_stuff("a\r\nb") == "a\r\nb\r\n.\r\n");
  REQUIRE(runner::dot_stuff("") == ".\r\n");
  REQUIRE(runner::dot_stuff(".") == "..\r\n.\r\n");
}

TEST_CASE("sender checks judge the peer with the scenario's dns records", "[runner][scenario][checks]") {
  const std::string dns = R"(
dns:
  yourdomain.test: {TXT: "v=spf1 ip4:203.0.113.5 -all"}
  _dmarc.yourdomain.test: {TXT: "v=DMARC1; p=reject"}
  7.100.51.198.zen.dnsbl.test: {A: 127.0.0.2, TXT: "listed for testing"}
)";
  const std::string steps = R"(
client:
  steps:
    - expect: {code: 220}
    - send: EHLO app.yourdomain.test
    - send: "MAIL FROM:<no-reply@yourdomain.test>"
    - send: "RCPT TO:<user@inbox.test>"
    - data: "From: no-reply@yourdomain.test\nTo: user@inbox.test\nSubject: reset\n\nhello\n"
    - quit: true
)";
  SECTION("DMARC p=reject refuses mail from an IP outside SPF with 550 5.7.26") {
    auto scenario = load_one("name: dmarc\n" + dns + R"(
server:
  peer: {ip: 198.51.100.7}
  checks: {spf: report, dmarc: enforce}
)" + steps);
    auto result = runner::run_scenario(scenario, quick_options());
    REQUIRE(result.sessions.size() == 1);
    REQUIRE(result.sessions[0].transactions.size() == 1);
    const auto& tx = result.sessions[0].transactions[0];
    REQUIRE(tx.final_reply);
    CHECK(tx.final_reply->code == 550);
    CHECK(tx.final_reply->enhanced->str() == "5.7.26");
    CHECK(tx.final_reply->text() ==
          "Unauthenticated email from yourdomain.test is not accepted due to domain's DMARC policy");
    CHECK_FALSE(tx.delivered);
    CHECK(tx.auth_results == std::map<std::string, std::string>{{"dkim", "none"}, {"dmarc", "fail"}, {"spf", "fail"}});
    CHECK(tx.authentication_results.find("dmarc=fail") != std::string::npos);
  }
  SECTION("an IP listed in SPF passes and is delivered") {
    auto scenario = load_one("name: spf pass\n" + dns + R"(
server:
  peer: {ip: 203.0.113.5, helo: mail.yourdomain.test}
  checks: {spf: enforce, dmarc: enforce}
)" + steps);
    auto result = runner::run_scenario(scenario, quick_options());
    REQUIRE(result.sessions.size() == 1);
    const auto& tx = result.sessions[0].transactions.at(0);
    CHECK(tx.delivered);
    CHECK(tx.auth_results.at("spf") == "pass");
    CHECK(tx.auth_results.at("dmarc") == "pass");
  }
  SECTION("a DNSBL listing refuses the RCPT with 550 5.7.1") {
    auto scenario = load_one("name: dnsbl\n" + dns + R"(
server:
  peer: {ip: 198.51.100.7}
  checks: {dnsbl: [zen.dnsbl.test]}
)" + steps);
    auto result = runner::run_scenario(scenario, quick_options());
    REQUIRE(result.sessions.size() == 1);
    const auto& rcpt = result.sessions[0].transactions.at(0).recipients.at(0);
    CHECK(rcpt.reply.code == 550);
    CHECK(rcpt.reply.text() == "Service unavailable; client [198.51.100.7] blocked using zen.dnsbl.test");
  }
}

TEST_CASE("checks without server.peer.ip are a scenario error", "[runner][scenario][checks]") {
  auto loaded = scenario::load_text(R"(
name: no peer
server:
  checks: {spf: enforce}
client:
  steps:
    - quit: true
)",
                                    "/tmp/scenario.yaml", scenario::Environment::from_map({}));
  REQUIRE(loaded.diagnostics.size() == 1);
  CHECK(loaded.diagnostics[0].format().find("checks need server.peer.ip") != std::string::npos);
}

TEST_CASE("then steps run after the app with its templates and environment, and stop at a failure",
          "[runner][scenario][then]") {
  auto scenario = load_one(R"(
name: then steps
app:
  run: 'echo app'
  then:
    - run: 'echo "$$MAILDOG_SMTP_PORT {{smtp.port}} $$QUEUE"; pwd'
      env: {QUEUE: deferred}
      cwd: /tmp
    - {run: 'exit 4', expect_exit: 4}
    - run: 'exit 5'
    - run: 'echo never'
)");
  auto result = runner::run_scenario(scenario, quick_options());
  INFO(result.error);
  REQUIRE(result.status == runner::Status::passed);
  REQUIRE(result.then_steps.size() == 3);  // the third step's exit 5 ends them
  const auto port = std::to_string(result.sandbox_port);
  REQUIRE(result.then_steps[0].process);
  CHECK(result.then_steps[0].process->stdout_text == port + " " + port + " deferred\n/tmp\n");
  CHECK(result.then_steps[0].line == 6);
  CHECK(result.then_steps[1].process->exit_code == 4);
  CHECK(result.then_steps[2].process->exit_code == 5);
}

TEST_CASE("a then step's wait_for is judged by the hook on what the sandbox captured", "[runner][scenario][then]") {
  auto scenario = load_one(R"(
name: then waits
app:
  run: 'true'
  then:
    - wait_for: {replies: [{command: RCPT, code: 451}]}
      within: 300ms
      run: 'echo never'
)");
  auto options = quick_options();
  std::size_t looks = 0;
  options.expectations.unmet = [&](const scenario::Scenario&, const scenario::Expectations& block,
                                   const std::string& path, const runner::ScenarioResult& snapshot) {
    ++looks;
    CHECK(block.replies.size() == 1);
    CHECK(snapshot.sessions.empty());
    return std::vector<runner::Failure>{{path + ".replies[0]", 6, "a 451", "nothing", {}}};
  };
  auto result = runner::run_scenario(scenario, options);
  REQUIRE(result.then_steps.size() == 1);
  CHECK(looks >= 2);  // looked at once, and again when the window ran out
  CHECK(result.then_steps[0].unmet.size() == 1);
  CHECK(result.then_steps[0].unmet[0].expectation == "app.then[0].wait_for.replies[0]");
  CHECK_FALSE(result.then_steps[0].process);  // the command never ran
}
