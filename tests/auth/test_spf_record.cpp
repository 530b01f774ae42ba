#include <catch2/catch.hpp>

#include <string>

#include "auth/spf/record.hpp"

using maildog::auth::spf::check_domain_spec;
using maildog::auth::spf::IpAddress;
using maildog::auth::spf::is_spf_record;
using maildog::auth::spf::is_toplabel;
using maildog::auth::spf::Mechanism;
using maildog::auth::spf::MechanismKind;
using maildog::auth::spf::parse_record;
using maildog::auth::spf::Qualifier;
using maildog::auth::spf::Record;
using maildog::auth::spf::RecordError;

namespace {

Record parsed(const std::string& text) {
  auto result = parse_record(text);
  if (const auto* error = std::get_if<RecordError>(&result)) {
    FAIL_CHECK("unexpected RecordError for \"" << text << "\": " << error->message);
    return {};
  }
  return std::get<Record>(result);
}

// The only mechanism of "v=spf1 <term>".
Mechanism single(const std::string& term) {
  const Record record = parsed("v=spf1 " + term);
  REQUIRE(record.mechanisms.size() == 1);
  return record.mechanisms.front();
}

}  // namespace

TEST_CASE("records are recognised by their version section", "[spf][record]") {
  CHECK(is_spf_record("v=spf1"));
  CHECK(is_spf_record("v=spf1 -all"));
  CHECK(is_spf_record("V=SpF1 ~all"));  // RFC 7208 4.5: any case
  CHECK_FALSE(is_spf_record("v=spf10"));
  CHECK_FALSE(is_spf_record("v=spf1mx"));
  CHECK_FALSE(is_spf_record(" v=spf1"));
  CHECK_FALSE(is_spf_record("spf2.0/pra -all"));
}

TEST_CASE("every mechanism with qualifiers, targets and CIDR lengths", "[spf][record]") {
  const Record record = parsed(
      "v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24 a//64 mx:%{d}/28//96 ptr ptr:example.org "
      "ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.dnsbl.example.com MX A:Example.COM");
  REQUIRE(record.mechanisms.size() == 13);
  const auto& m = record.mechanisms;
  CHECK(m[0].kind == MechanismKind::all);
  CHECK(m[0].qualifier == Qualifier::pass);
  CHECK(m[1].kind == MechanismKind::include);
  CHECK(m[1].qualifier == Qualifier::fail);
  CHECK(m[1].domain_spec == "_spf.example.com");
  CHECK(m[2].kind == MechanismKind::a);
  CHECK(m[2].qualifier == Qualifier::softfail);
  CHECK(m[2].domain_spec.empty());
  CHECK(m[3].qualifier == Qualifier::neutral);
  CHECK(m[3].domain_spec == "mail.example.com");
  CHECK(m[3].ip4_prefix == 24);
  CHECK(m[3].ip6_prefix == 128);
  CHECK(m[4].ip4_prefix == 32);
  CHECK(m[4].ip6_prefix == 64);
  CHECK(m[5].kind == MechanismKind::mx);
  CHECK(m[5].domain_spec == "%{d}");
  CHECK(m[5].ip4_prefix == 28);
  CHECK(m[5].ip6_prefix == 96);
  CHECK(m[6].kind == MechanismKind::ptr);
  CHECK(m[7].domain_spec == "example.org");
  CHECK(m[8].kind == MechanismKind::ip4);
  CHECK(m[8].network == *IpAddress::parse("192.0.2.0"));
  CHECK(m[8].ip4_prefix == 24);
  CHECK(m[9].kind == MechanismKind::ip6);
  CHECK(m[9].ip6_prefix == 32);
  CHECK(m[10].kind == MechanismKind::exists);
  CHECK(m[11].kind == MechanismKind::mx);  // names are case-insensitive
  CHECK(m[12].domain_spec == "Example.COM");
  CHECK(m[12].text == "A:Example.COM");
  CHECK(m[1].queries_dns());
  CHECK_FALSE(m[8].queries_dns());
}

TEST_CASE("a domain-spec may hold ':' and '/' (RFC 7208 7.1)", "[spf][record]") {
  const Mechanism colon = single("a:foo:bar/baz.example.com");
  CHECK(colon.domain_spec == "foo:bar/baz.example.com");
  CHECK(colon.ip4_prefix == 32);
  const Mechanism with_cidr = single("a:foo.example.com/24");
  CHECK(with_cidr.domain_spec == "foo.example.com");
  CHECK(with_cidr.ip4_prefix == 24);
}

TEST_CASE("modifiers: redirect, exp and unknown ones", "[spf][record]") {
  const Record record = parsed("v=spf1 mx redirect=_spf.example.com exp=explain.%{d} moo.cow-far_out=man:dog/cat");
  CHECK(record.mechanisms.size() == 1);
  REQUIRE(record.redirect);
  CHECK(*record.redirect == "_spf.example.com");
  REQUIRE(record.explanation);
  CHECK(*record.explanation == "explain.%{d}");
  REQUIRE(record.unknown_modifiers.size() == 1);
  CHECK(record.unknown_modifiers[0].name == "moo.cow-far_out");
  CHECK(record.unknown_modifiers[0].value == "man:dog/cat");
  CHECK(parsed("v=spf1 default=pass").unknown_modifiers.size() == 1);
  CHECK(parsed("v=spf1 REDIRECT=example.com").redirect == "example.com");
}

TEST_CASE("spaces: several between terms, trailing, or a bare version", "[spf][record]") {
  CHECK(parsed("v=spf1 a  -all").mechanisms.size() == 2);
  CHECK(parsed("v=spf1 a -all ").mechanisms.size() == 2);
  CHECK(parsed("v=spf1").mechanisms.empty());
}

TEST_CASE("syntax errors anywhere make the record a permerror", "[spf][record]") {
  auto text = GENERATE(as<std::string>{},
                       "v=spf1 ip4:1.2.3.4 -all moo",  // unknown mechanism
                       "v=spf1 -all.", "v=spf1 -all:foobar", "v=spf1 -all/8",
                       "v=spf1 redirect:t2.example.com",      // redirect is a modifier
                       "v=spf1 moo.cow/far_out=man:dog/cat",  // not a modifier name
                       "v=spf1 1up=foo", "v=spf1 =all",
                       "v=spf1 a:foo-bar -all",  // no top label
                       "v=spf1 a:example.com:8080", "v=spf1 a:111.222.33.44", "v=spf1 a:abc.123", "v=spf1 a:museum",
                       "v=spf1 a:museum.", "v=spf1 a:example.-com", "v=spf1 a:", "v=spf1 a/33", "v=spf1 a//129",
                       "v=spf1 a/24/64", "v=spf1 mx:", "v=spf1 mx//129", "v=spf1 ptr/0",
                       "v=spf1 ptr:", "v=spf1 include", "v=spf1 include:", "v=spf1 include:ip5.example.com/24",
                       "v=spf1 exists", "v=spf1 exists:", "v=spf1 exists:mail.example.com/24", "v=spf1 ip4",
                       "v=spf1 ip4:1.2.3", "v=spf1 ip4:1.2.3.4:8080", "v=spf1 ip4:1.2.3.4/33", "v=spf1 ip4:1.2.3.4/032",
                       "v=spf1 ip4:1.2.3.4//32", "v=spf1 ip4:2001:db8::1", "v=spf1 ip6", "v=spf1 ip6::CAFE::BABE",
                       "v=spf1 ip6:::1/129", "v=spf1 ip6:::1//33", "v=spf1 ip6:192.0.2.1", "v=spf1 exp= -all",
                       "v=spf1 exp=-all", "v=spf1 ?all redirect=", "v=spf1 exp=a.example.com exp=b.example.com",
                       "v=spf1 redirect=a.example.com redirect=a.example.com",
                       "v=spf1 -all foo=%abc",  // unknown modifier, bad macro
                       "v=spf1 exists:%(ir).sbl.example.com",
                       "v=spf1 -all exp=%{r}.example.com",     // r only in explanation text
                       "v=spf1 a:ctrl.example.com\rptr -all",  // control character
                       std::string("v=spf1 a:foo.example.com\0", 25),
                       "v=spf1 \x80"
                       "a:example.net -all",  // not US-ASCII
                       "v=spf10", "not a record");
  CAPTURE(text);
  CHECK(std::holds_alternative<RecordError>(parse_record(text)));
}

TEST_CASE("domain-spec endings", "[spf][record]") {
  CHECK_FALSE(check_domain_spec("example.com"));
  CHECK_FALSE(check_domain_spec("example.com."));
  CHECK_FALSE(check_domain_spec("foo.example.xn--zckzah"));
  CHECK_FALSE(check_domain_spec("%{d}"));
  CHECK_FALSE(check_domain_spec("%{ir}.%{v}._spf.%{d2}"));
  CHECK_FALSE(check_domain_spec("macro%%percent%_%_space%-url-space.example.com"));
  CHECK(check_domain_spec(""));
  CHECK(check_domain_spec("%{d}com"));
  CHECK(check_domain_spec("example.com:8080"));
}

TEST_CASE("top labels", "[spf][record]") {
  CHECK(is_toplabel("com"));
  CHECK(is_toplabel("xn--zckzah"));
  CHECK(is_toplabel("c0m"));
  CHECK(is_toplabel("123-456"));
  CHECK_FALSE(is_toplabel("123"));
  CHECK_FALSE(is_toplabel("-com"));
  CHECK_FALSE(is_toplabel("com-"));
  CHECK_FALSE(is_toplabel("co_m"));
  CHECK_FALSE(is_toplabel(""));
}

TEST_CASE("IP addresses, mapping and networks", "[spf][record]") {
  const auto v4 = IpAddress::parse("192.0.2.130");
  REQUIRE(v4);
  CHECK_FALSE(v4->v6);
  CHECK(v4->to_string() == "192.0.2.130");
  CHECK(v4->in_network(*IpAddress::parse("192.0.2.128"), 25));
  CHECK_FALSE(v4->in_network(*IpAddress::parse("192.0.2.0"), 25));
  CHECK(v4->in_network(*IpAddress::parse("1.1.1.1"), 0));
  CHECK_FALSE(v4->in_network(*IpAddress::parse("::"), 0));  // families never mix

  const auto mapped = IpAddress::parse("::FFFF:1.2.3.4");
  REQUIRE(mapped);
  CHECK(mapped->is_v4_mapped());
  CHECK(mapped->unmapped() == *IpAddress::parse("1.2.3.4"));

  const auto v6 = IpAddress::parse("CAFE:BABE:8000::");
  REQUIRE(v6);
  CHECK(v6->to_string() == "cafe:babe:8000::");
  CHECK(v6->in_network(*IpAddress::parse("cafe:babe:8000::"), 33));
  CHECK_FALSE(v6->in_network(*IpAddress::parse("cafe:babe::"), 33));
  CHECK_FALSE(v6->is_v4_mapped());

  for (const char* bad : {"1.2.3", "1.2.3.4.5", "01.2.3.4", "", "::1::2", "example.com"}) {
    CAPTURE(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
}
