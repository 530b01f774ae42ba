// server.ok_replies and server.ehlo_keywords: a recorded server's own words, replayed by the
// protocol in place of the sandbox's (maildog-ci record writes them).
#include <catch2/catch.hpp>

#include "dialogue.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/protocol.hpp"

using namespace maildog;
using namespace maildog::smtp;
using maildog::smtp::testing::Dialogue;

namespace {

Reply parsed(std::string_view text) {
  auto reply = Reply::parse(text);
  REQUIRE(reply);
  return *reply;
}

ServerConfig recorded_config() {
  ServerConfig config;
  config.hostname = "mx.up.test";
  config.tls = TlsMode::starttls;
  config.auth = AuthConfig{};
  config.auth->mechanisms = {AuthMechanism::plain};
  config.auth->users = {{"u", "p"}};
  config.ok_replies = {{"greeting", parsed("220 mx.up.test ESMTP Postfix (Debian/GNU)")},
                       {"ehlo", parsed("250 mx.up.test")},
                       {"mail", parsed("250 2.1.0 Ok")},
                       {"rcpt", parsed("250 2.1.5 Ok")},
                       {"data", parsed("354 End data with <CR><LF>.<CR><LF>")},
                       {"queued", parsed("250 2.0.0 Ok: queued as {queue_id}")},
                       {"rset", parsed("250 2.0.0 Ok")},
                       {"noop", parsed("250 2.0.0 Ok")},
                       {"quit", parsed("221 2.0.0 Bye")}};
  config.ehlo_keywords = {"PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN", "ENHANCEDSTATUSCODES"};
  return config;
}

}  // namespace

TEST_CASE("a recorded server's positive replies replace the sandbox's own, word for word", "[smtp][protocol]") {
  Dialogue d(recorded_config());
  CHECK(d.protocol.greeting().replies.front() == parsed("220 mx.up.test ESMTP Postfix (Debian/GNU)"));
  Reply hello = d.say("EHLO app.test");
  CHECK(hello.code == 250);
  // Before TLS: STARTTLS offered, AUTH not yet (RFC 4954 4), in the recorded order.
  CHECK(hello.lines ==
        std::vector<std::string>{"mx.up.test", "PIPELINING", "SIZE 10240000", "STARTTLS", "ENHANCEDSTATUSCODES"});
  CHECK(d.say("NOOP") == parsed("250 2.0.0 Ok"));
  CHECK(d.say("MAIL FROM:<a@app.test>") == parsed("250 2.1.0 Ok"));
  CHECK(d.say("RCPT TO:<b@inbox.test>") == parsed("250 2.1.5 Ok"));
  CHECK(d.say("DATA") == parsed("354 End data with <CR><LF>.<CR><LF>"));
  DataDecoder decoder(d.protocol.message_size_limit());
  decoder.feed("Subject: x\r\n\r\nhi\r\n.\r\n");
  REQUIRE(decoder.done());
  Reply queued = d.protocol.on_message(decoder).replies.front();
  CHECK(queued.code == 250);
  REQUIRE(queued.lines.size() == 1);
  // The sandbox's own queue id fills the placeholder.
  CHECK(queued.lines.front().starts_with("Ok: queued as "));
  CHECK(queued.lines.front().find("{queue_id}") == std::string::npos);
  CHECK(queued.lines.front().size() > std::string("Ok: queued as ").size());
  CHECK(d.say("RSET") == parsed("250 2.0.0 Ok"));
  CHECK(d.say("QUIT") == parsed("221 2.0.0 Bye"));
}

TEST_CASE("recorded EHLO keywords keep AUTH where the sandbox offers it", "[smtp][protocol]") {
  ServerConfig config = recorded_config();
  config.auth->allow_plaintext_without_tls = true;
  Dialogue d(config);
  d.protocol.greeting();
  CHECK(d.say("EHLO app.test").lines == std::vector<std::string>{"mx.up.test", "PIPELINING", "SIZE 10240000",
                                                                 "STARTTLS", "AUTH PLAIN", "ENHANCEDSTATUSCODES"});
}

TEST_CASE("without ok_replies the sandbox keeps its own words", "[smtp][protocol]") {
  ServerConfig config;
  config.hostname = "mx.sandbox.test";
  Dialogue d(config);
  CHECK(d.protocol.greeting().replies.front() == reply::greeting("mx.sandbox.test"));
  CHECK(d.say("EHLO app.test").lines.front() == "mx.sandbox.test Hello app.test [127.0.0.1]");
  CHECK(d.say("MAIL FROM:<a@app.test>") == reply::ok_sender());
}
