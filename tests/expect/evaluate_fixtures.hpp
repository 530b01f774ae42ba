// Fixtures shared by the expect tests (one file per expectation kind, as in src/expect/):
// recorded sessions to evaluate, a scenario to fill and the excerpt a failure should carry.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "expect/evaluate.hpp"
#include "expect/transcript.hpp"

namespace evaluate_fixtures {

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

inline TranscriptEntry entry(char direction, std::string text) {
  TranscriptEntry out;
  out.direction = direction == 'C'   ? TranscriptEntry::Direction::client
                  : direction == 'S' ? TranscriptEntry::Direction::server
                                     : TranscriptEntry::Direction::event;
  out.text = std::move(text);
  return out;
}

inline Reply reply(const std::string& line) { return *Reply::parse(line); }

inline RecipientRecord recipient(std::string address, const std::string& line, unsigned attempt = 1) {
  RecipientRecord out;
  out.address = std::move(address);
  out.reply = reply(line);
  out.attempt = attempt;
  return out;
}

inline constexpr const char* k_message =
    "From: App <app@yourdomain.test>\r\n"
    "To: user@inbox.test\r\n"
    "Subject: Reset your\r\n"
    " password\r\n"
    "\r\n"
    "Hello\r\n";

// One delivered message to user@inbox.test; ghost@inbox.test refused with 550 5.1.1.
inline SessionRecord delivering_session() {
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
inline SessionRecord greylisted_session(std::uint64_t id, unsigned attempt) {
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

inline Scenario make_scenario() {
  Scenario scenario;
  scenario.name = "reset";
  scenario.file = "scenarios/reset.yaml";
  scenario.line = 1;
  scenario.expect.line = 20;
  return scenario;
}

inline ScenarioResult observed(std::vector<SessionRecord> sessions) {
  ScenarioResult result;
  result.sessions = std::move(sessions);
  return result;
}

// Lines [from, to] of the normalised rendering, the context a failure should carry.
inline std::vector<std::string> lines(const ScenarioResult& result, std::size_t from, std::size_t to) {
  auto all = normalised_lines(result.sessions);
  return {all.begin() + static_cast<std::ptrdiff_t>(from), all.begin() + static_cast<std::ptrdiff_t>(to) + 1};
}

inline maildog::scenario::ReplyExpect reply_expect(std::string command, std::optional<std::string> arg,
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

inline std::filesystem::path fresh_dir() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("maildog-expect-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace evaluate_fixtures
