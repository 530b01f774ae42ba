// DKIM-Signature tag lists (RFC 6376 3.2) and signature fields (3.5): good and bad input.
#include <catch2/catch.hpp>

#include "auth/dkim/signature.hpp"

#include <string>

using maildog::auth::dkim::Algorithm;
using maildog::auth::dkim::Canonicalization;
using maildog::auth::dkim::decode_base64;
using maildog::auth::dkim::encode_base64;
using maildog::auth::dkim::parse_signature;
using maildog::auth::dkim::parse_tag_list;
using maildog::auth::dkim::Signature;
using maildog::auth::dkim::SignatureError;
using maildog::auth::dkim::Tag;
using maildog::auth::dkim::TagListError;

namespace {

const std::string minimal = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=From:To; bh=YWJj; b=ZGVm";

Signature parsed(const std::string& field) {
  const auto result = parse_signature(field);
  if (const auto* failure = std::get_if<SignatureError>(&result)) {
    FAIL("unexpected SignatureError: " << failure->message);
  }
  return std::get<Signature>(result);
}

std::string error_of(const std::string& field) {
  const auto result = parse_signature(field);
  const auto* failure = std::get_if<SignatureError>(&result);
  return failure != nullptr ? failure->message : "(accepted)";
}

// `minimal` with one tag's value replaced, or a tag added at the end.
std::string with_tag(const std::string& name, const std::string& value) {
  std::string field = minimal;
  const std::size_t at = field.find(" " + name + "=");
  if (at == std::string::npos) {
    return field + "; " + name + "=" + value;
  }
  const std::size_t start = at + name.size() + 2;
  const std::size_t end = field.find(';', start);
  return field.replace(start, (end == std::string::npos ? field.size() : end) - start, value);
}

std::string without_tag(const std::string& name) {
  std::string field = minimal;
  const std::size_t at = field.find(" " + name + "=");
  const std::size_t end = field.find(';', at);
  return field.erase(at, (end == std::string::npos ? field.size() : end + 1) - at);
}

}  // namespace

TEST_CASE("tag lists: names, trimmed values and offsets", "[dkim][tags]") {
  const std::string text = " a = 1 ;b=\r\n two  words\t; c=;";
  const auto result = parse_tag_list(text);
  REQUIRE(std::holds_alternative<std::vector<Tag>>(result));
  const auto& tags = std::get<std::vector<Tag>>(result);
  REQUIRE(tags.size() == 3);
  CHECK(tags[0].name == "a");
  CHECK(tags[0].value == "1");
  CHECK(text.substr(tags[0].value_begin, tags[0].value_end - tags[0].value_begin) == "1");
  CHECK(tags[1].value == "two  words");
  CHECK(text.substr(tags[1].value_begin, tags[1].value_end - tags[1].value_begin) == "two  words");
  CHECK(tags[2].name == "c");
  CHECK(tags[2].value.empty());
}

TEST_CASE("tag lists: malformed input is an error", "[dkim][tags]") {
  const auto [text, message] = GENERATE(table<std::string, std::string>({
      {"a=1; a=2", "duplicate tag \"a\""},
      {"a=1; b", "tag \"b\" has no '='"},
      {"1a=1", "invalid tag name \"1a\""},
      {"a b=1", "invalid tag name \"a b\""},
      {"a=x\x01y", "tag \"a\" has a character not allowed in a value"},
  }));
  CAPTURE(text);
  const auto result = parse_tag_list(text);
  REQUIRE(std::holds_alternative<TagListError>(result));
  CHECK(std::get<TagListError>(result).message == message);
}

TEST_CASE("base64 allows whitespace and rejects garbage", "[dkim][tags]") {
  CHECK(decode_base64("aGVs\r\n bG8=") == std::optional<std::string>("hello"));
  CHECK(decode_base64("aGVsbG8") == std::optional<std::string>("hello"));
  CHECK(decode_base64("") == std::optional<std::string>(""));
  CHECK_FALSE(decode_base64("aGVs*bG8="));
  CHECK_FALSE(decode_base64("aGVsb"));
  CHECK_FALSE(decode_base64("aG=Vs"));
  CHECK(encode_base64("hello") == "aGVsbG8=");
  CHECK(encode_base64("hell") == "aGVsbA==");
  CHECK(encode_base64("hel") == "aGVs");
}

TEST_CASE("a valid signature keeps every value", "[dkim][signature]") {
  const std::string field =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed; d=Example.com;\r\n"
      " i=user@mail.example.com; q=dns/txt; s=2024._x; t=100; x=200; l=42; z=From:a|To:b;\r\n"
      " h=from : to : From; bh=YWJj; b=ZG\r\n Vm; unknown=ignored\r\n";
  const Signature sig = parsed(field);
  CHECK(sig.algorithm == Algorithm::ed25519_sha256);
  CHECK(sig.header_canonicalization == Canonicalization::relaxed);
  CHECK(sig.body_canonicalization == Canonicalization::simple);
  CHECK(sig.domain == "Example.com");
  CHECK(sig.identity == "user@mail.example.com");
  CHECK(sig.selector == "2024._x");
  CHECK(sig.timestamp == 100);
  CHECK(sig.expiration == 200);
  CHECK(sig.body_length == 42u);
  CHECK(sig.copied_headers == "From:a|To:b");
  CHECK(sig.signed_headers == std::vector<std::string>{"from", "to", "From"});
  CHECK(sig.body_hash == "abc");
  CHECK(sig.signature == "def");
  CHECK(sig.raw_header == field.substr(0, field.size() - 2));
  CHECK(sig.raw_header.substr(sig.b_value_begin, sig.b_value_end - sig.b_value_begin) == "ZG\r\n Vm");
}

TEST_CASE("signature defaults: c=simple/simple and i=@d", "[dkim][signature]") {
  const Signature sig = parsed(minimal);
  CHECK(sig.algorithm == Algorithm::rsa_sha256);
  CHECK(sig.header_canonicalization == Canonicalization::simple);
  CHECK(sig.body_canonicalization == Canonicalization::simple);
  CHECK(sig.identity == "@example.com");
  CHECK_FALSE(sig.body_length);
  CHECK_FALSE(sig.timestamp);
  CHECK(parsed(with_tag("a", "rsa-sha1")).algorithm == Algorithm::rsa_sha1);
  CHECK(parsed(with_tag("i", "@sub.EXAMPLE.com")).identity == "@sub.EXAMPLE.com");
  CHECK(parsed(with_tag("q", "dns/txt:other")).domain == "example.com");
}

TEST_CASE("invalid signatures are refused with a reason", "[dkim][signature]") {
  CHECK(error_of(without_tag("v")) == "missing required tag v=");
  CHECK(error_of(without_tag("bh")) == "missing required tag bh=");
  CHECK(error_of(without_tag("d")) == "missing required tag d=");
  CHECK(error_of(without_tag("h")) == "missing required tag h=");
  CHECK(error_of(without_tag("s")) == "missing required tag s=");
  CHECK(error_of(with_tag("v", "2")) == "incompatible version v=2");
  CHECK(error_of(with_tag("a", "rsa-md5")) == "unsupported algorithm a=rsa-md5");
  CHECK(error_of(with_tag("c", "relaxed/fancy")) == "unsupported canonicalization c=relaxed/fancy");
  CHECK(error_of(with_tag("h", "To:Subject")) == "h= does not include From");
  CHECK(error_of(with_tag("h", "From::To")) == "invalid header field name in h=");
  CHECK(error_of(with_tag("i", "user@example.org")) == "i= domain is not within d=");
  CHECK(error_of(with_tag("i", "user@notexample.com")) == "i= domain is not within d=");
  CHECK(error_of(with_tag("i", "no-at-sign")) == "invalid identity i=no-at-sign");
  CHECK(error_of(with_tag("d", "legitimate.com(.attacker.com")) == "invalid domain d=legitimate.com(.attacker.com");
  CHECK(error_of(with_tag("s", "a..b")) == "invalid selector s=a..b");
  CHECK(error_of(with_tag("q", "http/well-known")) == "no supported query method in q=http/well-known");
  CHECK(error_of(with_tag("l", "12a")) == "invalid body length l=12a");
  CHECK(error_of(with_tag("t", "1234567890123")) == "invalid timestamp t=1234567890123");
  CHECK(error_of(with_tag("b", "!!")) == "b= is not valid base64");
  CHECK(error_of(with_tag("bh", "")) == "bh= is not valid base64");
  CHECK(error_of(minimal + "; t=200; x=100") == "x= is earlier than t=");
  CHECK(error_of(minimal + "; d=other.com") == "duplicate tag \"d\"");
  CHECK(error_of("Received: v=1") == "not a DKIM-Signature header field");
}
