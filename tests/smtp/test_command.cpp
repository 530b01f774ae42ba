#include <catch2/catch.hpp>

#include "smtp/command.hpp"

using maildog::smtp::parse_command;
using maildog::smtp::Verb;

TEST_CASE("command lines split into verb and argument", "[smtp][command]") {
  SECTION("verbs are case-insensitive") {
    auto line = GENERATE(as<std::string>{}, "ehlo client.test", "EHLO client.test", "EhLo   client.test  ");
    auto command = parse_command(line);
    REQUIRE(command.verb == Verb::ehlo);
    REQUIRE(command.verb_text == "EHLO");
    REQUIRE(command.argument == "client.test");
  }
  SECTION("MAIL and RCPT keep what follows the colon") {
    REQUIRE(parse_command("MAIL FROM:<a@b.test> SIZE=10").argument == "<a@b.test> SIZE=10");
    REQUIRE(parse_command("mail from: <a@b.test>").argument == "<a@b.test>");
    REQUIRE(parse_command("RCPT TO:<c@d.test>").argument == "<c@d.test>");
    REQUIRE_FALSE(parse_command("RCPT TO:<c@d.test>").malformed);
  }
  SECTION("MAIL without FROM: and RCPT without TO: are malformed") {
    REQUIRE(parse_command("MAIL <a@b.test>").malformed);
    REQUIRE(parse_command("RCPT c@d.test").malformed);
    REQUIRE(parse_command("RCPT FROM:<c@d.test>").malformed);
  }
  SECTION("unknown verbs and empty lines") {
    REQUIRE(parse_command("XYZZY now").verb == Verb::unknown);
    REQUIRE(parse_command("XYZZY now").verb_text == "XYZZY");
    REQUIRE(parse_command("").verb == Verb::unknown);
    REQUIRE(parse_command("MAILFROM:<a@b>").verb == Verb::unknown);
  }
  SECTION("every verb is known by name") {
    REQUIRE(parse_command("STARTTLS").verb == Verb::starttls);
    REQUIRE(parse_command("AUTH PLAIN AGFiAGM=").argument == "PLAIN AGFiAGM=");
    REQUIRE(parse_command("quit").verb == Verb::quit);
    REQUIRE(to_string(Verb::rcpt) == "RCPT");
  }
}
