// The checks large receivers apply beyond SPF/DKIM/DMARC verdicts (the authentication floor,
// DMARC required, RFC 5322 form, one-click unsubscribe) and reworded refusals, through a real
// sandbox on loopback and a scripted client.
#include <catch2/catch.hpp>

#include "runner/scenario_run.hpp"
#include "scenario/loader.hpp"

using namespace maildog;

namespace {

const std::string k_dns = R"(
dns:
  yourdomain.test: {TXT: "v=spf1 ip4:203.0.113.5 -all"}
  _dmarc.yourdomain.test: {TXT: "v=DMARC1; p=none"}
  bounces.esp.test: {TXT: "v=spf1 ip4:198.51.100.7 -all"}
  5.113.0.203.in-addr.arpa: {PTR: mail.yourdomain.test}
  mail.yourdomain.test: {A: 203.0.113.5}
)";

// Header lines with \n escapes: messages go into a double-quoted YAML scalar.
const std::string k_headers =
    "From: no-reply@yourdomain.test\\nTo: user@inbox.test\\nSubject: news\\nDate: Sun, 29 Nov 2026 08:00:00 +0000\\n";

struct Outcome {
  capture::TransactionRecord tx;
  std::string reason;  // of the one refusal, when the message was refused
};

// One message from `mail_from` with `message`, judged by a sandbox with `server`.
Outcome send(const std::string& server, const std::string& message,
             const std::string& mail_from = "no-reply@yourdomain.test") {
  std::string yaml = "name: receiver checks\n" + k_dns + "server:\n" + server + R"(
client:
  steps:
    - expect: {code: 220}
    - send: EHLO mail.yourdomain.test
    - send: "MAIL FROM:<)" +
                     mail_from + R"(>"
    - send: "RCPT TO:<user@inbox.test>"
    - data: ")" + message +
                     R"("
    - quit: true
)";
  auto loaded = scenario::load_text(yaml, "/tmp/scenario.yaml", scenario::Environment::from_map({}));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  runner::RunOptions options;
  options.default_timeout = std::chrono::seconds(10);
  options.step_timeout = std::chrono::seconds(5);
  auto result = runner::run_scenario(loaded.scenarios.at(0), options);
  REQUIRE(result.sessions.size() == 1);
  REQUIRE(result.sessions[0].transactions.size() == 1);
  const auto& refusals = result.sessions[0].refusals;
  Outcome outcome{result.sessions[0].transactions[0], {}};
  if (!outcome.tx.delivered) {
    REQUIRE(refusals.size() == 1);
    outcome.reason = refusals[0].reason;
  }
  return outcome;
}

}  // namespace

TEST_CASE("authentication: SPF or DKIM must pass, or both for bulk senders", "[runner][checks]") {
  const std::string message = k_headers + "Message-ID: <1@yourdomain.test>\\n\\nhello\\n";
  SECTION("neither passes: Gmail's 550 5.7.26") {
    auto tx = send("  peer: {ip: 198.51.100.9}\n  checks: {authentication: spf_or_dkim}\n", message);
    CHECK_FALSE(tx.tx.delivered);
    CHECK(tx.reason == "authentication");
    CHECK(tx.tx.final_reply->summary() ==
          "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders "
          "to authenticate with either SPF or DKIM.");
  }
  SECTION("SPF passes: enough for every sender") {
    auto tx = send("  peer: {ip: 203.0.113.5}\n  checks: {authentication: spf_or_dkim}\n", message);
    CHECK(tx.tx.delivered);
  }
  SECTION("SPF passes without DKIM: not enough for a bulk sender") {
    auto tx = send("  peer: {ip: 203.0.113.5}\n  checks: {authentication: spf_and_dkim}\n", message);
    CHECK_FALSE(tx.tx.delivered);
    CHECK(tx.reason == "authentication");
  }
}

TEST_CASE("dmarc: require refuses a missing record and a missing alignment, temporarily", "[runner][checks]") {
  const std::string esp_message =
      "From: news@esp.test\\nTo: user@inbox.test\\nSubject: s\\nMessage-ID: <2@esp.test>\\n\\nhello\\n";
  SECTION("no DMARC record: Gmail's 421 4.7.40") {
    auto tx = send("  peer: {ip: 198.51.100.7}\n  checks: {dmarc: require}\n", esp_message, "x@bounces.esp.test");
    CHECK(tx.reason == "dmarc");
    CHECK(tx.tx.final_reply->code == 421);
    CHECK(tx.tx.final_reply->enhanced->str() == "4.7.40");
  }
  SECTION("a p=none record, SPF passing for another domain: Gmail's 421 4.7.32") {
    const std::string message = k_headers + "Message-ID: <3@yourdomain.test>\\n\\nhello\\n";
    auto tx = send("  peer: {ip: 198.51.100.7}\n  checks: {dmarc: require}\n", message, "x@bounces.esp.test");
    CHECK(tx.reason == "dmarc");
    CHECK(tx.tx.final_reply->enhanced->str() == "4.7.32");
    CHECK(tx.tx.auth_results.at("spf") == "pass");
  }
  SECTION("aligned SPF passes DMARC even at p=none") {
    const std::string message = k_headers + "Message-ID: <4@yourdomain.test>\\n\\nhello\\n";
    auto tx = send("  peer: {ip: 203.0.113.5}\n  checks: {dmarc: require}\n", message);
    CHECK(tx.tx.delivered);
    CHECK(tx.tx.auth_results.at("dmarc") == "pass");
  }
}

TEST_CASE("rfc5322: Gmail's refusals of malformed header sections", "[runner][checks]") {
  const std::string server = "  peer: {ip: 203.0.113.5}\n  checks: {rfc5322: enforce}\n";
  SECTION("no Message-ID") {
    auto tx = send(server, k_headers + "\\nhello\\n");
    CHECK(tx.reason == "rfc5322");
    CHECK_THAT(tx.tx.final_reply->summary(),
               Catch::StartsWith("550 5.7.1 Messages missing a valid Message-ID: header are not accepted."));
  }
  SECTION("no From") {
    auto tx = send(server, "To: user@inbox.test\\nSubject: s\\nMessage-ID: <5@yourdomain.test>\\n\\nhello\\n");
    CHECK_THAT(tx.tx.final_reply->summary(), Catch::Contains("missing a valid address in the From: header"));
  }
  SECTION("two Subject fields") {
    auto tx = send(server, k_headers + "Subject: again\\nMessage-ID: <6@yourdomain.test>\\n\\nhello\\n");
    CHECK_THAT(tx.tx.final_reply->summary(),
               Catch::Contains("not RFC 5322 compliant because it has duplicate headers"));
  }
  SECTION("a well-formed message passes") {
    CHECK(send(server, k_headers + "Message-ID: <7@yourdomain.test>\\n\\nhello\\n").tx.delivered);
  }
}

TEST_CASE("unsubscribe: RFC 8058 one-click unsubscribe is required", "[runner][checks]") {
  const std::string server = "  peer: {ip: 203.0.113.5}\n  checks: {unsubscribe: require}\n";
  const std::string base = k_headers + "Message-ID: <8@yourdomain.test>\\n";
  SECTION("no List-Unsubscribe") {
    auto tx = send(server, base + "\\nhello\\n");
    CHECK(tx.reason == "unsubscribe");
    CHECK_THAT(tx.tx.final_reply->summary(), Catch::Contains("one-click unsubscribe (RFC 8058)"));
  }
  SECTION("a mailto: URI and no List-Unsubscribe-Post") {
    auto tx = send(server, base + "List-Unsubscribe: <mailto:unsub@yourdomain.test>\\n\\nhello\\n");
    CHECK(tx.reason == "unsubscribe");
  }
  SECTION("an https URI without List-Unsubscribe-Post") {
    auto tx = send(server, base + "List-Unsubscribe: <https://yourdomain.test/u/1>\\n\\nhello\\n");
    CHECK(tx.reason == "unsubscribe");
  }
  SECTION("an https URI and List-Unsubscribe=One-Click") {
    auto tx = send(server, base +
                               "List-Unsubscribe: <mailto:u@yourdomain.test>, <https://yourdomain.test/u/1>\\n"
                               "List-Unsubscribe-Post: List-Unsubscribe=One-Click\\n\\nhello\\n");
    CHECK(tx.tx.delivered);
  }
}

TEST_CASE("reworded refusals name what they refuse", "[runner][checks]") {
  const std::string message = k_headers + "Message-ID: <9@yourdomain.test>\\n\\nhello\\n";
  SECTION("checks.replies with {domain} and {ip}") {
    auto tx = send(R"(  peer: {ip: 198.51.100.9}
  checks:
    authentication: spf_or_dkim
    replies: {authentication: "550 5.7.515 Access denied, sending domain {domain} ({ip}) is unauthenticated"}
)",
                   message);
    CHECK(tx.tx.final_reply->summary() ==
          "550 5.7.515 Access denied, sending domain yourdomain.test (198.51.100.9) is unauthenticated");
  }
  SECTION("server.replies with {address}") {
    auto tx = send(R"(  mailboxes: [someone@inbox.test]
  replies: {unknown_user: "550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"}
)",
                   message);
    CHECK(tx.reason == "unknown_user");
    CHECK(tx.tx.recipients.at(0).reply.summary() ==
          "550 5.1.1 <user@inbox.test>: Recipient address rejected: User unknown in local recipient table");
  }
}
