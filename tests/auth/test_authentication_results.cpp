// The Authentication-Results value (RFC 8601): method order, properties, comments and quoting.
#include <catch2/catch.hpp>

#include "auth/authentication_results.hpp"

using namespace maildog::auth;

TEST_CASE("pvalue quoting", "[auth]") {
  CHECK(format_pvalue("example.com") == "example.com");
  CHECK(format_pvalue("rsa-sha256") == "rsa-sha256");
  CHECK(format_pvalue("user@example.com") == "user@example.com");
  CHECK(format_pvalue("@example.com") == "@example.com");
  CHECK(format_pvalue("2001:db8::1") == "\"2001:db8::1\"");
  CHECK(format_pvalue("two words") == "\"two words\"");
  CHECK(format_pvalue("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(format_pvalue("line\r\nInjected: yes") == "\"line  Injected: yes\"");
  CHECK(format_pvalue("") == "\"\"");
}

TEST_CASE("nothing checked", "[auth]") {
  AuthResults results;
  results.authserv_id = "mx.sandbox.test";
  CHECK(format_authentication_results(results) == "mx.sandbox.test; none");
}

TEST_CASE("every method, with failures and reasons", "[auth]") {
  AuthResults results;
  results.authserv_id = "mx.sandbox.test";
  results.spf = AuthResults::Spf{spf::SpfStatus::softfail, "", "helo.example.net"};

  dkim::VerifyResult failed;
  failed.status = dkim::Status::fail;
  failed.domain = "example.net";
  failed.selector = "s1";
  failed.algorithm = "ed25519-sha256";
  failed.reason = "body hash did not verify";
  results.dkim = std::vector<dkim::VerifyResult>{failed};

  dmarc::DmarcResult dmarc_result;
  dmarc_result.status = dmarc::Status::fail;
  dmarc_result.record = dmarc::Record{};
  dmarc_result.requested_policy = dmarc::Policy::reject;
  dmarc_result.policy = dmarc::Policy::quarantine;
  results.dmarc = AuthResults::Dmarc{dmarc_result, "example.net"};

  PtrResult ptr;
  ptr.status = IprevStatus::none;
  results.iprev = AuthResults::Iprev{ptr, *spf::IpAddress::parse("2001:db8::5")};

  CHECK(format_authentication_results(results) ==
        "mx.sandbox.test; spf=softfail smtp.helo=helo.example.net; "
        "dkim=fail reason=\"body hash did not verify\" header.d=example.net header.s=s1 header.a=ed25519-sha256; "
        "dmarc=fail (p=reject dis=quarantine) header.from=example.net; "
        "iprev=permerror policy.iprev=\"2001:db8::5\" (no PTR record)");
}

TEST_CASE("no signatures is dkim=none; a DMARC error carries its reason", "[auth]") {
  AuthResults results;
  results.authserv_id = "mx.sandbox.test";
  results.dkim = std::vector<dkim::VerifyResult>{};
  dmarc::DmarcResult dmarc_result;
  dmarc_result.status = dmarc::Status::temperror;
  dmarc_result.reason = "DNS servfail for _dmarc.example.com";
  results.dmarc = AuthResults::Dmarc{dmarc_result, "example.com"};
  CHECK(format_authentication_results(results) ==
        "mx.sandbox.test; dkim=none; dmarc=temperror reason=\"DNS servfail for _dmarc.example.com\" "
        "header.from=example.com");
}
