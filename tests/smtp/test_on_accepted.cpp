#include <catch2/catch.hpp>

#include <memory>

#include "smtp/protocol.hpp"

using namespace maildog;
using namespace maildog::smtp;

namespace {

struct Seen {
  int calls = 0;
  std::size_t transcript_lines = 0;  // the session's transcript when the hook ran
  std::string mail_from;
  std::string message;
  std::optional<Reply> final_reply;
};

// A protocol whose hook records what it saw and refuses when told to.
struct HookDialogue {
  explicit HookDialogue(bool refuse, bool keep_transactions = true) : seen(std::make_shared<Seen>()) {
    config.keep_transactions = keep_transactions;
    config.on_accepted = [seen = seen, refuse](const capture::SessionRecord& session,
                                               const capture::TransactionRecord& transaction) -> std::optional<Reply> {
      ++seen->calls;
      seen->transcript_lines = session.transcript.size();
      seen->mail_from = transaction.mail_from;
      seen->message = transaction.message ? *transaction.message : "";
      seen->final_reply = transaction.final_reply;
      if (refuse) {
        return reply::cannot_store();
      }
      return std::nullopt;
    };
    rules_state = std::make_unique<rules::EngineState>(config.seed);
    protocol = std::make_unique<Protocol>(
        config, *rules_state, capture, record, [] { return std::chrono::microseconds(0); }, [] { return 7ULL; });
    protocol->greeting();
    protocol->on_line("EHLO client.test");
    protocol->on_line("MAIL FROM:<app@example.test>");
    protocol->on_line("RCPT TO:<user@inbox.test>");
    protocol->on_line("DATA");
  }
  Output send(std::string_view body) {
    DataDecoder decoder(protocol->message_size_limit());
    decoder.feed(body);
    REQUIRE(decoder.done());
    return protocol->on_message(decoder);
  }
  std::shared_ptr<Seen> seen;
  ServerConfig config;
  std::unique_ptr<rules::EngineState> rules_state;
  capture::Capture capture;
  capture::SessionRecord record;
  std::unique_ptr<Protocol> protocol;
};

bool transcript_has(const capture::SessionRecord& record, std::string_view fragment) {
  for (const auto& entry : record.transcript) {
    if (entry.text.find(fragment) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("on_accepted sees an accepted message once, before its 250 goes out", "[smtp][protocol][serve]") {
  HookDialogue d(false);
  Output output = d.send("Subject: kept\r\n\r\nbody\r\n.\r\n");
  REQUIRE(d.seen->calls == 1);
  REQUIRE(d.seen->mail_from == "app@example.test");
  REQUIRE(d.seen->message == "Subject: kept\r\n\r\nbody\r\n");
  // The hook sees the 250 it is about to vouch for, but the transcript does not hold it yet.
  REQUIRE(d.seen->final_reply);
  REQUIRE(d.seen->final_reply->code == 250);
  REQUIRE(d.seen->transcript_lines + 1 == d.record.transcript.size());
  REQUIRE(output.replies.size() == 1);
  REQUIRE(output.replies.front().code == 250);
  REQUIRE(d.record.transactions.back().delivered);
}

TEST_CASE("on_accepted's refusal replaces the 250", "[smtp][protocol][serve]") {
  HookDialogue d(true);
  Output output = d.send("Subject: lost\r\n\r\nbody\r\n.\r\n");
  REQUIRE(d.seen->calls == 1);
  REQUIRE(output.replies.size() == 1);
  const Reply& sent = output.replies.front();
  REQUIRE(sent.code == 451);
  REQUIRE(sent.enhanced->str() == "4.3.0");
  REQUIRE(sent.text() == "Error: cannot store the message");
  const auto& transaction = d.record.transactions.back();
  REQUIRE_FALSE(transaction.delivered);
  REQUIRE(transaction.final_reply->code == 451);
  REQUIRE(transcript_has(d.record, "451 4.3.0"));
  REQUIRE_FALSE(transcript_has(d.record, "queued as"));
  // The session goes on: the next transaction is possible.
  REQUIRE(d.protocol->on_line("MAIL FROM:<again@example.test>").replies.front().code == 250);
}

TEST_CASE("on_accepted is not asked about refused messages", "[smtp][protocol][serve]") {
  HookDialogue d(false);
  Output output = d.send("Subject: bare\nbody\r\n.\r\n");
  REQUIRE(output.replies.front().code == 550);
  REQUIRE(d.seen->calls == 0);
}

TEST_CASE("without keep_transactions the hook still sees every message, the record keeps none",
          "[smtp][protocol][serve]") {
  HookDialogue d(false, false);
  REQUIRE(d.send("Subject: one\r\n\r\nbody\r\n.\r\n").replies.front().code == 250);
  REQUIRE(d.seen->message == "Subject: one\r\n\r\nbody\r\n");
  d.protocol->on_line("MAIL FROM:<app@example.test>");
  d.protocol->on_line("RCPT TO:<user@inbox.test>");
  d.protocol->on_line("DATA");
  Output second = d.send("Subject: two\r\n\r\nbody\r\n.\r\n");
  REQUIRE(d.seen->calls == 2);
  REQUIRE(d.seen->message == "Subject: two\r\n\r\nbody\r\n");
  // A store that fails after the hook (serve's when_kept) still replaces the 250 on the wire.
  Output refused = d.protocol->message_not_kept(std::move(second), reply::cannot_store());
  REQUIRE(refused.replies.front().code == 451);
  REQUIRE(transcript_has(d.record, "451 4.3.0"));
  d.protocol->on_line("MAIL FROM:<app@example.test>");
  d.protocol->on_line("RSET");
  d.protocol->finish("client closed");
  REQUIRE(d.record.transactions.empty());
}
