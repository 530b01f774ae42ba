#include <catch2/catch.hpp>

#include <string>

#include "mime/mime.hpp"
#include "mime/nesting_cut.hpp"

using maildog::mime::k_open_boundaries_max;
using maildog::mime::nesting_cut;

namespace {

// `depth` multiparts, each the only part of the one around it, around one text leaf.
std::string nested_message(std::size_t depth) {
  std::string text = "From: a@x.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n";
  for (std::size_t i = 0; i < depth; ++i) {
    text += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" + std::to_string(i) +
            "\r\n";
  }
  text += "Content-Type: text/plain\r\n\r\nleaf\r\n";
  for (std::size_t i = depth; i-- > 0;) {
    text += "--b" + std::to_string(i) + "--\r\n";
  }
  return text;
}

std::size_t depth_of(const maildog::mime::Part& part) {
  std::size_t deepest = 0;
  for (const auto& child : part.children) {
    deepest = std::max(deepest, depth_of(child) + 1);
  }
  return deepest;
}

}  // namespace

TEST_CASE("nesting_cut leaves mail within the limit whole") {
  CHECK(nesting_cut(nested_message(3)) == std::string::npos);
  CHECK(nesting_cut(nested_message(k_open_boundaries_max)) == std::string::npos);
  // Many sibling parts, and many multiparts one after another, open one boundary at a time.
  std::string flat = "Content-Type: multipart/mixed; boundary=top\r\n\r\n";
  for (int i = 0; i < 500; ++i) {
    flat += "--top\r\nContent-Type: multipart/alternative; boundary=in" + std::to_string(i) + "\r\n\r\n--in" +
            std::to_string(i) + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--in" + std::to_string(i) + "--\r\n";
  }
  flat += "--top--\r\n";
  CHECK(nesting_cut(flat) == std::string::npos);
  // Body text that mentions a boundary parameter is not a declaration.
  CHECK(nesting_cut("Subject: x\r\n\r\n" + std::string(200, 'x') + "\r\nboundary=a\r\nboundary=b\r\n", 1) ==
        std::string::npos);
}

TEST_CASE("nesting_cut cuts at the declaration past the limit") {
  const std::string message = nested_message(k_open_boundaries_max + 10);
  const std::size_t cut = nesting_cut(message);
  REQUIRE(cut != std::string::npos);
  CHECK(message.substr(cut).starts_with("Content-Type: multipart/mixed; boundary=\"b" +
                                        std::to_string(k_open_boundaries_max) + "\""));
  // Encapsulated messages count their multiparts too.
  std::string encapsulated =
      "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
      "Content-Type: message/rfc822\r\n\r\n"
      "Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\nx\r\n--i--\r\n--o--\r\n";
  CHECK(nesting_cut(encapsulated, 1) == encapsulated.find("Content-Type: multipart/mixed; boundary=i"));
}

TEST_CASE("parse of 100000 nested multiparts gives a bounded tree and a problem") {
  const maildog::mime::Parsed parsed = maildog::mime::parse(nested_message(100000));
  CHECK(depth_of(parsed.root) <= k_open_boundaries_max + 1);
  CHECK(depth_of(parsed.root) >= 10);
  bool noted = false;
  for (const auto& problem : parsed.problems) {
    noted = noted || problem.find("nest deeper than") != std::string::npos;
  }
  CHECK(noted);
}
