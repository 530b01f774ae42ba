#include <catch2/catch.hpp>

#include "reply/reply.hpp"

using maildog::smtp::EnhancedCode;
using maildog::smtp::Reply;
namespace reply = maildog::smtp::reply;

TEST_CASE("enhanced codes parse and print", "[smtp][reply]") {
  REQUIRE(EnhancedCode::parse("5.1.1") == EnhancedCode{5, 1, 1});
  REQUIRE(EnhancedCode::parse("4.7.26")->str() == "4.7.26");
  REQUIRE(EnhancedCode::parse("2.0.0") == EnhancedCode{2, 0, 0});
  auto bad = GENERATE(as<std::string>{}, "3.1.1", "5.1", "5..1", "5.1.1000", "x.1.1", "", "5.1.1.1", "55.1.1");
  CAPTURE(bad);
  REQUIRE_FALSE(EnhancedCode::parse(bad));
}

TEST_CASE("replies go on the wire with the enhanced code on every line", "[smtp][reply]") {
  SECTION("one line") {
    REQUIRE(reply::user_unknown("ghost@inbox.test").wire() ==
            "550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown\r\n");
  }
  SECTION("several lines use '-' until the last") {
    Reply multi{550, EnhancedCode{5, 7, 26}, {"Unauthenticated email is not accepted", "See the policy"}};
    REQUIRE(multi.wire() == "550-5.7.26 Unauthenticated email is not accepted\r\n550 5.7.26 See the policy\r\n");
    REQUIRE(multi.summary() == "550 5.7.26 Unauthenticated email is not accepted / See the policy");
  }
  SECTION("no enhanced code for the greeting and 354") {
    REQUIRE(reply::start_mail_input().wire() == "354 End data with <CR><LF>.<CR><LF>\r\n");
    REQUIRE(reply::greeting("mx.test").wire() == "220 mx.test ESMTP maildog-ci sandbox\r\n");
  }
}

TEST_CASE("named replies carry the RFC codes", "[smtp][reply]") {
  struct Row {
    Reply reply;
    int code;
    std::string enhanced;
  };
  auto row = GENERATE(values<Row>({
      {reply::relay_denied("a@b"), 550, "5.7.1"},
      {reply::auth_required(), 530, "5.7.0"},
      {reply::auth_bad_credentials(), 535, "5.7.8"},
      {reply::auth_encryption_required(), 538, "5.7.11"},
      {reply::bad_sequence("x"), 503, "5.5.1"},
      {reply::syntax_error("x"), 501, "5.5.4"},
      {reply::command_unrecognized(), 500, "5.5.2"},
      {reply::message_too_big(), 552, "5.3.4"},
      {reply::too_many_recipients(), 452, "4.5.3"},
      {reply::cannot_verify(), 252, "2.0.0"},
      {reply::timeout("h"), 421, "4.4.2"},
  }));
  REQUIRE(row.reply.code == row.code);
  REQUIRE(row.reply.enhanced->str() == row.enhanced);
}

TEST_CASE("replies parse from text", "[smtp][reply]") {
  SECTION("single line with enhanced code") {
    auto parsed = Reply::parse("550 5.1.1 <ghost@inbox.test>: User unknown");
    REQUIRE(parsed);
    REQUIRE(parsed->code == 550);
    REQUIRE(parsed->enhanced == EnhancedCode{5, 1, 1});
    REQUIRE(parsed->lines == std::vector<std::string>{"<ghost@inbox.test>: User unknown"});
  }
  SECTION("multi-line, CRLF or LF") {
    auto parsed = Reply::parse("550-5.7.26 a\r\n550 5.7.26 b\r\n");
    REQUIRE(parsed);
    REQUIRE(parsed->lines == std::vector<std::string>{"a", "b"});
    REQUIRE(Reply::parse("250-mx\n250 SIZE 100\n")->lines.size() == 2);
  }
  SECTION("without enhanced code or text") {
    REQUIRE(Reply::parse("354 go ahead")->enhanced == std::nullopt);
    REQUIRE(Reply::parse("250")->code == 250);
  }
  SECTION("round trip") {
    Reply original{451, EnhancedCode{4, 7, 1}, {"Greylisted", "try again later"}};
    REQUIRE(Reply::parse(original.wire()) == original);
  }
  SECTION("not replies") {
    auto bad = GENERATE(as<std::string>{}, "", "hello", "99 x", "600 x", "250x", "550-a\r\n551 b", "250 a\r\n250 b");
    CAPTURE(bad);
    REQUIRE_FALSE(Reply::parse(bad));
  }
}
