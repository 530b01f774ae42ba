#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "lint/transaction.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/protocol.hpp"

using maildog::capture::RecipientRecord;
using maildog::capture::TransactionRecord;
using maildog::lint::envelope_of;
using maildog::lint::Finding;
using maildog::lint::lint_transaction;
using maildog::smtp::DataDecoder;

namespace {

std::vector<std::string> names(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& finding : findings) {
    out.emplace_back(finding.name());
  }
  return out;
}

TransactionRecord transaction(const std::string& parameters) {
  TransactionRecord record;
  record.mail_from = "app@yourdomain.test";
  record.mail_parameters = parameters;
  RecipientRecord recipient;
  recipient.address = "user@inbox.test";
  record.recipients.push_back(recipient);
  return record;
}

// What the sandbox keeps of a DATA section received as `wire`: the decoder's bytes and notes.
TransactionRecord received(const std::string& wire) {
  DataDecoder decoder(1 << 20);
  REQUIRE(decoder.feed(wire) == wire.size());
  REQUIRE(decoder.done());
  TransactionRecord record = transaction("");
  record.bare_lf = decoder.bare_lf();
  record.eight_bit = decoder.eight_bit();
  record.smuggling_line = decoder.smuggling_line();
  record.message = std::make_shared<const std::string>(decoder.take_message());
  return record;
}

constexpr const char* k_headers =
    "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nFrom: a@yourdomain.test\r\nMessage-ID: <1@yourdomain.test>\r\n\r\n";

}  // namespace

TEST_CASE("the envelope from MAIL parameters, RCPTs and the decoder's notes", "[lint]") {
  SECTION("BODY=8BITMIME and SMTPUTF8, without case") {
    auto envelope = envelope_of(transaction("SIZE=300 body=8bitmime smtputf8"));
    CHECK(envelope.eight_bit_mime == true);
    CHECK(envelope.smtputf8 == true);
    CHECK(envelope.mail_from == "app@yourdomain.test");
    CHECK(envelope.recipients == std::vector<std::string>{"user@inbox.test"});
  }
  SECTION("BODY=BINARYMIME allows 8-bit too") {
    CHECK(envelope_of(transaction("BODY=BINARYMIME")).eight_bit_mime == true);
  }
  SECTION("nothing declared is known to be false, not unknown") {
    auto envelope = envelope_of(transaction("SIZE=300 BODY=7BIT"));
    CHECK(envelope.eight_bit_mime == false);
    CHECK(envelope.smtputf8 == false);
  }
  SECTION("the decoder's notes") {
    TransactionRecord record = transaction("");
    record.bare_lf = true;
    record.smuggling_line = 4;
    auto envelope = envelope_of(record);
    CHECK(envelope.bare_lf);
    CHECK(envelope.smuggling_line == 4);
  }
}

TEST_CASE("a transaction is linted on its kept bytes, else on its envelope", "[lint]") {
  SECTION("kept: the message's findings, 8-bit judged against the MAIL parameters") {
    TransactionRecord record = transaction("");
    record.message = std::make_shared<const std::string>("Subject: caf\xC3\xA9\r\n\r\nhi\r\n");
    CHECK(names(lint_transaction(record)) ==
          std::vector<std::string>{"eight_bit_without_8bitmime", "missing_date", "missing_message_id", "missing_from"});
  }
  SECTION("not kept: no missing-field findings for bytes that were never seen") {
    TransactionRecord record = transaction("");
    record.bare_lf = true;
    CHECK(names(lint_transaction(record)) == std::vector<std::string>{"bare_lf"});
  }
}

TEST_CASE("the DATA decoder notes end-of-data look-alikes whose dot it unstuffed", "[lint][smtp]") {
  SECTION("<CR><LF>.<LF>: the kept line lost its dot, the linter still names it") {
    auto record = received(std::string(k_headers) + "hi\r\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n");
    CHECK(record.smuggling_line == 6);
    CHECK(*record.message == std::string(k_headers) + "hi\r\n\nMAIL FROM:<evil@x.test>\r\n");
    const auto findings = lint_transaction(record);
    CHECK(names(findings) == std::vector<std::string>{"bare_lf", "smuggling_eod"});
    CHECK(findings[1].line == 6);
    CHECK_THAT(findings[1].message, Catch::StartsWith("<CR><LF>.<LF>"));
  }
  SECTION("<CR><LF>.<CR> followed by text") {
    auto record = received(std::string(k_headers) + "hi\r\n.\rMAIL FROM:<evil@x.test>\r\n.\r\n");
    CHECK(record.smuggling_line == 6);
    const auto findings = lint_transaction(record);
    CHECK(names(findings) == std::vector<std::string>{"bare_cr", "smuggling_eod"});
    CHECK_THAT(findings[1].message, Catch::StartsWith("<CR><LF>.<CR>"));
  }
  SECTION("after a bare LF the dot stays in the bytes, and the linter finds it there") {
    auto record = received(std::string(k_headers) + "hi\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n");
    CHECK(record.smuggling_line == 0);
    const auto findings = lint_transaction(record);
    CHECK(names(findings) == std::vector<std::string>{"bare_lf", "smuggling_eod"});
    CHECK(findings[1].line == 6);
    CHECK_THAT(findings[1].message, Catch::StartsWith("<LF>.<LF>"));
  }
  SECTION("a dot-stuffed line is no look-alike") {
    auto record = received(std::string(k_headers) + "hi\r\n..\r\n..\nend\r\n.\r\n");
    CHECK(record.smuggling_line == 0);
    CHECK(names(lint_transaction(record)) == std::vector<std::string>{"bare_lf"});
  }
}

TEST_CASE("the sandbox keeps the decoder's look-alike line with the transaction", "[lint][smtp]") {
  maildog::smtp::ServerConfig config;
  config.limits.reject_bare_lf = false;
  maildog::rules::EngineState rules_state(config.seed);
  maildog::capture::Capture capture;
  maildog::capture::SessionRecord session;
  maildog::smtp::Protocol protocol(
      config, rules_state, capture, session, [] { return std::chrono::microseconds(0); }, [] { return 42ULL; });
  protocol.greeting();
  for (const char* line :
       {"EHLO client.test", "MAIL FROM:<app@yourdomain.test>", "RCPT TO:<user@inbox.test>", "DATA"}) {
    REQUIRE_FALSE(protocol.on_line(line).replies.empty());
  }
  DataDecoder decoder(protocol.message_size_limit());
  decoder.feed(std::string(k_headers) + "hi\r\n.\nRSET\r\n.\r\n");
  REQUIRE(decoder.done());
  REQUIRE(protocol.on_message(decoder).replies.front().code == 250);
  REQUIRE(session.transactions.size() == 1);
  CHECK(session.transactions[0].smuggling_line == 6);
  CHECK(names(lint_transaction(session.transactions[0])) == std::vector<std::string>{"bare_lf", "smuggling_eod"});
}
