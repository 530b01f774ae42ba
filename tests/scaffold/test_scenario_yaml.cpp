// The scenario writer (src/scaffold): what it writes loads without a diagnostic, puts the rule at
// the stage the bounce or the table gives, quotes every text right, replaces addresses everywhere,
// and leaves a placeholder the loader refuses when no app was given.
#include <catch2/catch.hpp>

#include "bounce/facts.hpp"
#include "explain/knowledge.hpp"
#include "scaffold/scenario_yaml.hpp"
#include "scenario/loader.hpp"

using namespace maildog;

namespace {

std::string scaffold_of(std::string_view bounce_text, scaffold::ScaffoldOptions options = {.app = "true"}) {
  auto read = bounce::read_bounce(bounce_text);
  REQUIRE(read.facts);
  return scaffold::scenario_yaml(*read.facts, explain::diagnose(read.facts->reply), options);
}

scenario::LoadResult load(const std::string& yaml) {
  return scenario::load_text(yaml, "generated.yaml", scenario::Environment::from_map({}));
}

void check_loads(const std::string& yaml) {
  const auto result = load(yaml);
  std::string reported;
  for (const auto& diagnostic : result.diagnostics) {
    reported += diagnostic.format() + "\n";
  }
  INFO(yaml);
  INFO(reported);
  CHECK(result.diagnostics.empty());
  CHECK(result.scenarios.size() == 1);
}

}  // namespace

TEST_CASE("a 5.1.1 becomes a RCPT rule for the test recipient, with the reply in test addresses", "[scaffold]") {
  const auto yaml = scaffold_of("550 5.1.1 <ghost@example.net>: Recipient address rejected: User unknown");
  check_loads(yaml);
  CHECK_THAT(yaml,
             Catch::Contains("at: rcpt") && Catch::Contains("match: {rcpt: user1@recipient.test}") &&
                 Catch::Contains("\"550 5.1.1 <user1@recipient.test>: Recipient address rejected: User unknown\""));
  CHECK_THAT(yaml, Catch::Contains("# Original reply: 550 5.1.1 <user1@recipient.test>:"));
  CHECK_THAT(yaml, Catch::Contains("# Diagnosis [user_unknown]") && Catch::Contains("# Fix: "));
  CHECK_THAT(yaml, Catch::Contains("max_attempts: 1") && Catch::Contains("count: 1") &&
                       Catch::Contains("not_delivered: [user1@recipient.test]"));
  CHECK(yaml.find("ghost@example.net") == std::string::npos);
}

TEST_CASE("keep_addresses (--keep-addresses) keeps the bounce's addresses everywhere", "[scaffold]") {
  const auto yaml = scaffold_of("550 5.1.1 <ghost@example.net>: User unknown", {.app = "true", .keep_addresses = true});
  check_loads(yaml);
  CHECK(yaml.find("recipient.test") == std::string::npos);
  CHECK_THAT(yaml, Catch::Contains("match: {rcpt: ghost@example.net}"));
}

TEST_CASE("a 4xx expects the app to come back", "[scaffold]") {
  const auto yaml = scaffold_of("451 4.7.1 <ghost@example.net>: Recipient address rejected: try again later");
  check_loads(yaml);
  CHECK_THAT(yaml, Catch::Contains("min: 2") && Catch::Contains("min_attempts: 2"));
}

TEST_CASE("the stage: the bounce's evidence first, else the table with its reason", "[scaffold]") {
  SECTION("evidence") {
    const auto yaml = scaffold_of("host mx said: 550 5.1.1 <g@example.net>: unknown (in reply to end of DATA command)");
    check_loads(yaml);
    CHECK_THAT(yaml, Catch::Contains("at: end_of_data  # the bounce says \"in reply to end of DATA command\""));
  }
  SECTION("table: a sender refusal is at MAIL FROM") {
    const auto yaml = scaffold_of("553 5.1.8 <a@bad.example>: Sender address rejected: Domain not found");
    check_loads(yaml);
    CHECK_THAT(yaml, Catch::Contains("at: mail  # the bounce does not say;") &&
                         Catch::Contains("match: {mail_from: sender@sender.test}") && Catch::Contains("command: MAIL"));
  }
}

TEST_CASE("authentication refusals get a dns fixture and the sandbox's checks, with the production text",
          "[scaffold]") {
  SECTION("DMARC") {
    const auto yaml = scaffold_of(
        "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n"
        "550 5.7.26 DMARC policy. Please contact the administrator of example.com domain.");
    check_loads(yaml);
    CHECK_THAT(yaml, Catch::Contains("_dmarc.sender.test: {TXT: v=DMARC1; p=reject}") &&
                         Catch::Contains("dmarc: enforce") && Catch::Contains("command: END_OF_DATA"));
    CHECK(yaml.find("rules:") == std::string::npos);
  }
  SECTION("DNSBL: the zone and the client IP of the text") {
    const auto yaml = scaffold_of(
        "NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked "
        "using zen.spamhaus.org; from=<a@example.com> to=<b@example.net> proto=ESMTP helo=<x>");
    check_loads(yaml);
    CHECK_THAT(yaml, Catch::Contains("9.2.0.192.zen.spamhaus.org: {A: 127.0.0.2}") &&
                         Catch::Contains("dnsbl: [zen.spamhaus.org]") && Catch::Contains("ip: 192.0.2.9") &&
                         Catch::Contains("{reason: dnsbl, to: user1@recipient.test}"));
  }
}

TEST_CASE("texts YAML or the patterns would misread are quoted and escaped", "[scaffold]") {
  const auto yaml = scaffold_of("550 5.7.1 \"quoted\": #not-a-comment * and ? {braces} 'single'");
  check_loads(yaml);
  CHECK_THAT(yaml, Catch::Contains("text: \"/^"));  // glob characters: an anchored regex, not a glob
}

TEST_CASE("without an app, app.run is a placeholder the loader refuses at its line", "[scaffold]") {
  const auto yaml = scaffold_of("550 5.1.1 <ghost@example.net>: User unknown", {});
  const auto result = load(yaml);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].line > 0);
  CHECK_THAT(result.diagnostics[0].message, Catch::Contains("placeholder") && Catch::Contains("--app"));
}
