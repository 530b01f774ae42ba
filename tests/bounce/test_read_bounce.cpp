// The bounce reader (src/bounce): recipients, sender, DSN fields, MTA and the stage from the
// bounce's own evidence, on hand-made inputs and on files of the public corpus.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "bounce/facts.hpp"
#include "support/paths.hpp"

using namespace maildog::bounce;

namespace {

BounceFacts read(std::string_view input) {
  auto result = read_bounce(input);
  INFO(input);
  INFO(result.error);
  REQUIRE(result.facts);
  return *result.facts;
}

std::string corpus_file(const std::string& name) {
  std::ifstream in(maildog::test::source_dir() / "tests" / "bounce" / "corpus" / name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("a reply line names its recipient and no stage", "[bounce]") {
  const auto facts = read("550 5.1.1 <ghost@example.net>: Recipient address rejected: User unknown");
  CHECK(facts.reply.code == 550);
  CHECK(facts.recipients == std::vector<std::string>{"ghost@example.net"});
  CHECK_FALSE(facts.sender);
  CHECK(facts.stage == Stage::unknown);
}

TEST_CASE("a refused sender is the sender, not a recipient", "[bounce]") {
  const auto facts = read("553 5.1.8 <a@bad.example>: Sender address rejected: Domain not found");
  CHECK(facts.sender == "a@bad.example");
  CHECK(facts.recipients.empty());
}

TEST_CASE("a Postfix log line: to=, from= and the stage it was in reply to", "[bounce]") {
  const auto facts = read(
      "Dec  8 10:00:00 mx postfix/smtp[123]: 4AB: to=<ghost@example.net>, relay=mx.example.net[192.0.2.1]:25, "
      "dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 <ghost@example.net>: User unknown "
      "(in reply to RCPT TO command))");
  CHECK(facts.recipients == std::vector<std::string>{"ghost@example.net"});
  CHECK(facts.mta == "Postfix");
  CHECK(facts.stage == Stage::rcpt);
  CHECK(facts.stage_evidence == "in reply to RCPT TO command");
}

TEST_CASE("a Postfix reject line loses its from=/proto= trailer", "[bounce]") {
  const auto facts = read(
      "Dec  8 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: HELO from h[192.0.2.1]: 504 5.5.2 <x>: Helo command "
      "rejected: need fully-qualified hostname; proto=SMTP helo=<x>");
  CHECK(facts.reply.text == "<x>: Helo command rejected: need fully-qualified hostname");
  CHECK(facts.stage == Stage::helo);
}

TEST_CASE("a Sendmail transcript: the command before the refusal", "[bounce]") {
  const auto facts = read(
      "----- Transcript of session follows -----\n... while talking to mx.example.net.:\n>>> DATA\n<<< 354 go ahead\n"
      ">>> .\n<<< 554 5.7.1 Message refused\n554 5.7.1 Message refused\n");
  CHECK(facts.stage == Stage::end_of_data);
  CHECK(facts.mta == "Sendmail");
}

TEST_CASE("qmail says the stage in words", "[bounce]") {
  const auto facts = read(
      "Hi. This is the qmail-send program.\n<ghost@example.net>:\n192.0.2.1 does not like recipient.\n"
      "Remote host said: 550 5.1.1 unknown user\nGiving up on 192.0.2.1.\n");
  CHECK(facts.stage == Stage::rcpt);
  CHECK(facts.recipients == std::vector<std::string>{"ghost@example.net"});
  CHECK(facts.mta == "qmail");
}

TEST_CASE("a DSN: recipients, Status, Remote-MTA, a stage folded over lines, the sender", "[bounce]") {
  const auto facts = read(corpus_file("039-postfix-denied-spam-list.eml"));
  CHECK(facts.reply.code == 550);
  CHECK(facts.stage == Stage::rcpt);
  CHECK_FALSE(facts.recipients.empty());
  CHECK(facts.status == "5.0.0");
  CHECK(facts.action == "failed");
  CHECK(facts.enhanced_from_status);  // the remote reply had no enhanced code
  CHECK(facts.mta == "Postfix");
}

TEST_CASE("an Exim bounce names its recipients in X-Failed-Recipients", "[bounce]") {
  const auto facts = read(corpus_file("016-exim-x-failed-recipients.eml"));
  CHECK_FALSE(facts.recipients.empty());
  CHECK(facts.stage == Stage::rcpt);
}

TEST_CASE("a Sendmail log line's ruleset names the stage", "[bounce]") {
  const auto facts = read(corpus_file("013-sendmail-log-connection-rate.log"));
  CHECK(facts.stage == Stage::connect);
  CHECK(facts.reply.code == 421);
}

TEST_CASE("addresses in text", "[bounce]") {
  CHECK(addresses_in("to=<a.b+c@x.example>, from=<'q@y.example'>") ==
        std::vector<std::string>{"a.b+c@x.example", "q@y.example"});
  CHECK(addresses_in("user@host, a@1.2.3.4, @example.net, x@y.z").empty());
}

TEST_CASE("input without a reply is refused with the reason", "[bounce]") {
  const auto result = read_bounce("hello there");
  CHECK_FALSE(result.facts);
  CHECK_FALSE(result.error.empty());
}

TEST_CASE("a reply text that starts with ': ' keeps it, as Postfix sent it", "[bounce]") {
  const auto facts = read(corpus_file("044-postfix-log-helo-host-not-found.log"));
  CHECK(facts.reply.text == ": Helo command rejected: Host not found");
}
