// The diagnosis rules (src/explain/knowledge.cpp), the explanation built around them and its two
// renderings. The golden test covers real-world texts; these pin the rules the brief names, the
// precedence between text and code, and the fallbacks.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "explain/explanation.hpp"
#include "explain/render.hpp"
#include "support/paths.hpp"

using namespace maildog::explain;

namespace {

Explanation explained(std::string_view input) {
  const auto search = find_reply(input);
  INFO(input);
  REQUIRE(search.reply);
  return explain(*search.reply);
}

}  // namespace

TEST_CASE("the rules give each kind of rejection its diagnosis and scenario", "[explain][knowledge]") {
  struct Row {
    std::string input;
    std::string diagnosis;
    std::string scenario;  // empty: none
  };
  auto row = GENERATE(values<Row>({
      {"550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown", "user_unknown", "user_unknown.yaml"},
      {"550 5.1.1 The email account that you tried to reach does not exist.", "user_unknown", "user_unknown.yaml"},
      {"550 5.1.10 RESOLVER.ADR.RecipNotFound; not found", "user_unknown", "user_unknown.yaml"},
      {"552 5.2.2 Mailbox full", "mailbox_full", ""},
      {"452 4.2.2 The email account that you tried to reach is over quota.", "mailbox_full", ""},
      {"554 5.7.1 <a@elsewhere.example>: Relay access denied", "relay_denied", "relaying_denied.yaml"},
      {"550 5.7.1 <someone@elsewhere.example>: Relaying denied", "relay_denied", "relaying_denied.yaml"},
      {"550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain", "relay_denied", "relaying_denied.yaml"},
      {"550 5.1.0 <no-reply@yourdomain.test>: Sender address rejected: not owned by user", "sender_rejected",
       "sender_rejected.yaml"},
      {"553 5.1.7 The sender address <x> is not a valid RFC 5321 address.", "sender_rejected", "sender_rejected.yaml"},
      {"450 4.1.8 <a@b.invalid>: Sender address rejected: Domain not found", "sender_rejected", "sender_rejected.yaml"},
      {"550 5.7.23 SPF validation failed", "spf_fail", "spf_fail.yaml"},
      {"550 5.7.20 No passing DKIM signature found", "dkim_fail", "dkim_required.yaml"},
      {"550 5.7.21 No acceptable DKIM signature found", "dkim_fail", "dkim_required.yaml"},
      {"550 5.7.22 No valid author-matched DKIM signature found", "dkim_fail", "dkim_required.yaml"},
      {"550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.",
       "dmarc_reject", "dmarc_reject.yaml"},
      {"554 5.7.9 Message not accepted for policy reasons.", "dmarc_reject", "dmarc_reject.yaml"},
      {"550 5.7.25 The IP address sending this message does not have a PTR record setup", "ptr_missing",
       "missing_ptr.yaml"},
      {"550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org", "dnsbl_listed",
       "dnsbl_listed.yaml"},
      {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org", "dnsbl_listed",
       "dnsbl_listed.yaml"},
      {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net", "dnsbl_listed",
       "dnsbl_listed.yaml"},
      {"550 5.7.649 Access denied", "provider_blocklist", "dnsbl_listed.yaml"},
      {"530 5.7.0 Must issue a STARTTLS command first", "tls_required", ""},
      {"523 5.7.10 Encryption Needed", "tls_required", ""},
      {"530 5.7.0 Authentication required", "auth_required", "auth_required.yaml"},
      {"530 5.7.57 Client not authenticated to send mail", "auth_required", "auth_required.yaml"},
      {"535 5.7.8 Error: authentication failed", "bad_credentials", "bad_credentials.yaml"},
      {"535 5.7.139 Authentication unsuccessful, the request did not meet the criteria", "bad_credentials",
       "bad_credentials.yaml"},
      {"552 5.3.4 Message size exceeds fixed maximum message size", "message_too_big", "message_too_big.yaml"},
      {"552 5.2.3 Message length exceeds administrative limit", "message_too_big", "message_too_big.yaml"},
      {"421 4.7.0 Try again later, closing connection.", "rate_limited", "rate_limited.yaml"},
      {"450 4.7.1 Rate limit exceeded: too many messages, try again later", "rate_limited", "rate_limited.yaml"},
      {"450 4.7.1 Service temporarily unavailable", "rate_limited", "rate_limited.yaml"},
      {"421 4.7.28 Gmail has detected an unusual rate of mail originating from your IP address", "rate_limited",
       "rate_limited.yaml"},
      {"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", "rate_limited", "rate_limited.yaml"},
      {"452 4.5.3 Error: too many recipients", "too_many_recipients", ""},
      {"451 4.7.1 <user@inbox.test>: Recipient address rejected: Greylisted, try again later", "greylisting",
       "greylisting.yaml"},
      {"450 4.2.0 <a@b.example>: Recipient address rejected: Greylisted", "greylisting", "greylisting.yaml"},
      {"550 5.7.27 This mail has been blocked because SPF does not pass.", "bulk_sender_spf", "spf_fail.yaml"},
      {"421 4.7.30 DKIM authentication didn't pass for this message.", "bulk_sender_dkim", "dkim_required.yaml"},
      {"421 4.7.32 Your email has been rate limited because the From: header isn't aligned", "bulk_sender_alignment",
       "from_change_breaks_alignment.yaml"},
      {"550 5.7.1 Message content rejected", "spam_content", ""},
      {"550 5.7.1 Our system has detected that this message is likely unsolicited mail.", "spam_content", ""},
      {"550 5.7.1 Delivery not authorized, message refused", "policy_blocked", ""},
      {"550 5.2.1 The email account that you tried to reach is disabled.", "mailbox_disabled", ""},
      {"550 5.1.2 Bad destination system address", "bad_destination_domain", ""},
      {"550 5.4.4 Unable to route", "bad_destination_domain", ""},
  }));
  CAPTURE(row.input);
  const auto explanation = explained(row.input);
  CHECK(explanation.diagnosis.id == row.diagnosis);
  CHECK_FALSE(explanation.diagnosis.causes.empty());
  CHECK_FALSE(explanation.diagnosis.fixes.empty());
  if (row.scenario.empty()) {
    CHECK_FALSE(explanation.diagnosis.scenario);
  } else {
    REQUIRE(explanation.diagnosis.scenario);
    CHECK(*explanation.diagnosis.scenario == "scenarios/" + row.scenario);
    CHECK(std::filesystem::exists(maildog::test::source_dir() / *explanation.diagnosis.scenario));
  }
}

TEST_CASE("the text is more specific than the code", "[explain][knowledge]") {
  SECTION("Gmail's 5.7.26 for an SPF hard fail") {
    CHECK(
        explained("550 5.7.26 This message fails to pass SPF checks for an SPF record with a hard fail policy (-all).")
            .diagnosis.id == "spf_fail");
  }
  SECTION("x.1.10: Microsoft's unknown user, the registry's null MX") {
    const auto microsoft =
        explained("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
    CHECK(microsoft.diagnosis.id == "user_unknown");
    REQUIRE(microsoft.notes.size() == 1);
    CHECK_THAT(microsoft.notes[0], Catch::Contains("null MX"));
    CHECK(explained("556 5.1.10 Recipient address has null MX").diagnosis.id == "bad_destination_domain");
  }
  SECTION("x.7.27: Gmail's SPF requirement, the registry's sender null MX") {
    CHECK(explained("550 5.7.27 Gmail requires all large senders to authenticate with SPF.").diagnosis.id ==
          "bulk_sender_spf");
    CHECK(explained("550 5.7.27 Sender address has null MX").diagnosis.id == "sender_rejected");
  }
  SECTION("a DNSBL listing answered with the generic 5.7.1") {
    CHECK(explained("550 5.7.1 blocked using zen.spamhaus.org").diagnosis.id == "dnsbl_listed");
  }
}

TEST_CASE("without a rule, the code alone still explains", "[explain][knowledge]") {
  struct Row {
    std::string input;
    std::string diagnosis;
  };
  auto row = GENERATE(values<Row>({
      {"550 5.6.3 Conversion required but not supported", "generic_content"},
      // (4.3.0 and 4.3.5, Postfix's own server-side problems, have receiver_temporary_error.)
      {"452 4.3.1 Mail system temporarily out of space", "generic_mail_system"},
      {"554 5.9.9 Something new", "generic_other"},
      {"503 Bad sequence of commands", "generic_protocol"},
      {"501 5.5.4 Syntax error in parameters", "generic_protocol"},
      {"553 Requested action not taken: mailbox name not allowed", "generic_addressing"},
      {"421 mx.example Service not available", "generic_mail_system"},
      {"554 Transaction failed", "generic_other"},
  }));
  CAPTURE(row.input);
  const auto explanation = explained(row.input);
  CHECK(explanation.diagnosis.id == row.diagnosis);
  CHECK_FALSE(explanation.diagnosis.causes.empty());
  CHECK_FALSE(explanation.diagnosis.fixes.empty());
}

TEST_CASE("permanent, temporary and not a failure", "[explain][knowledge]") {
  SECTION("5xx") {
    const auto explanation = explained("550 5.1.1 User unknown");
    CHECK(explanation.permanent);
    CHECK(explanation.failure);
    CHECK(explanation.notes.empty());
  }
  SECTION("4xx") {
    const auto explanation = explained("451 4.7.1 Greylisted");
    CHECK_FALSE(explanation.permanent);
    CHECK(explanation.failure);
  }
  SECTION("2xx and 3xx") {
    for (const auto* input : {"250 2.0.0 Ok: queued as 4F2C1", "354 End data with <CR><LF>.<CR><LF>"}) {
      const auto explanation = explained(input);
      CHECK_FALSE(explanation.permanent);
      CHECK_FALSE(explanation.failure);
      CHECK(explanation.diagnosis.id == "not_a_failure");
    }
  }
  SECTION("the reply code decides when the enhanced class disagrees, and a note says so") {
    const auto explanation = explained("550 4.7.1 Greylisted, try again later");
    CHECK(explanation.permanent);
    REQUIRE(explanation.notes.size() == 1);
    CHECK_THAT(explanation.notes[0], Catch::Contains("disagrees") && Catch::Contains("permanent"));
  }
  SECTION("only an enhanced code: its class decides") {
    const auto explanation = explained("Status: 4.4.1\nFinal-Recipient: rfc822; a@b.example\n");
    CHECK_FALSE(explanation.permanent);
    CHECK(explanation.failure);
    CHECK_FALSE(explanation.notes.empty());
  }
  SECTION("a detail the registry does not list is pointed out") {
    const auto explanation = explained("550 5.7.606 Access denied, banned sending IP [192.0.2.1]");
    CHECK_FALSE(explanation.detail);
    REQUIRE(explanation.subject);
    CHECK(explanation.subject->title == "Security or Policy Status");
    REQUIRE(explanation.notes.size() == 1);
    CHECK_THAT(explanation.notes[0], Catch::Contains("not in the IANA registry"));
  }
}

TEST_CASE("providers are recognised by their own texts", "[explain][knowledge]") {
  CHECK(provider_of("Please visit https://support.google.com/mail/answer/81126 - gsmtp") == "Gmail");
  CHECK(provider_of("RESOLVER.ADR.RecipNotFound; not found") == "Microsoft 365 / Outlook.com");
  CHECK(provider_of("[TSS04] Messages from 192.0.2.1 temporarily deferred") == "Yahoo");
  CHECK(provider_of("[BL21] Connections will not be accepted, because the ip is in Spamhaus's list") ==
        "Yahoo (Spamhaus)");
  CHECK(provider_of("Client host [192.0.2.1] blocked using bl.spamcop.net") == "SpamCop");
  CHECK(provider_of("<a@b>: Recipient address rejected: User unknown in local recipient table") == "Postfix");
  SECTION("a domain named in the text is not its author") {
    CHECK_FALSE(provider_of("DMARC failure for domain yahoo.com, policy reject"));
    CHECK_FALSE(provider_of("<someone@gmail.com>: Sender address rejected").value_or("") == "Gmail");
  }
}

TEST_CASE("the text rendering has the sections people look for", "[explain][render]") {
  std::ostringstream out;
  render_text(explained("550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC "
                        "policy.\r\n550 5.7.26 Please visit https://support.google.com/mail/answer/81126 - gsmtp\r\n"),
              out);
  const std::string text = out.str();
  CHECK_THAT(text, Catch::StartsWith("550 5.7.26  permanent failure"));
  CHECK_THAT(text, Catch::Contains("Detail     26   Multiple authentication checks failed"));
  CHECK_THAT(text, Catch::Contains("Provider   Gmail"));
  CHECK_THAT(text, Catch::Contains("[dmarc_reject]"));
  CHECK_THAT(text, Catch::Contains("Likely causes\n  - "));
  CHECK_THAT(text, Catch::Contains("Fixes\n  - "));
  CHECK_THAT(text, Catch::Contains("Reproduce it: maildog-ci new --from '550 5.7.26 Unauthenticated email from "
                                   "example.com is not accepted due to domain'\\''s DMARC policy. Please visit "
                                   "https://support.google.com/mail/answer/81126 - gsmtp' -o dmarc_reject.yaml"));
  CHECK(text.find('\x1b') == std::string::npos);
}

TEST_CASE("the JSON rendering has the documented keys and types", "[explain][render]") {
  const auto json = render_json(explained("Diagnostic-Code: smtp; 550 5.7.606 Access denied, banned sending IP"));
  CHECK(json["code"] == 550);
  CHECK(json["enhanced"] == "5.7.606");
  CHECK(json["permanent"] == true);
  CHECK(json["class"] == "Permanent Failure");
  CHECK(json["subject"] == "Security or Policy Status");
  CHECK(json["detail"].is_null());
  CHECK(json["source"] == "dsn");
  CHECK(json["diagnosis"] == "provider_blocklist");
  CHECK(json["causes"].is_array());
  CHECK(json["fixes"].is_array());
  CHECK(json["scenario"] == "scenarios/dnsbl_listed.yaml");
  const auto basic = render_json(explained("421 mx.example Service not available"));
  CHECK(basic["enhanced"].is_null());
  CHECK(basic["permanent"] == false);
  CHECK(basic["class"] == "Persistent Transient Failure");
  CHECK(basic["subject"].is_null());
}
