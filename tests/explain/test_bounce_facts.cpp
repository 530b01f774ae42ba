// What explain reads around a reply (src/explain/bounce_facts.cpp), the rules issue 20 added to
// the knowledge base (Proofpoint, Mimecast, Postfix's 451 4.3.0, HELO refusals), and the
// "Reproduce it" command with its shell quoting (src/explain/render.cpp).
#include <catch2/catch.hpp>
#include <sstream>

#include "explain/bounce_facts.hpp"
#include "explain/explanation.hpp"
#include "explain/render.hpp"

using namespace maildog::explain;

namespace {

Explanation explained(std::string_view input) {
  const auto search = find_reply(input);
  INFO(input);
  REQUIRE(search.reply);
  return explain(*search.reply);
}

}  // namespace

TEST_CASE("stage names map onto a scenario's stages", "[explain][bounce_facts]") {
  CHECK(stage_name("RCPT To:<a@example.com>") == "RCPT TO");
  CHECK(stage_name("end of DATA command") == "end of DATA");
  CHECK(stage_name("initial connection") == "connect");
  CHECK(stage_name("HELO the.local.host.name") == "EHLO");
  CHECK(stage_name("nothing here").empty());
  CHECK(scenario_stage("RCPT TO") == "rcpt");
  CHECK(scenario_stage("end of DATA") == "end_of_data");
  CHECK(scenario_stage("EHLO") == "helo");
  CHECK(scenario_stage("MAIL FROM") == "mail");
  CHECK(scenario_stage("connect") == "connect");
  CHECK(scenario_stage("").empty());
}

TEST_CASE("the MTA comes from its own markers, not from the reply it quotes", "[explain][bounce_facts]") {
  CHECK(bounce_facts("This message was created automatically by mail delivery software.\n").mta == "Exim");
  CHECK(bounce_facts("X-Postfix-Queue-ID: 4C2ACC302AD\n\n<a@b>: host x said: 550 5.1.1 User unknown (Exim)\n").mta ==
        "Postfix");
  CHECK(bounce_facts("   ----- Transcript of session follows -----\n>>> RCPT To:<a@b>\n<<< 550 No\n").mta ==
        "Sendmail");
  CHECK(bounce_facts("Hi. This is the qmail-send program at mx.example.\n").mta == "qmail");
  CHECK(
      bounce_facts("Jul 12 07:47:48 mx postfix/smtpd[8738]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 No").mta ==
      "Postfix");
  CHECK(bounce_facts("2012-02-13 15:11:41 1RwtmW-000MsX-CK ** a@b.example R=dnslookup T=remote_smtp: SMTP error").mta ==
        "Exim");
  CHECK(bounce_facts("550 5.1.1 <a@b>: Recipient address rejected: User unknown").mta.empty());
}

TEST_CASE("recipients: X-Failed-Recipients first, then Final-Recipient, then a log's to=<>",
          "[explain][bounce_facts]") {
  SECTION("a folded X-Failed-Recipients header of the bounce itself") {
    const auto facts = bounce_facts(
        "X-Failed-Recipients: a@one.example,\n  b@two.example\nSubject: x\n\n"
        "Final-Recipient: rfc822; c@three.example\n");
    CHECK(facts.recipients == std::vector<std::string>{"a@one.example", "b@two.example"});
  }
  SECTION("a header of the returned message does not count") {
    const auto facts = bounce_facts("Subject: x\n\nX-Failed-Recipients: a@one.example\n");
    CHECK(facts.recipients.empty());
  }
  SECTION("every Final-Recipient once") {
    const auto facts = bounce_facts(
        "Final-Recipient: rfc822; c@three.example\nFinal-Recipient: RFC822;<d@four.example>\n"
        "Final-Recipient: rfc822;c@three.example\n");
    CHECK(facts.recipients == std::vector<std::string>{"c@three.example", "d@four.example"});
  }
  SECTION("a Postfix log line's to=<> and from=<>") {
    const auto facts = bounce_facts(
        "NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 <x@y>: Relay access denied; "
        "from=<john@example.com> to=<smtp@example.org> proto=SMTP");
    CHECK(facts.recipients == std::vector<std::string>{"smtp@example.org"});
    CHECK(facts.sender == "john@example.com");
  }
}

TEST_CASE("the stage from a bounce's own words when the reply's line does not say", "[explain][bounce_facts]") {
  CHECK(bounce_facts("<a@b>: host x[1.2.3.4] said: 554 5.7.1 Message\n    Rejected (in reply\n    to end of DATA "
                     "command)\n")
            .stage == "end of DATA");
  CHECK(bounce_facts("... while talking to mx.example.:\n>>> RCPT To:<a@b>\n<<< 550 5.7.1 No such user\n").stage ==
        "RCPT TO");
  CHECK(
      bounce_facts("Sorry, no SMTP connection got far enough; most progress was RCPT TO response; remote host").stage ==
      "RCPT TO");
  CHECK(bounce_facts("sm-mta[1]: ruleset=check_relay, arg1=x, relay=x [1.2.3.4], reject=421 4.3.2 Too many").stage ==
        "connect");
  SECTION("the reply's own stage wins over the rest of the bounce") {
    const auto search = find_reply(
        "Final-Recipient: rfc822; a@b\nDiagnostic-Code: smtp; 550 5.1.1 No such user\n"
        "\n<a@b>: host x said: 550 5.1.1 No such user (in reply to RCPT TO command)\n");
    REQUIRE(search.reply);
    CHECK(search.reply->stage == "RCPT TO");
  }
}

TEST_CASE("Proofpoint and Mimecast refusals are those vendors' reputation, not a public DNSBL",
          "[explain][knowledge]") {
  SECTION("Proofpoint") {
    for (const std::string_view input : {
             std::string_view("554 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1"),
             std::string_view("550 5.7.0 Mail from 192.0.2.1 refused by Proofpoint Reputation Services"),
         }) {
      const auto explanation = explained(input);
      CHECK(explanation.diagnosis.id == "proofpoint_reputation");
      CHECK(explanation.diagnosis.provider == "Proofpoint");
      CHECK(explanation.diagnosis.stage == "connect");
      REQUIRE_FALSE(explanation.diagnosis.fixes.empty());
      CHECK_THAT(explanation.diagnosis.fixes.front(), Catch::Contains("Proofpoint IP reputation lookup"));
    }
  }
  SECTION("Mimecast") {
    const auto explanation = explained(
        "554 Email rejected due to security policies - "
        "https://community.mimecast.com/docs/DOC-1369#554");
    CHECK(explanation.diagnosis.id == "mimecast_policy");
    CHECK(explanation.diagnosis.provider == "Mimecast");
    CHECK_THAT(explanation.diagnosis.fixes.front(), Catch::Contains("DOC-1369"));
  }
  SECTION("Mimecast's greylisting 451 is greylisting") {
    CHECK(explained("451 Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451")
              .diagnosis.id == "greylisting");
  }
}

TEST_CASE("Postfix's 451 4.3.0 has its own diagnosis", "[explain][knowledge]") {
  for (const std::string_view input : {
           std::string_view("451 4.3.0 <a@example.com>: Temporary lookup failure"),
           std::string_view("451 4.3.0 Error: queue file write error"),
           std::string_view("451 4.3.0 Server configuration error"),
           std::string_view("451 4.3.5 Server configuration problem"),
           std::string_view("Apr  5 16:41:54 mx postfix/smtp[18733]: 39D9: to=<a@b.example>, dsn=4.3.0, "
                            "status=deferred (host b[1.2.3.4] said: 451 4.3.0 <x@y>: Temporary lookup failure (in "
                            "reply to RCPT TO command))"),
       }) {
    const auto explanation = explained(input);
    CHECK(explanation.diagnosis.id == "receiver_temporary_error");
    CHECK_FALSE(explanation.permanent);
  }
}

TEST_CASE("a refused HELO name is diagnosed as such, whatever stage Postfix says it at", "[explain][knowledge]") {
  CHECK(explained("554 5.7.1 <bad.domain>: Helo command rejected: match bad.domain").diagnosis.id == "helo_rejected");
  CHECK(explained("504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname").diagnosis.stage == "helo");
}

TEST_CASE("every diagnosis has a usual stage", "[explain][knowledge]") {
  for (const std::string_view id : {"user_unknown", "mailbox_full", "relay_denied", "dmarc_reject", "dnsbl_listed",
                                    "greylisting", "sender_rejected", "message_too_big", "spam_content",
                                    "policy_blocked", "bad_credentials", "generic_other", "generic_protocol"}) {
    INFO(id);
    CHECK_FALSE(usual_stage(id).empty());
  }
  CHECK(usual_stage("user_unknown") == "rcpt");
  CHECK(usual_stage("dmarc_reject") == "end_of_data");
  CHECK(usual_stage("sender_rejected") == "mail");
  CHECK(explained("250 2.0.0 Ok").diagnosis.stage.empty());
}

TEST_CASE("Reproduce it: maildog-ci new --from the reply, quoted for a POSIX shell", "[explain][render]") {
  CHECK(shell_quoted("plain") == "'plain'");
  CHECK(shell_quoted("it's") == "'it'\\''s'");
  CHECK(shell_quoted("$HOME `x` \"y\"") == "'$HOME `x` \"y\"'");
  const auto explanation = explained("550 5.1.1 <ghost@x.test>: Recipient address rejected: User unknown");
  CHECK(reproduce_command(explanation) ==
        "maildog-ci new --from '550 5.1.1 <ghost@x.test>: Recipient address rejected: User unknown' -o "
        "user_unknown.yaml");
  CHECK(reproduce_command(explained("550 5.7.1 We don't accept mail from you")) ==
        "maildog-ci new --from '550 5.7.1 We don'\\''t accept mail from you' -o policy_blocked.yaml");
  CHECK(reproduce_command(explained("250 2.0.0 Ok")).empty());
  std::ostringstream out;
  render_text(explanation, out);
  CHECK_THAT(out.str(), Catch::Contains("Reproduce it: maildog-ci new --from '550 5.1.1 <ghost@x.test>: Recipient "
                                        "address rejected: User unknown' -o user_unknown.yaml"));
  CHECK(out.str().find("maildog-ci run") == std::string::npos);
  CHECK(render_json(explanation)["reproduce"] == reproduce_command(explanation));
}
