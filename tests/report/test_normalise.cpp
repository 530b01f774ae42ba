#include <catch2/catch.hpp>

#include "expect/transcript.hpp"
#include "report/fixture.hpp"
#include "report/normalise.hpp"

using namespace maildog;

TEST_CASE("normalise_for_reports replaces what changes between runs", "[report][normalise]") {
  auto run = test::sample_run();
  auto& passed = run.scenarios[0];
  passed.sandbox_port = 41234;
  passed.app->stdout_text = "=== Trying 127.0.0.1:41234...\nport 41234, not 412345\nat 2025-06-03T10:00:00Z\n";
  passed.app->stderr_text = "temp file /tmp/maildog-x1Y2/out.eml\n";
  runner::StepOutcome cram;
  cram.action = "AUTH CRAM-MD5 ***";
  cram.reply = smtp::Reply::parse("334 PDQwNjkyNDA3NTE2NTY1NzU0NjguNDQ2NUBteC5zYW5kYm94LnRlc3Q+");
  runner::StepOutcome mail;
  mail.action = "MAIL FROM:<a@client.test>";
  mail.reply = smtp::Reply::parse("451 4.3.0 try 127.0.0.1:41234 later");
  passed.steps = {cram, mail};
  run.scenarios[1].failures[0].actual = "250 2.0.0 Ok: queued as 0A1B2C3D4E";
  run.scenarios[1].failures[1].actual = "timed out: timed out after 30s; process group 11090 killed";

  const auto shown = report::normalise_for_reports(run);
  const auto& result = shown.scenarios[0];
  const auto& session = result.sessions[0];
  CHECK(session.client_port == 0);
  CHECK(expect::render_session_header(session) == "== session 1 from 127.0.0.1");
  CHECK(expect::render_lines(result.sessions) == expect::normalised_lines(run.scenarios[0].sessions));
  CHECK(session.transcript[7].text == "TLS established: <tls>");
  CHECK(session.transcript.back().text == "221 2.0.0 mx.sandbox.test Bye");
  CHECK(result.app->stdout_text == "=== Trying 127.0.0.1:<port>...\nport <port>, not 412345\nat <timestamp>\n");
  CHECK(result.app->stderr_text == "temp file <tmp>/out.eml\n");
  CHECK(result.steps[0].reply->summary() == "334 <challenge>");
  CHECK(result.steps[1].reply->summary() == "451 4.3.0 try 127.0.0.1:<port> later");
  CHECK(shown.scenarios[1].failures[0].actual == "250 2.0.0 Ok: queued as <id>");
  CHECK(shown.scenarios[1].failures[1].actual == "timed out: timed out after 30s; process group <pid> killed");
  CHECK(shown.scenarios[1].failures[0].expected == run.scenarios[1].failures[0].expected);
  // What stays: timings, TLS fields, message bytes.
  CHECK(result.duration == run.scenarios[0].duration);
  CHECK(session.tls_cipher == "TLS_AES_256_GCM_SHA384");
  CHECK(session.transactions[0].message == run.scenarios[0].sessions[0].transactions[0].message);
  // Idempotent: a normalised run normalises to itself.
  CHECK(expect::render_lines(report::normalise_for_reports(shown).scenarios[1].sessions) ==
        expect::render_lines(shown.scenarios[1].sessions));
}

TEST_CASE("normalise_header_value", "[report][normalise]") {
  CHECK(report::normalise_header_value("Message-ID", "<171.42.9@app.test>") == "<message-id>");
  CHECK(report::normalise_header_value("message-id", "<x@y>") == "<message-id>");
  CHECK(report::normalise_header_value("Date", "Tue, 3 Jun 2025 10:00:00 +0000") == "<timestamp>");
  CHECK(report::normalise_header_value("Content-Type",
                                       "multipart/alternative; boundary=\"===============2171638532460436741==\"") ==
        "multipart/alternative; boundary=\"<boundary>\"");
  CHECK(report::normalise_header_value("Content-Type", "multipart/mixed; BOUNDARY=abc123; charset=x") ==
        "multipart/mixed; BOUNDARY=\"<boundary>\"; charset=x");
  CHECK(report::normalise_header_value("Subject", "Reset your password") == "Reset your password");
}
