// Clients that verify certificates, as production clients do, against sandboxes whose leaf the
// run's CA signed (smtp/certificate_authority): openssl s_client -verify_return_error and Python
// smtplib with a verifying context pass with the CA file, and each bad certificate kind fails
// with the verify error the client reports (expired, unknown CA, self-signed, name mismatch)
// before MAIL is ever sent.
#include "integration/harness.hpp"
#include "smtp/certificate_authority.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

namespace maildog::test {
namespace {

using namespace std::chrono_literals;
using smtp::CertificateKind;

constexpr const char* k_hostname = "mx.sandbox.test";

bool have(const std::string& program) {
  if (program_available(program)) {
    return true;
  }
  MAILDOG_SKIP(program << " is not installed: test skipped (ci/install-deps.sh installs it)");
  return false;
}

smtp::ServerConfig verified_config(const smtp::CertificateAuthority& ca, CertificateKind kind, smtp::TlsMode mode) {
  smtp::ServerConfig config = test_config();
  config.hostname = k_hostname;
  config.tls = mode;
  config.tls_identity = smtp::sandbox_identity(ca, kind, k_hostname);
  return config;
}

// Prints "delivered" or "verify failed CODE MESSAGE"; never retries without TLS.
constexpr const char* k_verifying_client = R"(import smtplib, ssl, sys
port, mode, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.create_default_context(cafile=cafile)
message = "Subject: verified\r\n\r\nhello\r\n"
try:
    if mode == "implicit":
        client = smtplib.SMTP_SSL("127.0.0.1", port, "py.example.test", timeout=20, context=context)
    else:
        client = smtplib.SMTP("127.0.0.1", port, "py.example.test", timeout=20)
        client.starttls(context=context)
    with client:
        client.sendmail("py@example.test", ["user@inbox.test"], message)
    print("delivered")
except ssl.SSLCertVerificationError as error:
    print("verify failed", error.verify_code, error.verify_message)
)";

struct BadKind {
  CertificateKind kind;
  int verify_code;      // OpenSSL's X509_V_ERR_*
  std::string message;  // what Python and s_client print for it
};

const std::vector<BadKind>& bad_kinds() {
  static const std::vector<BadKind> kinds{
      {CertificateKind::expired, 10, "certificate has expired"},
      {CertificateKind::untrusted, 20, "unable to get local issuer certificate"},
      {CertificateKind::self_signed, 18, "self-signed certificate"},
      {CertificateKind::wrong_host, 64, "IP address mismatch"},
  };
  return kinds;
}

ChildResult s_client(std::uint16_t port, const std::string& ca_file, const std::vector<std::string>& verify) {
  std::vector<std::string> argv{"openssl",
                                "s_client",
                                "-starttls",
                                "smtp",
                                "-connect",
                                "127.0.0.1:" + std::to_string(port),
                                "-verify_return_error",
                                "-CAfile",
                                ca_file};
  argv.insert(argv.end(), verify.begin(), verify.end());
  return run_child(ChildSpec{argv, "QUIT\r\n", {}, 30s});
}

}  // namespace

TEST_CASE("openssl s_client verifies the sandbox's leaf against the run's CA, for each of its names",
          "[integration][real-clients][openssl][tls]") {
  if (!have("openssl")) {
    return;
  }
  const auto ca = smtp::CertificateAuthority::generate("test run CA");
  TempDir temp;
  const std::string ca_file = temp.write("ca.pem", ca.certificate_pem()).string();
  Sandbox sandbox(verified_config(ca, CertificateKind::trusted, smtp::TlsMode::starttls));
  // The leaf is valid for each name a client may use; ::1 and the hostname are checked here as
  // names, the connection itself is to 127.0.0.1.
  const std::vector<std::vector<std::string>> names{{"-verify_ip", "127.0.0.1"},
                                                    {"-verify_ip", "::1"},
                                                    {"-verify_hostname", "localhost"},
                                                    {"-verify_hostname", k_hostname}};
  for (const auto& name : names) {
    ChildResult result = s_client(sandbox.port(), ca_file, name);
    INFO(name[1] << ":\n" << result.describe());
    CHECK(result.exit_code == 0);
    CHECK(contains(result.out, "Verify return code: 0 (ok)"));
  }
  ChildResult other = s_client(sandbox.port(), ca_file, {"-verify_hostname", "other.example.test"});
  INFO(other.describe());
  CHECK(other.exit_code != 0);
  CHECK(contains(other.output(), "verify error:num=62:hostname mismatch"));
}

TEST_CASE("openssl s_client refuses each bad certificate kind with its verify error",
          "[integration][real-clients][openssl][tls]") {
  if (!have("openssl")) {
    return;
  }
  const BadKind bad = GENERATE(from_range(bad_kinds()));
  const auto ca = smtp::CertificateAuthority::generate("test run CA");
  TempDir temp;
  const std::string ca_file = temp.write("ca.pem", ca.certificate_pem()).string();
  Sandbox sandbox(verified_config(ca, bad.kind, smtp::TlsMode::starttls));
  ChildResult result = s_client(sandbox.port(), ca_file, {"-verify_ip", "127.0.0.1"});
  INFO(smtp::to_string(bad.kind) << ":\n" << result.describe());
  CHECK(result.exit_code != 0);
  CHECK(contains(result.output(), "verify error:num=" + std::to_string(bad.verify_code) + ":" + bad.message));
}

TEST_CASE("python smtplib with a verifying context: the trusted leaf delivers, each bad kind is refused",
          "[integration][real-clients][python][tls]") {
  if (!have("/usr/bin/python3")) {
    return;
  }
  const auto ca = smtp::CertificateAuthority::generate("test run CA");
  TempDir temp;
  const std::string ca_file = temp.write("ca.pem", ca.certificate_pem()).string();
  const std::string script = temp.write("client.py", k_verifying_client).string();
  const smtp::TlsMode mode = GENERATE(smtp::TlsMode::starttls, smtp::TlsMode::implicit);
  const std::string mode_name(smtp::to_string(mode));

  SECTION("trusted") {
    Sandbox sandbox(verified_config(ca, CertificateKind::trusted, mode));
    ChildResult result = run_child(
        ChildSpec{{"/usr/bin/python3", script, std::to_string(sandbox.port()), mode_name, ca_file}, "", {}, 60s});
    INFO(mode_name << ":\n" << result.describe());
    REQUIRE(result.exit_code == 0);
    CHECK(contains(result.out, "delivered"));
    auto sessions = sandbox.wait_for_sessions(1);
    REQUIRE(sessions.size() == 1);
    CHECK(sessions[0].tls);
    REQUIRE(sessions[0].transactions.size() == 1);
    CHECK(sessions[0].transactions[0].delivered);
  }
  SECTION("bad kinds") {
    for (const auto& bad : bad_kinds()) {
      Sandbox sandbox(verified_config(ca, bad.kind, mode));
      ChildResult result = run_child(
          ChildSpec{{"/usr/bin/python3", script, std::to_string(sandbox.port()), mode_name, ca_file}, "", {}, 60s});
      INFO(mode_name << ", " << smtp::to_string(bad.kind) << ":\n" << result.describe());
      CHECK(result.exit_code == 0);
      CHECK(contains(result.out, "verify failed " + std::to_string(bad.verify_code) + " " + bad.message));
      // Refused at the handshake: no MAIL, in TLS or in the clear.
      for (const auto& session : sandbox.finish()) {
        CHECK(session.transactions.empty());
      }
    }
  }
}

}  // namespace maildog::test
