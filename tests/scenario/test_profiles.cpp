// server.profile: each provider preset loads, fills only what the scenario leaves out, and its
// bulk-sender rules come only with bulk_sender.
#include <catch2/catch.hpp>

#include "scenario/loader.hpp"
#include "scenario/profiles.hpp"

namespace scn = maildog::scenario;
using maildog::smtp::TlsMode;

namespace {

scn::Scenario load(const std::string& server) {
  auto loaded = scn::load_text("name: profile\nserver:\n" + server + "client:\n  steps: [{quit: true}]\n",
                               "mem/profile.yaml", scn::Environment::from_map({}));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  REQUIRE(loaded.scenarios.size() == 1);
  return loaded.scenarios.front();
}

std::string reply_of(const std::map<std::string, maildog::smtp::Reply>& replies, const std::string& key) {
  auto found = replies.find(key);
  return found == replies.end() ? std::string("(none)") : found->second.summary();
}

}  // namespace

TEST_CASE("every profile loads, alone and with its bulk-sender rules", "[scenario][profile]") {
  REQUIRE(scn::profiles().size() == 4);
  for (const auto& profile : scn::profiles()) {
    INFO(profile.name);
    CHECK(scn::find_profile(profile.name) == &profile);
    for (const char* bulk : {"false", "true"}) {
      auto scenario = load("  peer: {ip: 203.0.113.5}\n  profile: {name: " + std::string(profile.name) +
                           ", bulk_sender: " + bulk + "}\n");
      CHECK(scenario.server_extras.profile == std::string(profile.name));
      CHECK(scenario.server.replies.size() == profile.server_replies.size());
      for (const auto& [key, reply] : scenario.server.replies) {
        CHECK(reply.code >= 400);
      }
    }
  }
  CHECK(scn::find_profile("gmial") == nullptr);
}

TEST_CASE("gmail: the guidelines for every sender, and bulk rules on request", "[scenario][profile]") {
  auto scenario = load("  peer: {ip: 203.0.113.5}\n  profile: gmail\n");
  CHECK(scenario.server.hostname == "mx.google.com");
  CHECK(scenario.server.tls == TlsMode::starttls);
  CHECK(scenario.server.limits.message_size == 50U * 1024 * 1024);
  const auto& checks = scenario.server_extras.checks;
  CHECK(checks.authentication == scn::AuthenticationFloor::spf_or_dkim);
  CHECK(checks.ptr == scn::CheckMode::require);
  CHECK(checks.dmarc == scn::CheckMode::enforce);
  CHECK(checks.rfc5322 == scn::CheckMode::enforce);
  CHECK(checks.unsubscribe == scn::CheckMode::off);
  CHECK_FALSE(scenario.server_extras.bulk_sender);
  CHECK_THAT(reply_of(scenario.server.replies, "unknown_user"),
             Catch::StartsWith("550 5.1.1 The email account that you tried to reach does not exist."));

  auto bulk = load("  peer: {ip: 203.0.113.5}\n  profile: {name: gmail, bulk_sender: true}\n");
  const auto& bulk_checks = bulk.server_extras.checks;
  CHECK(bulk.server_extras.bulk_sender);
  CHECK(bulk_checks.authentication == scn::AuthenticationFloor::spf_and_dkim);
  CHECK(bulk_checks.spf == scn::CheckMode::require);
  CHECK(bulk_checks.dmarc == scn::CheckMode::require);
  CHECK(bulk_checks.unsubscribe == scn::CheckMode::require);
  CHECK(bulk_checks.ptr == scn::CheckMode::require);  // the rules for every sender still hold
  CHECK_THAT(reply_of(bulk_checks.replies, "dkim"), Catch::StartsWith("550 5.7.30 "));
  CHECK(reply_of(checks.replies, "dkim") == "(none)");
}

TEST_CASE("what the scenario writes overrides the profile", "[scenario][profile]") {
  auto scenario = load(R"(  peer: {ip: 203.0.113.5}
  profile: {name: microsoft365, bulk_sender: true}
  hostname: mx.custom.test
  tls: none
  limits: {message_size: 1MB}
  checks:
    dkim: report
    replies: {dmarc: "550 5.7.1 custom {domain}"}
  replies: {relay: "554 5.7.1 no relaying for <{address}>"}
)");
  CHECK(scenario.server.hostname == "mx.custom.test");
  CHECK(scenario.server.tls == TlsMode::none);
  CHECK(scenario.server.limits.message_size == 1000 * 1000);
  const auto& checks = scenario.server_extras.checks;
  CHECK(checks.dkim == scn::CheckMode::report);  // written
  CHECK(checks.spf == scn::CheckMode::require);  // from the bulk rules
  CHECK(reply_of(checks.replies, "dmarc") == "550 5.7.1 custom {domain}");
  CHECK_THAT(reply_of(checks.replies, "spf"), Catch::StartsWith("550 5.7.515 Access denied, sending domain {domain}"));
  CHECK(reply_of(scenario.server.replies, "relay") == "554 5.7.1 no relaying for <{address}>");
  CHECK(reply_of(scenario.server.replies, "unknown_user") ==
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
}

TEST_CASE("postfix-default: Postfix 3.7's postconf defaults, no sender checks", "[scenario][profile]") {
  auto scenario = load("  profile: postfix-default\n");  // no peer needed: nothing judges the sender
  CHECK(scenario.server.hostname == "mx.sandbox.test");
  CHECK(scenario.server.tls == TlsMode::none);
  CHECK(scenario.server.limits.message_size == 10240000);
  CHECK(scenario.server.limits.recipients == 1000);
  CHECK_FALSE(scenario.server.limits.reject_bare_lf);
  CHECK_FALSE(scenario.server_extras.checks.any_on());
  CHECK(reply_of(scenario.server.replies, "relay") == "554 5.7.1 <{address}>: Relay access denied");
}

TEST_CASE(
    "the sender checks' default texts are refusals whose enhanced code matches, placeholders where "
    "the check fills them",
    "[scenario][profile]") {
  const auto& texts = scn::default_check_texts();
  const std::pair<const char*, const scn::CheckText*> all[] = {
      {"spf_failed", &texts.spf_failed},
      {"dkim_missing", &texts.dkim_missing},
      {"dmarc_rejected", &texts.dmarc_rejected},
      {"ptr_missing", &texts.ptr_missing},
      {"dnsbl_listed", &texts.dnsbl_listed},
      {"unauthenticated", &texts.unauthenticated},
      {"spf_not_passing", &texts.spf_not_passing},
      {"dmarc_record_missing", &texts.dmarc_record_missing},
      {"dmarc_not_aligned", &texts.dmarc_not_aligned},
      {"rfc5322_from", &texts.rfc5322_from},
      {"rfc5322_message_id", &texts.rfc5322_message_id},
      {"rfc5322_duplicate", &texts.rfc5322_duplicate},
      {"unsubscribe_missing", &texts.unsubscribe_missing},
  };
  for (const auto& [name, text] : all) {
    INFO(name);
    CHECK((text->code >= 400 && text->code <= 599));
    CHECK(text->enhanced.cls == text->code / 100);
    CHECK_FALSE(text->text.empty());
  }
  CHECK(texts.spf_failed.text.find("{reason}") != std::string_view::npos);
  CHECK(texts.dmarc_rejected.text.find("{domain}") != std::string_view::npos);
  CHECK(texts.dnsbl_listed.text.find("[{ip}]") != std::string_view::npos);
  CHECK(texts.dnsbl_listed.text.ends_with("{zone}"));
  CHECK(texts.unauthenticated.text.starts_with("This mail has been blocked because the sender is unauthenticated."));
}
