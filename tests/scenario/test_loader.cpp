// The scenario loader: a full scenario into the model, documents, folders, environment
// variables and the embedded schema.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "scenario/loader_fixtures.hpp"

using namespace loader_fixtures;

TEST_CASE("a full app scenario loads into the exact model", "[scenario]") {
  auto result = scn::load_paths({valid_dir() / "rcpt_unknown.yaml"}, test_env());
  INFO(messages(result));
  REQUIRE(result.diagnostics.empty());
  REQUIRE(result.scenarios.size() == 1);
  const scn::Scenario& s = result.scenarios[0];

  CHECK(s.name == "password reset to an unknown user is reported and not retried");
  CHECK(s.tags == std::vector<std::string>{"transactional", "5.1.1"});
  CHECK(s.file == valid_dir() / "rcpt_unknown.yaml");
  CHECK(s.dir == valid_dir());
  CHECK(s.line == 2);

  SECTION("dns and server extras") {
    CHECK_FALSE(s.dns.live);
    CHECK(s.dns.records.at("yourdomain.test").at("TXT") == std::vector<std::string>{"v=spf1 ip4:203.0.113.5 -all"});
    CHECK(s.dns.records.at("5.113.0.203.in-addr.arpa").at("PTR") == std::vector<std::string>{"mail.yourdomain.test"});
    CHECK(s.server_extras.profile == "gmail");
    REQUIRE(s.server_extras.peer);
    CHECK(s.server_extras.peer->ip == "203.0.113.5");
    CHECK(s.server_extras.peer->helo == "mail.yourdomain.test");
    CHECK(s.server_extras.checks.spf == scn::CheckMode::enforce);
    CHECK(s.server_extras.checks.dkim == scn::CheckMode::report);
    CHECK(s.server_extras.checks.dmarc == scn::CheckMode::enforce);
    CHECK(s.server_extras.checks.ptr == scn::CheckMode::require);
    CHECK(s.server_extras.checks.dnsbl == std::vector<std::string>{"zen.dnsbl.test"});
  }

  SECTION("server config") {
    const auto& server = s.server;
    CHECK(server.hostname == "mx.inbox.test");
    CHECK(server.tls == maildog::smtp::TlsMode::starttls);
    CHECK(server.tls_cert_file == (valid_dir() / "certs/server.pem").string());
    CHECK(server.tls_key_file == (valid_dir() / "certs/server.key").string());
    REQUIRE(server.auth);
    CHECK(server.auth->mechanisms == std::vector<maildog::smtp::AuthMechanism>{maildog::smtp::AuthMechanism::plain,
                                                                               maildog::smtp::AuthMechanism::login});
    CHECK(server.auth->users == std::map<std::string, std::string>{{"app", "s3cret"}});
    CHECK(server.auth->required);
    CHECK_FALSE(server.auth->allow_plaintext_without_tls);
    CHECK(server.domains == std::vector<std::string>{"inbox.test"});
    CHECK(server.mailboxes == std::vector<std::string>{"user@inbox.test", "*@team.inbox.test"});
    CHECK(server.limits.line_length == 2000);
    CHECK(server.limits.message_size == 10'000'000);
    CHECK(server.limits.recipients == 5);
    CHECK(server.limits.errors == maildog::limits::k_errors_default);
    CHECK(server.limits.idle_timeout == std::chrono::seconds(20));
    CHECK(server.limits.session_deadline == std::chrono::minutes(2));
    CHECK_FALSE(server.limits.reject_bare_lf);
    CHECK(server.seed == 42);
  }

  SECTION("rules in every reply form") {
    const auto& rules = s.server.rules;
    REQUIRE(rules.size() == 5);
    using maildog::rules::Stage;

    CHECK(rules[0].at == Stage::rcpt);
    CHECK(rules[0].source_line == 22);
    REQUIRE(rules[0].match.rcpt);
    CHECK(rules[0].match.rcpt->kind() == TextMatch::Kind::exact);
    CHECK(rules[0].match.rcpt->matches("GHOST@inbox.test"));
    REQUIRE(rules[0].reply);
    CHECK(rules[0].reply->code == 550);
    CHECK(rules[0].reply->enhanced == EnhancedCode{5, 1, 1});
    CHECK(rules[0].reply->lines ==
          std::vector<std::string>{"<ghost@inbox.test>: Recipient address rejected: User unknown"});
    CHECK_FALSE(rules[0].fault);

    REQUIRE(rules[1].match.rcpt);
    CHECK(rules[1].match.rcpt->kind() == TextMatch::Kind::glob);
    CHECK(rules[1].match.rcpt->matches("a@slow.inbox.test"));
    REQUIRE(rules[1].match.attempt);
    CHECK(rules[1].match.attempt->min == 1);
    CHECK(rules[1].match.attempt->max == 2);
    CHECK(rules[1].match.probability == 0.5);
    REQUIRE(rules[1].fault);
    CHECK(rules[1].fault->kind == maildog::rules::Fault::Kind::delay);
    CHECK(rules[1].fault->duration == std::chrono::milliseconds(500));
    CHECK(rules[1].reply->summary() == "451 4.7.1 Greylisted, try again later");

    CHECK(rules[2].at == Stage::end_of_data);
    REQUIRE(rules[2].match.headers.size() == 1);
    CHECK(rules[2].match.headers[0].name == "Subject");
    CHECK(rules[2].match.headers[0].value.kind() == TextMatch::Kind::regex);
    CHECK(rules[2].match.headers[0].value.matches("Get FREE MONEY now"));
    CHECK(rules[2].reply->code == 550);
    CHECK(rules[2].reply->enhanced == EnhancedCode{5, 7, 26});
    CHECK(rules[2].reply->lines ==
          std::vector<std::string>{"This mail is unauthenticated", "Please read the sender guidelines"});

    CHECK(rules[3].at == Stage::mail);
    CHECK(rules[3].match.mail_from->matches("bounce-17@x.test"));
    CHECK_FALSE(rules[3].match.mail_from->matches("alice@x.test"));
    CHECK(rules[3].match.auth_user->matches("app"));
    CHECK(rules[3].reply->wire() == "452 4.3.1 Insufficient system storage\r\n");

    CHECK(rules[4].at == Stage::connect);
    CHECK(rules[4].match.client_ip->matches("192.0.2.66"));
    CHECK(rules[4].fault->kind == maildog::rules::Fault::Kind::disconnect);
    CHECK_FALSE(rules[4].reply);
    CHECK(rules[4].source_line == 37);
  }

  SECTION("app keeps runtime templates") {
    REQUIRE(s.app);
    CHECK_FALSE(s.client);
    CHECK(s.app->argv == std::vector<std::string>{"python3", "apps/send_reset.py", "--to", "ghost@inbox.test",
                                                  "--port={{smtp.port}}"});
    CHECK_FALSE(s.app->shell);
    CHECK(s.app->env ==
          std::map<std::string, std::string>{
              {"SMTP_HOST", "{{smtp.host}}"}, {"SMTP_PORT", "{{ smtp.port }}"}, {"RETRIES", "3"}, {"VERBOSE", "true"}});
    CHECK(s.app->timeout == std::chrono::seconds(20));
    CHECK(s.app->cwd == "{{scenario.dir}}/apps");
    CHECK(s.app->line == 46);
  }

  SECTION("expectations") {
    const auto& expect = s.expect;
    CHECK(expect.line == 51);
    REQUIRE(expect.app);
    CHECK(expect.app->exit == 0);
    REQUIRE(expect.app->stdout_expect);
    CHECK(expect.app->stdout_expect->contains == std::vector<std::string>{"marked ghost@inbox.test undeliverable"});
    CHECK(expect.app->stdout_expect->not_contains == std::vector<std::string>{"Traceback"});
    REQUIRE(expect.app->stderr_expect);
    REQUIRE(expect.app->stderr_expect->regex);
    CHECK(expect.app->stderr_expect->regex->matches(""));

    REQUIRE(expect.replies.size() == 2);
    CHECK(expect.replies[0].command == "RCPT");
    CHECK(expect.replies[0].arg->matches("ghost@inbox.test"));
    CHECK(expect.replies[0].code == 550);
    CHECK(expect.replies[0].enhanced == EnhancedCode{5, 1, 1});
    CHECK(expect.replies[0].count == 1u);
    CHECK(expect.replies[0].line == 57);
    CHECK(expect.replies[1].command == "MAIL");
    CHECK(expect.replies[1].text->matches("2.1.0 OK"));
    CHECK(expect.replies[1].min == 1u);
    CHECK(expect.replies[1].max == 3u);
    CHECK_FALSE(expect.replies[1].count);

    REQUIRE(expect.delivered.size() == 1);
    CHECK(expect.delivered[0].to->matches("user@inbox.test"));
    CHECK(expect.delivered[0].from->matches("noreply@yourdomain.test"));
    CHECK(expect.delivered[0].count == 1u);
    CHECK(expect.delivered[0].headers.at("Subject").matches("reset your password"));
    CHECK(expect.delivered[0].line == 60);

    CHECK(expect.not_delivered == std::vector<std::string>{"ghost@inbox.test"});
    CHECK(expect.not_delivered_line == 64);
    REQUIRE(expect.retries.size() == 1);
    CHECK(expect.retries[0].rcpt == "ghost@inbox.test");
    CHECK(expect.retries[0].max_attempts == 1u);
    CHECK(expect.retries[0].min_attempts == 1u);
    REQUIRE(expect.transcript);
    CHECK(expect.transcript->golden == valid_dir() / "golden/reset.txt");
    CHECK(expect.transcript->contains == std::vector<std::string>{"RCPT TO:<ghost@inbox.test>"});
  }
}

TEST_CASE("a multi-document file gives one scenario per document", "[scenario]") {
  auto result = scn::load_paths({valid_dir() / "client_script.yaml"}, test_env());
  INFO(messages(result));
  REQUIRE(result.diagnostics.empty());
  REQUIRE(result.scenarios.size() == 2);
  using Kind = scn::ClientStep::Kind;

  const scn::Scenario& first = result.scenarios[0];
  CHECK(first.name == "unknown recipient is refused in the dialogue");
  CHECK(first.line == 2);
  REQUIRE(first.client);
  CHECK_FALSE(first.app);
  CHECK(first.client->target.sandbox);
  CHECK_FALSE(first.client->target.tls);
  REQUIRE(first.client->steps.size() == 5);
  CHECK(first.client->steps[0].kind == Kind::expect_only);
  CHECK(first.client->steps[0].expect->code == 220);
  CHECK(first.client->steps[0].line == 8);
  CHECK(first.client->steps[1].kind == Kind::send);
  CHECK(first.client->steps[1].text == "EHLO client.test");
  CHECK(first.client->steps[2].kind == Kind::send);
  CHECK_FALSE(first.client->steps[2].expect);
  const auto& refused = first.client->steps[3];
  CHECK(refused.expect->code == 550);
  CHECK(refused.expect->enhanced == EnhancedCode{5, 1, 1});
  CHECK(refused.expect->text->kind() == TextMatch::Kind::glob);
  CHECK(refused.expect->text->matches("User Unknown in table"));
  CHECK(first.client->steps[4].kind == Kind::quit);

  const scn::Scenario& second = result.scenarios[1];
  CHECK(second.name == "authenticated submission over STARTTLS");
  CHECK(second.line == 16);
  CHECK(second.server.tls == maildog::smtp::TlsMode::required);
  REQUIRE(second.server.auth);
  CHECK(second.server.auth->mechanisms.size() == 3);
  const auto& target = second.client->target;
  CHECK_FALSE(target.sandbox);
  CHECK(target.host == "127.0.0.1");
  CHECK(target.port == 2525);
  CHECK(target.tls == maildog::smtp::TlsMode::starttls);
  const auto& steps = second.client->steps;
  REQUIRE(steps.size() == 10);
  CHECK(steps[2].kind == Kind::starttls);
  CHECK(steps[4].kind == Kind::auth);
  REQUIRE(steps[4].auth);
  CHECK(steps[4].auth->mechanism == maildog::smtp::AuthMechanism::cram_md5);
  CHECK(steps[4].auth->user == "{{smtp.user}}");
  CHECK(steps[4].auth->password == "{{smtp.password}}");
  CHECK(steps[4].expect->code == 235);
  CHECK(steps[7].kind == Kind::data);
  CHECK(steps[7].text == "Subject: hello\n\n.a line that starts with a dot\n");
  CHECK(steps[7].expect->code == 250);
  CHECK(steps[8].kind == Kind::connect);
  CHECK(steps[9].kind == Kind::quit);
  CHECK(steps[9].expect->code == 221);
}

TEST_CASE("folders are searched recursively in sorted order", "[scenario]") {
  auto result = scn::load_paths({valid_dir()}, test_env());
  INFO(messages(result));
  REQUIRE(result.diagnostics.empty());
  std::vector<std::string> names;
  for (const auto& s : result.scenarios) {
    names.push_back(s.name);
  }
  CHECK(names == std::vector<std::string>{
                     "unknown recipient is refused in the dialogue",
                     "authenticated submission over STARTTLS",
                     "greylisted recipient is retried after 451",
                     "password reset to an unknown user is reported and not retried",
                 });

  SECTION("hidden folders and other extensions are skipped") {
    TempTree tree;
    tree.write("b.yml", minimal("b"));
    tree.write("a/z.yaml", minimal("a/z"));
    tree.write("a/notes.txt", "name: not a scenario\n");
    tree.write(".hidden/x.yaml", minimal("hidden"));
    tree.write("a/.also-hidden.yaml", minimal("hidden file"));
    tree.write("c/d/e.yaml", minimal("c/d/e"));
    auto loaded = scn::load_paths({tree.root}, test_env());
    INFO(messages(loaded));
    REQUIRE(loaded.diagnostics.empty());
    std::vector<std::string> found;
    for (const auto& s : loaded.scenarios) {
      found.push_back(s.name);
    }
    CHECK(found == std::vector<std::string>{"a/z", "b", "c/d/e"});
  }
}

TEST_CASE("environment variables and their defaults are expanded at load time", "[scenario]") {
  auto path = valid_dir() / "nested" / "greylisting.yml";
  SECTION("defaults and values") {
    auto result = scn::load_paths({path}, test_env());
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    const auto& s = result.scenarios[0];
    CHECK(s.app->shell == "./mailer.sh --host {{smtp.host}} --cost $5");
    CHECK(s.app->argv.empty());
    CHECK(s.expect.retries[0].rcpt == "late@inbox.test");
    CHECK(s.expect.retries[0].min_attempts == 2u);
    CHECK(s.expect.delivered[0].to->matches("late@inbox.test"));
    CHECK(s.server.limits.message_size == 512 * 1024);
    CHECK(s.server.limits.errors == 3);
    REQUIRE(s.server.rules.size() == 3);
    CHECK(s.server.rules[0].match.attempt->min == 1);
    CHECK(s.server.rules[0].match.attempt->max == 1);
    CHECK(s.server.rules[1].fault->kind == maildog::rules::Fault::Kind::close_421);
    CHECK(s.server.rules[2].fault->kind == maildog::rules::Fault::Kind::close_421);
  }
  SECTION("a set variable overrides the default") {
    auto env = scn::Environment::from_map({{"RCPT", "x@y.test"}, {"MAILER", "/bin/mailer"}});
    auto result = scn::load_paths({path}, env);
    REQUIRE(result.scenarios.size() == 1);
    CHECK(result.scenarios[0].app->shell == "/bin/mailer --host {{smtp.host}} --cost $5");
  }
  SECTION("an unset variable without default is an error at its value") {
    auto result = scn::load_paths({path}, scn::Environment::from_map({}));
    CHECK(result.scenarios.empty());
    REQUIRE(result.diagnostics.size() == 2);
    CHECK(result.diagnostics[0].line == 11);
    CHECK(result.diagnostics[0].column == 20);
    CHECK(result.diagnostics[0].yaml_path == "expect.retries[0].rcpt");
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("RCPT is not set"));
    CHECK(result.diagnostics[1].yaml_path == "expect.delivered[0].to");
  }
  SECTION("an expanded plain scalar gets its type after expansion") {
    auto env = scn::Environment::from_map({{"PORT", "2600"}});
    auto result =
        scn::load_text("name: x\nclient:\n  target:\n    host: h.test\n    port: ${PORT}\n  steps: [{quit: true}]\n",
                       "mem/port.yaml", env);
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    CHECK(result.scenarios[0].client->target.port == 2600);
  }
}

TEST_CASE("the schema is embedded and identical to schemas/scenario.schema.json", "[scenario]") {
  std::ifstream in(maildog::test::source_dir() / "schemas" / "scenario.schema.json", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  CHECK(scn::scenario_schema() == text.str());
  CHECK_FALSE(scn::scenario_schema().empty());
}
