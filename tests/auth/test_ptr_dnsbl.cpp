// Forward-confirmed reverse DNS and DNSBL queries against a fixture resolver.
#include <catch2/catch.hpp>

#include "auth/dnsbl.hpp"
#include "auth/ptr.hpp"
#include "dns/fixture_resolver.hpp"

using namespace maildog::auth;
using maildog::dns::FixtureResolver;

namespace {

spf::IpAddress ip(const char* text) { return *spf::IpAddress::parse(text); }

}  // namespace

TEST_CASE("reverse lookup names", "[ptr]") {
  CHECK(reverse_lookup_name(ip("203.0.113.5")) == "5.113.0.203.in-addr.arpa");
  CHECK(reverse_lookup_name(ip("::ffff:203.0.113.5")) == "5.113.0.203.in-addr.arpa");
  CHECK(reverse_lookup_name(ip("2001:db8::1")) ==
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST_CASE("iprev pass, fail, none and temperror", "[ptr]") {
  FixtureResolver resolver({
      {"5.113.0.203.in-addr.arpa", {{"PTR", {"other.example.net", "Mail.Example.com."}}}},
      {"mail.example.com", {{"A", {"203.0.113.5"}}}},
      {"other.example.net", {{"A", {"198.51.100.1"}}}},
      {"6.113.0.203.in-addr.arpa", {{"PTR", {"liar.example.org"}}}},
      {"liar.example.org", {{"A", {"198.51.100.2"}}}},
      {"7.113.0.203.in-addr.arpa", {{"SERVFAIL", {"true"}}}},
      {"8.113.0.203.in-addr.arpa", {{"PTR", {"broken.example.org"}}}},
      {"broken.example.org", {{"TIMEOUT", {"true"}}}},
      {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", {{"PTR", {"v6.example.com"}}}},
      {"v6.example.com", {{"AAAA", {"2001:db8::1"}}}},
  });

  SECTION("pass: the second PTR name resolves back") {
    const auto result = check_ptr(ip("203.0.113.5"), resolver);
    CHECK(result.status == IprevStatus::pass);
    CHECK(result.hostname == "mail.example.com");
  }
  SECTION("pass over IPv6") {
    const auto result = check_ptr(ip("2001:db8::1"), resolver);
    CHECK(result.status == IprevStatus::pass);
    CHECK(result.hostname == "v6.example.com");
  }
  SECTION("fail: the PTR name points elsewhere") {
    const auto result = check_ptr(ip("203.0.113.6"), resolver);
    CHECK(result.status == IprevStatus::fail);
    CHECK(result.hostname == "liar.example.org");
  }
  SECTION("none: no PTR record") {
    const auto result = check_ptr(ip("203.0.113.9"), resolver);
    CHECK(result.status == IprevStatus::none);
    CHECK(result.hostname.empty());
  }
  SECTION("temperror on a failed PTR or forward lookup") {
    CHECK(check_ptr(ip("203.0.113.7"), resolver).status == IprevStatus::temperror);
    CHECK(check_ptr(ip("203.0.113.8"), resolver).status == IprevStatus::temperror);
  }
}

TEST_CASE("iprev looks at no more than 10 PTR names", "[ptr]") {
  std::vector<std::string> names;
  for (int i = 0; i < 11; ++i) {
    names.push_back("h" + std::to_string(i) + ".example.com");
  }
  FixtureResolver resolver({
      {"5.113.0.203.in-addr.arpa", {{"PTR", names}}},
      {"h10.example.com", {{"A", {"203.0.113.5"}}}},
  });
  CHECK(check_ptr(ip("203.0.113.5"), resolver).status == IprevStatus::fail);
}

TEST_CASE("DNSBL listed, not listed and failing zones", "[dnsbl]") {
  FixtureResolver resolver({
      {"5.113.0.203.bl.example", {{"A", {"127.0.0.2"}}, {"TXT", {"listed: see https://bl.example/203.0.113.5"}}}},
      {"5.113.0.203.notxt.example", {{"A", {"127.0.0.4"}}}},
      {"5.113.0.203.odd.example", {{"A", {"192.0.2.1"}}}},
      {"5.113.0.203.broken.example", {{"SERVFAIL", {"true"}}}},
  });
  const auto results = check_dnsbl(
      ip("203.0.113.5"), {"bl.example", "clean.example", "notxt.example", "odd.example", "Broken.Example."}, resolver);
  REQUIRE(results.size() == 5);

  CHECK(results[0].zone == "bl.example");
  CHECK(results[0].listed);
  CHECK(results[0].answer == "127.0.0.2");
  CHECK(results[0].reason == "listed: see https://bl.example/203.0.113.5");

  CHECK_FALSE(results[1].listed);
  CHECK(results[1].answer.empty());
  CHECK_FALSE(results[1].temperror);

  CHECK(results[2].listed);
  CHECK(results[2].reason == "listed in notxt.example");

  CHECK_FALSE(results[3].listed);
  CHECK(results[3].answer == "192.0.2.1");

  CHECK(results[4].zone == "broken.example");
  CHECK_FALSE(results[4].listed);
  CHECK(results[4].temperror);
}

TEST_CASE("DNSBL queries IPv6 in nibble form", "[dnsbl]") {
  FixtureResolver resolver({
      {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example", {{"A", {"127.0.0.2"}}}},
  });
  const auto results = check_dnsbl(ip("2001:db8::1"), {"bl.example"}, resolver);
  REQUIRE(results.size() == 1);
  CHECK(results[0].listed);
}
