// RFC 6376 3.4 canonicalisation, checked against the examples of 3.4.5 byte for byte.
#include <catch2/catch.hpp>

#include "auth/dkim/canonicalize.hpp"

#include <string>

using maildog::auth::dkim::body_hash;
using maildog::auth::dkim::Canonicalization;
using maildog::auth::dkim::canonicalize_body;
using maildog::auth::dkim::canonicalize_header;
using maildog::auth::dkim::encode_base64;
using maildog::auth::dkim::normalize_line_endings;
using maildog::auth::dkim::sha256;
using maildog::auth::dkim::signed_header_data;
using maildog::auth::dkim::split_message;

namespace {

// RFC 6376 3.4.5 Example 1 input, with the <SP>/<HTAB>/<CRLF> descriptors written out.
const std::string example_message =
    "A: X\r\n"
    "B : Y\t\r\n"
    "\tZ  \r\n"
    "\r\n"
    " C \r\n"
    "D \t E\r\n"
    "\r\n"
    "\r\n";

std::string canonical_headers(Canonicalization canon) {
  std::string out;
  for (const auto& field : split_message(example_message).headers) {
    out += canonicalize_header(canon, field.raw);
  }
  return out;
}

}  // namespace

TEST_CASE("RFC 6376 3.4.5 example 1: relaxed header and relaxed body", "[dkim][canonicalize]") {
  CHECK(canonical_headers(Canonicalization::relaxed) == "a:X\r\nb:Y Z\r\n");
  CHECK(canonicalize_body(Canonicalization::relaxed, split_message(example_message).body) == " C\r\nD E\r\n");
}

TEST_CASE("RFC 6376 3.4.5 example 2: simple header and simple body", "[dkim][canonicalize]") {
  CHECK(canonical_headers(Canonicalization::simple) == "A: X\r\nB : Y\t\r\n\tZ  \r\n");
  CHECK(canonicalize_body(Canonicalization::simple, split_message(example_message).body) == " C \r\nD \t E\r\n");
}

TEST_CASE("RFC 6376 3.4.5 example 3: relaxed header and simple body", "[dkim][canonicalize]") {
  CHECK(canonical_headers(Canonicalization::relaxed) == "a:X\r\nb:Y Z\r\n");
  CHECK(canonicalize_body(Canonicalization::simple, split_message(example_message).body) == " C \r\nD \t E\r\n");
}

TEST_CASE("body canonicalisation edge cases", "[dkim][canonicalize]") {
  SECTION("an empty body is one CRLF in simple and nothing in relaxed (3.4.3, 3.4.4)") {
    CHECK(canonicalize_body(Canonicalization::simple, "") == "\r\n");
    CHECK(canonicalize_body(Canonicalization::relaxed, "") == "");
    CHECK(canonicalize_body(Canonicalization::simple, "\r\n\r\n") == "\r\n");
    CHECK(canonicalize_body(Canonicalization::relaxed, "  \r\n\t\r\n") == "");
  }
  SECTION("a missing final CRLF is added") {
    CHECK(canonicalize_body(Canonicalization::simple, "abc") == "abc\r\n");
    CHECK(canonicalize_body(Canonicalization::relaxed, "a  b ") == "a b\r\n");
  }
  SECTION("empty lines inside the body are kept") {
    CHECK(canonicalize_body(Canonicalization::relaxed, "a\r\n\r\n \r\nb\r\n\r\n") == "a\r\n\r\n\r\nb\r\n");
    CHECK(canonicalize_body(Canonicalization::simple, "a\r\n\r\nb\r\n\r\n") == "a\r\n\r\nb\r\n");
  }
  SECTION("an empty body hashes as SHA-256 of CRLF (simple) and of nothing (relaxed)") {
    CHECK(encode_base64(body_hash(Canonicalization::simple, "")->digest) ==
          "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    CHECK(encode_base64(body_hash(Canonicalization::relaxed, "")->digest) ==
          "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  }
}

TEST_CASE("body hash with l= hashes a prefix and refuses a length past the end", "[dkim][canonicalize]") {
  const auto whole = body_hash(Canonicalization::simple, "Hello\r\nWorld\r\n");
  REQUIRE(whole);
  CHECK(whole->canonical_length == 14);
  const auto prefix = body_hash(Canonicalization::simple, "Hello\r\nWorld\r\n", 7);
  REQUIRE(prefix);
  CHECK(prefix->digest == sha256("Hello\r\n"));
  CHECK(body_hash(Canonicalization::simple, "Hello\r\nWorld\r\n", 14)->digest == whole->digest);
  CHECK_FALSE(body_hash(Canonicalization::simple, "Hello\r\nWorld\r\n", 15));
}

TEST_CASE("relaxed header canonicalisation details", "[dkim][canonicalize]") {
  CHECK(canonicalize_header(Canonicalization::relaxed, "SUBJECT:\t hello \r\n  world\t\r\n") ==
        "subject:hello world\r\n");
  CHECK(canonicalize_header(Canonicalization::relaxed, "X-Empty:   ") == "x-empty:\r\n");
  CHECK(canonicalize_header(Canonicalization::simple, "X-A: b") == "X-A: b\r\n");
}

TEST_CASE("messages split into fields and body", "[dkim][canonicalize]") {
  SECTION("continuation lines stay with their field; an mbox From_ line is skipped") {
    const std::string message = "From sender Mon Jan  1\r\nA: 1\r\n 2\r\nB:3\r\n\r\nbody\r\n";
    const auto parts = split_message(message);
    REQUIRE(parts.headers.size() == 2);
    CHECK(parts.headers[0].name == "A");
    CHECK(parts.headers[0].raw == "A: 1\r\n 2\r\n");
    CHECK(parts.headers[1].raw == "B:3\r\n");
    CHECK(parts.body == "body\r\n");
  }
  SECTION("no empty line: all header") {
    const auto parts = split_message("A: 1\r\nB: 2\r\n");
    CHECK(parts.headers.size() == 2);
    CHECK(parts.body.empty());
  }
  SECTION("bare LF becomes CRLF; existing CRLF stays") {
    CHECK(normalize_line_endings("a\nb\r\nc\n") == "a\r\nb\r\nc\r\n");
  }
}

TEST_CASE("header selection is bottom-up and over-signed names add nothing", "[dkim][canonicalize]") {
  const std::string message = "X: first\r\nY: only\r\nX: second\r\n\r\n";
  const auto parts = split_message(message);
  // RFC 6376 5.4.2: "x:x" signs the last then the first instance; the third "x" has none left.
  CHECK(signed_header_data(parts.headers, {"x", "x", "x", "y"}, Canonicalization::relaxed, "Sig: b=") ==
        "x:second\r\nx:first\r\ny:only\r\nsig:b=");
  CHECK(signed_header_data(parts.headers, {"z", "Y"}, Canonicalization::simple, "Sig: b=") == "Y: only\r\nSig: b=");
}
