// check_message end to end over a fixture zone: a message signed for example.test passes SPF,
// DKIM and DMARC; a forged From domain fails DMARC with p=reject. Also the From domain parser
// and the DNS-backed DKIM key lookup.
#include <catch2/catch.hpp>

#include "auth/check_message.hpp"
#include "auth/dkim/sign.hpp"
#include "dns/fixture_resolver.hpp"

using namespace maildog::auth;
using maildog::dns::FixtureResolver;

namespace {

const dkim::KeyPair& key() {
  static const dkim::KeyPair pair = dkim::generate_keypair(dkim::Algorithm::rsa_sha256, 1024);
  return pair;
}

FixtureResolver::Records zone() {
  return {
      {"example.test", {{"TXT", {"v=spf1 ip4:203.0.113.5 -all"}}}},
      {"sel._domainkey.example.test", {{"TXT", {key().dns_txt}}}},
      {"_dmarc.example.test", {{"TXT", {"v=DMARC1; p=reject"}}}},
      {"_dmarc.bank.test", {{"TXT", {"v=DMARC1; p=reject"}}}},
      {"5.113.0.203.in-addr.arpa", {{"PTR", {"mail.example.test"}}}},
      {"mail.example.test", {{"A", {"203.0.113.5"}}}},
      {"5.113.0.203.bl.test", {{"A", {"127.0.0.2"}}, {"TXT", {"listed for testing"}}}},
  };
}

std::string signed_message(const std::string& from) {
  const std::string message = "From: " + from +
                              "\r\n"
                              "To: someone@receiver.test\r\n"
                              "Subject: hello\r\n"
                              "Message-ID: <1@example.test>\r\n"
                              "\r\n"
                              "Hello.\r\n";
  dkim::SignOptions options;
  options.domain = "example.test";
  options.selector = "sel";
  options.private_key = key().private_key_pem;
  return dkim::sign(message, options) + message;
}

CheckInput input() {
  CheckInput check;
  check.client_ip = *spf::IpAddress::parse("203.0.113.5");
  check.helo = "mail.example.test";
  check.mail_from = "<bounces@example.test>";
  check.dnsbl_zones = {"bl.test"};
  return check;
}

CheckOptions options() {
  CheckOptions check;
  check.now = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};
  check.dmarc.percent_draw = 0;
  return check;
}

}  // namespace

TEST_CASE("a signed message from an authorised host passes everything", "[auth]") {
  FixtureResolver resolver(zone());
  const auto verdict = check_message(signed_message("Alice <alice@example.test>"), input(), resolver, options());
  CHECK(verdict.spf.status == spf::SpfStatus::pass);
  REQUIRE(verdict.dkim.size() == 1);
  CHECK(verdict.dkim[0].status == dkim::Status::pass);
  CHECK(verdict.dmarc.status == dmarc::Status::pass);
  CHECK_FALSE(verdict.dmarc_failed());
  REQUIRE(verdict.ptr);
  CHECK(verdict.ptr->status == IprevStatus::pass);
  REQUIRE(verdict.dnsbl.size() == 1);
  CHECK(verdict.dnsbl[0].listed);
  CHECK(verdict.authentication_results ==
        "mx.sandbox.test; spf=pass smtp.mailfrom=example.test; "
        "dkim=pass header.d=example.test header.s=sel header.a=rsa-sha256; "
        "dmarc=pass (p=reject) header.from=example.test; "
        "iprev=pass policy.iprev=203.0.113.5 (mail.example.test)");
}

TEST_CASE("a forged From domain fails DMARC with p=reject", "[auth]") {
  FixtureResolver resolver(zone());
  const auto verdict = check_message(signed_message("\"Bank\" <ceo@bank.test>"), input(), resolver, options());
  CHECK(verdict.spf.status == spf::SpfStatus::pass);
  CHECK(verdict.dkim.at(0).status == dkim::Status::pass);
  CHECK(verdict.from.domain == "bank.test");
  CHECK(verdict.dmarc.status == dmarc::Status::fail);
  CHECK(verdict.dmarc.policy == dmarc::Policy::reject);
  CHECK(verdict.dmarc_failed());
  CHECK(verdict.authentication_results ==
        "mx.sandbox.test; spf=pass smtp.mailfrom=example.test; "
        "dkim=pass header.d=example.test header.s=sel header.a=rsa-sha256; "
        "dmarc=fail (p=reject dis=reject) header.from=bank.test; "
        "iprev=pass policy.iprev=203.0.113.5 (mail.example.test)");
}

TEST_CASE("the null reverse-path checks SPF for the HELO name", "[auth]") {
  FixtureResolver resolver({{"mail.example.test", {{"TXT", {"v=spf1 ip4:203.0.113.5 -all"}}}}});
  CheckInput check = input();
  check.mail_from = "<>";
  check.check_ptr = false;
  check.dnsbl_zones.clear();
  const auto verdict = check_message("From: a@example.test\r\n\r\nbody\r\n", check, resolver, options());
  CHECK(verdict.spf_used_helo);
  CHECK(verdict.spf.status == spf::SpfStatus::pass);
  CHECK(verdict.authentication_results ==
        "mx.sandbox.test; spf=pass smtp.helo=mail.example.test; dkim=none; dmarc=none header.from=example.test");
}

TEST_CASE("the From domain", "[auth]") {
  const auto domain_of = [](const std::string& from_value) {
    return from_header_domain("From: " + from_value + "\r\nSubject: x\r\n\r\nbody\r\n");
  };
  CHECK(domain_of("alice@Example.COM").domain == "example.com");
  CHECK(domain_of("Alice <alice@example.com>").domain == "example.com");
  CHECK(domain_of("\"Smith, Alice <x@evil.test>\" <alice@example.com>").domain == "example.com");
  CHECK(domain_of("alice@example.com (Alice @ evil.test)").domain == "example.com");
  CHECK(domain_of("\"a@b\"@example.com").domain == "example.com");
  CHECK(domain_of("Alice\r\n <alice@example.com>").domain == "example.com");

  CHECK_FALSE(domain_of("a@example.com, b@example.net").error.empty());
  CHECK_FALSE(domain_of("Alice <alice@example.com>, Bob <bob@example.net>").error.empty());
  CHECK_FALSE(domain_of("undisclosed").error.empty());
  CHECK_FALSE(domain_of("a@[192.0.2.1]").error.empty());
  CHECK_FALSE(domain_of("\"unterminated <a@example.com>").error.empty());
  CHECK_FALSE(from_header_domain("From: a@example.com\r\nFrom: b@example.com\r\n\r\n").error.empty());
  CHECK_FALSE(from_header_domain("Subject: none\r\n\r\n").error.empty());
}

TEST_CASE("the DNS-backed DKIM key lookup", "[auth]") {
  FixtureResolver resolver({
      {"s._domainkey.ok.test", {{"TXT", {"v=DKIM1; p=abc"}}}},
      {"s._domainkey.fail.test", {{"SERVFAIL", {"true"}}}},
      {"s._domainkey.nodata.test", {{"A", {"192.0.2.1"}}}},
  });
  const auto lookup = dkim_key_lookup(resolver);
  const auto found = lookup("s._domainkey.ok.test");
  CHECK(found.status == dkim::KeyLookupResult::found);
  CHECK(found.txt == std::vector<std::string>{"v=DKIM1; p=abc"});
  CHECK(lookup("s._domainkey.fail.test").status == dkim::KeyLookupResult::temp_error);
  CHECK(lookup("s._domainkey.nodata.test").status == dkim::KeyLookupResult::not_found);
  CHECK(lookup("s._domainkey.missing.test").status == dkim::KeyLookupResult::not_found);
}
