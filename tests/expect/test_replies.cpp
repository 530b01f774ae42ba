// expect.replies: replies paired with their commands, and where an expected reply went.
#include <catch2/catch.hpp>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("replies are paired with the commands they answer", "[evaluate][replies]") {
  auto result = observed({delivering_session()});
  auto replies = command_replies(result.sessions);
  REQUIRE(replies.size() == 8);
  CHECK(replies[0].command == "CONNECT");
  CHECK(replies[0].command_line == 0);
  CHECK(replies[1].command == "EHLO");
  CHECK(replies[1].argument == "app.test");
  CHECK(replies[1].reply.lines == std::vector<std::string>{"mx.sandbox.test", "PIPELINING", "SMTPUTF8"});
  CHECK(replies[1].reply_line == 3);
  CHECK(replies[2].command == "MAIL");
  CHECK(replies[2].argument == "app@yourdomain.test");
  CHECK(replies[4].command == "RCPT");
  CHECK(replies[4].argument == "ghost@inbox.test");
  CHECK(replies[4].reply.code == 550);
  CHECK(replies[4].command_line == 10);
  CHECK(replies[5].command == "DATA");
  CHECK(replies[6].command == "END_OF_DATA");
  CHECK(replies[6].argument.empty());
  CHECK(replies[6].command_line == 15);
  CHECK(replies[7].command == "QUIT");

  SECTION("AUTH continuations keep the AUTH command") {
    SessionRecord session;
    session.id = 1;
    session.client_address = "127.0.0.1";
    session.transcript = {entry('C', "AUTH LOGIN"), entry('S', "334 VXNlcm5hbWU6"),
                          entry('C', "***"),        entry('S', "334 UGFzc3dvcmQ6"),
                          entry('C', "***"),        entry('S', "235 2.7.0 Authentication successful")};
    auto auth = command_replies({session});
    REQUIRE(auth.size() == 3);
    for (const auto& r : auth) {
      CHECK(r.command == "AUTH");
      CHECK(r.argument == "LOGIN");
    }
    CHECK(auth[2].reply.code == 235);
  }
  SECTION("the null reverse path is an empty argument") {
    auto grey = command_replies({greylisted_session(1, 1)});
    CHECK(grey[2].command == "MAIL");
    CHECK(grey[2].argument.empty());
  }
}

TEST_CASE("expect.replies", "[evaluate][replies]") {
  auto scenario = make_scenario();
  auto result = observed({delivering_session()});

  SECTION("matching replies pass") {
    scenario.expect.replies = {
        reply_expect("RCPT", "ghost@inbox.test", 550, "5.1.1"), reply_expect("CONNECT", std::nullopt, 220),
        reply_expect("END_OF_DATA", std::nullopt, 250), reply_expect("MAIL", "app@yourdomain.test", 250),
        reply_expect("RCPT", "GHOST@inbox.test", std::nullopt)};
    auto ehlo = reply_expect("EHLO", std::nullopt, 250);
    ehlo.text = TextMatch::parse("/PIPELINING/");
    scenario.expect.replies.push_back(ehlo);
    auto ranged = reply_expect("RCPT", "*@inbox.test", std::nullopt);
    ranged.min = 2;
    ranged.max = 2;
    scenario.expect.replies.push_back(ranged);
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a different reply fails with the reply that came instead") {
    scenario.expect.replies = {reply_expect("CONNECT", std::nullopt, 220),
                               reply_expect("RCPT", "user@inbox.test", 550, "5.1.1")};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.replies[1]");
    CHECK(failures[0].line == 30);
    CHECK(failures[0].expected == "RCPT user@inbox.test -> 550 5.1.1");
    CHECK(failures[0].actual == "RCPT user@inbox.test -> 250 2.1.5 Recipient ok");
    CHECK(failures[0].context == lines(result, 5, 11));
  }
  SECTION("text patterns are shown as written") {
    auto expect = reply_expect("RCPT", "ghost@inbox.test", 550);
    expect.text = TextMatch::parse("mailbox full");
    scenario.expect.replies = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "RCPT ghost@inbox.test -> 550 \"mailbox full\"");
    CHECK(failures[0].actual ==
          "RCPT ghost@inbox.test -> 550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown");
  }
  SECTION("count is exact") {
    auto expect = reply_expect("RCPT", "*@inbox.test", std::nullopt);
    expect.count = 1;
    scenario.expect.replies = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "RCPT *@inbox.test -> any reply (exactly 1 time)");
    CHECK(failures[0].actual ==
          "2 matching replies: RCPT user@inbox.test -> 250 2.1.5 Recipient ok; "
          "RCPT ghost@inbox.test -> 550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown");
    CHECK(failures[0].context == lines(result, 7, 13));  // around the second, the one too many
  }
  SECTION("max 0 forbids a reply") {
    auto expect = reply_expect("RCPT", std::nullopt, 550);
    expect.max = 0;
    scenario.expect.replies = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "RCPT -> 550 (at most 0 times)");
    CHECK(failures[0].actual ==
          "1 matching reply: RCPT ghost@inbox.test -> 550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User "
          "unknown");
  }
  SECTION("min above the observed number fails") {
    auto expect = reply_expect("RCPT", "ghost@inbox.test", 550);
    expect.min = 2;
    scenario.expect.replies = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "RCPT ghost@inbox.test -> 550 (at least 2 times)");
  }
  SECTION("a command never sent says so, pointing at the same verb when there is one") {
    scenario.expect.replies = {reply_expect("STARTTLS", std::nullopt, 220),
                               reply_expect("RCPT", "nobody@inbox.test", 550)};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].expected == "STARTTLS -> 220");
    CHECK(failures[0].actual == "no reply to STARTTLS");
    CHECK(failures[0].context == lines(result, 15, 18));  // the last lines
    CHECK(failures[1].actual ==
          "no reply to RCPT nobody@inbox.test; first RCPT: RCPT user@inbox.test -> 250 2.1.5 Recipient ok");
    CHECK(failures[1].context == lines(result, 5, 11));
  }
}

// A message refused after the final dot, as Gmail refuses unauthenticated mail.
SessionRecord refused_at_end_of_data_session() {
  SessionRecord session;
  session.id = 1;
  session.client_address = "127.0.0.1";
  session.transcript = {
      entry('S', "220 mx.sandbox.test ESMTP maildog-ci sandbox"),                           // 1
      entry('C', "EHLO app.test"),                                                          // 2
      entry('S', "250 mx.sandbox.test"),                                                    // 3
      entry('C', "MAIL FROM:<app@yourdomain.test>"),                                        // 4
      entry('S', "250 2.1.0 Sender ok"),                                                    // 5
      entry('C', "RCPT TO:<user@inbox.test>"),                                              // 6
      entry('S', "250 2.1.5 Recipient ok"),                                                 // 7
      entry('C', "DATA"),                                                                   // 8
      entry('S', "354 End data with <CR><LF>.<CR><LF>"),                                    // 9
      entry('*', "message: 92 octets, 5 lines"),                                            // 10
      entry('S', "550 5.7.26 Unauthenticated email from yourdomain.test is not accepted"),  // 11
      entry('C', "QUIT"),                                                                   // 12
      entry('S', "221 2.0.0 mx.sandbox.test Bye"),                                          // 13
  };
  return session;
}

TEST_CASE("expect.replies without a command looks at every reply of the run", "[evaluate][replies]") {
  auto scenario = make_scenario();
  auto result = observed({delivering_session()});

  SECTION("a reply sent to any command passes") {
    auto refusal = reply_expect("", std::nullopt, 550, "5.1.1");
    auto positive = reply_expect("", std::nullopt, 250);
    positive.count = 4;  // EHLO, MAIL, one RCPT and the end of data
    auto by_address = reply_expect("", "ghost@inbox.test", 550);
    by_address.count = 1;
    scenario.expect.replies = {refusal, positive, by_address};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a reply never sent fails, listing the replies of its class") {
    scenario.expect.replies = {reply_expect("", std::nullopt, 550, "5.7.26")};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "any command -> 550 5.7.26");
    CHECK(failures[0].actual ==
          "5xx replies: RCPT ghost@inbox.test -> 550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User "
          "unknown");
    CHECK(failures[0].context == lines(result, 7, 13));  // around the 550 that came
  }
  SECTION("no reply of the class says so") {
    scenario.expect.replies = {reply_expect("", std::nullopt, 421)};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "no 4xx reply among 8 replies");
  }
  SECTION("count, min and max count replies across commands") {
    auto too_many = reply_expect("", "*@inbox.test", std::nullopt);
    too_many.max = 1;
    scenario.expect.replies = {too_many};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "any command on *@inbox.test -> any reply (at most 1 time)");
    CHECK_THAT(failures[0].actual, Catch::StartsWith("2 matching replies: RCPT user@inbox.test -> 250"));
  }
}

TEST_CASE("a reply expected at one command but sent to another says where it went", "[evaluate][replies]") {
  auto scenario = make_scenario();
  auto result = observed({refused_at_end_of_data_session()});

  SECTION("answered, but with something else") {
    scenario.expect.replies = {reply_expect("DATA", std::nullopt, 550, "5.7.26")};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "DATA -> 550 5.7.26");
    CHECK(failures[0].actual ==
          "550 5.7.26 was the reply to END_OF_DATA, not to DATA (DATA -> 354 End data with <CR><LF>.<CR><LF>)");
    CHECK(failures[0].context == lines(result, 7, 13));  // around the end of data, where the 550 came
  }
  SECTION("never answered") {
    scenario.expect.replies = {reply_expect("RCPT", "user@inbox.test", 550)};
    result.sessions.front().transcript.erase(result.sessions.front().transcript.begin() + 5,
                                             result.sessions.front().transcript.begin() + 7);
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual ==
          "550 was the reply to END_OF_DATA, not to RCPT user@inbox.test "
          "(no reply to RCPT user@inbox.test)");
  }
  SECTION("a positive reply found elsewhere is not news") {
    scenario.expect.replies = {reply_expect("DATA", std::nullopt, 250)};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "DATA -> 354 End data with <CR><LF>.<CR><LF>");
  }
}

TEST_CASE("with client.target, replies are judged on the client's own transcript", "[evaluate][replies]") {
  auto scenario = make_scenario();
  scenario.client.emplace();
  scenario.client->target.sandbox = false;
  scenario.client->target.host = "127.0.0.1";
  scenario.client->target.port = 2525;
  ScenarioResult result;  // the sandbox saw nothing
  result.client_sessions = {delivering_session()};
  scenario.expect.replies = {reply_expect("RCPT", "ghost@inbox.test", 550, "5.1.1"),
                             reply_expect("", std::nullopt, 220)};
  CHECK(evaluate(scenario, result).empty());

  SECTION("failures quote the client's transcript") {
    scenario.expect.replies = {reply_expect("RCPT", "user@inbox.test", 550, "5.1.1")};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "RCPT user@inbox.test -> 250 2.1.5 Recipient ok");
    CHECK(failures[0].context == lines(observed(result.client_sessions), 5, 11));
  }
  SECTION("a scenario on its own sandbox still judges the sandbox's record") {
    scenario.client->target.sandbox = true;
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].actual == "no reply to RCPT ghost@inbox.test");
  }
}
