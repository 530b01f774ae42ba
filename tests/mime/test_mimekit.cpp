// The real Gmail messages of MimeKit's test data (conformance/mimekit, see its SOURCES.md):
// trees, sizes and texts checked by reading the files (and the sizes with Python's email
// package), and every file of the folder parses without crashing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "mime/mime.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"

using maildog::mime::parse;
using maildog::mime::Parsed;
using maildog::mime::Part;
using maildog::mime::text_body;

namespace {

namespace fs = std::filesystem;

std::optional<fs::path> mimekit_dir() {
  auto dir = maildog::test::conformance_dir();
  if (!dir) {
    maildog::test::skip_test("no conformance data (MAILDOG_CONFORMANCE_DIR): the MimeKit messages");
    return std::nullopt;
  }
  return *dir / "mimekit";
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string subject(const Parsed& parsed) {
  for (const auto& header : parsed.headers) {
    if (header.name == "Subject") {
      return header.value;
    }
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("MimeKit gmail.msg: multipart/alternative with UTF-8 plain and html", "[mime][conformance]") {
  auto dir = mimekit_dir();
  if (!dir) {
    return;
  }
  const std::string message = read(*dir / "gmail.msg");
  const Parsed parsed = parse(message);
  CHECK(subject(parsed) == "Testing verification of Google DKIM-Signature headers");
  CHECK(parsed.root.content_type == "multipart/alternative");
  REQUIRE(parsed.root.children.size() == 2);
  CHECK(parsed.root.children[0].path == "1");
  CHECK(parsed.root.children[0].content_type == "text/plain");
  CHECK(parsed.root.children[0].charset == "utf-8");
  CHECK(parsed.root.children[1].path == "2");
  CHECK(parsed.root.children[1].content_type == "text/html");
  CHECK(parsed.problems.empty());
  CHECK(text_body(message, "plain") == "This is the message body.\n\nJeff\n");
  CHECK(text_body(message, "html") ==
        "<div dir=\"ltr\">This is the message body.<div><br></div><div>Jeff</div><div><br></div></div>\n");
}

TEST_CASE("MimeKit related.msg: related > alternative + inline JPEG", "[mime][conformance]") {
  auto dir = mimekit_dir();
  if (!dir) {
    return;
  }
  const Parsed parsed = parse(read(*dir / "related.msg"));
  CHECK(parsed.root.content_type == "multipart/related");
  REQUIRE(parsed.root.children.size() == 2);
  const Part& alternative = parsed.root.children[0];
  CHECK(alternative.content_type == "multipart/alternative");
  REQUIRE(alternative.children.size() == 2);
  CHECK(alternative.children[0].path == "1.1");
  CHECK(alternative.children[0].size == 52);
  CHECK(alternative.children[1].path == "1.2");
  CHECK(alternative.children[1].transfer_encoding == "quoted-printable");
  CHECK(alternative.children[1].size == 238);
  const Part& image = parsed.root.children[1];
  CHECK(image.content_type == "image/jpeg");
  CHECK(image.disposition == "inline");
  CHECK(image.filename == "Christopher-Lloyd-as-Doc-Brown.jpg");
  CHECK(image.transfer_encoding == "base64");
  CHECK(image.size == 156223);
  CHECK(parsed.problems.empty());
}

TEST_CASE("MimeKit multipart-no-end-boundary.msg: parts read, the missing boundary reported", "[mime][conformance]") {
  auto dir = mimekit_dir();
  if (!dir) {
    return;
  }
  const std::string message = read(*dir / "multipart-no-end-boundary.msg");
  const Parsed parsed = parse(message);
  CHECK(parsed.root.content_type == "multipart/alternative");
  REQUIRE(parsed.root.children.size() == 2);
  CHECK(parsed.root.children[1].content_type == "text/html");
  CHECK(std::find(parsed.problems.begin(), parsed.problems.end(),
                  "message: missing end boundary \"--047d7bd761b6234d3005291030da--\"") != parsed.problems.end());
  CHECK(text_body(message, "plain") == "Multipart message without closing boundary\n");
}

TEST_CASE("MimeKit rfc8463-example.msg: a plain message without MIME fields", "[mime][conformance]") {
  auto dir = mimekit_dir();
  if (!dir) {
    return;
  }
  const std::string message = read(*dir / "rfc8463-example.msg");
  const Parsed parsed = parse(message);
  CHECK(subject(parsed) == "Is dinner ready?");
  CHECK(parsed.root.content_type == "text/plain");
  CHECK(parsed.root.children.empty());
  CHECK(parsed.problems.empty());
  CHECK(text_body(message, "plain") == "Hi.\n\nWe lost the game.  Are you hungry yet?\n\nJoe.\n");
}

TEST_CASE("every MimeKit file parses without crashing", "[mime][conformance]") {
  auto dir = mimekit_dir();
  if (!dir) {
    return;
  }
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(*dir)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    INFO(entry.path().filename().string());
    const std::string bytes = read(entry.path());
    CHECK_NOTHROW(parse(bytes));
    CHECK_NOTHROW(text_body(bytes, "plain"));
    ++files;
  }
  CHECK(files >= 5);
}
