#include <catch2/catch.hpp>

#include <string>

#include "auth/spf/macro.hpp"

using maildog::auth::spf::check_macro_string;
using maildog::auth::spf::ends_with_macro_expand;
using maildog::auth::spf::expand_macro_string;
using maildog::auth::spf::IpAddress;
using maildog::auth::spf::MacroError;
using maildog::auth::spf::MacroUse;
using maildog::auth::spf::MacroValues;

namespace {

// RFC 7208 7.4: sender strong-bad@email.example.com, client 192.0.2.3 (or 2001:db8::cb01),
// PTR name mx.example.org.
MacroValues rfc_values(const char* ip = "192.0.2.3") {
  MacroValues values;
  values.sender = "strong-bad@email.example.com";
  values.domain = "email.example.com";
  values.ip = *IpAddress::parse(ip);
  values.helo = "mx.example.org";
  values.receiver = "mx.receiver.example";
  values.timestamp = 1700000000;
  values.validated_domain = [] { return std::string("mx.example.org"); };
  return values;
}

std::string expanded(const std::string& text, const MacroValues& values, MacroUse use = MacroUse::domain) {
  auto result = expand_macro_string(text, values, use);
  if (const auto* error = std::get_if<MacroError>(&result)) {
    FAIL_CHECK("unexpected MacroError for \"" << text << "\": " << error->message);
    return {};
  }
  return std::get<std::string>(result);
}

}  // namespace

TEST_CASE("RFC 7208 7.4 macro examples", "[spf][macro]") {
  auto [macro, expansion] = GENERATE(table<std::string, std::string>({
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
  }));
  CAPTURE(macro);
  CHECK(expanded(macro, rfc_values()) == expansion);
}

TEST_CASE("RFC 7208 7.4 IPv6 example: i is dot-separated nibbles", "[spf][macro]") {
  CHECK(expanded("%{ir}.%{v}._spf.%{d2}", rfc_values("2001:db8::cb01")) ==
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  CHECK(expanded("%{i}", rfc_values("2001:db8::cb01")) ==
        "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
}

TEST_CASE("escapes, upper-case letters and the remaining letters", "[spf][macro]") {
  const MacroValues values = rfc_values();
  CHECK(expanded("a%%b%_c%-d", values) == "a%b c%20d");  // RFC 7208 7.1
  // Upper-case letters URL-escape everything outside the unreserved set (RFC 7208 7.3).
  CHECK(expanded("%{S}", values) == "strong-bad%40email.example.com");
  CHECK(expanded("%{L}", values) == "strong-bad");
  CHECK(expanded("%{h}", values) == "mx.example.org");
  CHECK(expanded("%{p}", values) == "mx.example.org");
  CHECK(expanded("%{v}", rfc_values("2001:db8::cb01")) == "ip6");
  CHECK(expanded("%{d999}", values) == "email.example.com");  // more parts than there are: all
  CHECK(expanded("%{l+-}", [] {
          MacroValues other = rfc_values();
          other.sender = "foo-bar+zip@example.com";
          return other;
        }()) == "foo.bar.zip");
}

TEST_CASE("c, r and t expand in explanations only", "[spf][macro]") {
  const MacroValues values = rfc_values("2001:db8::cb01");
  CHECK(expanded("%{c} via %{r} at %{t}", values, MacroUse::explanation) ==
        "2001:db8::cb01 via mx.receiver.example at 1700000000");
  CHECK(expanded("%{c}", rfc_values(), MacroUse::explanation) == "192.0.2.3");
  for (const char* text : {"%{c}", "%{r}.example.com", "%{t}"}) {
    CAPTURE(text);
    CHECK(check_macro_string(text, MacroUse::domain).has_value());
    CHECK_FALSE(check_macro_string(text, MacroUse::explanation).has_value());
  }
}

TEST_CASE("%{p} asks for the validated name only when used", "[spf][macro]") {
  MacroValues values = rfc_values();
  int calls = 0;
  values.validated_domain = [&calls] {
    ++calls;
    return std::string("mx.example.org");
  };
  CHECK(expanded("%{d}", values) == "email.example.com");
  CHECK(calls == 0);
  CHECK(expanded("%{p}.%{p}", values) == "mx.example.org.mx.example.org");
  CHECK(calls == 1);
}

TEST_CASE("malformed macro-strings are errors", "[spf][macro]") {
  auto text = GENERATE(as<std::string>{}, "%", "%x", "%(ir)", "foo%.bar", "%{", "%{}", "%{z}", "%{d0}", "%{d1x}", "%{i",
                       "%{ir.", "a b", "caf\xC3\xA9");
  CAPTURE(text);
  CHECK(check_macro_string(text, MacroUse::domain).has_value());
  CHECK(std::holds_alternative<MacroError>(expand_macro_string(text, rfc_values(), MacroUse::domain)));
}

TEST_CASE("explanation text may hold spaces", "[spf][macro]") {
  CHECK(expanded("Mail from %{i} refused", rfc_values(), MacroUse::explanation) == "Mail from 192.0.2.3 refused");
}

TEST_CASE("an expanded domain over 253 octets loses labels on the left", "[spf][macro]") {
  MacroValues values = rfc_values();
  values.sender = "user@" + std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." +
                  std::string(60, 'd') + ".example";
  const std::string result = expanded("%{o}.check.example", values);
  CHECK(result.size() <= 253);
  CHECK(result ==
        std::string(60, 'b') + "." + std::string(60, 'c') + "." + std::string(60, 'd') + ".example.check.example");
  // Explanations are text, not names: never truncated.
  CHECK(expanded("%{o}.check.example", values, MacroUse::explanation).size() > 253);
}

TEST_CASE("ends_with_macro_expand", "[spf][macro]") {
  CHECK(ends_with_macro_expand("%{d}"));
  CHECK(ends_with_macro_expand("foo.%{d2}"));
  CHECK(ends_with_macro_expand("foo.%%"));
  CHECK_FALSE(ends_with_macro_expand("%{d}.com"));
  CHECK_FALSE(ends_with_macro_expand("example.com"));
}

TEST_CASE("local part and domain of a sender", "[spf][macro]") {
  using maildog::auth::spf::sender_domain;
  using maildog::auth::spf::sender_local_part;
  CHECK(sender_local_part("strong-bad@email.example.com") == "strong-bad");
  CHECK(sender_domain("strong-bad@email.example.com") == "email.example.com");
  CHECK(sender_local_part("@example.net") == "postmaster");  // RFC 7208 4.3
  CHECK(sender_local_part("Macro Error@e8.example.com") == "Macro Error");
  CHECK(sender_local_part("example.net") == "postmaster");
  CHECK(sender_domain("example.net") == "example.net");
}
