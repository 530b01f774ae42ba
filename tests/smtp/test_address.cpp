#include <catch2/catch.hpp>

#include "smtp/address.hpp"

#include <string>
#include <tuple>

using namespace std::string_literals;
using maildog::smtp::EsmtpParameter;
using maildog::smtp::normalized_address;
using maildog::smtp::parse_esmtp_parameters;
using maildog::smtp::parse_forward_path;
using maildog::smtp::parse_reverse_path;
using maildog::smtp::PathArgument;
using maildog::smtp::SyntaxError;

namespace {

// The parsed path, or a failed check showing the error text.
PathArgument parsed(const std::variant<PathArgument, SyntaxError>& result) {
  if (const auto* failure = std::get_if<SyntaxError>(&result)) {
    FAIL_CHECK("unexpected SyntaxError: " << failure->message);
    return {};
  }
  return std::get<PathArgument>(result);
}

std::string error_of(const std::variant<PathArgument, SyntaxError>& result) {
  const auto* failure = std::get_if<SyntaxError>(&result);
  return failure != nullptr ? failure->message : "(accepted)";
}

std::string error_of(const std::variant<std::vector<EsmtpParameter>, SyntaxError>& result) {
  const auto* failure = std::get_if<SyntaxError>(&result);
  return failure != nullptr ? failure->message : "(accepted)";
}

}  // namespace

TEST_CASE("valid paths give the local part and domain as written", "[smtp][address]") {
  auto [argument, local_part, domain, utf8] = GENERATE(table<std::string, std::string, std::string, bool>({
      {"<user@example.com>", "user", "example.com", false},
      {"<User@Example.COM>", "User", "Example.COM", false},
      {"   <user@example.com>", "user", "example.com", false},
      {"\t<user@example.com>", "user", "example.com", false},
      {"<first.last+tag@sub.example.co.uk>", "first.last+tag", "sub.example.co.uk", false},
      {"<!#$%&'*+-/=?^_`{|}~@example.com>", "!#$%&'*+-/=?^_`{|}~", "example.com", false},
      {"<a@b>", "a", "b", false},
      {"<user@xn--bcher-kva.example>", "user", "xn--bcher-kva.example", false},
      {"<user@1st-host.example>", "user", "1st-host.example", false},
      // RFC 5321 4.1.2 Quoted-string: quotes kept, quoted pairs and '>' '@' ' ' inside allowed.
      {R"(<"john doe"@example.com>)", R"("john doe")", "example.com", false},
      {R"(<"a\"b\\c"@example.com>)", R"("a\"b\\c")", "example.com", false},
      {R"(<"a>b@c"@example.com>)", R"("a>b@c")", "example.com", false},
      {R"(<""@example.com>)", R"("")", "example.com", false},
      // RFC 5321 4.1.3 address literals.
      {"<user@[192.0.2.1]>", "user", "[192.0.2.1]", false},
      {"<user@[0.0.0.0]>", "user", "[0.0.0.0]", false},
      {"<user@[255.255.255.255]>", "user", "[255.255.255.255]", false},
      {"<user@[IPv6:2001:db8::1]>", "user", "[IPv6:2001:db8::1]", false},
      {"<user@[IPv6:::1]>", "user", "[IPv6:::1]", false},
      {"<user@[IPv6:::]>", "user", "[IPv6:::]", false},
      {"<user@[ipv6:1:2:3:4:5:6:7:8]>", "user", "[ipv6:1:2:3:4:5:6:7:8]", false},
      {"<user@[IPv6:1:2:3:4:5:6:192.0.2.1]>", "user", "[IPv6:1:2:3:4:5:6:192.0.2.1]", false},
      {"<user@[IPv6:::ffff:192.0.2.1]>", "user", "[IPv6:::ffff:192.0.2.1]", false},
      {"<user@[IPv6:1:2:3:4::192.0.2.1]>", "user", "[IPv6:1:2:3:4::192.0.2.1]", false},
      {"<user@[IPv6:1:2:3::4:5:6]>", "user", "[IPv6:1:2:3::4:5:6]", false},
      // RFC 5321 4.1.2 (and appendix C): a source route is accepted and dropped.
      {"<@a.example,@b.example:user@c.example>", "user", "c.example", false},
      {"<@relay.example:user@c.example>", "user", "c.example", false},
      // RFC 6531 3.3: UTF-8 in local part, domain and quoted strings.
      {"<用户@例子.广告>", "用户", "例子.广告", true},
      {"<δοκιμή@παράδειγμα.δοκιμή>", "δοκιμή", "παράδειγμα.δοκιμή", true},
      {"<user@bücher.example>", "user", "bücher.example", true},
      {R"(<"jörg smith"@example.com>)", R"("jörg smith")", "example.com", true},
      {"<😀@example.com>", "😀", "example.com", true},
  }));
  CAPTURE(argument);
  const PathArgument path = parsed(parse_reverse_path(argument));
  REQUIRE(path.mailbox.has_value());
  CHECK(path.mailbox->local_part == local_part);
  CHECK(path.mailbox->domain == domain);
  CHECK(path.mailbox->utf8 == utf8);
  CHECK(path.address() == local_part + "@" + domain);
  CHECK(path.parameters.empty());
  CHECK(path.parameters_text.empty());

  const PathArgument forward = parsed(parse_forward_path(argument));
  REQUIRE(forward.mailbox.has_value());
  CHECK(forward.address() == local_part + "@" + domain);
}

TEST_CASE("null reverse-path and postmaster", "[smtp][address]") {
  SECTION("<> is the null reverse-path (RFC 5321 4.5.5)") {
    const PathArgument path = parsed(parse_reverse_path("<>"));
    CHECK_FALSE(path.mailbox.has_value());
    CHECK(path.address().empty());
  }
  SECTION("<> may carry parameters") {
    const PathArgument path = parsed(parse_reverse_path(" <> BODY=8BITMIME"));
    CHECK_FALSE(path.mailbox.has_value());
    REQUIRE(path.parameters.size() == 1);
    CHECK(path.parameters[0].keyword == "BODY");
    CHECK(path.parameters[0].value == "8BITMIME");
  }
  SECTION("<> is no recipient") {
    CHECK(error_of(parse_forward_path("<>")) == "empty address not allowed for a recipient");
  }
  SECTION("<postmaster> without a domain, in any case, only for RCPT (RFC 5321 4.1.1.3)") {
    auto spelling = GENERATE(as<std::string>{}, "postmaster", "Postmaster", "POSTMASTER", "pOsTmAsTeR");
    const PathArgument path = parsed(parse_forward_path("<" + spelling + "> NOTIFY=NEVER"));
    REQUIRE(path.mailbox.has_value());
    CHECK(path.mailbox->local_part == spelling);
    CHECK(path.mailbox->domain.empty());
    CHECK_FALSE(path.mailbox->utf8);
    REQUIRE(path.parameters.size() == 1);
    CHECK(path.parameters[0].keyword == "NOTIFY");
    CHECK(error_of(parse_reverse_path("<" + spelling + ">")) == "bad address syntax: missing domain");
  }
  SECTION("only the bare word is special") {
    CHECK(error_of(parse_forward_path("<postmasters>")) == "bad address syntax: missing domain");
    CHECK(error_of(parse_forward_path(R"(<"postmaster">)")) == "bad address syntax: missing domain");
    CHECK(error_of(parse_forward_path("<@relay.example:postmaster>")) == "bad address syntax: missing domain");
    const PathArgument path = parsed(parse_forward_path("<Postmaster@Example.com>"));
    CHECK(path.address() == "Postmaster@Example.com");
  }
}

TEST_CASE("malformed paths are refused with a short reason", "[smtp][address]") {
  auto [argument, message] = GENERATE(table<std::string, std::string>({
      {"", "missing address"},
      {"   ", "missing address"},
      {"user@example.com", "missing '<' before address"},
      {"user@example.com>", "missing '<' before address"},
      {"\"<user@example.com>\"", "missing '<' before address"},
      {"<user@example.com", "missing '>' at end of path"},
      {"<user", "missing '>' at end of path"},
      {"<", "missing '>' at end of path"},
      {"<user@[192.0.2.1]", "missing '>' at end of path"},
      {"< user@example.com>", "bad address syntax: space in address"},
      {"<user @example.com>", "bad address syntax: space in address"},
      {"<user@ example.com>", "bad address syntax: space in address"},
      {"<user@example.com >", "bad address syntax: space in address"},
      {"<user@exa mple.com>", "bad address syntax: space in address"},
      {"<user@example.com>x", "unexpected text after '>'"},
      {"<user@example.com>>", "unexpected text after '>'"},
      {"<<user@example.com>>", "bad address syntax: bad character in local part"},
      {R"(<"abc@example.com>)", "bad address syntax: unbalanced quote"},
      {R"(<"abc\">)", "bad address syntax: unbalanced quote"},
      {R"(<"abc\)", "bad address syntax: unbalanced quote"},
      {R"(<abc"@example.com>)", "bad address syntax: misplaced quote"},
      {R"(<"""@example.com>)", "bad address syntax: misplaced quote"},
      {R"(<"a"b@example.com>)", "bad address syntax: bad character in local part"},
      {R"(<"a\é"@example.com>)", "bad address syntax: bad quoted pair"},
      {"<.user@example.com>", "bad address syntax: misplaced '.' in local part"},
      {"<user.@example.com>", "bad address syntax: misplaced '.' in local part"},
      {"<us..er@example.com>", "bad address syntax: misplaced '.' in local part"},
      {"<.@example.com>", "bad address syntax: misplaced '.' in local part"},
      {"<us(er)@example.com>", "bad address syntax: bad character in local part"},
      {"<us,er@example.com>", "bad address syntax: bad character in local part"},
      {"<user@example.com@example.org>", "bad address syntax: bad character in domain"},
      {"<@example.com>", "bad address syntax: empty local part"},
      {"<@relay.example:@example.com>", "bad address syntax: empty local part"},
      {"<user>", "bad address syntax: missing domain"},
      {"<user@>", "bad address syntax: missing domain"},
      {"<user@.example.com>", "bad address syntax: misplaced '.' in domain"},
      {"<user@example..com>", "bad address syntax: misplaced '.' in domain"},
      {"<user@example.com.>", "bad address syntax: misplaced '.' in domain"},
      {"<user@-example.com>", "bad address syntax: '-' at start or end of a domain label"},
      {"<user@example-.com>", "bad address syntax: '-' at start or end of a domain label"},
      {"<user@exa_mple.com>", "bad address syntax: bad character in domain"},
      {"<user@example.com;x>", "bad address syntax: bad character in domain"},
      {"<user@[192.0.2.256]>", "bad address syntax: bad address literal"},
      {"<user@[192.0.2]>", "bad address syntax: bad address literal"},
      {"<user@[192.0.2.1.5]>", "bad address syntax: bad address literal"},
      {"<user@[0192.0.2.1]>", "bad address syntax: bad address literal"},
      {"<user@[192.0.2.1>", "bad address syntax: bad address literal"},
      {"<user@[]>", "bad address syntax: bad address literal"},
      {"<user@[example.com]>", "bad address syntax: bad address literal"},
      {"<user@[x-tag:abc]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:1::2::3]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:1:2:3:4:5:6:7]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:1:2:3:4:5:6:7:8:9]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:1:2:3:4:5:6:7::]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:12345::1]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:g::1]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:1:2:3:4:5::192.0.2.1]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6:192.0.2.1]>", "bad address syntax: bad address literal"},
      {"<user@[IPv6::1]>", "bad address syntax: bad address literal"},
      {"<@a.example,b.example:user@c.example>", "bad address syntax: bad source route"},
      {"<@a.example;user@c.example>", "bad address syntax: bad source route"},
      {"<@,@b.example:user@c.example>", "bad address syntax: bad source route"},
      {"<@a..example:user@c.example>", "bad address syntax: misplaced '.' in domain"},
      // Control characters and NUL anywhere.
      {"<us\0er@example.com>"s, "bad address syntax: control character"},
      {"<user@exa\0mple.com>"s, "bad address syntax: control character"},
      {"<\"us\0er\"@example.com>"s, "bad address syntax: control character"},
      {"<\"us\\\0er\"@example.com>"s, "bad address syntax: control character"},
      {"<user\r\n@example.com>", "bad address syntax: control character"},
      {"<user@example.com\r\n>", "bad address syntax: control character"},
      {"<user\x7f@example.com>", "bad address syntax: control character"},
      {"<user\t@example.com>", "bad address syntax: control character"},
      {"<user@example.com>\0"s, "bad address syntax: control character"},
      {"<user@example.com> SIZE=1\0"s, "control character in parameters"},
      // RFC 6531 allows UTF-8, not arbitrary octets.
      {"<user\xff@example.com>", "bad address syntax: invalid UTF-8"},
      {"<user@ex\xc3.com>", "bad address syntax: invalid UTF-8"},
      {"<\xc0\xaf@example.com>", "bad address syntax: invalid UTF-8"},
      {"<\xed\xa0\x80@example.com>", "bad address syntax: invalid UTF-8"},
      {"<\"\xf4\x90\x80\x80\"@example.com>", "bad address syntax: invalid UTF-8"},
      {"<user@example.com\x80>", "bad address syntax: invalid UTF-8"},
      // Parameters after the path.
      {"<user@example.com> SIZE=1 size=2", "duplicate parameter SIZE"},
      {"<user@example.com> SIZE=", "missing value for parameter SIZE"},
  }));
  CAPTURE(argument);
  CHECK(error_of(parse_reverse_path(argument)) == message);
}

TEST_CASE("length limits of RFC 5321 4.5.3.1", "[smtp][address]") {
  SECTION("local part: 64 octets") {
    CHECK(error_of(parse_forward_path("<" + std::string(64, 'a') + "@example.com>")) == "(accepted)");
    CHECK(error_of(parse_forward_path("<" + std::string(65, 'a') + "@example.com>")) ==
          "local part longer than 64 octets");
    CHECK(error_of(parse_forward_path("<\"" + std::string(62, 'a') + "\"@example.com>")) == "(accepted)");
    CHECK(error_of(parse_forward_path("<\"" + std::string(63, 'a') + "\"@example.com>")) ==
          "local part longer than 64 octets");
  }
  SECTION("domain: 255 octets, labels 63") {
    std::string long_domain;
    while (long_domain.size() < 256) {
      long_domain += std::string(62, 'd') + ".";
    }
    long_domain = long_domain.substr(0, 256);
    long_domain.back() = 'x';
    CHECK(error_of(parse_forward_path("<a@" + long_domain + ">")) == "domain longer than 255 octets");
    CHECK(error_of(parse_forward_path("<a@" + std::string(63, 'l') + ".example>")) == "(accepted)");
    CHECK(error_of(parse_forward_path("<a@" + std::string(64, 'l') + ".example>")) ==
          "bad address syntax: domain label longer than 63 octets");
  }
  SECTION("path: 256 octets including the brackets") {
    const std::string local_part(64, 'a');
    const std::string domain = std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(61, 'd');
    REQUIRE(domain.size() == 189);
    const PathArgument path = parsed(parse_forward_path("<" + local_part + "@" + domain + "> SIZE=1"));
    CHECK(path.address().size() == 254);
    CHECK(error_of(parse_forward_path("<" + local_part + "@" + domain + "d>")) == "path longer than 256 octets");
    CHECK(error_of(parse_forward_path("<@relay.example:" + local_part + "@" + domain + ">")) ==
          "path longer than 256 octets");
  }
}

TEST_CASE("hostile paths are refused without trouble", "[smtp][address]") {
  SECTION("a 100 KB local part") {
    CHECK(error_of(parse_reverse_path("<" + std::string(100 * 1024, 'x') + "@example.com>")) ==
          "local part longer than 64 octets");
    CHECK(error_of(parse_reverse_path("<\"" + std::string(100 * 1024, ' ') + "\"@example.com>")) ==
          "local part longer than 64 octets");
  }
  SECTION("10,000 dots") {
    const std::string dots(10000, '.');
    CHECK(error_of(parse_reverse_path("<" + dots + "@example.com>")) ==
          "bad address syntax: misplaced '.' in local part");
    CHECK(error_of(parse_reverse_path("<user@" + dots + ">")) == "bad address syntax: misplaced '.' in domain");
    CHECK(error_of(parse_reverse_path("<user@[" + dots + "]>")) == "bad address syntax: bad address literal");
  }
  SECTION("10,000 quotes and brackets") {
    CHECK(error_of(parse_reverse_path("<" + std::string(10001, '"') + "@example.com>")) ==
          "bad address syntax: misplaced quote");
    CHECK(error_of(parse_reverse_path("<\"" + std::string(100 * 1024, 'q') + "@example.com>")) ==
          "bad address syntax: unbalanced quote");
    CHECK(error_of(parse_reverse_path(std::string(10000, '<'))) == "bad address syntax: bad character in local part");
    CHECK(error_of(parse_reverse_path("<a@b>" + std::string(10000, '>'))) == "unexpected text after '>'");
  }
  SECTION("a 100 KB source route") {
    std::string route;
    for (int i = 0; i < 10000; ++i) {
      route += "@r.example,";
    }
    route.back() = ':';
    CHECK(error_of(parse_reverse_path("<" + route + "user@example.com>")) == "path longer than 256 octets");
  }
}

TEST_CASE("ESMTP parameters after the path", "[smtp][address]") {
  SECTION("through MAIL FROM") {
    const PathArgument path = parsed(parse_reverse_path("<user@example.com>  size=1000   BODY=8BITMIME SMTPUTF8  "));
    CHECK(path.parameters_text == "size=1000   BODY=8BITMIME SMTPUTF8");
    REQUIRE(path.parameters.size() == 3);
    CHECK(path.parameters[0].keyword == "SIZE");
    CHECK(path.parameters[0].value == "1000");
    CHECK(path.parameters[1].keyword == "BODY");
    CHECK(path.parameters[1].value == "8BITMIME");
    CHECK(path.parameters[2].keyword == "SMTPUTF8");
    CHECK_FALSE(path.parameters[2].value.has_value());
  }
  SECTION("through RCPT TO, RFC 3461 NOTIFY and ORCPT") {
    const PathArgument path =
        parsed(parse_forward_path("<user@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user@example.com"));
    REQUIRE(path.parameters.size() == 2);
    CHECK(path.parameters[0].keyword == "NOTIFY");
    CHECK(path.parameters[0].value == "SUCCESS,FAILURE");
    CHECK(path.parameters[1].keyword == "ORCPT");
    CHECK(path.parameters[1].value == "rfc822;user@example.com");
  }
  SECTION("trailing spaces only") {
    const PathArgument path = parsed(parse_reverse_path("<user@example.com>   "));
    CHECK(path.parameters_text.empty());
    CHECK(path.parameters.empty());
  }
}

TEST_CASE("parse_esmtp_parameters grammar (RFC 5321 4.1.2, RFC 6531 3.3)", "[smtp][address]") {
  SECTION("accepted") {
    auto [text, utf8, keywords, values] = GENERATE(table<std::string, bool, std::string, std::string>({
        {"", false, "", ""},
        {"   ", false, "", ""},
        {"SIZE=1000", false, "SIZE", "1000"},
        {"size=1000 body=8bitmime", false, "SIZE BODY", "1000 8bitmime"},
        {"X-Custom-1=a!\"#<>?~", false, "X-CUSTOM-1", "a!\"#<>?~"},
        {"9X=1 SMTPUTF8", false, "9X SMTPUTF8", "1 -"},
        {"ORCPT=utf-8;ü@例子.广告", true, "ORCPT", "utf-8;ü@例子.广告"},
    }));
    CAPTURE(text);
    const auto result = parse_esmtp_parameters(text, utf8);
    REQUIRE(error_of(result) == "(accepted)");
    std::string got_keywords;
    std::string got_values;
    for (const auto& parameter : std::get<std::vector<EsmtpParameter>>(result)) {
      got_keywords += (got_keywords.empty() ? "" : " ") + parameter.keyword;
      got_values += (got_values.empty() ? "" : " ") + parameter.value.value_or("-");
    }
    CHECK(got_keywords == keywords);
    CHECK(got_values == values);
  }
  SECTION("refused") {
    auto [text, utf8, message] = GENERATE(table<std::string, bool, std::string>({
        {"=1", false, "bad parameter keyword"},
        {"-SIZE=1", false, "bad parameter keyword"},
        {"SI_ZE=1", false, "bad parameter keyword"},
        {"SIZÉ=1", true, "bad parameter keyword"},
        {"SIZE=", false, "missing value for parameter SIZE"},
        {"ENVID=a=b", false, "bad character in value for parameter ENVID"},
        {"ENVID=a\x7f", false, "control character in parameters"},
        {"SIZE=1\tBODY=7BIT", false, "control character in parameters"},
        {"SIZE=1\0"s, true, "control character in parameters"},
        {"ORCPT=rfc822;ü@example.com", false, "non-ASCII value for parameter ORCPT without SMTPUTF8"},
        {"ORCPT=rfc822;\xff", true, "invalid UTF-8 in value for parameter ORCPT"},
        {"SIZE=1 BODY=7BIT size=2", false, "duplicate parameter SIZE"},
        {"SMTPUTF8 smtputf8", false, "duplicate parameter SMTPUTF8"},
    }));
    CAPTURE(text);
    CHECK(error_of(parse_esmtp_parameters(text, utf8)) == message);
  }
}

TEST_CASE("normalized_address lower-cases the domain only", "[smtp][address]") {
  auto [address, normalized] = GENERATE(table<std::string, std::string>({
      {"User@Example.COM", "User@example.com"},
      {R"("Mixed@Case"@EXAMPLE.org)", R"("Mixed@Case"@example.org)"},
      {"Üser@BÜCHER.Example", "Üser@bÜcher.example"},
      {"user@[IPv6:2001:DB8::1]", "user@[ipv6:2001:db8::1]"},
      {"PostMaster", "PostMaster"},
      {"", ""},
  }));
  CHECK(normalized_address(address) == normalized);
}
