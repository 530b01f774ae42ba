#include <catch2/catch.hpp>

#include "runner/secrets.hpp"
#include "scenario/loader.hpp"
#include "smtp/sasl.hpp"

using namespace maildog;

namespace {

scenario::Scenario load_one(const std::string& yaml, std::map<std::string, std::string> environment = {}) {
  auto loaded =
      scenario::load_text(yaml, "/suite/secrets.yaml", scenario::Environment::from_map(std::move(environment)));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  REQUIRE(loaded.scenarios.size() == 1);
  return loaded.scenarios.front();
}

bool has(const std::vector<std::string>& secrets, const std::string& value) {
  return std::find(secrets.begin(), secrets.end(), value) != secrets.end();
}

const std::string k_nul(1, '\0');

}  // namespace

TEST_CASE("scenario_secrets: passwords and their AUTH forms", "[runner][secrets]") {
  const auto scenario = load_one(R"(
name: secrets from everywhere
server:
  auth: {users: {app: "${SMTP_PASSWORD}", short: pw}}
app:
  run: [python3, app.py]
  env: {API_TOKEN: tok-123456, MAILDOG_SMTP_USER: other, GREETING: hello-world}
)",
                                 {{"SMTP_PASSWORD", "from-the-env"}});
  const auto secrets = runner::scenario_secrets(scenario);
  CHECK(has(secrets, "from-the-env"));
  CHECK(has(secrets, smtp::sasl::base64_encode("from-the-env")));
  for (const std::string user : {"app", "short", "other"}) {
    CAPTURE(user);
    CHECK(has(secrets, smtp::sasl::base64_encode(k_nul + user + k_nul + "from-the-env")));
    CHECK(has(secrets, smtp::sasl::base64_encode(user + k_nul + user + k_nul + "from-the-env")));
  }
  CHECK(has(secrets, "tok-123456"));
  CHECK_FALSE(has(secrets, "hello-world"));
  CHECK_FALSE(has(secrets, "pw"));  // below k_secret_min_length
  CHECK_FALSE(has(secrets, "other"));
  for (std::size_t i = 1; i < secrets.size(); ++i) {
    CHECK(secrets[i - 1].size() >= secrets[i].size());
  }
}

TEST_CASE("scenario_secrets: a client's AUTH step password, literal or templated", "[runner][secrets]") {
  const auto scenario = load_one(R"(
name: client auth
server:
  auth: {users: {app: server-side-pw}}
client:
  steps:
    - auth: {mechanism: LOGIN, user: "{{smtp.user}}", password: "{{smtp.password}}"}
    - auth: {mechanism: PLAIN, user: someone, password: literal-secret}
)");
  const auto secrets = runner::scenario_secrets(scenario);
  CHECK(has(secrets, "server-side-pw"));
  CHECK(has(secrets, "literal-secret"));
  CHECK(has(secrets, smtp::sasl::base64_encode(k_nul + "someone" + k_nul + "literal-secret")));
  CHECK_FALSE(has(secrets, "{{smtp.password}}"));
}

TEST_CASE("redact_result masks secrets everywhere a report looks", "[runner][secrets]") {
  const std::vector<std::string> secrets{"c2VjcmV0LXZhbHVl", "secret-value"};
  CHECK(runner::redact("pw secret-value and secret-value", secrets) == "pw *** and ***");
  CHECK(runner::redact("AUTH LOGIN c2VjcmV0LXZhbHVl", secrets) == "AUTH LOGIN ***");

  runner::ScenarioResult result;
  result.error = "cannot log in with secret-value";
  result.failures.push_back({"expect.app.stdout.contains[0]",
                             3,
                             "stdout contains x",
                             "stdout: secret-value",
                             {"C: AUTH PLAIN secret-value"}});
  runner::ProcessResult app;
  app.stdout_text = "password=secret-value\n";
  app.stderr_text = "send: 'c2VjcmV0LXZhbHVl\\r\\n'\n";
  result.app = app;
  runner::StepOutcome step;
  step.action = "SEND secret-value";
  step.problem = "refused secret-value";
  step.reply = smtp::Reply::parse("535 5.7.8 bad secret-value");
  result.steps.push_back(step);
  capture::SessionRecord session;
  session.transcript.push_back({capture::TranscriptEntry::Direction::client, "c2VjcmV0LXZhbHVl", {}});
  capture::TransactionRecord transaction;
  const auto untouched = std::make_shared<const std::string>("Subject: nothing here\r\n\r\nbody\r\n");
  transaction.message = std::make_shared<const std::string>("Subject: secret-value\r\n\r\nbody\r\n");
  session.transactions.push_back(transaction);
  transaction.message = untouched;
  session.transactions.push_back(transaction);
  result.sessions.push_back(session);

  runner::redact_result(result, secrets);
  CHECK(result.error == "cannot log in with ***");
  CHECK(result.failures[0].actual == "stdout: ***");
  CHECK(result.failures[0].context[0] == "C: AUTH PLAIN ***");
  CHECK(result.app->stdout_text == "password=***\n");
  CHECK(result.app->stderr_text == "send: '***\\r\\n'\n");
  CHECK(result.steps[0].action == "SEND ***");
  CHECK(result.steps[0].problem == "refused ***");
  CHECK(result.steps[0].reply->summary() == "535 5.7.8 bad ***");
  CHECK(result.sessions[0].transcript[0].text == "***");
  CHECK(*result.sessions[0].transactions[0].message == "Subject: ***\r\n\r\nbody\r\n");
  // A message without a secret is still the very same shared copy.
  CHECK(result.sessions[0].transactions[1].message == untouched);
}

TEST_CASE("a then step's secret env values are masked in its output and its unmet waits", "[runner][secrets][then]") {
  const auto scenario = load_one(R"(
name: then secrets
app:
  run: [./send]
  then:
    - run: [./flush]
      env: {FLUSH_TOKEN: "t0ken-of-the-queue"}
)");
  const auto secrets = runner::scenario_secrets(scenario);
  REQUIRE(has(secrets, "t0ken-of-the-queue"));
  runner::ScenarioResult result;
  runner::ThenOutcome step;
  step.process = runner::ProcessResult{};
  step.process->stdout_text = "flushing with t0ken-of-the-queue\n";
  step.unmet.push_back(
      {"app.then[0].wait_for.replies[0]", 5, "a 451", "saw t0ken-of-the-queue", {"t0ken-of-the-queue"}});
  result.then_steps.push_back(step);
  runner::redact_result(result, secrets);
  CHECK(result.then_steps[0].process->stdout_text == "flushing with ***\n");
  CHECK(result.then_steps[0].unmet[0].actual == "saw ***");
  CHECK(result.then_steps[0].unmet[0].context == std::vector<std::string>{"***"});
}

TEST_CASE("scenario_secrets: a service's env named like a secret, and its output is masked", "[runner][secrets]") {
  const auto scenario = load_one(R"yaml(name: service secret
services:
  - name: web
    run: ./web
    env: {API_TOKEN: "tok-service-0123456789"}
app: {run: ./send}
)yaml");
  const auto secrets = runner::scenario_secrets(scenario);
  CHECK(has(secrets, "tok-service-0123456789"));

  runner::ScenarioResult result;
  runner::ServiceResult web;
  web.name = "web";
  web.process.stderr_text = "using tok-service-0123456789\n";
  web.problem = "service 'web' exited before it was ready";
  result.services.push_back(web);
  runner::redact_result(result, secrets);
  CHECK(result.services[0].process.stderr_text == "using ***\n");
}
