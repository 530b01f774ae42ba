#include <catch2/catch.hpp>

#include <algorithm>

#include "dialogue.hpp"
#include "smtp/dsn.hpp"
#include "smtp/protocol.hpp"
#include "smtp/sasl.hpp"

using namespace maildog;
using namespace maildog::smtp;
using maildog::smtp::testing::Dialogue;

namespace {

ServerConfig inbox_config() {
  ServerConfig config;
  config.hostname = "mx.sandbox.test";
  config.domains = {"inbox.test"};
  config.mailboxes = {"user@inbox.test", "*@team.inbox.test"};
  config.domains.push_back("team.inbox.test");
  return config;
}

}  // namespace

TEST_CASE("a plain transaction is answered and captured", "[smtp][protocol]") {
  Dialogue d(inbox_config());
  REQUIRE(d.protocol.greeting().replies.front().code == 220);
  Reply ehlo = d.say("EHLO client.test");
  REQUIRE(ehlo.code == 250);
  REQUIRE(std::find(ehlo.lines.begin(), ehlo.lines.end(), "PIPELINING") != ehlo.lines.end());
  REQUIRE(std::find(ehlo.lines.begin(), ehlo.lines.end(), "ENHANCEDSTATUSCODES") != ehlo.lines.end());
  REQUIRE(std::find(ehlo.lines.begin(), ehlo.lines.end(), "STARTTLS") == ehlo.lines.end());
  REQUIRE(d.say("MAIL FROM:<app@example.test> SIZE=100 BODY=8BITMIME").enhanced->str() == "2.1.0");
  REQUIRE(d.say("RCPT TO:<user@inbox.test>").enhanced->str() == "2.1.5");
  REQUIRE(d.code("DATA") == 354);
  Reply queued = d.send_message("Subject: hi\r\n\r\n..dot\r\n.\r\n");
  REQUIRE(queued.code == 250);
  REQUIRE(d.record.transactions.size() == 1);
  const auto& tx = d.record.transactions.front();
  REQUIRE(tx.mail_from == "app@example.test");
  REQUIRE(tx.mail_parameters == "SIZE=100 BODY=8BITMIME");
  REQUIRE(tx.delivered);
  REQUIRE(*tx.message == "Subject: hi\r\n\r\n.dot\r\n");
  REQUIRE(d.code("QUIT") == 221);
  REQUIRE(d.protocol.state() == State::closed);
}

TEST_CASE("local policy: unknown mailbox, relaying, postmaster", "[smtp][protocol]") {
  Dialogue d(inbox_config());
  d.protocol.greeting();
  d.say("EHLO client.test");
  d.say("MAIL FROM:<>");
  Reply unknown = d.say("RCPT TO:<ghost@inbox.test>");
  REQUIRE(unknown.code == 550);
  REQUIRE(unknown.enhanced->str() == "5.1.1");
  Reply relay = d.say("RCPT TO:<someone@elsewhere.test>");
  REQUIRE(relay.code == 550);
  REQUIRE(relay.enhanced->str() == "5.7.1");
  REQUIRE(d.code("RCPT TO:<anyone@team.inbox.test>") == 250);
  REQUIRE(d.code("RCPT TO:<Postmaster>") == 250);
  const auto attempts = d.capture.attempts("ghost@inbox.test");
  REQUIRE(attempts == 1);
  REQUIRE(d.record.refusals.size() == 2);
  REQUIRE(d.record.refusals[0].reason == "unknown_user");
  REQUIRE(d.record.refusals[0].argument == "ghost@inbox.test");
  REQUIRE(d.record.refusals[1].reason == "relay");
  REQUIRE(d.record.refusals[1].reply.enhanced->str() == "5.7.1");
}

TEST_CASE("without domains every recipient is local", "[smtp][protocol]") {
  Dialogue d(ServerConfig{});
  d.protocol.greeting();
  d.say("HELO client.test");
  d.say("MAIL FROM:<a@b.test>");
  REQUIRE(d.code("RCPT TO:<anyone@anywhere.example>") == 250);
}

TEST_CASE("sequence and syntax errors, and the error limit", "[smtp][protocol]") {
  ServerConfig config;
  config.limits.errors = 3;
  Dialogue d(config);
  d.protocol.greeting();
  REQUIRE(d.say("MAIL FROM:<a@b.test>").enhanced->str() == "5.5.1");
  d.say("EHLO c.test");
  REQUIRE(d.say("RCPT TO:<a@b.test>").code == 503);
  Output third = d.protocol.on_line("BOGUS");
  REQUIRE(third.replies.size() == 2);
  REQUIRE(third.replies[0].code == 500);
  REQUIRE(third.replies[1].code == 421);
  REQUIRE(third.next == Next::close);
}

TEST_CASE("parameters are validated", "[smtp][protocol]") {
  ServerConfig config;
  config.limits.message_size = 1000;
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO c.test");
  REQUIRE(d.say("MAIL FROM:<a@b.test> SIZE=5000").enhanced->str() == "5.3.4");
  REQUIRE(d.code("MAIL FROM:<a@b.test> BODY=QUANTUM") == 501);
  REQUIRE(d.code("MAIL FROM:<a@b.test> FOO=BAR") == 555);
  REQUIRE(d.say("MAIL FROM:<a@b.test> SIZE=1 SIZE=2").text().find("duplicate parameter SIZE") != std::string::npos);
  REQUIRE(d.say("MAIL FROM:<ü@b.test>").enhanced->str() == "5.6.7");
  REQUIRE(d.code("MAIL FROM:<ü@b.test> SMTPUTF8") == 250);
}

TEST_CASE("AUTH PLAIN, LOGIN and CRAM-MD5 with masked transcripts", "[smtp][protocol]") {
  ServerConfig config;
  config.auth = AuthConfig{};
  config.auth->users = {{"app", "s3cret"}};
  config.auth->required = true;
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO c.test");
  REQUIRE(d.say("MAIL FROM:<a@b.test>").enhanced->str() == "5.7.0");

  SECTION("PLAIN with a bad then a good password") {
    REQUIRE(d.say("AUTH PLAIN " + sasl::base64_encode(std::string("\0app\0wrong", 10))).enhanced->str() == "5.7.8");
    REQUIRE(d.code("AUTH PLAIN " + sasl::base64_encode(std::string("\0app\0s3cret", 11))) == 235);
    REQUIRE(d.record.auth_user == "app");
    REQUIRE(d.code("MAIL FROM:<a@b.test>") == 250);
  }
  SECTION("LOGIN step by step") {
    REQUIRE(d.code("AUTH LOGIN") == 334);
    REQUIRE(d.code(sasl::base64_encode("app")) == 334);
    REQUIRE(d.code(sasl::base64_encode("s3cret")) == 235);
  }
  SECTION("CRAM-MD5 answers the challenge") {
    Reply challenge = d.say("AUTH CRAM-MD5");
    REQUIRE(challenge.code == 334);
    std::string decoded = *sasl::base64_decode(challenge.lines.front());
    std::string response = "app " + sasl::hmac_md5_hex("s3cret", decoded);
    REQUIRE(d.code(sasl::base64_encode(response)) == 235);
  }
  SECTION("a client can cancel") {
    d.say("AUTH LOGIN");
    REQUIRE(d.code("*") == 501);
  }
  for (const auto& entry : d.record.transcript) {
    CAPTURE(entry.text);
    REQUIRE(entry.text.find("s3cret") == std::string::npos);
    REQUIRE(entry.text.find(sasl::base64_encode("s3cret")) == std::string::npos);
    REQUIRE(entry.text.find("AGFwcA") == std::string::npos);
  }
}

TEST_CASE("with TLS on offer, AUTH waits for it", "[smtp][protocol]") {
  ServerConfig config;
  config.tls = TlsMode::starttls;
  config.auth = AuthConfig{};
  Dialogue d(config);
  d.protocol.greeting();
  Reply ehlo = d.say("EHLO c.test");
  REQUIRE(std::find(ehlo.lines.begin(), ehlo.lines.end(), "STARTTLS") != ehlo.lines.end());
  for (const auto& line : ehlo.lines) {
    REQUIRE(line.rfind("AUTH", 0) != 0);
  }
  REQUIRE(d.say("AUTH PLAIN").enhanced->str() == "5.7.11");
  Output tls = d.protocol.on_line("STARTTLS");
  REQUIRE(tls.next == Next::start_tls);
  d.protocol.on_tls_established("TLSv1.3", "TLS_AES_256_GCM_SHA384");
  REQUIRE(d.protocol.state() == State::connected);
  REQUIRE(d.say("MAIL FROM:<a@b.test>").code == 503);
  Reply again = d.say("EHLO c.test");
  REQUIRE(std::find(again.lines.begin(), again.lines.end(), "STARTTLS") == again.lines.end());
  REQUIRE(std::find(again.lines.begin(), again.lines.end(), "AUTH PLAIN LOGIN CRAM-MD5") != again.lines.end());
}

TEST_CASE("required TLS refuses MAIL in the clear", "[smtp][protocol]") {
  ServerConfig config;
  config.tls = TlsMode::required;
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO c.test");
  Reply refused = d.say("MAIL FROM:<a@b.test>");
  REQUIRE(refused.code == 530);
  REQUIRE(refused.text().find("STARTTLS") != std::string::npos);
  REQUIRE(d.record.refusals.size() == 1);
  REQUIRE(d.record.refusals[0].reason == "tls_required");
  REQUIRE(d.record.refusals[0].command == "MAIL");
}

TEST_CASE("rules decide at their stage", "[smtp][protocol]") {
  ServerConfig config;
  rules::Rule greylist;
  greylist.at = rules::Stage::rcpt;
  greylist.match.attempt = rules::AttemptRange{1, 1};
  greylist.reply = Reply::parse("451 4.7.1 Greylisted, try again later");
  rules::Rule content;
  content.at = rules::Stage::data;
  content.match.headers.push_back({"Subject", rules::TextMatch::parse("/free money/i")});
  content.reply = Reply::parse("550 5.7.1 Content rejected");
  config.rules = {greylist, content};
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO c.test");
  d.say("MAIL FROM:<a@b.test>");
  REQUIRE(d.say("RCPT TO:<x@y.test>").enhanced->str() == "4.7.1");
  REQUIRE(d.code("DATA") == 554);
  d.say("RSET");
  d.say("MAIL FROM:<a@b.test>");
  REQUIRE(d.code("RCPT TO:<x@y.test>") == 250);
  REQUIRE(d.code("DATA") == 354);
  Reply refused = d.send_message("Subject: FREE MONEY\r\n\r\nhi\r\n.\r\n");
  REQUIRE(refused.code == 550);
  REQUIRE_FALSE(d.record.transactions.back().delivered);
  REQUIRE(d.record.transactions.back().message);
  // The greylisting 451 and the content 550 are rule refusals; DATA's 554 (no valid
  // recipients) is a sequence answer, not a refusal.
  REQUIRE(d.record.refusals.size() == 2);
  REQUIRE(d.record.refusals[0].reason == "rule");
  REQUIRE(d.record.refusals[0].command == "RCPT");
  REQUIRE(d.record.refusals[0].argument == "x@y.test");
  REQUIRE(d.record.refusals[1].reason == "rule");
  REQUIRE(d.record.refusals[1].command == "END_OF_DATA");
  REQUIRE(d.record.refusals[1].recipients == std::vector<std::string>{"x@y.test"});
}

TEST_CASE("{address} in a rule's reply names the stage's address; other braces stay", "[smtp][protocol]") {
  auto rule = [](rules::Stage at, std::string reply, std::string rcpt = "") {
    rules::Rule out;
    out.at = at;
    if (!rcpt.empty()) {
      out.match.rcpt = rules::TextMatch::parse(rcpt);
    }
    out.reply = Reply::parse(reply);
    return out;
  };
  ServerConfig config;
  config.rules = {
      rule(rules::Stage::mail, "250 2.1.0 <{address}> ok {foo} {"),
      rule(rules::Stage::rcpt, "451 4.7.1 <{address}>: greylisted", "grey@inbox.test"),
      rule(rules::Stage::data, "354 go ahead, {address}"),
      rule(rules::Stage::end_of_data, "550 5.7.1 <{address}>: {address} may not send this"),
  };
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO c.test");
  CHECK(d.say("MAIL FROM:<app@client.test>").text() == "<app@client.test> ok {foo} {");
  CHECK(d.say("RCPT TO:<grey@inbox.test>").text() == "<grey@inbox.test>: greylisted");
  CHECK(d.code("RCPT TO:<user@inbox.test>") == 250);
  CHECK(d.say("DATA").text() == "go ahead, app@client.test");
  CHECK(d.send_message("Subject: hi\r\n\r\nhi\r\n.\r\n").text() ==
        "<app@client.test>: app@client.test may not send this");
  // The refusal records keep the text as it was sent.
  REQUIRE(d.record.refusals.size() == 2);
  CHECK(d.record.refusals[0].reply.text() == "<grey@inbox.test>: greylisted");

  SECTION("the null sender is an empty address") {
    d.say("MAIL FROM:<>");
    d.say("RCPT TO:<user@inbox.test>");
    CHECK(d.say("DATA").text() == "go ahead, ");
  }
}

TEST_CASE("bare LF is refused by default, too big messages keep the session", "[smtp][protocol]") {
  ServerConfig config;
  config.limits.message_size = 10;
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO c.test");
  d.say("MAIL FROM:<a@b.test>");
  d.say("RCPT TO:<x@y.test>");
  d.say("DATA");
  REQUIRE(d.send_message("0123456789abcdef\r\n.\r\n").enhanced->str() == "5.3.4");
  d.say("MAIL FROM:<a@b.test>");
  d.say("RCPT TO:<x@y.test>");
  d.say("DATA");
  REQUIRE(d.send_message("a\nb\r\n.\r\n").enhanced->str() == "5.6.0");
  REQUIRE(d.code("NOOP") == 250);
  REQUIRE(d.record.refusals.size() == 2);
  REQUIRE(d.record.refusals[0].reason == "size");
  REQUIRE(d.record.refusals[1].reason == "bare_lf");
}

TEST_CASE("an abandoned transaction is still recorded", "[smtp][protocol]") {
  Dialogue d(ServerConfig{});
  d.protocol.greeting();
  d.say("EHLO c.test");
  d.say("MAIL FROM:<a@b.test>");
  d.say("RCPT TO:<x@y.test>");
  d.protocol.finish("client closed");
  REQUIRE(d.record.transactions.size() == 1);
  REQUIRE_FALSE(d.record.transactions.front().delivered);
  REQUIRE(d.record.close_reason == "client closed");
}

TEST_CASE("a rejecting greeting leaves only QUIT", "[smtp][protocol]") {
  ServerConfig config;
  rules::Rule reject;
  reject.at = rules::Stage::connect;
  reject.reply = Reply::parse("554 5.7.1 Client host rejected");
  config.rules = {reject};
  Dialogue d(config);
  REQUIRE(d.protocol.greeting().replies.front().code == 554);
  REQUIRE(d.code("EHLO c.test") == 503);
  REQUIRE(d.code("QUIT") == 221);
}

TEST_CASE("sender checks: at_rcpt refuses the whole transaction once asked", "[smtp][protocol][checks]") {
  ServerConfig config = inbox_config();
  auto asked = std::make_shared<int>(0);
  config.sender_checks.at_rcpt = [asked](std::string_view client_ip, std::string_view helo) -> std::optional<Refusal> {
    ++*asked;
    CHECK(client_ip == "127.0.0.1");
    CHECK(helo == "client.test");
    return Refusal{make_reply(550, EnhancedCode{5, 7, 1},
                              "Service unavailable; client [127.0.0.1] blocked using bl.test"),
                   "dnsbl"};
  };
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO client.test");
  d.say("MAIL FROM:<app@example.test>");
  Reply first = d.say("RCPT TO:<user@inbox.test>");
  REQUIRE(first.code == 550);
  REQUIRE(first.enhanced->str() == "5.7.1");
  REQUIRE(d.code("RCPT TO:<other@team.inbox.test>") == 550);
  REQUIRE(*asked == 1);
  REQUIRE(d.code("DATA") == 554);
  REQUIRE(d.code("RSET") == 250);
  d.say("MAIL FROM:<app@example.test>");
  REQUIRE(d.code("RCPT TO:<user@inbox.test>") == 550);
  REQUIRE(*asked == 2);  // a new transaction asks again
  REQUIRE(d.record.refusals.size() == 3);
  for (const auto& refusal : d.record.refusals) {
    REQUIRE(refusal.reason == "dnsbl");
    REQUIRE(refusal.command == "RCPT");
    REQUIRE(refusal.reply.code == 550);
  }
  REQUIRE(d.record.refusals[1].argument == "other@team.inbox.test");
}

TEST_CASE("sender checks: at_end_of_data refuses or records its results", "[smtp][protocol][checks]") {
  ServerConfig config = inbox_config();
  auto refuse = std::make_shared<bool>(true);
  auto seen = std::make_shared<std::string>();
  config.sender_checks.at_end_of_data = [refuse, seen](const MessageView& view) {
    *seen = std::string(view.client_ip) + " " + std::string(view.helo) + " " + std::string(view.mail_from) + " " +
            std::to_string(view.message.size());
    MessageVerdict verdict;
    verdict.results = {{"spf", "fail"}, {"dkim", "none"}, {"dmarc", "fail"}};
    verdict.authentication_results = "mx.sandbox.test; spf=fail; dkim=none; dmarc=fail";
    verdict.summary = "spf=fail dkim=none dmarc=fail (p=reject)";
    if (*refuse) {
      verdict.refusal =
          Refusal{make_reply(550, EnhancedCode{5, 7, 26}, "Unauthenticated email from example.test"), "dmarc"};
    }
    return verdict;
  };
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO client.test");
  d.say("MAIL FROM:<app@example.test>");
  d.say("RCPT TO:<user@inbox.test>");
  d.say("DATA");
  Reply refused = d.send_message("Subject: hi\r\n\r\nbody\r\n.\r\n");
  REQUIRE(refused.code == 550);
  REQUIRE(refused.enhanced->str() == "5.7.26");
  REQUIRE(*seen == "127.0.0.1 client.test app@example.test 21");
  REQUIRE(d.record.transactions.size() == 1);
  const auto& tx = d.record.transactions.front();
  REQUIRE_FALSE(tx.delivered);
  REQUIRE(*tx.message == "Subject: hi\r\n\r\nbody\r\n");  // the bytes as received stay as they were
  REQUIRE(tx.authentication_results == "mx.sandbox.test; spf=fail; dkim=none; dmarc=fail");
  REQUIRE(tx.stored_copy() ==
          "Authentication-Results: mx.sandbox.test;\r\n\tspf=fail;\r\n\tdkim=none;\r\n\tdmarc=fail\r\n"
          "Subject: hi\r\n\r\nbody\r\n");
  REQUIRE(tx.stored_header_section() ==
          "Authentication-Results: mx.sandbox.test;\r\n\tspf=fail;\r\n\tdkim=none;\r\n\tdmarc=fail\r\n"
          "Subject: hi\r\n");
  REQUIRE(d.record.refusals.size() == 1);
  REQUIRE(d.record.refusals[0].reason == "dmarc");
  REQUIRE(d.record.refusals[0].command == "END_OF_DATA");
  REQUIRE(d.record.refusals[0].recipients == std::vector<std::string>{"user@inbox.test"});
  REQUIRE(tx.auth_results.at("dmarc") == "fail");
  const bool noted = std::any_of(d.record.transcript.begin(), d.record.transcript.end(), [](const auto& entry) {
    return entry.text == "checks: spf=fail dkim=none dmarc=fail (p=reject)";
  });
  REQUIRE(noted);

  *refuse = false;
  d.say("MAIL FROM:<app@example.test>");
  d.say("RCPT TO:<user@inbox.test>");
  d.say("DATA");
  REQUIRE(d.send_message("Subject: hi\r\n\r\nbody\r\n.\r\n").code == 250);
  REQUIRE(d.record.transactions.back().delivered);
  REQUIRE(d.record.transactions.back().auth_results.at("spf") == "fail");
}

TEST_CASE("sender checks are skipped for a bare LF message", "[smtp][protocol][checks]") {
  ServerConfig config = inbox_config();
  auto asked = std::make_shared<bool>(false);
  config.sender_checks.at_end_of_data = [asked](const MessageView&) {
    *asked = true;
    return MessageVerdict{};
  };
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO client.test");
  d.say("MAIL FROM:<app@example.test>");
  d.say("RCPT TO:<user@inbox.test>");
  d.say("DATA");
  REQUIRE(d.send_message("Subject: hi\n\nbody\r\n.\r\n").code == 550);
  REQUIRE_FALSE(*asked);
  REQUIRE(d.record.transactions.back().auth_results.empty());
}

TEST_CASE("CHUNKING: BDAT chunks make one message, no dot-stuffing (RFC 3030)", "[smtp][protocol][bdat]") {
  ServerConfig config = inbox_config();
  Dialogue d(config);
  d.protocol.greeting();
  Reply ehlo = d.say("EHLO client.test");
  const auto& lines = ehlo.lines;
  for (const char* keyword : {"CHUNKING", "BINARYMIME", "DSN"}) {
    REQUIRE(std::find(lines.begin(), lines.end(), keyword) != lines.end());
  }
  d.say("MAIL FROM:<app@example.test> BODY=BINARYMIME");
  d.say("RCPT TO:<user@inbox.test>");
  const std::string first = "Subject: chunked\r\n\r\n.leading dot";
  using namespace std::string_literals;
  const std::string second = " stays\r\n\0\xff binary\r\n"s;
  Reply middle = d.send_chunk("BDAT " + std::to_string(first.size()), {first.substr(0, 5), first.substr(5)});
  REQUIRE(middle.code == 250);
  REQUIRE(middle.text() == std::to_string(first.size()) + " octets received");
  Reply last = d.send_chunk("BDAT " + std::to_string(second.size()) + " last", {second});
  REQUIRE(last.code == 250);
  REQUIRE(last.text().find("queued") != std::string::npos);
  REQUIRE(d.record.transactions.size() == 1);
  const auto& tx = d.record.transactions.front();
  REQUIRE(tx.delivered);
  REQUIRE(*tx.message == first + second);  // the leading dot is data, not stuffing
  REQUIRE(tx.eight_bit);
  REQUIRE(tx.mail_parameters == "BODY=BINARYMIME");
  const bool noted = std::any_of(d.record.transcript.begin(), d.record.transcript.end(),
                                 [](const auto& entry) { return entry.text.find(", BDAT") != std::string::npos; });
  REQUIRE(noted);
}

TEST_CASE("CHUNKING: sequence errors still consume the chunk", "[smtp][protocol][bdat]") {
  ServerConfig config = inbox_config();
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO client.test");
  REQUIRE(d.send_chunk("BDAT 3 LAST", {"abc"}).code == 503);  // no MAIL
  d.say("MAIL FROM:<app@example.test>");
  REQUIRE(d.code("RCPT TO:<ghost@inbox.test>") == 550);
  REQUIRE(d.send_chunk("BDAT 2", {"hi"}).code == 554);  // no valid recipient
  REQUIRE(d.code("RSET") == 250);
  REQUIRE(d.code("BDAT x") == 501);
  REQUIRE(d.code("BDAT 5 FIRST") == 501);
  REQUIRE(d.code("BDAT") == 501);

  d.say("MAIL FROM:<app@example.test> BODY=BINARYMIME");
  d.say("RCPT TO:<user@inbox.test>");
  REQUIRE(d.code("DATA") == 503);  // RFC 3030 3: BINARYMIME only with BDAT
  REQUIRE(d.code("RSET") == 250);
  d.say("MAIL FROM:<app@example.test>");
  d.say("RCPT TO:<user@inbox.test>");
  REQUIRE(d.send_chunk("BDAT 0", {}).code == 250);
  REQUIRE(d.code("DATA") == 503);                        // no DATA once BDAT started
  REQUIRE(d.send_chunk("BDAT 0 LAST", {}).code == 250);  // an empty message is legal
  REQUIRE(d.record.transactions.back().delivered);
  REQUIRE(d.record.transactions.back().message->empty());
}

TEST_CASE("CHUNKING: an oversized message is refused and later chunks discarded", "[smtp][protocol][bdat]") {
  ServerConfig config = inbox_config();
  config.limits.message_size = 10;
  Dialogue d(config);
  d.protocol.greeting();
  d.say("EHLO client.test");
  d.say("MAIL FROM:<app@example.test>");
  d.say("RCPT TO:<user@inbox.test>");
  REQUIRE(d.send_chunk("BDAT 6", {"012345"}).code == 250);
  Reply refused = d.send_chunk("BDAT 6", {"6789ab"});
  REQUIRE(refused.code == 552);
  REQUIRE(refused.enhanced->str() == "5.3.4");
  REQUIRE(d.send_chunk("BDAT 4 LAST", {"cdef"}).code == 503);  // pipelined after the refusal
  REQUIRE(d.code("RSET") == 250);
  REQUIRE(d.record.transactions.size() == 1);
  REQUIRE_FALSE(d.record.transactions.front().delivered);
  REQUIRE(d.record.refusals.size() == 1);
  REQUIRE(d.record.refusals.front().reason == "size");
  REQUIRE(d.record.refusals.front().command == "BDAT");
  // The session goes on.
  d.say("MAIL FROM:<app@example.test>");
  d.say("RCPT TO:<user@inbox.test>");
  REQUIRE(d.send_chunk("BDAT 2 LAST", {"ok"}).code == 250);
}

TEST_CASE("CHUNKING: bare LF is recorded but not refused in BDAT", "[smtp][protocol][bdat]") {
  Dialogue d(inbox_config());
  d.protocol.greeting();
  d.say("EHLO client.test");
  d.say("MAIL FROM:<app@example.test>");
  d.say("RCPT TO:<user@inbox.test>");
  REQUIRE(d.send_chunk("BDAT 5 LAST", {"a\nb\r\n"}).code == 250);
  REQUIRE(d.record.transactions.back().bare_lf);
  REQUIRE(d.record.transactions.back().delivered);
}

TEST_CASE("DSN parameters are checked and recorded (RFC 3461)", "[smtp][protocol][dsn]") {
  Dialogue d(inbox_config());
  d.protocol.greeting();
  d.say("EHLO client.test");
  REQUIRE(d.code("MAIL FROM:<app@example.test> RET=PAID") == 501);
  REQUIRE(d.code("MAIL FROM:<app@example.test> ENVID=a=b") == 501);
  REQUIRE(d.code("MAIL FROM:<app@example.test> ENVID=" + std::string(101, 'x')) == 501);
  REQUIRE(d.code("MAIL FROM:<app@example.test> RET=HDRS ENVID=QQ314159+2B1") == 250);
  REQUIRE(d.code("RCPT TO:<user@inbox.test> NOTIFY=NEVER,SUCCESS") == 501);
  REQUIRE(d.code("RCPT TO:<user@inbox.test> NOTIFY=SUCCESS,SUCCESS") == 501);
  REQUIRE(d.code("RCPT TO:<user@inbox.test> ORCPT=user@inbox.test") == 501);
  REQUIRE(d.code("RCPT TO:<user@inbox.test> NOTIFY=NEVER NOTIFY=NEVER") == 501);
  REQUIRE(d.code("RCPT TO:<user@inbox.test> XYZ=1") == 555);
  REQUIRE(d.code("RCPT TO:<user@inbox.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;user+40inbox.test") == 250);
  d.say("DATA");
  REQUIRE(d.send_message("Subject: dsn\r\n\r\nhi\r\n.\r\n").code == 250);
  const auto& tx = d.record.transactions.back();
  REQUIRE(tx.mail_parameters == "RET=HDRS ENVID=QQ314159+2B1");
  REQUIRE(tx.recipients.back().parameters == "NOTIFY=FAILURE,DELAY ORCPT=rfc822;user+40inbox.test");
}

TEST_CASE("xtext (RFC 3461 4)", "[smtp][dsn]") {
  CHECK(is_xtext("abc+2Bdef"));
  CHECK(is_xtext(""));
  CHECK_FALSE(is_xtext("a+2"));
  CHECK_FALSE(is_xtext("a+2b"));  // hex digits are upper case
  CHECK_FALSE(is_xtext("a=b"));
  CHECK_FALSE(is_xtext("a b"));
  CHECK_FALSE(is_xtext("caf\xc3\xa9"));
}

// The command table's order of checks (issue 22): after a 554 greeting everything but QUIT is
// refused first; then an unknown verb; then a command this server does not offer (502); then
// one the state does not allow (503); only then the handler's own checks. Pinned wire bytes.
TEST_CASE("the command table checks rejected, unknown, offered, state, then arguments", "[smtp][protocol]") {
  SECTION("not offered comes before out of state, and names the command") {
    Dialogue d(ServerConfig{});
    d.protocol.greeting();
    CHECK(d.say("AUTH PLAIN").wire() == "502 5.5.1 Error: command not implemented: AUTH\r\n");
    CHECK(d.say("STARTTLS").wire() == "502 5.5.1 Error: command not implemented: STARTTLS\r\n");
    CHECK(d.say("expn staff").wire() == "502 5.5.1 Error: command not implemented: EXPN\r\n");
  }
  SECTION("out of state before EHLO, with the row's reason") {
    ServerConfig config;
    config.auth = AuthConfig{};
    config.auth->mechanisms = {AuthMechanism::plain};
    config.limits.errors = 10;
    Dialogue d(config);
    d.protocol.greeting();
    CHECK(d.say("AUTH PLAIN").wire() == "503 5.5.1 Error: send EHLO first\r\n");
    CHECK(d.say("MAIL FROM:<a@b.test>").wire() == "503 5.5.1 Error: send HELO/EHLO first\r\n");
    CHECK(d.say("MAIL FROM:bad").wire() == "503 5.5.1 Error: send HELO/EHLO first\r\n");
    CHECK(d.say("RCPT TO:<a@b.test>").wire() == "503 5.5.1 Error: need MAIL command\r\n");
    CHECK(d.say("DATA x").wire() == "501 5.5.4 Syntax error: DATA takes no argument\r\n");
    CHECK(d.say("NOOP").wire() == "250 2.0.0 Ok\r\n");
    CHECK(d.say("BOGUS").wire() == "500 5.5.2 Error: command not recognized\r\n");
  }
  SECTION("after a rejecting greeting, even unknown and unoffered commands get the rejection") {
    ServerConfig config;
    rules::Rule reject;
    reject.at = rules::Stage::connect;
    reject.reply = Reply::parse("554 5.7.1 Client host rejected");
    config.rules = {reject};
    config.limits.errors = 10;
    Dialogue d(config);
    d.protocol.greeting();
    const std::string rejected = "503 5.5.1 Error: connection rejected, only QUIT is accepted\r\n";
    CHECK(d.say("BOGUS").wire() == rejected);
    CHECK(d.say("AUTH PLAIN").wire() == rejected);
    CHECK(d.say("EXPN staff").wire() == rejected);
    CHECK(d.say("MAIL FROM:<a@b.test>").wire() == rejected);
    CHECK(d.protocol.on_line("QUIT").next == Next::close);
  }
}
