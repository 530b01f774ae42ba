// The scanning helpers explain and bounce share (src/explain/text_lines.cpp): CRLF lines, the
// case-insensitive search from an offset, and header fields as DSN parts write them.
#include <catch2/catch.hpp>

#include "explain/text_lines.hpp"

using namespace maildog::explain::text;

TEST_CASE("text_lines splits at LF, drops a CR before it and keeps empty lines", "[explain]") {
  const Lines lines = split_lines("a\r\n\r\nb\nc");
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "a");
  CHECK(lines[1].empty());
  CHECK(lines[2] == "b");
  CHECK(lines[3] == "c");
  CHECK(split_lines("").empty());
}

TEST_CASE("text_lines finds a needle ignoring ASCII case, from an offset", "[explain]") {
  CHECK(find_ci("in reply to RCPT TO command", "rcpt to") == 12);
  CHECK(find_ci("rcpt RCPT", "rcpt", 1) == 5);
  CHECK(find_ci("short", "longer needle") == std::string_view::npos);
  CHECK(find_ci("text", "") == std::string_view::npos);
  CHECK(contains_ci("X-Postfix-Sender", "postfix"));
  CHECK_FALSE(contains_ci("Exim", "postfix"));
}

TEST_CASE("text_lines reads a header field's value, trimmed, by a case-insensitive name", "[explain]") {
  std::string_view value;
  REQUIRE(header_value("  final-recipient:  rfc822; a@b.example \t", "Final-Recipient", value));
  CHECK(value == "rfc822; a@b.example");
  CHECK_FALSE(header_value("Final-Recipients: x", "Final-Recipient", value));
  CHECK_FALSE(header_value("Status", "Status", value));
  CHECK(trim(" \tx y\t ") == "x y");
}
