#include "report/fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "lint/transaction.hpp"
#include "support/paths.hpp"

namespace maildog::test {

namespace {

using capture::TranscriptEntry;
using namespace std::chrono_literals;

// 2025-06-03T10:00:00Z
const std::chrono::system_clock::time_point k_run_start = std::chrono::sys_days{std::chrono::year{2025} / 6 / 3} + 10h;

TranscriptEntry entry(char direction, std::string text, long offset_us) {
  TranscriptEntry out;
  out.direction = direction == 'C'   ? TranscriptEntry::Direction::client
                  : direction == 'S' ? TranscriptEntry::Direction::server
                                     : TranscriptEntry::Direction::event;
  out.text = std::move(text);
  out.offset = std::chrono::microseconds(offset_us);
  return out;
}

smtp::Reply reply(const std::string& line) { return *smtp::Reply::parse(line); }

capture::SessionRecord tls_session() {
  capture::SessionRecord session;
  session.id = 1;
  session.client_address = "127.0.0.1";
  session.client_port = 40312;
  session.helo = "app.test";
  session.esmtp = true;
  session.tls = true;
  session.tls_version = "TLSv1.3";
  session.tls_cipher = "TLS_AES_256_GCM_SHA384";
  session.auth_user = "app";
  session.auth_mechanism = "PLAIN";
  session.close_reason = "quit";
  session.started = k_run_start + 2ms;
  session.duration = 9100us;
  session.transcript = {
      entry('S', "220 mx.sandbox.test ESMTP maildog-ci sandbox", 0),
      entry('C', "EHLO app.test", 310),
      entry('S', "250-mx.sandbox.test", 330),
      entry('S', "250-STARTTLS", 330),
      entry('S', "250 AUTH PLAIN LOGIN", 330),
      entry('C', "STARTTLS", 600),
      entry('S', "220 2.0.0 Ready to start TLS", 620),
      entry('*', "TLS established: TLSv1.3 TLS_AES_256_GCM_SHA384", 4100),
      entry('C', "EHLO app.test", 4300),
      entry('S', "250-mx.sandbox.test", 4320),
      entry('S', "250 AUTH PLAIN LOGIN", 4320),
      entry('C', "AUTH PLAIN ***", 4500),
      entry('*', "authenticated as app with PLAIN", 4520),
      entry('S', "235 2.7.0 Authentication successful", 4520),
      entry('C', "MAIL FROM:<noreply@yourdomain.test> SIZE=98", 4700),
      entry('S', "250 2.1.0 Sender ok", 4710),
      entry('C', "RCPT TO:<user@inbox.test>", 4900),
      entry('S', "250 2.1.5 Recipient ok", 4910),
      entry('C', "DATA", 5100),
      entry('S', "354 End data with <CR><LF>.<CR><LF>", 5110),
      entry('*', "message: 98 octets, 5 lines", 5800),
      entry('S', "250 2.0.0 Ok: queued as 0A1B2C3D4E", 5830),
      entry('C', "QUIT", 6000),
      entry('S', "221 2.0.0 mx.sandbox.test Bye", 6010),
  };
  capture::TransactionRecord transaction;
  transaction.mail_from = "noreply@yourdomain.test";
  transaction.mail_parameters = "SIZE=98";
  transaction.mail_reply = reply("250 2.1.0 Sender ok");
  capture::RecipientRecord user;
  user.address = "user@inbox.test";
  user.reply = reply("250 2.1.5 Recipient ok");
  user.attempt = 1;
  transaction.recipients = {user};
  transaction.data_reply = reply("354 End data with <CR><LF>.<CR><LF>");
  transaction.final_reply = reply("250 2.0.0 Ok: queued as 0A1B2C3D4E");
  transaction.message = std::make_shared<const std::string>(
      "From: Example <noreply@yourdomain.test>\r\nTo: user@inbox.test\r\nSubject: Reset your password\r\n\r\nHi\r\n");
  transaction.delivered = true;
  transaction.lint = lint::lint_notes(transaction);  // no Date, no Message-ID
  session.transactions.push_back(transaction);
  return session;
}

capture::SessionRecord ghost_session(std::uint64_t id, std::uint16_t port, const std::string& rcpt_reply,
                                     unsigned attempt) {
  capture::SessionRecord session;
  session.id = id;
  session.client_address = "127.0.0.1";
  session.client_port = port;
  session.helo = "app.test";
  session.esmtp = true;
  session.close_reason = "quit";
  session.started = k_run_start + std::chrono::milliseconds(20 + 10 * id);
  session.duration = 1500us;
  session.transcript = {
      entry('S', "220 mx.sandbox.test ESMTP maildog-ci sandbox", 0),
      entry('C', "EHLO app.test", 200),
      entry('S', "250 mx.sandbox.test", 210),
      entry('C', "MAIL FROM:<noreply@yourdomain.test>", 400),
      entry('S', "250 2.1.0 Sender ok", 410),
      entry('C', "RCPT TO:<ghost@inbox.test>", 600),
      entry('*', "rule 2 matched at rcpt", 610),
      entry('S', rcpt_reply, 610),
      entry('C', "QUIT", 800),
      entry('S', "221 2.0.0 mx.sandbox.test Bye", 810),
  };
  capture::TransactionRecord transaction;
  transaction.mail_from = "noreply@yourdomain.test";
  transaction.mail_reply = reply("250 2.1.0 Sender ok");
  capture::RecipientRecord ghost;
  ghost.address = "ghost@inbox.test";
  ghost.reply = reply(rcpt_reply);
  ghost.attempt = attempt;
  transaction.recipients = {ghost};
  session.transactions.push_back(transaction);
  if (!ghost.reply.positive()) {
    session.refusals.push_back({"rule", "RCPT", "ghost@inbox.test", {}, ghost.reply});
  }
  return session;
}

runner::ScenarioResult passed_scenario() {
  runner::ScenarioResult result;
  result.name = "password reset reaches the user";
  result.tags = {"transactional"};
  result.file = "scenarios/reset.yaml";
  result.line = 2;
  result.status = runner::Status::passed;
  result.sessions = {tls_session()};
  runner::ProcessResult app;
  app.outcome = runner::ProcessResult::Outcome::exited;
  app.exit_code = 0;
  app.stdout_text = "sent reset mail to user@inbox.test\n";
  app.duration = 11ms;
  result.app = app;
  result.sandbox_port = 38001;
  result.seed = 42;
  result.started = k_run_start + 1ms;
  result.duration = 12345us;
  return result;
}

runner::ScenarioResult failed_scenario() {
  runner::ScenarioResult result;
  result.name = "unknown user is rejected & not retried";
  result.tags = {"transactional", "5.1.1"};
  result.file = "scenarios/reset.yaml";
  result.line = 24;
  result.status = runner::Status::failed;
  result.sessions = {ghost_session(2, 40318, "451 4.7.1 Greylisted, try again later", 1),
                     ghost_session(3, 40322, "250 2.1.5 Recipient ok", 2)};
  runner::Failure replies;
  replies.expectation = "expect.replies[0]";
  replies.line = 38;
  replies.expected = "RCPT ghost@inbox.test -> 550 5.1.1";
  replies.actual =
      "RCPT ghost@inbox.test -> 451 4.7.1 Greylisted, try again later; RCPT ghost@inbox.test -> 250 2.1.5 Recipient ok";
  replies.context = {"S: 250 mx.sandbox.test",
                     "C: MAIL FROM:<noreply@yourdomain.test>",
                     "S: 250 2.1.0 Sender ok",
                     "C: RCPT TO:<ghost@inbox.test>",
                     "*  rule 2 matched at rcpt",
                     "S: 451 4.7.1 Greylisted, try again later",
                     "C: QUIT"};
  runner::Failure retries;
  retries.expectation = "expect.retries[0]";
  retries.line = 41;
  retries.expected = "at most 1 RCPT attempt for ghost@inbox.test";
  retries.actual = "2 attempts: 451 4.7.1 Greylisted, try again later (session 2); 250 2.1.5 Recipient ok (session 3)";
  retries.context = {"S: 250 2.1.5 Recipient ok", "C: QUIT", "S: 221 2.0.0 mx.sandbox.test Bye"};
  result.failures = {replies, retries};
  runner::ProcessResult app;
  app.outcome = runner::ProcessResult::Outcome::exited;
  app.exit_code = 0;
  app.stdout_text = "retrying <ghost@inbox.test> in 1s\n";
  // Colored log output and a stray NUL: the XML report must drop what XML 1.0 forbids.
  app.stderr_text =
      std::string("\x1b[33mwarning\x1b[0m: 451 from \"mx\" & retried\n") + std::string(1, '\0') + "\xff\n";
  app.duration = 1020ms;
  result.app = app;
  result.sandbox_port = 38002;
  result.seed = 42;
  result.started = k_run_start + 15ms;
  result.duration = 1031500us;
  return result;
}

runner::ScenarioResult error_scenario() {
  runner::ScenarioResult result;
  result.name = "app that cannot start";
  result.file = "scenarios/broken.yaml";
  result.line = 1;
  result.status = runner::Status::error;
  result.error = "app failed to start: execvp python4: No such file or directory";
  runner::ProcessResult app;
  app.outcome = runner::ProcessResult::Outcome::failed_to_start;
  app.error = "execvp python4: No such file or directory";
  result.app = app;
  result.seed = 42;
  result.started = k_run_start + 3ms;
  result.duration = 800us;
  return result;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

runner::RunResult sample_run() {
  runner::RunResult run;
  run.seed = 42;
  run.started = k_run_start;
  run.duration = 1045200us;
  run.scenarios = {passed_scenario(), failed_scenario(), error_scenario()};
  return run;
}

std::string compare_with_golden(std::string_view name, const std::string& received) {
  const auto approved = source_dir() / "tests" / "report" / "golden" / std::string(name);
  const char* approve = std::getenv("MAILDOG_APPROVE");
  if (approve != nullptr && std::string_view(approve) == "1") {
    std::ofstream(approved, std::ios::binary) << received;
    return {};
  }
  if (std::filesystem::exists(approved) && read_file(approved) == received) {
    return {};
  }
  std::string received_name(name);
  received_name.replace(received_name.find(".approved."), 10, ".received.");
  const auto received_path = maildog::test::received_path(received_name);
  std::ofstream(received_path, std::ios::binary) << received;
  return "output differs from " + approved.string() + "; see " + received_path.string() +
         " (diff them; run the test with MAILDOG_APPROVE=1 to approve)";
}

}  // namespace maildog::test
