// End-to-end: `maildog-ci explain` through the built binary (src/cli/explain_command.cpp), with
// the reply as arguments and on standard input, in text and JSON, and with input that holds no reply.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/child.hpp"
#include "support/paths.hpp"

using namespace maildog::test;

namespace {

ChildResult run_explain(std::vector<std::string> args, std::string input = {}) {
  ChildSpec spec;
  spec.argv = {binary_path().string(), "explain"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.input = std::move(input);
  spec.environment = {{"NO_COLOR", "1"}};
  return run_child(spec);
}

// The keys and types scripts rely on (README, `explain --help`).
void check_json_shape(const nlohmann::json& json) {
  REQUIRE(json.is_object());
  CHECK((json["code"].is_number_integer() || json["code"].is_null()));
  CHECK((json["enhanced"].is_string() || json["enhanced"].is_null()));
  CHECK(json["permanent"].is_boolean());
  for (const char* key : {"class", "subject", "detail", "provider", "scenario", "stage"}) {
    CAPTURE(key);
    CHECK((json[key].is_string() || json[key].is_null()));
  }
  for (const char* key : {"text", "source", "diagnosis", "title", "meaning"}) {
    CAPTURE(key);
    CHECK(json[key].is_string());
  }
  for (const char* key : {"causes", "fixes"}) {
    CAPTURE(key);
    REQUIRE(json[key].is_array());
    CHECK_FALSE(json[key].empty());
    for (const auto& item : json[key]) {
      CHECK(item.is_string());
    }
  }
}

}  // namespace

TEST_CASE("explain a reply given as an argument", "[explain][e2e]") {
  SECTION("quoted") {
    auto run = run_explain({"550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown"});
    INFO(run.describe());
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::StartsWith("550 5.1.1  permanent failure"));
    CHECK_THAT(run.out, Catch::Contains("[user_unknown]") && Catch::Contains("Likely causes") &&
                            Catch::Contains("Fixes") &&
                            Catch::Contains("Reproduce it: maildog-ci new --from '550 5.1.1 <ghost@inbox.test>: "
                                            "Recipient address rejected: User unknown' -o user_unknown.yaml"));
    CHECK(run.err.empty());
  }
  SECTION("unquoted words are one reply") {
    auto run = run_explain({"550", "5.7.1", "Relay", "access", "denied"});
    INFO(run.describe());
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("[relay_denied]"));
  }
  SECTION("--json") {
    auto run = run_explain({"--json",
                            "550-5.7.26 Unauthenticated email from example.com is not accepted due to "
                            "domain's DMARC policy. - gsmtp"});
    INFO(run.describe());
    REQUIRE(run.exit_code == 0);
    const auto json = nlohmann::json::parse(run.out);
    check_json_shape(json);
    CHECK(json["code"] == 550);
    CHECK(json["enhanced"] == "5.7.26");
    CHECK(json["permanent"] == true);
    CHECK(json["class"] == "Permanent Failure");
    CHECK(json["subject"] == "Security or Policy Status");
    CHECK(json["detail"] == "Multiple authentication checks failed");
    CHECK(json["provider"] == "Gmail");
    CHECK(json["diagnosis"] == "dmarc_reject");
    CHECK(json["scenario"] == "scenarios/dmarc_reject.yaml");
  }
}

TEST_CASE("explain reads standard input", "[explain][e2e]") {
  const std::string log_line =
      "Jan  5 10:00:01 mx postfix/smtp[123]: 4F2C1: to=<x@y.example>, relay=mx.y.example[192.0.2.7]:25, dsn=4.7.1, "
      "status=deferred (host mx.y.example[192.0.2.7] said: 451 4.7.1 <x@y.example>: Recipient address rejected: "
      "Greylisted, see http://postgrey.schweikert.ch/help/y.example.html (in reply to RCPT TO command))\n";
  SECTION("with no argument") {
    auto run = run_explain({"--json"}, log_line);
    INFO(run.describe());
    REQUIRE(run.exit_code == 0);
    const auto json = nlohmann::json::parse(run.out);
    check_json_shape(json);
    CHECK(json["code"] == 451);
    CHECK(json["permanent"] == false);
    CHECK(json["source"] == "log");
    CHECK(json["stage"] == "RCPT TO");
    CHECK(json["diagnosis"] == "greylisting");
    CHECK(json["provider"] == "Postgrey");
  }
  SECTION("with '-'") {
    auto run = run_explain({"-"}, log_line);
    INFO(run.describe());
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("[greylisting]") && Catch::Contains("in answer to RCPT TO"));
  }
  SECTION("a whole bounce message") {
    auto run = run_explain({"--json"},
                           "From: Mail Delivery System <MAILER-DAEMON@mx.example>\n"
                           "Subject: Undelivered Mail Returned to Sender\n\n"
                           "Reporting-MTA: dns; mx.example\n\n"
                           "Final-Recipient: rfc822; ghost@inbox.test\n"
                           "Action: failed\n"
                           "Status: 5.1.1\n"
                           "Diagnostic-Code: smtp; 550 5.1.1 <ghost@inbox.test>: Recipient address\n"
                           "    rejected: User unknown in virtual mailbox table\n");
    INFO(run.describe());
    REQUIRE(run.exit_code == 0);
    const auto json = nlohmann::json::parse(run.out);
    CHECK(json["source"] == "dsn");
    CHECK(json["text"] == "<ghost@inbox.test>: Recipient address rejected: User unknown in virtual mailbox table");
    CHECK(json["diagnosis"] == "user_unknown");
  }
  SECTION("more than the bound: the first MiB is read and the rest ignored") {
    auto run =
        run_explain({}, "552 5.3.4 Message size exceeds fixed maximum message size\n" + std::string(3 << 20, 'x'));
    INFO(run.describe());
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("[message_too_big]"));
  }
}

TEST_CASE("explain exits 2 when there is no reply code", "[explain][e2e]") {
  SECTION("an argument") {
    auto run = run_explain({"the mail did not arrive"});
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains("no SMTP reply code") && Catch::Contains("Expected an SMTP reply such as") &&
                            Catch::Contains("Diagnostic-Code"));
  }
  SECTION("standard input, with --json too") {
    auto run = run_explain({"--json"}, "lorem ipsum\n\x01\x02 404\n");
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains("no SMTP reply code"));
  }
  SECTION("empty standard input") {
    auto run = run_explain({});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("the input is empty"));
  }
}

TEST_CASE("explain --help shows examples", "[explain][e2e]") {
  auto run = run_explain({"--help"});
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("Examples") && Catch::Contains("550-5.7.26") &&
                          Catch::Contains("mail.log | tail -1 | maildog-ci explain") && Catch::Contains("--json") &&
                          Catch::Contains("Exit code 0"));
  ChildSpec top;
  top.argv = {binary_path().string(), "--help"};
  CHECK_THAT(run_child(top).out, Catch::Contains("explain"));
}
