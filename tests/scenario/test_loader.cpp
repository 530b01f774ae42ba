#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <tuple>

#include <unistd.h>

#include "scenario/loader.hpp"
#include "support/paths.hpp"

namespace scn = maildog::scenario;
using maildog::rules::TextMatch;
using maildog::smtp::EnhancedCode;

namespace {

std::filesystem::path valid_dir() { return maildog::test::source_dir() / "tests" / "scenario" / "valid"; }

scn::Environment test_env() { return scn::Environment::from_map({{"RCPT", "late@inbox.test"}}); }

std::string messages(const scn::LoadResult& result) {
  std::string out;
  for (const auto& diagnostic : result.diagnostics) {
    out += diagnostic.format() + "\n";
  }
  return out;
}

scn::LoadResult load_one(std::string_view yaml) { return scn::load_text(yaml, "mem/test.yaml", test_env()); }

// A folder tree under the build's temporary directory, removed afterwards.
struct TempTree {
  std::filesystem::path root;
  TempTree() : root(std::filesystem::temp_directory_path() / ("maildog-scenario-test-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
  }
  ~TempTree() { std::filesystem::remove_all(root); }
  void write(const std::filesystem::path& relative, std::string_view text) const {
    std::filesystem::create_directories((root / relative).parent_path());
    std::ofstream(root / relative) << text;
  }
};

std::string minimal(std::string_view name) {
  return "name: " + std::string(name) + "\nclient: {steps: [{expect: {code: 220}}]}\n";
}

}  // namespace

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

TEST_CASE("reply forms and pattern kinds", "[scenario]") {
  auto rule_reply = [](std::string_view reply_yaml) {
    std::string yaml = "name: r\nclient: {steps: [{quit: true}]}\nserver:\n  rules:\n    - at: rcpt\n      reply: ";
    yaml += reply_yaml;
    yaml += "\n";
    auto result = load_one(yaml);
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    REQUIRE(result.scenarios[0].server.rules.size() == 1);
    return *result.scenarios[0].server.rules[0].reply;
  };
  SECTION("string") {
    auto reply = rule_reply("\"421 4.7.0 Try again later\"");
    CHECK(reply.code == 421);
    CHECK(reply.enhanced == EnhancedCode{4, 7, 0});
    CHECK(reply.lines == std::vector<std::string>{"Try again later"});
  }
  SECTION("string without enhanced code") {
    auto reply = rule_reply("\"554 No thanks\"");
    CHECK(reply.code == 554);
    CHECK_FALSE(reply.enhanced);
    CHECK(reply.text() == "No thanks");
  }
  SECTION("list of wire lines") {
    auto reply = rule_reply("[\"550-5.7.1 first\", \"550-5.7.1 second\", \"550 5.7.1 third\"]");
    CHECK(reply.wire() == "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n");
  }
  SECTION("map with text lines") {
    auto reply = rule_reply("{code: 550, enhanced: 5.7.1, text: [one, two]}");
    CHECK(reply.summary() == "550 5.7.1 one / two");
  }
  SECTION("map with multi-line text and no enhanced code") {
    auto reply = rule_reply("{code: 250, text: \"fine\\nreally\"}");
    CHECK(reply.code == 250);
    CHECK_FALSE(reply.enhanced);
    CHECK(reply.lines == std::vector<std::string>{"fine", "really"});
  }
  SECTION("patterns: exact, glob, regex with flags") {
    auto result = load_one(
        "name: p\nclient: {steps: [{quit: true}]}\nserver:\n  rules:\n"
        "    - {at: rcpt, match: {rcpt: Bob@X.test, helo: \"mail?.*\", mail_from: \"/^a+@b$/i\"}, fault: "
        "disconnect}\n");
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    const auto& match = result.scenarios[0].server.rules[0].match;
    CHECK(match.rcpt->kind() == TextMatch::Kind::exact);
    CHECK(match.rcpt->matches("bob@x.test"));
    CHECK(match.helo->kind() == TextMatch::Kind::glob);
    CHECK(match.helo->matches("MAIL1.example.test"));
    CHECK(match.mail_from->kind() == TextMatch::Kind::regex);
    CHECK(match.mail_from->matches("AAA@B"));
    CHECK_FALSE(match.mail_from->matches("aaa@bc"));
  }
  SECTION("dns: live") {
    auto result = load_one("name: d\ndns: live\nclient: {steps: [{quit: true}]}\n");
    REQUIRE(result.scenarios.size() == 1);
    CHECK(result.scenarios[0].dns.live);
    CHECK(result.scenarios[0].dns.records.empty());
  }
  SECTION("attempt {min} alone has no upper bound") {
    auto result = load_one(
        "name: a\nclient: {steps: [{quit: true}]}\nserver: {rules: [{at: rcpt, match: {attempt: {min: 3}}, "
        "reply: \"250 2.1.5 ok\"}]}\n");
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    const auto& range = *result.scenarios[0].server.rules[0].match.attempt;
    CHECK(range.min == 3);
    CHECK(range.contains(1000));
    CHECK_FALSE(range.contains(2));
  }
}

TEST_CASE("diagnostics format as file:line:col and cover the whole input", "[scenario]") {
  SECTION("format") {
    scn::Diagnostic at_line{"s/a.yaml", 3, 7, "server.rules[1].reply", "reply code 700 is out of range 200-599"};
    CHECK(at_line.format() == "s/a.yaml:3:7: error: reply code 700 is out of range 200-599 (at server.rules[1].reply)");
    scn::Diagnostic whole_file{"s/missing.yaml", 0, 0, "", "no such file or folder"};
    CHECK(whole_file.format() == "s/missing.yaml: error: no such file or folder");
  }
  SECTION("a missing path is reported on that path") {
    auto result = scn::load_paths({"does/not/exist.yaml"}, test_env());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].format() == "does/not/exist.yaml: error: no such file or folder");
  }
  SECTION("every error of a file is listed, in line order, and good documents still load") {
    auto result = load_one(
        "name: good\nclient: {steps: [{quit: true}]}\n---\n"
        "name: bad\nsevrer: {}\nclient:\n  steps:\n    - {send: HELO x, expect: {code: 700}}\n"
        "    - {quit: true, expect: {enhanced: 9.1.1}}\n");
    REQUIRE(result.scenarios.size() == 1);
    CHECK(result.scenarios[0].name == "good");
    REQUIRE(result.diagnostics.size() == 3);
    CHECK(result.diagnostics[0].format() ==
          "mem/test.yaml:5:1: error: unknown key 'sevrer' (did you mean 'server'?) (at sevrer)");
    CHECK(result.diagnostics[1].line == 8);
    CHECK(result.diagnostics[1].message == "reply code 700 is out of range 200-599");
    CHECK(result.diagnostics[2].line == 9);
    CHECK_THAT(result.diagnostics[2].message, Catch::Contains("bad enhanced code '9.1.1'"));
  }
}

TEST_CASE("the schema is embedded and identical to schemas/scenario.schema.json", "[scenario]") {
  std::ifstream in(maildog::test::source_dir() / "schemas" / "scenario.schema.json", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  CHECK(scn::scenario_schema() == text.str());
  CHECK_FALSE(scn::scenario_schema().empty());
}

TEST_CASE("expect.delivered mime loads, and bad values are schema errors at their place", "[scenario][mime]") {
  const std::string head =
      "name: m\nclient: {steps: [{quit: true}]}\nexpect:\n  delivered:\n    - to: user@inbox.test\n";
  SECTION("every field, types lower-cased, one text as a list") {
    auto result = load_one(head +
                           "      mime:\n"
                           "        types: [Multipart/Mixed, application/pdf]\n"
                           "        attachments: [\"Rechnung März.pdf\"]\n"
                           "        text_contains: \"42,00 €\"\n"
                           "        problems: false\n");
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    const auto& mime = result.scenarios[0].expect.delivered[0].mime;
    REQUIRE(mime);
    CHECK(mime->types == std::vector<std::string>{"multipart/mixed", "application/pdf"});
    CHECK(mime->attachments == std::vector<std::string>{"Rechnung März.pdf"});
    CHECK(mime->text_contains == std::vector<std::string>{"42,00 €"});
    CHECK(mime->problems == false);
  }
  SECTION("no mime block, no mime expectation") {
    auto result = load_one(head);
    REQUIRE(result.scenarios.size() == 1);
    CHECK_FALSE(result.scenarios[0].expect.delivered[0].mime);
  }
  SECTION("bad values") {
    auto rejected = [&](const std::string& mime_yaml, const std::string& yaml_path) {
      auto result = load_one(head + "      mime: " + mime_yaml + "\n");
      INFO(mime_yaml << "\n" << messages(result));
      CHECK(result.scenarios.empty());
      REQUIRE_FALSE(result.diagnostics.empty());
      CHECK(result.diagnostics[0].line >= 6);
      CHECK_THAT(result.diagnostics[0].yaml_path, Catch::StartsWith(yaml_path));
    };
    rejected("{types: [pdf]}", "expect.delivered[0].mime.types");
    rejected("{types: []}", "expect.delivered[0].mime.types");
    rejected("{problems: no-thanks}", "expect.delivered[0].mime.problems");
    rejected("{attachments: [\"\"]}", "expect.delivered[0].mime.attachments");
    rejected("{parts: [text/plain]}", "expect.delivered[0].mime");
    rejected("{}", "expect.delivered[0].mime");
  }
}

// Found by fuzz/fuzz_scenario_load: valijson's UTF-8 length count read past its tables on a run
// of continuation bytes (UBSan: index out of bounds). Invalid bytes reach the schema as U+FFFD.
TEST_CASE("a string of UTF-8 continuation bytes is checked against the schema safely", "[scenario]") {
  const std::string tag = "rule" + std::string(24, '\xac') + "s";
  auto ok = load_one("name: continuation bytes\ntags: [\"" + tag + "\"]\nclient:\n  steps: [{quit: true}]\n");
  INFO(messages(ok));
  REQUIRE(ok.diagnostics.empty());
  REQUIRE(ok.scenarios.size() == 1);
  CHECK(ok.scenarios[0].tags == std::vector<std::string>{tag});

  auto bad = load_one("name: continuation bytes\nserver:\n  tls: \"" + std::string(24, '\xac') +
                      "\"\n"
                      "client:\n  steps: [{quit: true}]\n");
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].line == 3);
  CHECK_THAT(bad.diagnostics[0].message, Catch::Contains("is not one of: none, starttls, required, implicit"));
}

// Found by fuzz/fuzz_scenario_load: yaml-cpp 0.7's LoadAll never returned on these.
TEST_CASE("a ',' where a value or a document should start is a syntax error, not a hang", "[scenario]") {
  for (const auto& [yaml, line, column] :
       {std::tuple{std::string(","), 1U, 1U}, std::tuple{std::string("  , a\n"), 1U, 3U},
        std::tuple{std::string("# comment\n,\xff\xc0\n"), 2U, 1U}, std::tuple{std::string("name: x\n---\n,\n"), 3U, 1U},
        std::tuple{std::string("name: x\n--- ,\n"), 2U, 5U}, std::tuple{std::string("-\n,\n"), 2U, 1U},
        std::tuple{std::string("- !tag\n,"), 2U, 1U}, std::tuple{std::string("- a\n- b\n,\n- c\n"), 3U, 1U}}) {
    INFO(yaml);
    auto result = load_one(yaml);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].line == line);
    CHECK(result.diagnostics[0].column == column);
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("unexpected ','"));
  }
  auto fine = load_one("name: a, b\nclient:\n  steps: [{quit: true}, {send: \"NOOP\"}]\n");
  INFO(messages(fine));
  CHECK(fine.diagnostics.empty());
}

// Found by fuzz/fuzz_scenario_load: a NUL before a ',' hung yaml-cpp 0.7 too.
TEST_CASE("a control character is a syntax error at its place", "[scenario]") {
  auto result = load_one(std::string("name: x\n\0,\t\b\0\0\0\xc0\n", 17));
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].line == 2);
  CHECK(result.diagnostics[0].column == 1);
  CHECK_THAT(result.diagnostics[0].message, Catch::Contains("control character 0x00 is not allowed"));
  auto bell = load_one(
      "name: a\x07"
      "b\n");
  REQUIRE(bell.diagnostics.size() == 1);
  CHECK(bell.diagnostics[0].column == 8);
  CHECK_THAT(bell.diagnostics[0].message, Catch::Contains("control character 0x07"));
}

TEST_CASE("address fields accept addresses and patterns that can match one", "[scenario]") {
  auto result = load_one(
      "name: patterns\n"
      "server:\n"
      "  domains: [inbox.test, \"*.inbox.test\", \"inbox.*\"]\n"
      "  mailboxes: [user@inbox.test, postmaster, \"*@team.inbox.test\", \"no-reply@*\", \"*\", \"user?@inbox.test\"]\n"
      "  rules:\n"
      "    - {at: rcpt, match: {mail_from: \"\", rcpt: \"/^bounce-.*@/i\"}, reply: \"550 5.7.1 no\"}\n"
      "    - {at: rcpt, match: {mail_from: \"*inbox.test\", rcpt: \"user*\"}, reply: \"550 5.7.1 no\"}\n"
      "client: {steps: [{quit: true}]}\n"
      "expect:\n"
      "  delivered: [{to: \"\\\"quoted local\\\"@inbox.test\", from: \"*@*\"}]\n"
      "  not_delivered: [ghost@inbox.test, \"user@[192.0.2.1]\"]\n"
      "  rejected: [{reason: rule, to: \"/ghost/\"}]\n"
      "  retries: [{rcpt: ghost@inbox.test, max_attempts: 1}]\n");
  INFO(messages(result));
  CHECK(result.ok());
  CHECK(result.warnings.empty());
}

TEST_CASE("likely mistakes that are valid are warnings at their place, not errors", "[scenario]") {
  SECTION("an app field indented under app.env") {
    auto result = load_one(
        "name: env\n"
        "app:\n"
        "  run: [./send]\n"
        "  env:\n"
        "    MAILDOG_MODE: test\n"
        "    timeout: 20s\n"
        "    cwd: apps\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenarios.size() == 1);
    REQUIRE(result.warnings.size() == 2);
    CHECK(result.warnings[0].format() ==
          "mem/test.yaml:6:5: warning: app.env.timeout sets an environment variable named like the app field "
          "'timeout': if it is meant as app.timeout, indent it as deep as env:, not under it (at app.env.timeout)");
    CHECK(result.warnings[1].line == 7);
    CHECK(result.warnings[1].yaml_path == "app.env.cwd");
  }
  SECTION("a DNSBL fixture name with the address forward") {
    auto result = load_one(
        "name: dnsbl\n"
        "dns:\n"
        "  192.0.2.1.zen.dnsbl.test: {A: [127.0.0.2]}\n"
        "  2.0.0.127.zen.dnsbl.test: {A: [127.0.0.2]}\n"
        "  203.0.113.9.other.test: {A: [127.0.0.2]}\n"
        "server:\n"
        "  peer: {ip: 192.0.2.1}\n"
        "  checks: {dnsbl: [zen.dnsbl.test]}\n"
        "client: {steps: [{quit: true}]}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.warnings.size() == 1);
    CHECK(result.warnings[0].format() ==
          "mem/test.yaml:3:3: warning: 192.0.2.1.zen.dnsbl.test lists 1.2.0.192 in zen.dnsbl.test, not 192.0.2.1: a "
          "DNSBL is queried with the octets reversed, so write 1.2.0.192.zen.dnsbl.test to list 192.0.2.1 "
          "(at dns[\"192.0.2.1.zen.dnsbl.test\"])");
  }
  SECTION("the reversed name is what a DNSBL is asked for: no warning") {
    auto result = load_one(
        "name: dnsbl\n"
        "dns:\n"
        "  1.2.0.192.zen.dnsbl.test: {A: [127.0.0.2]}\n"
        "server:\n"
        "  peer: {ip: 192.0.2.1}\n"
        "  checks: {dnsbl: [zen.dnsbl.test]}\n"
        "client: {steps: [{quit: true}]}\n");
    INFO(messages(result));
    REQUIRE(result.ok());
    CHECK(result.warnings.empty());
  }
}

TEST_CASE("a port string that is a whole number after ${} expansion is that port", "[scenario]") {
  const std::string yaml =
      "name: x\nclient:\n  target: {host: mx.test, port: \"${MX_PORT:-2525}\"}\n  steps: [{quit: true}]\n";
  SECTION("the default") {
    auto result = scn::load_text(yaml, "mem/port.yaml", scn::Environment::from_map({}));
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    CHECK(result.scenarios[0].client->target.port == 2525);
  }
  SECTION("the variable") {
    auto result = scn::load_text(yaml, "mem/port.yaml", scn::Environment::from_map({{"MX_PORT", "2600"}}));
    INFO(messages(result));
    REQUIRE(result.scenarios.size() == 1);
    CHECK(result.scenarios[0].client->target.port == 2600);
  }
  SECTION("a string out of range is an error at its value") {
    auto result = scn::load_text(yaml, "mem/port.yaml", scn::Environment::from_map({{"MX_PORT", "70000"}}));
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].format() ==
          "mem/port.yaml:3:33: error: port \"70000\" is not a whole number from 1 to 65535 (at client.target.port)");
  }
}

TEST_CASE("a YAML syntax error says where the structure opened, at its YAML path", "[scenario]") {
  auto result = load_one(
      "name: x\n"
      "server:\n"
      "  domains: [inbox.test, other.test\n"
      "  mailboxes: [user@inbox.test]\n"
      "client: {steps: [{quit: true}]}\n");
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].format() ==
        "mem/test.yaml:4:12: error: YAML syntax error: end of sequence flow not found: unclosed '[' opened at 3:12 "
        "(a [...] list ends with ']') (at server.domains)");
}

TEST_CASE("expect.within, an item's within and app.then load into the model", "[scenario][within]") {
  auto result = load_one(R"(name: queued sender
app:
  run: [./send]
  then:
    - wait_for:
        replies: [{command: RCPT, code: 451}]
        retries: [{rcpt: bob@inbox.test, min_attempts: 1}]
      within: 20s
      run: "postqueue -f"
      env: {QUEUE: "{{smtp.port}}"}
      cwd: queue/
      timeout: 5s
      expect_exit: any
    - run: [./check, "{{smtp.host}}"]
      expect_exit: 3
    - wait_for: {delivered: [{to: bob@inbox.test}]}
expect:
  within: 10s
  delivered: [{to: bob@inbox.test, within: 1500ms}]
  replies: [{command: RCPT, code: 250, within: 2m}]
  rejected: [{reason: rule}]
  retries: [{rcpt: bob@inbox.test, min_attempts: 2, within: 0s}]
  not_delivered: [ghost@inbox.test]
)");
  INFO(messages(result));
  REQUIRE(result.diagnostics.empty());
  const scn::Scenario& s = result.scenarios.at(0);
  using std::chrono::milliseconds;
  CHECK(s.expect.within == milliseconds(10000));
  CHECK(s.expect.delivered.at(0).within == milliseconds(1500));
  CHECK(s.expect.replies.at(0).within == milliseconds(120000));
  CHECK_FALSE(s.expect.rejected.at(0).within);  // expect.within applies when the expectation is judged
  CHECK(s.expect.retries.at(0).within == milliseconds(0));

  const auto& then = s.app->then;
  REQUIRE(then.size() == 3);
  CHECK(then[0].line == 5);
  REQUIRE(then[0].wait_for);
  CHECK(then[0].wait_for->replies.at(0).code == 451);
  CHECK(then[0].wait_for->retries.at(0).min_attempts == 1U);
  CHECK(then[0].within == milliseconds(20000));
  REQUIRE(then[0].run);
  CHECK(then[0].run->shell == "postqueue -f");
  CHECK(then[0].run->env.at("QUEUE") == "{{smtp.port}}");
  CHECK(then[0].run->cwd == "queue/");
  CHECK(then[0].run->timeout == milliseconds(5000));
  CHECK(then[0].exit_any);
  CHECK_FALSE(then[1].wait_for);
  CHECK(then[1].run->argv == std::vector<std::string>{"./check", "{{smtp.host}}"});
  CHECK(then[1].expect_exit == 3);
  CHECK_FALSE(then[1].exit_any);
  CHECK(then[2].within == milliseconds(10000));  // the default
  CHECK_FALSE(then[2].run);
  CHECK(then[2].wait_for->delivered.size() == 1);
}

TEST_CASE("templates in a then step's run are checked like the app's", "[scenario][within]") {
  auto result = load_one("name: t\napp:\n  run: [./send]\n  then:\n    - run: \"flush {{smtp.prot}}\"\n");
  REQUIRE(result.diagnostics.size() == 1);
  CHECK_THAT(result.diagnostics[0].message, Catch::Contains("unknown template {{smtp.prot}}"));
  CHECK(result.diagnostics[0].line == 5);
}

TEST_CASE("server.tls is a mode, or a map with the mode and the certificate to present", "[scenario][tls]") {
  using maildog::smtp::CertificateKind;
  using maildog::smtp::TlsMode;
  auto plain = load_one("name: x\nserver: {tls: required}\nclient: {steps: [{quit: true}]}\n");
  REQUIRE(plain.ok());
  CHECK(plain.scenarios[0].server.tls == TlsMode::required);
  CHECK(plain.scenarios[0].server_extras.certificate == CertificateKind::trusted);
  const auto [text, kind] = GENERATE(table<std::string, CertificateKind>({
      {"trusted", CertificateKind::trusted},
      {"untrusted", CertificateKind::untrusted},
      {"expired", CertificateKind::expired},
      {"wrong_host", CertificateKind::wrong_host},
      {"self_signed", CertificateKind::self_signed},
  }));
  auto map = load_one("name: x\nserver:\n  tls: {mode: implicit, certificate: " + text +
                      "}\nclient: {steps: [{quit: true}]}\n");
  INFO(text);
  REQUIRE(map.ok());
  CHECK(map.scenarios[0].server.tls == TlsMode::implicit);
  CHECK(map.scenarios[0].server_extras.certificate == kind);
}
