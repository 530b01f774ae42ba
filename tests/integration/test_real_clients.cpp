// Real SMTP clients (swaks, Python smtplib, curl, openssl s_client, msmtp) against the sandbox
// on loopback: each test checks what the client reported and what the sandbox captured.
// A missing client skips its test with a visible WARN; CI installs them all (ci/install-deps.sh).
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "integration/harness.hpp"
#include "smtp/sasl.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

namespace maildog::test {
namespace {

using namespace std::chrono_literals;
using smtp::TlsMode;
namespace fs = std::filesystem;

// swaks exit codes (swaks(1) EXIT CODES).
constexpr int k_swaks_ok = 0;
constexpr int k_swaks_mail_failed = 23;
constexpr int k_swaks_no_rcpt_accepted = 24;
constexpr int k_swaks_auth_failed = 28;

constexpr const char* k_user = "app";
constexpr const char* k_password = "secret";

bool have(const std::string& program) {
  if (program_available(program)) {
    return true;
  }
  MAILDOG_SKIP(program << " is not installed: test skipped (ci/install-deps.sh installs it)");
  return false;
}

// swaks needs Net::SSLeay for TLS (Debian: libnet-ssleay-perl, in ci/install-deps.sh).
bool have_swaks_tls() {
  if (!have("swaks")) {
    return false;
  }
  ChildResult support = run_child(ChildSpec{{"swaks", "--support"}, "", {}, 30s});
  if (contains(support.output(), "=== TLS supported")) {
    return true;
  }
  MAILDOG_SKIP("swaks has no TLS support (install libnet-ssleay-perl): test skipped");
  return false;
}

smtp::ServerConfig auth_config(TlsMode tls) {
  auto config = test_config();
  config.tls = tls;
  smtp::AuthConfig auth;
  auth.users = {{k_user, k_password}};
  config.auth = auth;
  return config;
}

using maildog::test::TempDir;

ChildResult swaks(std::uint16_t port, std::vector<std::string> extra, std::string to = "user@inbox.test") {
  ChildSpec spec;
  spec.argv = {"swaks",
               "--server",
               "127.0.0.1",
               "--port",
               std::to_string(port),
               "--helo",
               "app.example.test",
               "--from",
               "app@example.test",
               "--to",
               std::move(to),
               "--header",
               "Subject: hi",
               "--body",
               "hello from swaks",
               "--timeout",
               "20"};
  spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
  return run_child(spec);
}

std::vector<std::string> auth_args(const std::string& mechanism, const std::string& password = k_password) {
  return {"--auth", mechanism, "--auth-user", k_user, "--auth-password", password};
}

// The single session a one-client test expects, with its transcript shown on failure.
capture::SessionRecord only_session(Sandbox& sandbox) {
  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 1);
  return sessions[0];
}

void require_delivered_hi(const capture::SessionRecord& session, const std::string& from = "app@example.test") {
  INFO(transcript_text(session));
  REQUIRE(session.transactions.size() == 1);
  const auto& transaction = session.transactions[0];
  REQUIRE(transaction.delivered);
  REQUIRE(transaction.mail_from == from);
  REQUIRE(transaction.accepted_recipients() == std::vector<std::string>{"user@inbox.test"});
  REQUIRE(contains(message_of(transaction), "Subject: hi\r\n"));
  REQUIRE(contains(message_of(transaction), "hello from swaks"));
}

// No trace of the password, or of a base64 payload carrying it, in any transcript line.
void require_masked(const std::vector<capture::SessionRecord>& sessions) {
  const std::vector<std::string> secrets = {
      k_password,
      smtp::sasl::base64_encode(k_password),
      smtp::sasl::base64_encode(std::string("\0app\0secret", 11)),
      smtp::sasl::base64_encode(std::string("app\0app\0secret", 14)),
  };
  for (const auto& session : sessions) {
    INFO(transcript_text(session));
    for (const auto& entry : session.transcript) {
      for (const auto& secret : secrets) {
        CAPTURE(secret);
        REQUIRE_FALSE(contains(entry.text, secret));
      }
    }
  }
}

TEST_CASE("swaks: plain SMTP", "[integration][real-clients][swaks]") {
  if (!have("swaks")) {
    return;
  }
  Sandbox sandbox;
  ChildResult result = swaks(sandbox.port(), {});
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_ok);
  REQUIRE(contains(result.out, "<-  250 2.0.0 Ok: queued as "));
  REQUIRE(contains(result.out, " -> MAIL FROM:<app@example.test>"));
  auto session = only_session(sandbox);
  require_delivered_hi(session);
  REQUIRE(session.helo == "app.example.test");
  REQUIRE(session.esmtp);
  REQUIRE_FALSE(session.tls);
  REQUIRE_FALSE(session.auth_user);
  REQUIRE(session.close_reason == "quit");
}

TEST_CASE("swaks: STARTTLS", "[integration][real-clients][swaks]") {
  if (!have_swaks_tls()) {
    return;
  }
  auto config = test_config();
  config.tls = TlsMode::starttls;
  Sandbox sandbox(config);
  ChildResult result = swaks(sandbox.port(), {"--tls"});
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_ok);
  REQUIRE(contains(result.out, "<-  220 2.0.0 Ready to start TLS"));
  REQUIRE(contains(result.out, "<~  250 2.0.0 Ok: queued as "));
  auto session = only_session(sandbox);
  require_delivered_hi(session);
  REQUIRE(session.tls);
  REQUIRE(session.tls_version.rfind("TLSv1.", 0) == 0);
  REQUIRE_FALSE(session.tls_cipher.empty());
}

TEST_CASE("swaks: implicit TLS (--tls-on-connect)", "[integration][real-clients][swaks]") {
  if (!have_swaks_tls()) {
    return;
  }
  auto config = test_config();
  config.tls = TlsMode::implicit;
  Sandbox sandbox(config);
  ChildResult result = swaks(sandbox.port(), {"--tls-on-connect"});
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_ok);
  REQUIRE(contains(result.out, "<~  250 2.0.0 Ok: queued as "));
  REQUIRE_FALSE(contains(result.out, "STARTTLS"));
  auto session = only_session(sandbox);
  require_delivered_hi(session);
  REQUIRE(session.tls);
}

TEST_CASE("swaks: AUTH over STARTTLS, every mechanism", "[integration][real-clients][swaks]") {
  if (!have_swaks_tls()) {
    return;
  }
  const std::string mechanism = GENERATE(as<std::string>{}, "PLAIN", "LOGIN", "CRAM-MD5");
  CAPTURE(mechanism);
  Sandbox sandbox(auth_config(TlsMode::starttls));
  ChildResult result = swaks(sandbox.port(), [&] {
    auto args = auth_args(mechanism);
    args.insert(args.begin(), "--tls");
    return args;
  }());
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_ok);
  // RFC 4954 4: AUTH is offered only once TLS is up.
  REQUIRE((contains(result.out, "<-  250-STARTTLS") || contains(result.out, "<-  250 STARTTLS")));
  REQUIRE_FALSE(contains(result.out, "<-  250-AUTH"));
  REQUIRE_FALSE(contains(result.out, "<-  250 AUTH"));
  REQUIRE(contains(result.out, "<~  250 AUTH PLAIN LOGIN CRAM-MD5"));
  REQUIRE(contains(result.out, "<~  235 2.7.0 Authentication successful"));
  auto session = only_session(sandbox);
  require_delivered_hi(session);
  REQUIRE(session.tls);
  REQUIRE(session.auth_user == std::optional<std::string>(k_user));
  REQUIRE(session.auth_mechanism == mechanism);
  require_masked({session});
}

TEST_CASE("swaks: bad password gets 535 5.7.8", "[integration][real-clients][swaks]") {
  if (!have_swaks_tls()) {
    return;
  }
  Sandbox sandbox(auth_config(TlsMode::starttls));
  auto args = auth_args("PLAIN", "wrong-password");
  args.insert(args.begin(), "--tls");
  ChildResult result = swaks(sandbox.port(), args);
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_auth_failed);
  REQUIRE(contains(result.out, "<~* 535 5.7.8 Error: authentication failed"));
  auto session = only_session(sandbox);
  INFO(transcript_text(session));
  REQUIRE(server_said(session, "535 5.7.8"));
  REQUIRE(event_noted(session, "authentication failed for app"));
  REQUIRE_FALSE(session.auth_user);
  REQUIRE(session.transactions.empty());
  REQUIRE_FALSE(client_said(session, "wrong-password"));
  REQUIRE_FALSE(client_said(session, smtp::sasl::base64_encode(std::string("\0app\0wrong-password", 19))));
}

TEST_CASE("swaks: MAIL without AUTH when AUTH is required gets 530 5.7.0", "[integration][real-clients][swaks]") {
  if (!have("swaks")) {
    return;
  }
  auto config = auth_config(TlsMode::none);
  config.auth->required = true;
  Sandbox sandbox(config);
  ChildResult result = swaks(sandbox.port(), {});
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_mail_failed);
  REQUIRE(contains(result.out, "<** 530 5.7.0 Authentication required"));
  auto session = only_session(sandbox);
  INFO(transcript_text(session));
  REQUIRE(server_said(session, "530 5.7.0"));
  REQUIRE(session.transactions.empty());
}

TEST_CASE("swaks: pipelining", "[integration][real-clients][swaks]") {
  if (!have("swaks")) {
    return;
  }
  Sandbox sandbox;
  ChildResult result = swaks(sandbox.port(), {"--pipeline"});
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_ok);
  REQUIRE(contains(result.out, "<-  250 2.0.0 Ok: queued as "));
  require_delivered_hi(only_session(sandbox));
}

TEST_CASE("swaks: refused recipients", "[integration][real-clients][swaks]") {
  if (!have("swaks")) {
    return;
  }
  auto config = test_config();
  config.domains = {"inbox.test"};
  config.mailboxes = {"user@inbox.test"};
  struct Row {
    std::string to;
    std::string expected;
  };
  // An unknown mailbox at a local domain, and relaying without AUTH.
  const auto row = GENERATE(values<Row>({{"ghost@inbox.test", "550 5.1.1"}, {"someone@elsewhere.test", "550 5.7.1"}}));
  const std::string& to = row.to;
  const std::string& expected = row.expected;
  CAPTURE(to);
  Sandbox sandbox(config);
  ChildResult result = swaks(sandbox.port(), {}, to);
  INFO(result.describe());
  REQUIRE(result.exit_code == k_swaks_no_rcpt_accepted);
  REQUIRE(contains(result.out, "<** " + expected));
  auto session = only_session(sandbox);
  INFO(transcript_text(session));
  REQUIRE(server_said(session, expected));
  // The abandoned transaction is still captured, with the refused recipient.
  REQUIRE(session.transactions.size() == 1);
  const auto& transaction = session.transactions[0];
  REQUIRE_FALSE(transaction.delivered);
  REQUIRE(transaction.recipients.size() == 1);
  REQUIRE(transaction.recipients[0].address == to);
  REQUIRE(code_of(transaction.recipients[0].reply) == expected);
  REQUIRE(transaction.accepted_recipients().empty());
}

TEST_CASE("AUTH before STARTTLS when TLS is offered gets 538 5.7.11", "[integration][real-clients]") {
  Sandbox sandbox(auth_config(TlsMode::starttls));
  SmtpClient client;
  open_session(client, sandbox.port());
  REQUIRE(code_of(client.command("AUTH PLAIN " + smtp::sasl::base64_encode(std::string("\0app\0secret", 11)))) ==
          "538 5.7.11");
  REQUIRE(code_of(client.command("AUTH LOGIN")) == "538 5.7.11");
  REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
  auto session = only_session(sandbox);
  INFO(transcript_text(session));
  REQUIRE_FALSE(session.auth_user);
  require_masked({session});
}

TEST_CASE("AUTH payloads never reach the transcript", "[integration][real-clients]") {
  std::vector<capture::SessionRecord> sessions;
  SECTION("test client, plaintext AUTH allowed (no TLS on offer)") {
    Sandbox sandbox(auth_config(TlsMode::none));
    const std::string plain = smtp::sasl::base64_encode(std::string("\0app\0secret", 11));
    {
      SmtpClient client;
      open_session(client, sandbox.port());
      REQUIRE(code_of(client.command("AUTH PLAIN " + plain)) == "235 2.7.0");
      REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
    }
    {
      SmtpClient client;
      open_session(client, sandbox.port());
      REQUIRE(code_of(client.command("AUTH PLAIN")) == "334");
      REQUIRE(code_of(client.command(plain)) == "235 2.7.0");
      REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
    }
    {
      SmtpClient client;
      open_session(client, sandbox.port());
      REQUIRE(code_of(client.command("AUTH LOGIN " + smtp::sasl::base64_encode(k_user))) == "334");
      REQUIRE(code_of(client.command(smtp::sasl::base64_encode(k_password))) == "235 2.7.0");
      REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
    }
    {
      SmtpClient client;
      open_session(client, sandbox.port());
      REQUIRE(code_of(client.command("AUTH LOGIN")) == "334");
      REQUIRE(code_of(client.command(smtp::sasl::base64_encode(k_user))) == "334");
      REQUIRE(code_of(client.command(smtp::sasl::base64_encode("secret-but-wrong"))) == "535 5.7.8");
      REQUIRE(code_of(client.command("QUIT")) == "221 2.0.0");
    }
    sessions = sandbox.finish();
    REQUIRE(sessions.size() == 4);
    INFO(transcript_text(sessions[0]));
    REQUIRE(client_said(sessions[0], "AUTH PLAIN ***"));
    // Every successful mechanism records who logged in, LOGIN included.
    for (std::size_t i = 0; i < 3; ++i) {
      REQUIRE(sessions[i].auth_user == std::optional<std::string>(k_user));
    }
    REQUIRE_FALSE(sessions[3].auth_user);
    for (const auto& session : sessions) {
      REQUIRE_FALSE(client_said(session, smtp::sasl::base64_encode("secret-but-wrong")));
    }
  }
  SECTION("swaks PLAIN and LOGIN over STARTTLS") {
    if (!have_swaks_tls()) {
      return;
    }
    Sandbox sandbox(auth_config(TlsMode::starttls));
    for (const char* mechanism : {"PLAIN", "LOGIN"}) {
      auto args = auth_args(mechanism);
      args.insert(args.begin(), "--tls");
      ChildResult result = swaks(sandbox.port(), args);
      INFO(result.describe());
      REQUIRE(result.exit_code == k_swaks_ok);
    }
    sessions = sandbox.finish();
    REQUIRE(sessions.size() == 2);
    INFO(transcript_text(sessions[0]));
    REQUIRE(client_said(sessions[0], "AUTH PLAIN ***"));
    REQUIRE(client_said(sessions[1], "AUTH LOGIN"));
  }
  require_masked(sessions);
  // The line reads exactly "AUTH PLAIN ***" (mechanism kept, payload masked).
  for (const auto& session : sessions) {
    for (const auto& entry : session.transcript) {
      if (entry.direction == capture::TranscriptEntry::Direction::client && entry.text.rfind("AUTH PLAIN ", 0) == 0) {
        REQUIRE(entry.text == "AUTH PLAIN ***");
      }
    }
  }
}

TEST_CASE("swaks: greylisting rule, then a successful retry", "[integration][real-clients][swaks]") {
  if (!have("swaks")) {
    return;
  }
  auto config = test_config();
  rules::Rule greylist;
  greylist.at = rules::Stage::rcpt;
  greylist.match.attempt = rules::AttemptRange{1, 1};
  greylist.reply = smtp::make_reply(451, smtp::EnhancedCode{4, 7, 1}, "Greylisted, try again later");
  config.rules.push_back(greylist);
  Sandbox sandbox(config);

  ChildResult first = swaks(sandbox.port(), {});
  INFO(first.describe());
  REQUIRE(first.exit_code == k_swaks_no_rcpt_accepted);
  REQUIRE(contains(first.out, "<** 451 4.7.1 Greylisted"));
  ChildResult second = swaks(sandbox.port(), {});
  INFO(second.describe());
  REQUIRE(second.exit_code == k_swaks_ok);

  auto sessions = sandbox.finish();
  REQUIRE(sessions.size() == 2);
  INFO(transcript_text(sessions[0]));
  REQUIRE(sessions[0].transactions.size() == 1);
  REQUIRE(sessions[0].transactions[0].recipients.size() == 1);
  const auto& refused = sessions[0].transactions[0].recipients[0];
  REQUIRE(refused.attempt == 1);
  REQUIRE(code_of(refused.reply) == "451 4.7.1");
  REQUIRE_FALSE(sessions[0].transactions[0].delivered);
  require_delivered_hi(sessions[1]);
  REQUIRE(sessions[1].transactions[0].recipients[0].attempt == 2);
  REQUIRE(sandbox.server().capture().attempts("user@inbox.test") == 2);
}

constexpr const char* k_python_client = R"(import smtplib, ssl, sys
port, mode = int(sys.argv[1]), sys.argv[2]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
message = "Subject: from python\r\n\r\nhello from smtplib\r\n"
with smtplib.SMTP("127.0.0.1", port, local_hostname="py.example.test", timeout=20) as client:
    client.starttls(context=context)
    client.login("app", "secret")
    try:
        if mode == "send":
            print("refused:", client.sendmail("py@example.test", ["user@inbox.test"], message))
        elif mode == "partial":
            print("refused:", client.sendmail("py@example.test", ["user@inbox.test", "ghost@inbox.test"], message))
        else:
            client.sendmail("py@example.test", ["ghost@inbox.test"], message)
            print("no exception")
    except smtplib.SMTPException as error:
        print("exception:", type(error).__name__, error)
)";

TEST_CASE("python smtplib: STARTTLS, login, sendmail", "[integration][real-clients][python]") {
  if (!have("python3")) {
    return;
  }
  auto config = auth_config(TlsMode::starttls);
  config.domains = {"inbox.test"};
  config.mailboxes = {"user@inbox.test"};
  Sandbox sandbox(config);
  TempDir temp;
  const std::string script = temp.write("client.py", k_python_client).string();

  SECTION("accepted") {
    ChildResult result = run_child(ChildSpec{{"python3", script, std::to_string(sandbox.port()), "send"}, "", {}, 60s});
    INFO(result.describe());
    REQUIRE(result.exit_code == 0);
    REQUIRE(contains(result.out, "refused: {}"));
    auto session = only_session(sandbox);
    INFO(transcript_text(session));
    REQUIRE(session.tls);
    REQUIRE(session.auth_user == std::optional<std::string>("app"));
    REQUIRE(session.helo == "py.example.test");
    REQUIRE(session.transactions.size() == 1);
    REQUIRE(session.transactions[0].delivered);
    REQUIRE(session.transactions[0].mail_from == "py@example.test");
    REQUIRE(contains(message_of(session.transactions[0]), "Subject: from python\r\n\r\nhello from smtplib\r\n"));
    require_masked({session});
  }
  SECTION("one of two recipients refused: sendmail reports it") {
    ChildResult result =
        run_child(ChildSpec{{"python3", script, std::to_string(sandbox.port()), "partial"}, "", {}, 60s});
    INFO(result.describe());
    REQUIRE(result.exit_code == 0);
    REQUIRE(contains(result.out, "refused: {'ghost@inbox.test': (550, b'5.1.1 <ghost@inbox.test>"));
    auto session = only_session(sandbox);
    REQUIRE(session.transactions.size() == 1);
    REQUIRE(session.transactions[0].delivered);
    REQUIRE(session.transactions[0].accepted_recipients() == std::vector<std::string>{"user@inbox.test"});
  }
  SECTION("every recipient refused: SMTPRecipientsRefused") {
    ChildResult result =
        run_child(ChildSpec{{"python3", script, std::to_string(sandbox.port()), "refused"}, "", {}, 60s});
    INFO(result.describe());
    REQUIRE(result.exit_code == 0);
    REQUIRE(contains(result.out, "exception: SMTPRecipientsRefused"));
    REQUIRE(contains(result.out, "550"));
    auto session = only_session(sandbox);
    INFO(transcript_text(session));
    REQUIRE(server_said(session, "550 5.1.1 <ghost@inbox.test>"));
    for (const auto& transaction : session.transactions) {
      REQUIRE_FALSE(transaction.delivered);
    }
  }
}

TEST_CASE("curl: SMTP with --ssl-reqd and AUTH", "[integration][real-clients][curl]") {
  if (!have("curl")) {
    return;
  }
  Sandbox sandbox(auth_config(TlsMode::starttls));
  TempDir temp;
  const fs::path message = temp.write(
      "message.eml", "From: a@example.test\r\nTo: user@inbox.test\r\nSubject: from curl\r\n\r\nhello from curl\r\n");
  ChildResult result = run_child(ChildSpec{{"curl", "--verbose", "--show-error", "--max-time", "30", "--url",
                                            "smtp://127.0.0.1:" + std::to_string(sandbox.port()), "--ssl-reqd", "-k",
                                            "--mail-from", "a@example.test", "--mail-rcpt", "user@inbox.test",
                                            "--upload-file", message.string(), "--user", "app:secret"},
                                           "",
                                           {},
                                           60s});
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  REQUIRE(contains(result.err, "< 250 2.0.0 Ok: queued as "));
  auto session = only_session(sandbox);
  INFO(transcript_text(session));
  REQUIRE(session.tls);
  REQUIRE(session.auth_user == std::optional<std::string>("app"));
  REQUIRE(session.transactions.size() == 1);
  REQUIRE(session.transactions[0].delivered);
  REQUIRE(session.transactions[0].mail_from == "a@example.test");
  REQUIRE(contains(message_of(session.transactions[0]), "Subject: from curl\r\n\r\nhello from curl\r\n"));
  require_masked({session});
}

TEST_CASE("openssl s_client: STARTTLS with a piped dialogue", "[integration][real-clients][openssl]") {
  if (!have("openssl")) {
    return;
  }
  auto config = test_config();
  config.tls = TlsMode::starttls;
  Sandbox sandbox(config);
  const std::string dialogue =
      "EHLO s-client.example.test\r\n"
      "MAIL FROM:<ossl@example.test>\r\n"
      "RCPT TO:<user@inbox.test>\r\n"
      "DATA\r\n"
      "Subject: from s_client\r\n\r\nhello over TLS\r\n.\r\n"
      "QUIT\r\n";
  ChildResult result = run_child(ChildSpec{{"openssl", "s_client", "-starttls", "smtp", "-connect",
                                            "127.0.0.1:" + std::to_string(sandbox.port()), "-quiet", "-nocommands"},
                                           dialogue,
                                           {},
                                           60s});
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  REQUIRE(contains(result.out, "250 2.0.0 Ok: queued as "));
  REQUIRE(contains(result.out, "221 2.0.0"));
  auto session = only_session(sandbox);
  INFO(transcript_text(session));
  REQUIRE(session.tls);
  REQUIRE(session.tls_version.rfind("TLSv1.", 0) == 0);
  REQUIRE(session.helo == "s-client.example.test");
  REQUIRE(session.transactions.size() == 1);
  REQUIRE(session.transactions[0].delivered);
  REQUIRE(contains(message_of(session.transactions[0]), "Subject: from s_client\r\n\r\nhello over TLS\r\n"));
}

TEST_CASE("msmtp: STARTTLS and AUTH", "[integration][real-clients][msmtp]") {
  if (!have("msmtp")) {
    return;
  }
  Sandbox sandbox(auth_config(TlsMode::starttls));
  TempDir temp;
  ChildSpec spec;
  spec.argv = {"msmtp",
               "--host=127.0.0.1",
               "--port=" + std::to_string(sandbox.port()),
               "--tls=on",
               "--tls-starttls=on",
               "--tls-certcheck=off",
               "--auth=on",
               "--user=app",
               "--passwordeval=echo secret",
               "--debug",
               "-f",
               "a@example.test",
               "user@inbox.test"};
  spec.input = "Subject: from msmtp\r\n\r\nhello from msmtp\r\n";
  // No ~/.msmtprc of the developer's gets in the way.
  spec.environment = {{"HOME", temp.path().string()}};
  spec.timeout = 60s;
  ChildResult result = run_child(spec);
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  REQUIRE(contains(result.output(), "250 2.0.0 Ok: queued as "));
  auto session = only_session(sandbox);
  INFO(transcript_text(session));
  REQUIRE(session.tls);
  REQUIRE(session.auth_user == std::optional<std::string>("app"));
  REQUIRE(session.transactions.size() == 1);
  REQUIRE(session.transactions[0].delivered);
  REQUIRE(session.transactions[0].mail_from == "a@example.test");
  REQUIRE(contains(message_of(session.transactions[0]), "Subject: from msmtp\r\n\r\nhello from msmtp\r\n"));
  require_masked({session});
}

}  // namespace
}  // namespace maildog::test
