// expect.delivered (headers, auth, MIME) and expect.not_delivered.
#include <catch2/catch.hpp>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("expect.delivered", "[evaluate][delivered]") {
  auto scenario = make_scenario();
  auto result = observed({delivering_session()});
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;

  SECTION("a delivered message that matches passes") {
    expect.to = TextMatch::parse("USER@inbox.test");
    expect.from = TextMatch::parse("*@yourdomain.test");
    expect.headers.emplace("subject", TextMatch::parse("Reset your password"));
    expect.count = 1;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a refused recipient is not delivered to") {
    expect.to = TextMatch::parse("ghost@inbox.test");
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.delivered[0]");
    CHECK(failures[0].line == 40);
    CHECK(failures[0].expected == "a delivered message to ghost@inbox.test");
    CHECK(
        failures[0].actual ==
        "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test -> 250 2.0.0 Ok: queued as "
        "0A1B2C3D4E (session 1)");
    CHECK(failures[0].context == lines(result, 7, 13));  // around the refused RCPT, not the last lines
  }
  SECTION("header mismatches show the header as sent") {
    expect.headers.emplace("Subject", TextMatch::parse("/welcome/i"));
    expect.headers.emplace("X-Campaign", TextMatch::parse("reset"));
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message with Subject: /welcome/i, X-Campaign: \"reset\"");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test Subject: \"Reset your "
          "password\" X-Campaign: (absent) -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("count is exact") {
    expect.to = TextMatch::parse("user@inbox.test");
    expect.count = 2;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message to user@inbox.test (exactly 2 messages)");
    CHECK(failures[0].actual ==
          "1 matching message delivered: from <app@yourdomain.test> to user@inbox.test -> 250 2.0.0 Ok: queued as "
          "0A1B2C3D4E (session 1)");
  }
  SECTION("count 0 passes when nothing matches") {
    expect.to = TextMatch::parse("ghost@inbox.test");
    expect.count = 0;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("nothing delivered shows the refused transactions") {
    result = observed({greylisted_session(1, 1)});
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message");
    CHECK(failures[0].actual ==
          "no message was delivered; not delivered: from <> to no accepted recipient -> no DATA (session 1)");
  }
  SECTION("no session at all") {
    result = observed({});
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "no mail transaction was started");
    CHECK(failures[0].context.empty());
  }
}

TEST_CASE("expect.delivered auth compares the recorded sender check results", "[evaluate][delivered]") {
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.transactions[0].auth_results = {{"dkim", "none"}, {"dmarc", "pass"}, {"spf", "pass"}};
  auto result = observed({session});
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;
  expect.to = TextMatch::parse("user@inbox.test");

  SECTION("matching results pass") {
    expect.auth = {{"spf", "pass"}, {"dmarc", "pass"}};
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a different result fails and shows what was recorded") {
    expect.auth = {{"dkim", "pass"}};
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message to user@inbox.test with auth dkim=pass");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test auth dkim=none "
          "dmarc=pass spf=pass -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("a method that was not checked fails") {
    expect.auth = {{"iprev", "pass"}};
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).size() == 1);
  }
}

TEST_CASE("expect.delivered mime checks the message's MIME structure", "[evaluate][delivered][mime]") {
  constexpr const char* k_invoice =
      "From: billing@yourdomain.test\r\n"
      "To: user@inbox.test\r\n"
      "Subject: Invoice\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"m\"\r\n"
      "\r\n"
      "--m\r\n"
      "Content-Type: multipart/alternative; boundary=\"a\"\r\n"
      "\r\n"
      "--a\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Total: 42,00 =E2=82=AC\r\n"
      "--a\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "\r\n"
      "<p>Total</p>\r\n"
      "--a--\r\n"
      "--m\r\n"
      "Content-Type: application/pdf\r\n"
      "Content-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "JVBERi0xLjQK\r\n"
      "--m--\r\n";
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.transactions[0].message = std::make_shared<const std::string>(k_invoice);
  auto result = observed({session});
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;
  expect.to = TextMatch::parse("user@inbox.test");
  maildog::scenario::MimeExpect mime;

  SECTION("types, attachments, text and no problems hold") {
    mime.types = {"multipart/alternative", "text/html", "application/pdf"};
    mime.attachments = {"Rechnung März.pdf"};
    mime.text_contains = {"Total: 42,00 €"};
    mime.problems = false;
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a missing type fails and lists the types found") {
    mime.types = {"text/plain", "image/png"};
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.delivered[0]");
    CHECK(failures[0].expected == "a delivered message to user@inbox.test with MIME types text/plain, image/png");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test MIME multipart/mixed, "
          "multipart/alternative, text/plain, text/html, application/pdf -> 250 2.0.0 Ok: queued as 0A1B2C3D4E "
          "(session 1)");
  }
  SECTION("a missing attachment and text show what the message has") {
    mime.attachments = {"invoice.pdf"};
    mime.text_contains = {"Total: 43"};
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected ==
          "a delivered message to user@inbox.test with attachments \"invoice.pdf\", text containing \"Total: 43\"");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test MIME multipart/mixed, "
          "multipart/alternative, text/plain, text/html, application/pdf; attachments \"Rechnung März.pdf\"; text "
          "\"Total: 42,00 €\" -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("problems: false fails on malformed MIME and names the problem") {
    std::string broken = k_invoice;
    broken.replace(broken.find("JVBERi0xLjQK"), 12, "JVBERi0x*LjQK");
    session.transactions[0].message = std::make_shared<const std::string>(broken);
    mime.problems = false;
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, observed({session}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message to user@inbox.test with no MIME problem");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test MIME multipart/mixed, "
          "multipart/alternative, text/plain, text/html, application/pdf; 1 MIME problem: part 2: invalid base64 "
          "character '*' on line 1 -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
    mime.problems = true;
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, observed({session})).empty());
  }
  SECTION("the HTML body is searched when there is no plain one") {
    session.transactions[0].message = std::make_shared<const std::string>(
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Only HTML</p>\r\n");
    mime.text_contains = {"Only HTML"};
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, observed({session})).empty());
  }
}

TEST_CASE("expect.not_delivered", "[evaluate][not_delivered]") {
  auto scenario = make_scenario();
  scenario.expect.not_delivered_line = 50;
  auto result = observed({delivering_session()});

  SECTION("a refused recipient passes") {
    scenario.expect.not_delivered = {"ghost@inbox.test", "other@inbox.test"};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("an accepted recipient of a delivered message fails, compared without case") {
    scenario.expect.not_delivered = {"ghost@inbox.test", "USER@Inbox.Test"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.not_delivered[1]");
    CHECK(failures[0].line == 50);
    CHECK(failures[0].expected == "no delivered message to USER@Inbox.Test");
    CHECK(failures[0].actual ==
          "delivered: from <app@yourdomain.test> to user@inbox.test -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("an accepted recipient of a refused message passes") {
    auto session = delivering_session();
    session.transactions[0].delivered = false;
    session.transactions[0].final_reply = reply("550 5.7.1 Content rejected");
    scenario.expect.not_delivered = {"user@inbox.test"};
    CHECK(evaluate(scenario, observed({session})).empty());
  }
}

TEST_CASE("expect.delivered headers see the stored copy with Authentication-Results", "[evaluate][delivered]") {
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.transactions[0].authentication_results = "mx.sandbox.test; spf=pass smtp.mailfrom=yourdomain.test";
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;
  expect.headers.emplace("authentication-results", TextMatch::parse("/^mx\\.sandbox\\.test;\\s+spf=pass/"));
  scenario.expect.delivered = {expect};
  CHECK(evaluate(scenario, observed({session})).empty());
  session.transactions[0].authentication_results.clear();
  CHECK(evaluate(scenario, observed({session})).size() == 1);
}
