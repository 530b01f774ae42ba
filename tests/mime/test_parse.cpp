#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mime/mime.hpp"

using maildog::mime::Header;
using maildog::mime::parse;
using maildog::mime::Parsed;
using maildog::mime::Part;
using maildog::mime::part_content;
using maildog::mime::text_body;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(MAILDOG_MIME_FIXTURES) / name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// One line per part, indented by depth: "path content_type charset encoding disposition
// filename size", with "-" for empty fields, so a whole tree compares as one value.
void outline(const Part& part, std::size_t depth, std::vector<std::string>& out) {
  auto field = [](const std::string& value) { return value.empty() ? std::string("-") : value; };
  out.push_back(std::string(depth * 2, ' ') + "[" + part.path + "] " + part.content_type + " " + field(part.charset) +
                " " + field(part.transfer_encoding) + " " + field(part.disposition) + " " + field(part.filename) + " " +
                std::to_string(part.size));
  for (const auto& child : part.children) {
    outline(child, depth + 1, out);
  }
}

std::vector<std::string> outline(const Parsed& parsed) {
  std::vector<std::string> out;
  outline(parsed.root, 0, out);
  return out;
}

std::string header(const Parsed& parsed, const std::string& name) {
  for (const auto& field : parsed.headers) {
    if (field.name == name) {
      return field.value;
    }
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("related > mixed > alternative: tree, paths, decoded headers and contents", "[mime]") {
  const std::string message = fixture("nested.eml");
  const Parsed parsed = parse(message);

  CHECK(outline(parsed) == std::vector<std::string>{
                               "[] multipart/related - - - - 0",
                               "  [1] multipart/mixed - - - - 0",
                               "    [1.1] multipart/alternative - - - - 0",
                               "      [1.1.1] text/plain utf-8 quoted-printable - - 77",
                               "      [1.1.2] text/html utf-8 7bit - - 33",
                               "    [1.2] application/pdf - base64 attachment Rechnung März.pdf 30",
                               "  [2] image/png - base64 inline - 40",
                           });
  CHECK(parsed.problems.empty());

  SECTION("headers in order, unfolded, RFC 2047 words in UTF-8 and Q decoded") {
    REQUIRE(parsed.headers.size() == 8);
    CHECK(parsed.headers.front().name == "From");
    CHECK(parsed.headers.back().name == "Content-Type");
    CHECK(header(parsed, "Subject") == "Rechnung für Jürgen € 42");
    CHECK(header(parsed, "X-Folded") == "first second");
    CHECK(header(parsed, "Content-Type") == "multipart/related; boundary=\"rel\"");
  }
  SECTION("quoted-printable soft line breaks are joined, the charset converted") {
    CHECK(part_content(message, "1.1.1") ==
          "Grüße, this line is long enough that it was wrapped with a soft line break.");
    CHECK(text_body(message, "plain") == part_content(message, "1.1.1"));
    CHECK(text_body(message, "html") == "<p>Hello <img src=\"cid:logo\"></p>");
  }
  SECTION("base64 bodies decode to their exact bytes") {
    CHECK(part_content(message, "1.2") == "%PDF-1.4\n% fake invoice\n%%EOF\n");
    std::string png;
    for (int byte = 0; byte < 40; ++byte) {
      png += static_cast<char>(byte);
    }
    CHECK(part_content(message, "2") == png);
  }
  SECTION("multiparts and unknown paths have no content") {
    CHECK_FALSE(part_content(message, ""));
    CHECK_FALSE(part_content(message, "1.1"));
    CHECK_FALSE(part_content(message, "3"));
    CHECK_FALSE(part_content(message, "1.1.1.1"));
    CHECK_FALSE(text_body(message, "calendar"));
  }
}

TEST_CASE("message/rfc822 parts hold their message as a child, numbered the IMAP way", "[mime]") {
  const std::string message = fixture("rfc822.eml");
  const Parsed parsed = parse(message);

  CHECK(outline(parsed) == std::vector<std::string>{
                               "[] multipart/mixed - - - - 0",
                               "  [1] text/plain us-ascii - - - 30",
                               "  [2] message/rfc822 - - attachment original.eml 0",
                               "    [2] multipart/alternative - - - - 0",
                               "      [2.1] text/plain iso-8859-1 quoted-printable - - 31",
                               "      [2.2] text/html iso-8859-1 - - - 11",
                               "  [3] message/rfc822 - - - - 0",
                               "    [3.1] text/plain - - - - 14",
                           });
  CHECK(parsed.problems.empty());
  CHECK(header(parsed, "Subject") == "Fw: Café crème");

  SECTION("ISO-8859-1 text is converted to UTF-8") {
    CHECK(part_content(message, "2.1") == "Un café crème, s'il vous plaît.");
    CHECK(part_content(message, "2.2") == "<p>café</p>");
    CHECK(part_content(message, "3.1") == "Just one body.");
  }
  SECTION("the body is the message's own text, not an encapsulated one") {
    CHECK(text_body(message, "plain") == "See the two attached messages.");
    CHECK_FALSE(text_body(message, "html"));
  }
}

TEST_CASE("a single-part message is its own root", "[mime]") {
  const std::string message = "Subject: hi\r\n\r\nhello\r\n";
  const Parsed parsed = parse(message);
  CHECK(outline(parsed) == std::vector<std::string>{"[] text/plain - - - - 7"});
  CHECK(parsed.problems.empty());
  CHECK(part_content(message, "") == "hello\r\n");
  CHECK(text_body(message, "plain") == "hello\r\n");
}

TEST_CASE("malformed MIME is reported as problems, never thrown", "[mime]") {
  SECTION("a nested multipart without its end boundary") {
    const Parsed parsed = parse(fixture("broken_boundary.eml"));
    CHECK(outline(parsed) == std::vector<std::string>{
                                 "[] multipart/mixed - - - - 0",
                                 "  [1] multipart/alternative - - - - 0",
                                 "    [1.1] text/plain - - - - 10",
                                 "    [1.2] text/html - - - - 51",
                                 "  [2] text/plain - - - - 5",
                             });
    CHECK(parsed.problems == std::vector<std::string>{
                                 "malformed multipart: \"alternative\" (byte 132)",
                                 "part 1: missing end boundary \"--inner--\"",
                             });
  }
  SECTION("invalid base64 and quoted-printable, each with its part") {
    const std::string message = fixture("bad_encoding.eml");
    const Parsed parsed = parse(message);
    CHECK(parsed.problems == std::vector<std::string>{
                                 "part 1: invalid base64 character '!' on line 1",
                                 "part 2: invalid quoted-printable escape '=XY' on line 1",
                             });
    CHECK(part_content(message, "1") == "Hello, world");
  }
  SECTION("8-bit bytes in a header, MIME fields without MIME-Version") {
    const Parsed parsed = parse(fixture("header_8bit.eml"));
    CHECK(header(parsed, "Subject") == "Grüße aus Köln");
    CHECK(parsed.problems == std::vector<std::string>{
                                 "header contains unencoded 8-bit bytes: \"Subject\" (byte 43)",
                                 "Content-* header fields without MIME-Version (RFC 2045 4)",
                             });
  }
  SECTION("no header section at all") {
    const Parsed parsed = parse("");
    CHECK(parsed.root.content_type == "text/plain");
    CHECK(parsed.root.children.empty());
    CHECK(parsed.headers.empty());
    CHECK_FALSE(part_content("", ""));
  }
  SECTION("multipart without boundary, garbage and truncation do not crash") {
    const std::vector<std::string> inputs = {
        "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n",
        "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/mixed; boundary=x\r\n",
        std::string("\0\0\0:\xff\xfe\r\n\r\n", 10),
        "Content-Type: message/rfc822\r\n\r\n",
        "Subject: =?utf-8?B?!!!?= =?x-unknown?q?abc?=\r\n\r\n",
    };
    for (const auto& input : inputs) {
      CHECK_NOTHROW(parse(input));
      CHECK_NOTHROW(part_content(input, "1"));
      CHECK_NOTHROW(text_body(input, "plain"));
    }
    const auto problems = parse(inputs[0]).problems;
    CHECK(std::find(problems.begin(), problems.end(),
                    "message: multipart without a boundary parameter (RFC 2046 5.1.1)") != problems.end());
  }
  SECTION("a hostile Content-Type is read, never rewritten") {
    // Found by the mime_parse fuzzer: asking GMime for a missing boundary made it invent one and
    // re-encode this header's parameters, which took minutes and GiBs under ASan.
    const Parsed parsed = parse(fixture("hostile_content_type.eml"));
    CHECK(parsed.root.content_type == "multipart/mixed");
    CHECK_FALSE(parsed.problems.empty());
  }
}

TEST_CASE("deep nesting and many parts are cut with a problem", "[mime]") {
  SECTION("nesting") {
    std::string message = "MIME-Version: 1.0\r\n";
    for (int level = 0; level < 60; ++level) {
      message += "Content-Type: multipart/mixed; boundary=b" + std::to_string(level) + "\r\n\r\n--b" +
                 std::to_string(level) + "\r\n";
    }
    message += "Content-Type: text/plain\r\n\r\ndeep\r\n";
    const Parsed parsed = parse(message);
    CHECK_FALSE(parsed.problems.empty());
    std::size_t depth = 0;
    for (const Part* part = &parsed.root; !part->children.empty(); part = &part->children.front()) {
      ++depth;
    }
    CHECK(depth <= 33);
  }
  SECTION("parts") {
    std::string message = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (int i = 0; i < 1200; ++i) {
      message += "--b\r\n\r\nx\r\n";
    }
    message += "--b--\r\n";
    const Parsed parsed = parse(message);
    CHECK(parsed.root.children.size() == 999);  // the root counts as one part
    CHECK(std::find(parsed.problems.begin(), parsed.problems.end(),
                    "more than 1000 parts; the rest is not inspected") != parsed.problems.end());
  }
}
