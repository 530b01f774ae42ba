// DMARC evaluation over handmade SPF and DKIM results: discovery, alignment, sp=, pct= and
// DNS failures (RFC 7489 3, 6.6).
#include <catch2/catch.hpp>

#include "auth/dmarc/evaluate.hpp"
#include "dns/fixture_resolver.hpp"

using namespace maildog::auth;
using namespace maildog::auth::dmarc;
using maildog::dns::FixtureResolver;

namespace {

dkim::VerifyResult dkim_pass(std::string domain) {
  dkim::VerifyResult result;
  result.status = dkim::Status::pass;
  result.domain = std::move(domain);
  result.selector = "sel";
  result.algorithm = "rsa-sha256";
  return result;
}

SpfOutcome spf_pass(std::string domain) { return SpfOutcome{spf::SpfStatus::pass, std::move(domain)}; }

const SpfOutcome no_spf{spf::SpfStatus::none, ""};

DmarcOptions draw(unsigned value) {
  DmarcOptions options;
  options.percent_draw = value;
  return options;
}

}  // namespace

TEST_CASE("organisational domains and alignment", "[dmarc]") {
  CHECK(organizational_domain("a.b.Example.COM.") == "example.com");
  CHECK(organizational_domain("mail.example.co.uk") == "example.co.uk");
  CHECK(organizational_domain("a.b.example.test") == "example.test");
  CHECK(organizational_domain("com") == "com");

  CHECK(aligned("mail.example.com", "example.com", Alignment::relaxed));
  CHECK(aligned("example.com", "news.example.com", Alignment::relaxed));
  CHECK_FALSE(aligned("example.net", "example.com", Alignment::relaxed));
  CHECK_FALSE(aligned("mail.example.com", "example.com", Alignment::strict));
  CHECK(aligned("Example.com.", "example.com", Alignment::strict));
}

TEST_CASE("SPF and DKIM alignment, relaxed and strict", "[dmarc]") {
  FixtureResolver resolver({
      {"_dmarc.relaxed.example", {{"TXT", {"v=DMARC1; p=reject"}}}},
      {"_dmarc.strict.example", {{"TXT", {"v=DMARC1; p=reject; adkim=s; aspf=s"}}}},
  });

  SECTION("relaxed: a subdomain's SPF pass aligns") {
    const auto result = evaluate("relaxed.example", spf_pass("bounces.relaxed.example"), {}, resolver, draw(0));
    CHECK(result.status == Status::pass);
    CHECK(result.spf_aligned);
    CHECK_FALSE(result.dkim_aligned);
    CHECK(result.policy == Policy::none);
    CHECK(result.requested_policy == Policy::reject);
    CHECK(result.record_domain == "relaxed.example");
  }
  SECTION("relaxed: a subdomain's DKIM pass aligns") {
    const auto result = evaluate("relaxed.example", no_spf, {dkim_pass("mail.relaxed.example")}, resolver, draw(0));
    CHECK(result.status == Status::pass);
    CHECK(result.dkim_aligned);
    CHECK_FALSE(result.spf_aligned);
  }
  SECTION("strict: subdomains do not align") {
    const auto result = evaluate("strict.example", spf_pass("bounces.strict.example"),
                                 {dkim_pass("mail.strict.example")}, resolver, draw(0));
    CHECK(result.status == Status::fail);
    CHECK(result.policy == Policy::reject);
    CHECK_FALSE(result.spf_aligned);
    CHECK_FALSE(result.dkim_aligned);
  }
  SECTION("strict: exact domains align") {
    const auto result =
        evaluate("strict.example", spf_pass("strict.example"), {dkim_pass("STRICT.example")}, resolver, draw(0));
    CHECK(result.status == Status::pass);
    CHECK(result.spf_aligned);
    CHECK(result.dkim_aligned);
  }
  SECTION("a failed SPF or DKIM result never aligns") {
    auto failed = dkim_pass("relaxed.example");
    failed.status = dkim::Status::fail;
    const auto result = evaluate("relaxed.example", SpfOutcome{spf::SpfStatus::softfail, "relaxed.example"}, {failed},
                                 resolver, draw(0));
    CHECK(result.status == Status::fail);
  }
  SECTION("another organisation's pass does not align") {
    const auto result =
        evaluate("relaxed.example", spf_pass("attacker.example"), {dkim_pass("attacker.example")}, resolver, draw(0));
    CHECK(result.status == Status::fail);
    CHECK(result.policy == Policy::reject);
  }
}

TEST_CASE("record discovery falls back to the organisational domain", "[dmarc]") {
  FixtureResolver resolver({
      {"_dmarc.example.com", {{"TXT", {"v=spf1 -all", "v=DMARC1; p=reject; sp=quarantine"}}}},
      {"_dmarc.own.example.com", {{"TXT", {"v=DMARC1; p=none"}}}},
      {"_dmarc.nosp.example", {{"TXT", {"v=DMARC1; p=quarantine"}}}},
  });

  SECTION("a.b.example.com uses _dmarc.example.com and its sp=") {
    const auto result = evaluate("a.b.example.com", no_spf, {}, resolver, draw(0));
    CHECK(result.status == Status::fail);
    CHECK(result.record_domain == "example.com");
    CHECK(result.requested_policy == Policy::quarantine);
    CHECK(result.policy == Policy::quarantine);
  }
  SECTION("the organisational domain itself gets p=") {
    const auto result = evaluate("example.com", no_spf, {}, resolver, draw(0));
    CHECK(result.record_domain == "example.com");
    CHECK(result.policy == Policy::reject);
  }
  SECTION("a subdomain's own record wins") {
    const auto result = evaluate("own.example.com", no_spf, {}, resolver, draw(0));
    CHECK(result.record_domain == "own.example.com");
    CHECK(result.status == Status::fail);
    CHECK(result.policy == Policy::none);
  }
  SECTION("without sp= subdomains get p=") {
    const auto result = evaluate("x.nosp.example", no_spf, {}, resolver, draw(0));
    CHECK(result.record_domain == "nosp.example");
    CHECK(result.policy == Policy::quarantine);
  }
}

TEST_CASE("pct= with the injected draw", "[dmarc]") {
  FixtureResolver resolver({
      {"_dmarc.zero.example", {{"TXT", {"v=DMARC1; p=reject; pct=0"}}}},
      {"_dmarc.half.example", {{"TXT", {"v=DMARC1; p=quarantine; pct=50"}}}},
  });
  SECTION("pct=0: reject is lowered to quarantine (RFC 7489 6.6.4)") {
    const auto result = evaluate("zero.example", no_spf, {}, resolver, draw(0));
    CHECK(result.status == Status::fail);
    CHECK(result.requested_policy == Policy::reject);
    CHECK(result.policy == Policy::quarantine);
  }
  SECTION("pct=50: draws below 50 are subject to the policy") {
    CHECK(evaluate("half.example", no_spf, {}, resolver, draw(49)).policy == Policy::quarantine);
    CHECK(evaluate("half.example", no_spf, {}, resolver, draw(50)).policy == Policy::none);
  }
}

TEST_CASE("none, temperror and permerror", "[dmarc]") {
  FixtureResolver resolver({
      {"_dmarc.servfail.example", {{"SERVFAIL", {"true"}}}},
      {"_dmarc.example.org", {{"TIMEOUT", {"true"}}}},
      {"_dmarc.twice.example", {{"TXT", {"v=DMARC1; p=reject", "v=DMARC1; p=none"}}}},
      {"_dmarc.broken.example", {{"TXT", {"v=DMARC1; p=reject; pct=200"}}}},
      {"_dmarc.rua.example", {{"TXT", {"v=DMARC1; p=bogus; rua=mailto:r@rua.example"}}}},
  });
  SECTION("no record anywhere") {
    const auto result = evaluate("mail.norecord.example", spf_pass("norecord.example"), {}, resolver, draw(0));
    CHECK(result.status == Status::none);
    CHECK(result.policy == Policy::none);
    CHECK_FALSE(result.record);
  }
  SECTION("SERVFAIL at the From domain") {
    CHECK(evaluate("servfail.example", no_spf, {}, resolver, draw(0)).status == Status::temperror);
  }
  SECTION("a timeout at the organisational domain") {
    CHECK(evaluate("sub.example.org", no_spf, {}, resolver, draw(0)).status == Status::temperror);
  }
  SECTION("several records: no DMARC processing") {
    CHECK(evaluate("twice.example", no_spf, {}, resolver, draw(0)).status == Status::none);
  }
  SECTION("a broken record") {
    const auto result = evaluate("broken.example", no_spf, {}, resolver, draw(0));
    CHECK(result.status == Status::permerror);
    CHECK(result.policy == Policy::none);
  }
  SECTION("invalid p= with rua=: evaluated as p=none") {
    const auto result = evaluate("rua.example", no_spf, {}, resolver, draw(0));
    CHECK(result.status == Status::fail);
    CHECK(result.policy == Policy::none);
  }
  SECTION("no usable From domain") { CHECK(evaluate("", no_spf, {}, resolver, draw(0)).status == Status::permerror); }
}
