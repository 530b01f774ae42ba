// The reply finder (src/explain/reply_text.cpp): replies on their own, multi-line replies, log
// lines, bounce messages, and inputs that hold no reply.
#include <catch2/catch.hpp>

#include "explain/reply_text.hpp"

using namespace maildog::explain;
using maildog::smtp::EnhancedCode;

namespace {

FoundReply found(std::string_view input) {
  auto search = find_reply(input);
  INFO(input);
  INFO(search.error);
  REQUIRE(search.reply);
  return *search.reply;
}

}  // namespace

TEST_CASE("a single reply line", "[explain][reply_text]") {
  const auto reply = found("550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown");
  CHECK(reply.code == 550);
  CHECK(reply.enhanced == EnhancedCode{5, 1, 1});
  CHECK(reply.text == "<ghost@inbox.test>: Recipient address rejected: User unknown");
  CHECK(reply.source == ReplySource::reply);
  CHECK(reply.stage.empty());
}

TEST_CASE("continuation lines are joined into one text", "[explain][reply_text]") {
  SECTION("CRLF") {
    const auto reply = found(
        "550-5.7.26 Unauthenticated email from example.com is not accepted\r\n"
        "550-5.7.26 due to domain's DMARC policy.\r\n"
        "550 5.7.26 Please contact the administrator. - gsmtp\r\n");
    CHECK(reply.code == 550);
    CHECK(reply.enhanced == EnhancedCode{5, 7, 26});
    CHECK(reply.text ==
          "Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the "
          "administrator. - gsmtp");
  }
  SECTION("LF only, and the lines after the last one are not part of it") {
    const auto reply = found("550-5.7.26 a\n550 5.7.26 b\n250 2.0.0 later reply\n");
    CHECK(reply.text == "a b");
  }
  SECTION("without enhanced codes") {
    const auto reply = found(
        "554-Service unavailable; Client host [bl11.example] blocked using\r\n"
        "554-Barracuda Reputation;\r\n554 http://www.barracudanetworks.com/reputation/?r=1\r\n");
    CHECK(reply.code == 554);
    CHECK_FALSE(reply.enhanced);
    CHECK(reply.text ==
          "Service unavailable; Client host [bl11.example] blocked using Barracuda Reputation; "
          "http://www.barracudanetworks.com/reputation/?r=1");
  }
  SECTION("folded into one line, as DSNs and some logs write them") {
    const auto reply = found(
        "550-5.7.1 [85.114.140.120 13] Messages with multiple addresses in From: 550 5.7.1 "
        "header are not accepted.");
    CHECK(reply.text == "[85.114.140.120 13] Messages with multiple addresses in From: header are not accepted.");
  }
}

TEST_CASE("a reply with no enhanced code", "[explain][reply_text]") {
  const auto reply = found("421 mx.example Service not available, closing transmission channel");
  CHECK(reply.code == 421);
  CHECK_FALSE(reply.enhanced);
  CHECK(reply.text == "mx.example Service not available, closing transmission channel");
}

TEST_CASE("an enhanced code whose class disagrees with the reply code is kept as it is", "[explain][reply_text]") {
  const auto reply = found("550 4.7.1 Greylisted, try again later");
  CHECK(reply.code == 550);
  CHECK(reply.enhanced == EnhancedCode{4, 7, 1});
}

TEST_CASE("log lines", "[explain][reply_text]") {
  SECTION("Postfix delivery: the remote reply, without the log's wrapping, and the stage") {
    const auto reply = found(
        "Jan  5 10:00:01 mx postfix/smtp[123]: 4F2C1: to=<x@y.example>, relay=mx.y.example[192.0.2.7]:25, "
        "delay=0.2, delays=0.1/0/0.05/0.05, dsn=5.1.1, status=bounced (host mx.y.example[192.0.2.7] said: 550 5.1.1 "
        "<x@y.example>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO "
        "command))");
    CHECK(reply.code == 550);
    CHECK(reply.enhanced == EnhancedCode{5, 1, 1});
    CHECK(reply.text == "<x@y.example>: Recipient address rejected: User unknown in local recipient table");
    CHECK(reply.source == ReplySource::log);
    CHECK(reply.stage == "RCPT TO");
  }
  SECTION("Postfix NOQUEUE reject: the from=/to= tail is dropped") {
    const auto reply = found(
        "Jun  1 01:06:28 mx postfix/smtpd[2376668]: NOQUEUE: reject: RCPT from o2.example[167.89.94.22]: 554 5.7.1 "
        "Service unavailable; Client host [167.89.94.22] blocked using bl.spamcop.net; from=<a@b.example> "
        "to=<c@d.example> proto=ESMTP helo=<o2.example>");
    CHECK(reply.code == 554);
    CHECK(reply.text == "Service unavailable; Client host [167.89.94.22] blocked using bl.spamcop.net");
    CHECK(reply.stage == "RCPT TO");
  }
  SECTION("a Postfix bounce's folded 'said:' lines") {
    const auto reply = found(
        "<ya@tortall.example>: host narya.example[69.55.226.36] said: 550 5.1.1\n"
        "    <ya@tortall.example>: Recipient address rejected: User unknown in local\n"
        "    recipient table (in reply to RCPT TO command)\n");
    CHECK(reply.text == "<ya@tortall.example>: Recipient address rejected: User unknown in local recipient table");
    CHECK(reply.stage == "RCPT TO");
  }
  SECTION("Exchange 'Remote Server returned' quotes") {
    const auto reply = found(
        "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found "
        "by SMTP address lookup'");
    CHECK(reply.enhanced == EnhancedCode{5, 1, 10});
    CHECK(reply.text == "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
  }
  SECTION("a Python smtplib tuple") {
    const auto reply = found(
        "smtplib.SMTPRecipientsRefused: {'a@b.example': (550, b'5.1.1 <a@b.example>: "
        "Recipient address rejected: User unknown')}");
    CHECK(reply.code == 550);
    CHECK(reply.enhanced == EnhancedCode{5, 1, 1});
    CHECK(reply.text == "<a@b.example>: Recipient address rejected: User unknown");
  }
  SECTION("a library error with the reply's lines inside it") {
    const auto reply = found(
        "Error: Invalid login: 535-5.7.8 Username and Password not accepted. Learn more at\n"
        "535 5.7.8  https://support.google.com/mail/?p=BadCredentials e20sm228071oow.5 - gsmtp\n");
    CHECK(reply.code == 535);
    CHECK(reply.text ==
          "Username and Password not accepted. Learn more at https://support.google.com/mail/?p=BadCredentials "
          "e20sm228071oow.5 - gsmtp");
  }
  SECTION("Exim: the stage is on the line before") {
    const auto reply = found(
        "    SMTP error from remote mail server after RCPT TO:<a@b.example>:\n"
        "    550 5.7.1 Unable to relay for a@b.example\n");
    CHECK(reply.stage == "RCPT TO");
    CHECK(reply.text == "Unable to relay for a@b.example");
  }
  SECTION("Postfix's own failure has only dsn=") {
    const auto reply = found(
        "Mar  3 12:00:00 mx postfix/smtp[9]: 1A2B: to=<a@nowhere.invalid>, relay=none, delay=0.1, "
        "dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for "
        "name=nowhere.invalid type=A: Host not found)");
    CHECK(reply.code == 0);
    CHECK(reply.enhanced == EnhancedCode{5, 4, 4});
    CHECK(reply.text ==
          "Host or domain name not found. Name service error for name=nowhere.invalid type=A: Host not found");
  }
  SECTION("the failure is preferred over earlier positive replies") {
    const auto reply = found(
        "S: 250 2.1.0 Sender OK\nS: 550 5.7.54 SMTP; Unable to relay recipient in non-accepted "
        "domain\n");
    CHECK(reply.code == 550);
  }
}

TEST_CASE("a bounce message (DSN)", "[explain][reply_text]") {
  SECTION("Diagnostic-Code wins over Status and the human-readable part") {
    const auto reply = found(
        "This message was created automatically by mail delivery software.\n"
        "\n"
        "    SMTP error from remote mail server after RCPT TO:<x@y.example>:\n"
        "    554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net\n"
        "Reporting-MTA: dns; mta.example\n"
        "\n"
        "Action: failed\n"
        "Final-Recipient: rfc822;x@y.example\n"
        "Status: 5.0.0\n"
        "Remote-MTA: dns; y.example\n"
        "Diagnostic-Code: smtp; 550-5.7.26 Unauthenticated email from example.com is not\n"
        "    550-5.7.26 accepted due to domain's DMARC policy.\n"
        "    550 5.7.26 - gsmtp\n");
    CHECK(reply.code == 550);
    CHECK(reply.enhanced == EnhancedCode{5, 7, 26});
    CHECK(reply.text == "Unauthenticated email from example.com is not accepted due to domain's DMARC policy. - gsmtp");
    CHECK(reply.source == ReplySource::dsn);
  }
  SECTION("Status fills in a missing enhanced code") {
    const auto reply = found(
        "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 No such user here\n");
    CHECK(reply.code == 550);
    CHECK(reply.enhanced == EnhancedCode{5, 1, 1});
    CHECK(reply.text == "No such user here");
  }
  SECTION("Status alone") {
    const auto reply = found(
        "Final-Recipient: rfc822; a@b.example\nAction: delayed\nStatus: 4.4.1\n"
        "Diagnostic-Code: X-Postfix; connect to mx.b.example[192.0.2.9]:25: Connection timed out\n");
    CHECK(reply.code == 0);
    CHECK(reply.enhanced == EnhancedCode{4, 4, 1});
    CHECK(reply.text == "connect to mx.b.example[192.0.2.9]:25: Connection timed out");
  }
}

TEST_CASE("an enhanced code alone", "[explain][reply_text]") {
  const auto reply = found("5.7.8 Username and Password not accepted. Learn more at 5.7.8 https://support.google.com");
  CHECK(reply.code == 0);
  CHECK(reply.enhanced == EnhancedCode{5, 7, 8});
  CHECK(reply.text == "Username and Password not accepted. Learn more at https://support.google.com");
}

TEST_CASE("inputs with no reply are a value, not an exception", "[explain][reply_text]") {
  auto garbage = GENERATE(as<std::string>{}, "hello world", "lorem 404 ipsum 2024-01-01 12:00:00",
                          "version 1.2.3 of the 600 pound gorilla", std::string("\0\x01\xff\xfe", 4), "\x1b[31m",
                          "The quick brown fox jumps over 123-456-789");
  CAPTURE(garbage);
  const auto search = find_reply(garbage);
  CHECK_FALSE(search.reply);
  CHECK_THAT(search.error, Catch::Contains("no SMTP reply code"));
}

TEST_CASE("empty input", "[explain][reply_text]") {
  auto empty = GENERATE(as<std::string>{}, "", " \t", "\r\n\n");
  const auto search = find_reply(empty);
  CHECK_FALSE(search.reply);
  CHECK(search.error == "the input is empty");
}

TEST_CASE("huge input: only the first MiB is looked at", "[explain][reply_text]") {
  const std::string filler(2 * k_input_max, 'x');
  SECTION("a reply at the start is found, whatever follows") {
    const auto search = find_reply("550 5.1.1 User unknown\n" + filler);
    REQUIRE(search.reply);
    CHECK(search.reply->text == "User unknown");
  }
  SECTION("a reply after the first MiB is not") {
    CHECK_FALSE(find_reply(filler + "\n550 5.1.1 User unknown\n").reply);
  }
  SECTION("a megabyte of short lines") {
    std::string lines;
    while (lines.size() < k_input_max) {
      lines += "1 2 3 4 5 6 7\n";
    }
    CHECK_FALSE(find_reply(lines).reply);
  }
}
