#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>

#include "expect/evaluate.hpp"
#include "expect/transcript.hpp"

using maildog::capture::RecipientRecord;
using maildog::capture::SessionRecord;
using maildog::capture::TransactionRecord;
using maildog::capture::TranscriptEntry;
using maildog::rules::TextMatch;
using maildog::runner::Failure;
using maildog::runner::ProcessResult;
using maildog::runner::ScenarioResult;
using maildog::scenario::Scenario;
using maildog::smtp::EnhancedCode;
using maildog::smtp::Reply;
using namespace maildog::expect;

namespace {

TranscriptEntry entry(char direction, std::string text) {
  TranscriptEntry out;
  out.direction = direction == 'C'   ? TranscriptEntry::Direction::client
                  : direction == 'S' ? TranscriptEntry::Direction::server
                                     : TranscriptEntry::Direction::event;
  out.text = std::move(text);
  return out;
}

Reply reply(const std::string& line) { return *Reply::parse(line); }

RecipientRecord recipient(std::string address, const std::string& line, unsigned attempt = 1) {
  RecipientRecord out;
  out.address = std::move(address);
  out.reply = reply(line);
  out.attempt = attempt;
  return out;
}

constexpr const char* k_message =
    "From: App <app@yourdomain.test>\r\n"
    "To: user@inbox.test\r\n"
    "Subject: Reset your\r\n"
    " password\r\n"
    "\r\n"
    "Hello\r\n";

// One delivered message to user@inbox.test; ghost@inbox.test refused with 550 5.1.1.
SessionRecord delivering_session() {
  SessionRecord session;
  session.id = 1;
  session.client_address = "127.0.0.1";
  session.client_port = 40312;
  session.transcript = {
      entry('S', "220 mx.sandbox.test ESMTP maildog-ci sandbox"),                            // 1
      entry('C', "EHLO app.test"),                                                           // 2
      entry('S', "250-mx.sandbox.test"),                                                     // 3
      entry('S', "250-PIPELINING"),                                                          // 4
      entry('S', "250 SMTPUTF8"),                                                            // 5
      entry('C', "MAIL FROM:<app@yourdomain.test> SIZE=300"),                                // 6
      entry('S', "250 2.1.0 Sender ok"),                                                     // 7
      entry('C', "RCPT TO:<user@inbox.test>"),                                               // 8
      entry('S', "250 2.1.5 Recipient ok"),                                                  // 9
      entry('C', "RCPT TO:<ghost@inbox.test>"),                                              // 10
      entry('*', "rule 1 matched at rcpt"),                                                  // 11
      entry('S', "550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown"),  // 12
      entry('C', "DATA"),                                                                    // 13
      entry('S', "354 End data with <CR><LF>.<CR><LF>"),                                     // 14
      entry('*', "message: 92 octets, 5 lines"),                                             // 15
      entry('S', "250 2.0.0 Ok: queued as 0A1B2C3D4E"),                                      // 16
      entry('C', "QUIT"),                                                                    // 17
      entry('S', "221 2.0.0 mx.sandbox.test Bye"),                                           // 18
  };
  TransactionRecord transaction;
  transaction.mail_from = "app@yourdomain.test";
  transaction.mail_parameters = "SIZE=300";
  transaction.mail_reply = reply("250 2.1.0 Sender ok");
  transaction.recipients = {recipient("user@inbox.test", "250 2.1.5 Recipient ok"),
                            recipient("ghost@inbox.test",
                                      "550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown")};
  transaction.data_reply = reply("354 End data with <CR><LF>.<CR><LF>");
  transaction.final_reply = reply("250 2.0.0 Ok: queued as 0A1B2C3D4E");
  transaction.message = std::make_shared<const std::string>(k_message);
  transaction.delivered = true;
  session.transactions.push_back(transaction);
  return session;
}

// A greylisting session: ghost@inbox.test gets 451, nothing is delivered.
SessionRecord greylisted_session(std::uint64_t id, unsigned attempt) {
  SessionRecord session;
  session.id = id;
  session.client_address = "127.0.0.1";
  session.client_port = static_cast<std::uint16_t>(40312 + id);
  session.transcript = {
      entry('S', "220 mx.sandbox.test ESMTP maildog-ci sandbox"),
      entry('C', "EHLO app.test"),
      entry('S', "250 mx.sandbox.test"),
      entry('C', "MAIL FROM:<>"),
      entry('S', "250 2.1.0 Sender ok"),
      entry('C', "RCPT TO:<ghost@inbox.test>"),
      entry('S', "451 4.7.1 Greylisted, try again later"),
      entry('C', "QUIT"),
      entry('S', "221 2.0.0 mx.sandbox.test Bye"),
  };
  TransactionRecord transaction;
  transaction.mail_reply = reply("250 2.1.0 Sender ok");
  transaction.recipients = {recipient("ghost@inbox.test", "451 4.7.1 Greylisted, try again later", attempt)};
  session.transactions.push_back(transaction);
  return session;
}

Scenario make_scenario() {
  Scenario scenario;
  scenario.name = "reset";
  scenario.file = "scenarios/reset.yaml";
  scenario.line = 1;
  scenario.expect.line = 20;
  return scenario;
}

ScenarioResult observed(std::vector<SessionRecord> sessions) {
  ScenarioResult result;
  result.sessions = std::move(sessions);
  return result;
}

// Lines [from, to] of the normalised rendering, the context a failure should carry.
std::vector<std::string> lines(const ScenarioResult& result, std::size_t from, std::size_t to) {
  auto all = normalised_lines(result.sessions);
  return {all.begin() + static_cast<std::ptrdiff_t>(from), all.begin() + static_cast<std::ptrdiff_t>(to) + 1};
}

maildog::scenario::ReplyExpect reply_expect(std::string command, std::optional<std::string> arg,
                                            std::optional<int> code,
                                            std::optional<std::string> enhanced = std::nullopt) {
  maildog::scenario::ReplyExpect out;
  out.command = std::move(command);
  if (arg) {
    out.arg = TextMatch::parse(*arg);
  }
  out.code = code;
  if (enhanced) {
    out.enhanced = EnhancedCode::parse(*enhanced);
  }
  out.line = 30;
  return out;
}

std::filesystem::path fresh_dir() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("maildog-expect-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

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

TEST_CASE("expect.app", "[evaluate][app]") {
  auto scenario = make_scenario();
  scenario.expect.app = maildog::scenario::AppExpect{};
  scenario.expect.app->line = 21;
  auto result = observed({delivering_session()});
  ProcessResult app;
  app.outcome = ProcessResult::Outcome::exited;
  app.exit_code = 0;
  app.stdout_text = "sending reset\nmarked ghost@inbox.test undeliverable\n";
  app.stderr_text = "warning: retry disabled\n";
  result.app = app;

  SECTION("exit code and output checks that hold pass") {
    scenario.expect.app->exit = 0;
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"marked ghost@inbox.test undeliverable"};
    scenario.expect.app->stdout_expect->not_contains = {"Traceback"};
    scenario.expect.app->stdout_expect->regex = TextMatch::parse("/marked \\S+ undeliverable/");
    scenario.expect.app->stderr_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stderr_expect->contains = {"retry disabled"};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("another exit code fails") {
    scenario.expect.app->exit = 0;
    result.app->exit_code = 3;
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.app.exit");
    CHECK(failures[0].line == 21);
    CHECK(failures[0].expected == "exit code 0");
    CHECK(failures[0].actual == "exit code 3");
    CHECK(failures[0].context == lines(result, 15, 18));
  }
  SECTION("a timed-out app fails exit even when it exited 0 on SIGTERM") {
    scenario.expect.app->exit = 0;
    result.app->outcome = ProcessResult::Outcome::timed_out;
    result.app->error = "timed out after 20s; process group 4242 killed";
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.app.exit");
    CHECK(failures[0].actual == "timed out after 20s; process group 4242 killed");
  }
  SECTION("an app that failed to start adds no failure: the scenario's error says why") {
    scenario.expect.app->exit = 0;
    result.app->outcome = ProcessResult::Outcome::failed_to_start;
    result.app->exit_code = -1;
    result.app->error = "execvp python4: No such file or directory";
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a signal fails exit") {
    scenario.expect.app->exit = 0;
    result.app->outcome = ProcessResult::Outcome::signaled;
    result.app->signal = 11;
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "killed by signal 11 (SIGSEGV)");
  }
  SECTION("output checks that do not hold fail one by one") {
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"sending reset", "password reset sent"};
    scenario.expect.app->stdout_expect->not_contains = {"ghost@inbox.test"};
    scenario.expect.app->stdout_expect->regex = TextMatch::parse("/^done$/");
    scenario.expect.app->stderr_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stderr_expect->contains = {"Traceback"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 4);
    CHECK(failures[0].expectation == "expect.app.stdout.contains[1]");
    CHECK(failures[0].expected == "stdout contains \"password reset sent\"");
    CHECK(failures[0].actual == "not found in stdout: \"sending reset\\nmarked ghost@inbox.test undeliverable\\n\"");
    CHECK(failures[1].expectation == "expect.app.stdout.not_contains[0]");
    CHECK(failures[1].expected == "stdout does not contain \"ghost@inbox.test\"");
    CHECK(failures[1].actual == "found in stdout line 2: \"marked ghost@inbox.test undeliverable\"");
    CHECK(failures[2].expectation == "expect.app.stdout.regex");
    CHECK(failures[2].expected == "stdout matches /^done$/");
    CHECK(failures[2].actual == "no match in stdout: \"sending reset\\nmarked ghost@inbox.test undeliverable\\n\"");
    CHECK(failures[3].expectation == "expect.app.stderr.contains[0]");
    CHECK(failures[3].actual == "not found in stderr: \"warning: retry disabled\\n\"");
  }
  SECTION("empty output is named as such") {
    result.app->stdout_text.clear();
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"sent"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "stdout was empty");
  }
  SECTION("long output is cut in the message") {
    result.app->stdout_text = std::string(300, 'x');
    scenario.expect.app->stdout_expect = maildog::scenario::OutputExpect{};
    scenario.expect.app->stdout_expect->contains = {"sent"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "not found in stdout: \"" + std::string(200, 'x') + "...\"");
  }
  SECTION("no app run") {
    scenario.expect.app->exit = 0;
    result.app.reset();
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.app");
    CHECK(failures[0].actual == "the scenario ran no app");
  }
}

// Like any test runner: an app that hangs, dies of a signal or exits non-zero fails the scenario
// unless expect.app names that outcome.
TEST_CASE("the app's outcome without and with expect.app", "[evaluate][app]") {
  auto scenario = make_scenario();
  scenario.app = maildog::scenario::AppSpec{};
  scenario.app->line = 4;
  auto result = observed({delivering_session()});
  result.app = ProcessResult{};
  auto& app = *result.app;
  app.outcome = ProcessResult::Outcome::exited;
  app.exit_code = 0;
  auto only_failure = [&] {
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    return failures[0];
  };
  auto app_expect = [&]() -> maildog::scenario::AppExpect& {
    scenario.expect.app = maildog::scenario::AppExpect{};
    scenario.expect.app->line = 21;
    return *scenario.expect.app;
  };

  SECTION("exit 0 in time passes without expect.app") { CHECK(evaluate(scenario, result).empty()); }
  SECTION("a non-zero exit fails without expect.app, at the app's line") {
    app.exit_code = 3;
    const auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.exit");
    CHECK(failure.line == 4);
    CHECK(failure.expected == "exit code 0 (expect.app.exit names another code, or any)");
    CHECK(failure.actual == "exit code 3");
  }
  SECTION("exit: 3 and exit: any pass a non-zero exit") {
    app.exit_code = 3;
    app_expect().exit = 3;
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.app->exit.reset();
    scenario.expect.app->exit_any = true;
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a timeout fails without expect.app, and exit: any does not excuse it") {
    app.outcome = ProcessResult::Outcome::timed_out;
    app.error = "timed out after 2s; process group 4242 killed";
    auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.timed_out");
    CHECK(failure.actual == "timed out after 2s; process group 4242 killed");
    app_expect().exit_any = true;
    failure = only_failure();
    CHECK(failure.expectation == "expect.app.exit");
    CHECK(failure.line == 21);
  }
  SECTION("timed_out: true passes a timeout and fails, saying so, an app that exited in time") {
    app_expect().timed_out = true;
    app.outcome = ProcessResult::Outcome::timed_out;
    app.error = "timed out after 2s; process group 4242 killed";
    CHECK(evaluate(scenario, result).empty());
    app.outcome = ProcessResult::Outcome::exited;
    const auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.timed_out");
    CHECK(failure.expected == "the app runs into its timeout");
    CHECK(failure.actual == "exit code 0, before its timeout");
  }
  SECTION("a signal fails without expect.app; signal: TERM passes it") {
    app.outcome = ProcessResult::Outcome::signaled;
    app.signal = SIGTERM;
    const auto failure = only_failure();
    CHECK(failure.expectation == "expect.app.signal");
    CHECK(failure.actual == "killed by signal 15 (SIGTERM)");
    app_expect().signal = SIGTERM;
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.app->signal = SIGKILL;
    CHECK(only_failure().expected == "killed by signal 9 (SIGKILL)");
  }
  SECTION("signal: KILL is not the runner's kill at the timeout") {
    app_expect().signal = SIGKILL;
    app.outcome = ProcessResult::Outcome::timed_out;
    app.signal = SIGKILL;
    app.error = "timed out after 2s; process group 4242 killed";
    CHECK(only_failure().actual ==
          "timed out after 2s; process group 4242 killed (the runner's kill; expect timed_out: true)");
  }
}

TEST_CASE("expect.delivered", "[evaluate][delivered]") {
  auto scenario = make_scenario();
  auto result = observed({delivering_session()});
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;

  SECTION("a delivered message that matches passes") {
    expect.to = TextMatch::parse("USER@inbox.test");
    expect.from = TextMatch::parse("*@yourdomain.test");
    expect.headers.emplace("subject", TextMatch::parse("Reset your password"));
    expect.count = 1;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a refused recipient is not delivered to") {
    expect.to = TextMatch::parse("ghost@inbox.test");
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.delivered[0]");
    CHECK(failures[0].line == 40);
    CHECK(failures[0].expected == "a delivered message to ghost@inbox.test");
    CHECK(
        failures[0].actual ==
        "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test -> 250 2.0.0 Ok: queued as "
        "0A1B2C3D4E (session 1)");
    CHECK(failures[0].context == lines(result, 7, 13));  // around the refused RCPT, not the last lines
  }
  SECTION("header mismatches show the header as sent") {
    expect.headers.emplace("Subject", TextMatch::parse("/welcome/i"));
    expect.headers.emplace("X-Campaign", TextMatch::parse("reset"));
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message with Subject: /welcome/i, X-Campaign: \"reset\"");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test Subject: \"Reset your "
          "password\" X-Campaign: (absent) -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("count is exact") {
    expect.to = TextMatch::parse("user@inbox.test");
    expect.count = 2;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message to user@inbox.test (exactly 2 messages)");
    CHECK(failures[0].actual ==
          "1 matching message delivered: from <app@yourdomain.test> to user@inbox.test -> 250 2.0.0 Ok: queued as "
          "0A1B2C3D4E (session 1)");
  }
  SECTION("count 0 passes when nothing matches") {
    expect.to = TextMatch::parse("ghost@inbox.test");
    expect.count = 0;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("nothing delivered shows the refused transactions") {
    result = observed({greylisted_session(1, 1)});
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message");
    CHECK(failures[0].actual ==
          "no message was delivered; not delivered: from <> to no accepted recipient -> no DATA (session 1)");
  }
  SECTION("no session at all") {
    result = observed({});
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "no mail transaction was started");
    CHECK(failures[0].context.empty());
  }
}

TEST_CASE("expect.delivered auth compares the recorded sender check results", "[evaluate][delivered]") {
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.transactions[0].auth_results = {{"dkim", "none"}, {"dmarc", "pass"}, {"spf", "pass"}};
  auto result = observed({session});
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;
  expect.to = TextMatch::parse("user@inbox.test");

  SECTION("matching results pass") {
    expect.auth = {{"spf", "pass"}, {"dmarc", "pass"}};
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a different result fails and shows what was recorded") {
    expect.auth = {{"dkim", "pass"}};
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message to user@inbox.test with auth dkim=pass");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test auth dkim=none "
          "dmarc=pass spf=pass -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("a method that was not checked fails") {
    expect.auth = {{"iprev", "pass"}};
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).size() == 1);
  }
}

TEST_CASE("expect.delivered mime checks the message's MIME structure", "[evaluate][delivered][mime]") {
  constexpr const char* k_invoice =
      "From: billing@yourdomain.test\r\n"
      "To: user@inbox.test\r\n"
      "Subject: Invoice\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"m\"\r\n"
      "\r\n"
      "--m\r\n"
      "Content-Type: multipart/alternative; boundary=\"a\"\r\n"
      "\r\n"
      "--a\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Total: 42,00 =E2=82=AC\r\n"
      "--a\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "\r\n"
      "<p>Total</p>\r\n"
      "--a--\r\n"
      "--m\r\n"
      "Content-Type: application/pdf\r\n"
      "Content-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "JVBERi0xLjQK\r\n"
      "--m--\r\n";
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.transactions[0].message = std::make_shared<const std::string>(k_invoice);
  auto result = observed({session});
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;
  expect.to = TextMatch::parse("user@inbox.test");
  maildog::scenario::MimeExpect mime;

  SECTION("types, attachments, text and no problems hold") {
    mime.types = {"multipart/alternative", "text/html", "application/pdf"};
    mime.attachments = {"Rechnung März.pdf"};
    mime.text_contains = {"Total: 42,00 €"};
    mime.problems = false;
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a missing type fails and lists the types found") {
    mime.types = {"text/plain", "image/png"};
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.delivered[0]");
    CHECK(failures[0].expected == "a delivered message to user@inbox.test with MIME types text/plain, image/png");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test MIME multipart/mixed, "
          "multipart/alternative, text/plain, text/html, application/pdf -> 250 2.0.0 Ok: queued as 0A1B2C3D4E "
          "(session 1)");
  }
  SECTION("a missing attachment and text show what the message has") {
    mime.attachments = {"invoice.pdf"};
    mime.text_contains = {"Total: 43"};
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected ==
          "a delivered message to user@inbox.test with attachments \"invoice.pdf\", text containing \"Total: 43\"");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test MIME multipart/mixed, "
          "multipart/alternative, text/plain, text/html, application/pdf; attachments \"Rechnung März.pdf\"; text "
          "\"Total: 42,00 €\" -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("problems: false fails on malformed MIME and names the problem") {
    std::string broken = k_invoice;
    broken.replace(broken.find("JVBERi0xLjQK"), 12, "JVBERi0x*LjQK");
    session.transactions[0].message = std::make_shared<const std::string>(broken);
    mime.problems = false;
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    auto failures = evaluate(scenario, observed({session}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a delivered message to user@inbox.test with no MIME problem");
    CHECK(failures[0].actual ==
          "none of 1 delivered message matches: from <app@yourdomain.test> to user@inbox.test MIME multipart/mixed, "
          "multipart/alternative, text/plain, text/html, application/pdf; 1 MIME problem: part 2: invalid base64 "
          "character '*' on line 1 -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
    mime.problems = true;
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, observed({session})).empty());
  }
  SECTION("the HTML body is searched when there is no plain one") {
    session.transactions[0].message = std::make_shared<const std::string>(
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Only HTML</p>\r\n");
    mime.text_contains = {"Only HTML"};
    expect.mime = mime;
    scenario.expect.delivered = {expect};
    CHECK(evaluate(scenario, observed({session})).empty());
  }
}

TEST_CASE("expect.not_delivered", "[evaluate][not_delivered]") {
  auto scenario = make_scenario();
  scenario.expect.not_delivered_line = 50;
  auto result = observed({delivering_session()});

  SECTION("a refused recipient passes") {
    scenario.expect.not_delivered = {"ghost@inbox.test", "other@inbox.test"};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("an accepted recipient of a delivered message fails, compared without case") {
    scenario.expect.not_delivered = {"ghost@inbox.test", "USER@Inbox.Test"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.not_delivered[1]");
    CHECK(failures[0].line == 50);
    CHECK(failures[0].expected == "no delivered message to USER@Inbox.Test");
    CHECK(failures[0].actual ==
          "delivered: from <app@yourdomain.test> to user@inbox.test -> 250 2.0.0 Ok: queued as 0A1B2C3D4E (session 1)");
  }
  SECTION("an accepted recipient of a refused message passes") {
    auto session = delivering_session();
    session.transactions[0].delivered = false;
    session.transactions[0].final_reply = reply("550 5.7.1 Content rejected");
    scenario.expect.not_delivered = {"user@inbox.test"};
    CHECK(evaluate(scenario, observed({session})).empty());
  }
}

TEST_CASE("expect.delivered headers see the stored copy with Authentication-Results", "[evaluate][delivered]") {
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.transactions[0].authentication_results = "mx.sandbox.test; spf=pass smtp.mailfrom=yourdomain.test";
  maildog::scenario::DeliveredExpect expect;
  expect.line = 40;
  expect.headers.emplace("authentication-results", TextMatch::parse("/^mx\\.sandbox\\.test;\\s+spf=pass/"));
  scenario.expect.delivered = {expect};
  CHECK(evaluate(scenario, observed({session})).empty());
  session.transactions[0].authentication_results.clear();
  CHECK(evaluate(scenario, observed({session})).size() == 1);
}

TEST_CASE("expect.rejected", "[evaluate][rejected]") {
  auto scenario = make_scenario();
  auto session = delivering_session();
  session.refusals = {
      {"unknown_user",
       "RCPT",
       "ghost@inbox.test",
       {},
       reply("550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown")},
      {"dmarc", "END_OF_DATA", "", {"user@inbox.test", "other@inbox.test"}, reply("550 5.7.26 Unauthenticated email")}};
  auto result = observed({session});
  maildog::scenario::RejectedExpect expect;
  expect.line = 60;

  SECTION("a refusal with the reason, recipient and codes passes") {
    expect.reason = "dmarc";
    expect.to = TextMatch::parse("other@inbox.test");
    expect.code = 550;
    expect.enhanced = EnhancedCode::parse("5.7.26");
    scenario.expect.rejected = {expect};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("RCPT refusals match on their own address only") {
    expect.reason = "unknown_user";
    expect.to = TextMatch::parse("user@inbox.test");
    scenario.expect.rejected = {expect};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.rejected[0]");
    CHECK(failures[0].line == 60);
    CHECK(failures[0].expected == "a refusal for unknown_user of user@inbox.test");
    CHECK(failures[0].actual ==
          "no such refusal; the sandbox refused: unknown_user: RCPT ghost@inbox.test -> 550 5.1.1 "
          "<ghost@inbox.test>: Recipient address rejected: User unknown (session 1); dmarc: END_OF_DATA for "
          "user@inbox.test, other@inbox.test -> 550 5.7.26 Unauthenticated email (session 1)");
  }
  SECTION("count 0 asserts a reason never refused") {
    expect.reason = "spf";
    expect.count = 0;
    scenario.expect.rejected = {expect};
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.rejected[0].reason = "dmarc";
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "no refusal for dmarc");
    CHECK(failures[0].actual.starts_with("1 matching refusal: dmarc: END_OF_DATA"));
  }
  SECTION("nothing refused says so") {
    expect.reason = "relay";
    scenario.expect.rejected = {expect};
    auto failures = evaluate(scenario, observed({greylisted_session(1, 1)}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "the sandbox refused nothing");
  }
}

TEST_CASE("expect.retries", "[evaluate][retries]") {
  auto scenario = make_scenario();
  maildog::scenario::RetryExpect expect;
  expect.rcpt = "ghost@inbox.test";
  expect.line = 60;

  SECTION("one attempt within max_attempts 1 passes") {
    expect.max_attempts = 1;
    scenario.expect.retries = {expect};
    CHECK(evaluate(scenario, observed({delivering_session()})).empty());
  }
  SECTION("attempts across sessions are counted") {
    expect.max_attempts = 1;
    scenario.expect.retries = {expect};
    auto result = observed({greylisted_session(1, 1), greylisted_session(2, 2)});
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.retries[0]");
    CHECK(failures[0].line == 60);
    CHECK(failures[0].expected == "at most 1 RCPT attempt for ghost@inbox.test");
    CHECK(failures[0].actual ==
          "2 attempts: 451 4.7.1 Greylisted, try again later (session 1); 451 4.7.1 Greylisted, try again later "
          "(session 2)");
  }
  SECTION("min_attempts") {
    expect.min_attempts = 2;
    expect.max_attempts = 3;
    scenario.expect.retries = {expect};
    CHECK(evaluate(scenario, observed({greylisted_session(1, 1), greylisted_session(2, 2)})).empty());
    auto failures = evaluate(scenario, observed({delivering_session()}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "between 2 and 3 RCPT attempts for ghost@inbox.test");
    CHECK(failures[0].actual ==
          "1 attempt: 550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown (session 1)");
  }
  SECTION("never tried") {
    expect.rcpt = "late@inbox.test";
    expect.min_attempts = 1;
    scenario.expect.retries = {expect};
    auto failures = evaluate(scenario, observed({delivering_session()}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "at least 1 RCPT attempt for late@inbox.test");
    CHECK(failures[0].actual == "no RCPT for late@inbox.test");
  }
}

TEST_CASE("expect.transcript", "[evaluate][transcript]") {
  auto scenario = make_scenario();
  scenario.expect.transcript = maildog::scenario::TranscriptExpect{};
  scenario.expect.transcript->line = 70;
  auto result = observed({delivering_session()});

  SECTION("contains looks at the normalised transcript") {
    scenario.expect.transcript->contains = {"S: 250 2.0.0 Ok: queued as <id>", "C: QUIT\nS: 221"};
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.transcript->contains = {"queued as 0A1B2C3D4E"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.transcript.contains[0]");
    CHECK(failures[0].line == 70);
    CHECK(failures[0].expected == "transcript contains \"queued as 0A1B2C3D4E\"");
    CHECK(failures[0].actual == "not found in the normalised transcript");
    CHECK(failures[0].context == lines(result, 15, 18));
  }

  SECTION("golden files") {
    const auto dir = fresh_dir();
    scenario.dir = dir;
    scenario.expect.transcript->golden = dir / "golden" / "reset.txt";

    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.transcript.golden");
    CHECK(failures[0].expected == "transcript as in golden/reset.txt");
    CHECK(failures[0].actual == "golden/reset.txt does not exist; run with --update-golden to create it");

    const auto created = update_golden(scenario, result);
    REQUIRE(created);
    CHECK(*created == "golden transcript golden/reset.txt: created (" +
                          std::to_string(normalised_lines(result.sessions).size()) + " lines)\n");
    CHECK_FALSE(update_golden(scenario, result));
    CHECK(evaluate(scenario, result).empty());
    {
      std::ifstream in(*scenario.expect.transcript->golden, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CHECK(text == join_lines(normalised_lines(result.sessions)));
      CHECK(text.find("queued as <id>") != std::string::npos);
    }

    // A new run with another queue id and client port still matches.
    auto again = result;
    again.sessions[0].client_port = 51000;
    again.sessions[0].transcript[15].text = "250 2.0.0 Ok: queued as FFEE001122";
    CHECK(evaluate(scenario, again).empty());

    // A changed reply is reported at its line.
    auto changed = result;
    changed.sessions[0].transcript[8].text = "550 5.1.1 <user@inbox.test>: Recipient address rejected: User unknown";
    failures = evaluate(scenario, changed);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "transcript as in golden/reset.txt, line 10: \"S: 250 2.1.5 Recipient ok\"");
    CHECK(failures[0].actual ==
          "line 10: \"S: 550 5.1.1 <user@inbox.test>: Recipient address rejected: User unknown\" (run with "
          "--update-golden to accept the new transcript)");
    CHECK(failures[0].context == lines(changed, 6, 12));

    // A shorter transcript ends early.
    auto shorter = result;
    shorter.sessions[0].transcript.resize(16);
    failures = evaluate(scenario, shorter);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "transcript as in golden/reset.txt, line 18: \"C: QUIT\"");
    CHECK(failures[0].actual == "line 18: end of transcript (run with --update-golden to accept the new transcript)");

    const auto updated = update_golden(scenario, changed);
    REQUIRE(updated);
    CHECK(*updated ==
          "golden transcript golden/reset.txt: updated\n"
          "  from line 10:\n"
          "  - S: 250 2.1.5 Recipient ok\n"
          "  + S: 550 5.1.1 <user@inbox.test>: Recipient address rejected: User unknown\n");
    CHECK(evaluate(scenario, changed).empty());
    std::filesystem::remove_all(dir);
  }

  SECTION("no golden named: nothing to update") { CHECK_FALSE(update_golden(scenario, result)); }
}

TEST_CASE("failures come in the order the expectations are written", "[evaluate]") {
  auto scenario = make_scenario();
  scenario.expect.app = maildog::scenario::AppExpect{};
  scenario.expect.app->exit = 0;
  scenario.expect.replies = {reply_expect("RCPT", "user@inbox.test", 550)};
  scenario.expect.not_delivered = {"user@inbox.test"};
  auto result = observed({delivering_session()});
  ProcessResult app;
  app.outcome = ProcessResult::Outcome::exited;
  app.exit_code = 1;
  result.app = app;
  auto failures = evaluate(scenario, result);
  REQUIRE(failures.size() == 3);
  CHECK(failures[0].expectation == "expect.app.exit");
  CHECK(failures[1].expectation == "expect.replies[0]");
  CHECK(failures[2].expectation == "expect.not_delivered[0]");
}

TEST_CASE("failed client steps fail the scenario", "[evaluate][steps]") {
  Scenario scenario;
  ScenarioResult observed;
  maildog::runner::StepOutcome good;
  good.line = 7;
  good.action = "EHLO client.test";
  maildog::runner::StepOutcome bad;
  bad.line = 9;
  bad.action = "MAIL FROM:<a@client.test>";
  bad.expected = "550";
  bad.reply = maildog::smtp::Reply::parse("250 2.1.0 Sender ok");
  bad.ok = false;
  bad.unexpected_reply = true;
  bad.problem = "expected 550, got 250 2.1.0 Sender ok";
  maildog::runner::StepOutcome broken;
  broken.line = 11;
  broken.action = "RCPT TO:<b@inbox.test>";
  broken.ok = false;
  broken.problem = "server closed the connection";
  observed.steps = {good, bad, broken};
  auto failures = evaluate(scenario, observed);
  REQUIRE(failures.size() == 2);
  REQUIRE(failures[0].expectation == "client.steps[1]");
  REQUIRE(failures[0].line == 9);
  // Said like expect.replies: the command, the reply it wants, the reply it got.
  REQUIRE(failures[0].expected == "MAIL FROM:<a@client.test> -> 550");
  REQUIRE(failures[0].actual == "MAIL FROM:<a@client.test> -> 250 2.1.0 Sender ok");
  // No reply at all: what went wrong instead.
  REQUIRE(failures[1].expected == "RCPT TO:<b@inbox.test> -> a reply");
  REQUIRE(failures[1].actual == "server closed the connection");
}

TEST_CASE("failure excerpts point at their RCPT, once per place", "[evaluate][context]") {
  // delivering_session refuses ghost@ at RCPT (line 10), delivers to user@ (message at line 15)
  // and ends with QUIT (lines 17 and 18).
  auto scenario = make_scenario();
  auto result = observed({delivering_session()});
  maildog::scenario::DeliveredExpect delivered;
  delivered.to = TextMatch::parse("ghost@inbox.test");
  maildog::scenario::RetryExpect retries;
  retries.rcpt = "ghost@inbox.test";
  retries.min_attempts = 2;
  scenario.expect.delivered = {delivered};
  scenario.expect.retries = {retries};
  scenario.expect.not_delivered = {"user@inbox.test"};
  auto failures = evaluate(scenario, result);
  REQUIRE(failures.size() == 3);
  CHECK(failures[0].expectation == "expect.delivered[0]");
  CHECK(failures[0].context == lines(result, 7, 13));
  CHECK(failures[1].expectation == "expect.not_delivered[0]");
  // user@ was accepted: its transaction's message and final reply, not the RCPT.
  CHECK(failures[1].context == lines(result, 12, 18));
  CHECK(failures[2].expectation == "expect.retries[0]");
  CHECK(failures[2].context.empty());  // the same RCPT as expect.delivered[0]: shown once
}

TEST_CASE("expect.lint", "[evaluate][lint]") {
  // delivering_session's message has From but no Date and no Message-ID; the greylisted
  // transaction kept no message.
  auto scenario = make_scenario();
  auto lint = [](std::string finding, bool occurs) {
    return maildog::scenario::LintExpect{std::move(finding), occurs, 40};
  };
  auto result = observed({delivering_session(), greylisted_session(2, 1)});

  SECTION("holds: findings that occur and findings that do not") {
    scenario.expect.lint = {lint("bare_lf", false), lint("missing_date", true), lint("missing_message_id", true)};
    CHECK(evaluate(scenario, result).empty());
  }
  SECTION("a finding asserted false names the session and message where it occurred") {
    scenario.expect.lint = {lint("missing_date", false)};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.lint.missing_date");
    CHECK(failures[0].line == 40);
    CHECK(failures[0].expected == "no missing_date finding in any captured message");
    CHECK(failures[0].actual == "found in 1 message: session 1, message 1: no Date field (RFC 5322 3.6 requires one)");
    // The excerpt is that message's end of data (line 15 of delivering_session), not the
    // closing lines of the run's last session.
    CHECK(failures[0].context == lines(result, 12, 18));
  }
  SECTION("and the line and an excerpt when the finding has them") {
    auto session = delivering_session();
    session.transactions[0].message = std::make_shared<const std::string>("From: a@b.test\r\n\r\nhi\nthere\r\n");
    scenario.expect.lint = {lint("bare_lf", false)};
    auto failures = evaluate(scenario, observed({session}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual ==
          "found in 1 message: session 1, message 1, line 3: 1 line ends in LF without CR (RFC 5322 2.3) \"hi\\n\"");
  }
  SECTION("a finding asserted true that never occurred") {
    scenario.expect.lint = {lint("long_lines", true)};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "a long_lines finding in a captured message");
    CHECK(failures[0].actual == "none in 2 captured mail transactions");
    CHECK_FALSE(failures[0].context.empty());
  }
  SECTION("nothing captured") {
    scenario.expect.lint = {lint("missing_date", true), lint("bare_lf", false)};
    auto failures = evaluate(scenario, observed({}));
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].actual == "no mail transaction was captured");
  }
}
