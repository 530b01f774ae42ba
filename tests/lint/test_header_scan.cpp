#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lint/header_scan.hpp"
#include "lint/line_scan.hpp"

using maildog::lint::addresses;
using maildog::lint::line_at;
using maildog::lint::scan_headers;

TEST_CASE("the header section: fields with their lines, folds and size", "[lint]") {
  const std::string text =
      "Subject: one\r\n"
      "  two\r\n"
      "X-Empty:\r\n"
      "From: a@b.test\n"
      "\r\n"
      "Not: a header\r\n";
  const auto section = scan_headers(text);
  REQUIRE(section.fields.size() == 3);
  CHECK(section.fields[0].name == "Subject");
  CHECK(section.fields[0].value == " one\r\n  two");
  CHECK(section.fields[0].line == 1);
  CHECK(section.fields[0].size == 21);
  CHECK(section.fields[1].value.empty());
  CHECK(section.fields[2].line == 4);
  CHECK(section.fields[2].value == " a@b.test");
  CHECK(section.size == 46);  // up to the blank line
}

TEST_CASE("the header section ends at a line that is not a field", "[lint]") {
  const std::string first = GENERATE(as<std::string>{}, "no colon here", "Bad Name: x", ": no name");
  CAPTURE(first);
  const std::string text = "Date: x\r\n" + first + "\r\nFrom: a@b.test\r\n\r\n";
  const auto section = scan_headers(text);
  REQUIRE(section.fields.size() == 1);
  CHECK(section.fields[0].name == "Date");
  CHECK(section.size == 9);
}

TEST_CASE("a message that starts with its body has no fields", "[lint]") {
  CHECK(scan_headers("\r\nFrom: a@b.test\r\n").fields.empty());
  CHECK(scan_headers("").fields.empty());
  CHECK(scan_headers(" folded without a field\r\n").fields.empty());
}

TEST_CASE("addresses of an address list", "[lint]") {
  struct Case {
    std::string value;
    std::vector<std::string> addresses;
  };
  const auto [value, expected] = GENERATE(values<Case>({
      {"a@b.test", {"a@b.test"}},
      {" App <a@b.test>", {"a@b.test"}},
      {"a@b.test (App, Inc.)", {"a@b.test"}},
      {"\"Doe, J\" <j@b.test>, k@c.test", {"j@b.test", "k@c.test"}},
      {"team: a@b.test, c@d.test;, e@f.test", {"a@b.test", "c@d.test", "e@f.test"}},
      {"undisclosed-recipients:;", {}},
      {"<@relay.test:a@b.test>", {"a@b.test"}},
      {" a@b.test,\r\n c@d.test", {"a@b.test", "c@d.test"}},
      {"\"a b\"@c.test", {"\"a b\"@c.test"}},
      {"a@b.test (unclosed", {"a@b.test"}},
      {"\"unclosed", {"\"unclosed"}},
      {"(nested (comment)) <a@b.test>", {"a@b.test"}},
      {"", {}},
  }));
  CAPTURE(value);
  CHECK(addresses(value) == expected);
}

TEST_CASE("line_at counts lines as the DATA decoder does, at every LF", "[lint]") {
  const std::string text = "one\r\ntwo\nthree";
  CHECK(line_at(text, 1) == "one\r\n");
  CHECK(line_at(text, 2) == "two\n");
  CHECK(line_at(text, 3) == "three");
  CHECK(line_at(text, 4).empty());
  CHECK(line_at(text, 0).empty());
}
