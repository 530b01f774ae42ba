// What a browser gets when it opens a message's own content: the policy (nothing remote unless
// asked), the cid: links to the message's parts, and both over HTTP on the body and part routes.
#include <catch2/catch.hpp>

#include "http/api_fixture.hpp"
#include "http/opened_content.hpp"
#include "mime/mime.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"

using namespace maildog;
using namespace maildog::test;

namespace {

// multipart/related: an HTML body with a cid: image, a second image named in CSS, and a PDF.
const char* const k_related_message =
    "From: news@example.test\r\n"
    "To: user@inbox.test\r\n"
    "Subject: With inline images\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/related; boundary=\"rel\"\r\n"
    "\r\n"
    "--rel\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<img src=\"cid:logo@example.test\"><p style=\"background:url(cid:Bg%40Example.test)\">x</p>"
    "<img src=\"cid:missing@example.test\"><img src=\"http://tracker.test/p.gif\">\r\n"
    "--rel\r\n"
    "Content-Type: image/png\r\n"
    "Content-ID: <logo@example.test>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--rel\r\n"
    "Content-Type: image/gif\r\n"
    "Content-ID: <bg@example.test>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "R0lGODlh\r\n"
    "--rel--\r\n";

}  // namespace

TEST_CASE("opened content: the policy blocks remote content unless remote images are asked for", "[http][opened]") {
  const std::string strict = http::opened_content_policy(false);
  CHECK(strict == "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox");
  const std::string remote = http::opened_content_policy(true);
  CHECK(remote == "default-src 'none'; img-src 'self' data: https: http:; style-src 'unsafe-inline'; sandbox");
}

TEST_CASE("opened content: the parts prefix of a body or part route", "[http][opened]") {
  CHECK(http::parts_prefix("/api/v1/messages/5/body/html") == "/api/v1/messages/5/parts/");
  CHECK(http::parts_prefix("/api/v1/messages/5/parts/1.2?remote=1") == "/api/v1/messages/5/parts/");
  CHECK(http::parts_prefix("/api/v1/sandboxes/s1/messages/7/body/html") == "/api/v1/sandboxes/s1/messages/7/parts/");
  // Nothing in it can end an attribute or a CSS url().
  CHECK(http::parts_prefix("/a\"b/(c)/body/html") == "/a%22b/%28c%29/parts/");
}

TEST_CASE("opened content: cid: references link to the message's own parts", "[http][opened]") {
  const auto parsed = mime::parse(k_related_message);
  REQUIRE(parsed.root.children.size() == 3);
  CHECK(parsed.root.children[1].content_id == "logo@example.test");
  CHECK(parsed.root.children[0].content_id.empty());
  const auto html = mime::text_body(k_related_message, "html");
  REQUIRE(html);
  const std::string linked = http::link_cid_parts(*html, parsed.root, "/api/v1/messages/3/parts/");
  CHECK(linked.find("<img src=\"/api/v1/messages/3/parts/2\">") != std::string::npos);
  // Percent-encoded and in another case: still the part (mail clients compare without case).
  CHECK(linked.find("background:url(/api/v1/messages/3/parts/3)") != std::string::npos);
  // An id no part has, and remote URLs, stay as they are.
  CHECK(linked.find("src=\"cid:missing@example.test\"") != std::string::npos);
  CHECK(linked.find("http://tracker.test/p.gif") != std::string::npos);
  // Text that only ends in "cid:" is not a reference.
  mime::Part root;
  root.children.push_back({});
  root.children[0].path = "1";
  root.children[0].content_id = "x";
  CHECK(http::link_cid_parts("acid:x CID:x cid:", root, "/p/") == "acid:x /p/1 cid:");
}

TEST_CASE("opened content over HTTP: strict policy, ?remote=1, linked cid: images", "[http][opened]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is missing: test skipped");
    return;
  }
  ApiFixture api;
  serve::StoredMessage message = multipart_message(1);
  message.transaction.message = std::make_shared<const std::string>(k_related_message);
  const auto id = std::to_string(api.store->add(std::move(message)));
  const std::string strict = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";
  const std::string remote =
      "default-src 'none'; img-src 'self' data: https: http:; style-src 'unsafe-inline'; sandbox";

  for (const std::string& path : {"/api/v1/messages/" + id + "/body/html", "/api/v1/messages/" + id + "/parts/1"}) {
    INFO(path);
    const auto opened = api.get(path);
    REQUIRE(opened.status == 200);
    CHECK(opened.headers.at("content-security-policy") == strict);
    CHECK(opened.headers.at("x-content-type-options") == "nosniff");
    CHECK(opened.headers.at("referrer-policy") == "no-referrer");
    CHECK(opened.body.find("<img src=\"/api/v1/messages/" + id + "/parts/2\">") != std::string::npos);
    const auto asked = api.get(path + "?remote=1");
    REQUIRE(asked.status == 200);
    CHECK(asked.headers.at("content-security-policy") == remote);
  }
  // The linked part is there, and so is the raw source's policy.
  CHECK(api.get("/api/v1/messages/" + id + "/parts/2").headers.at("content-type") == "image/png");
  CHECK(api.get("/api/v1/messages/" + id + "/raw").headers.at("content-security-policy") == strict);
  // The viewer page: no script, framed only by the inspector, remote images only when asked.
  const auto viewer = api.get("/view");
  REQUIRE(viewer.status == 200);
  CHECK(viewer.headers.at("content-security-policy").find("default-src 'none'; img-src 'self' data:; ") == 0);
  CHECK(viewer.headers.at("content-security-policy").find("frame-ancestors 'self'") != std::string::npos);
  CHECK(api.get("/view?remote=1").headers.at("content-security-policy").find("img-src 'self' data: https: http:;") !=
        std::string::npos);
}
