// The scenario loader on single fields: replies and patterns, MIME, addresses, ports, within
// and then steps, server.tls.
#include <catch2/catch.hpp>

#include "scenario/loader_fixtures.hpp"

using namespace loader_fixtures;

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
