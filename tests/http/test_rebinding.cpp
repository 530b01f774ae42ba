// DNS rebinding and cross-site requests (issue 21, item 2), over real HTTP on loopback with curl:
// without a token only requests whose Host names this server are served, a body must be JSON,
// and a state-changing request from another site's page (its Origin) is refused.
#include <catch2/catch.hpp>

#include "http/api_fixture.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"
#include "support/smtp_client.hpp"

using namespace maildog;
using namespace maildog::test;

namespace {

std::string error_of(const HttpReply& reply) {
  INFO(reply.body);
  check_framing(reply);
  CHECK(reply.headers.at("content-type") == "application/json");
  const auto body = reply.json();
  CHECK(openapi_errors(body, "Error") == "");
  return body.at("error").get<std::string>();
}

std::vector<std::string> host(const std::string& value, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"-H", "Host: " + value};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The status line of the reply to `bytes` sent as they are.
std::string raw_status_line(std::uint16_t port, const std::string& bytes) {
  SmtpClient client;
  REQUIRE(client.connect(port));
  REQUIRE(client.send_raw(bytes));
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (received.find("\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    received += client.read_available(std::chrono::milliseconds(500));
  }
  return received.substr(0, received.find("\r\n"));
}

}  // namespace

TEST_CASE("without a token, only Host names of this server are served", "[http][rebinding]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: HTTP API tests skipped");
    return;
  }
  http::ApiOptions options;
  options.allowed_hosts = {"maildog", "Proxy.Example.test."};
  ApiFixture api(options);
  const std::string message = "/api/v1/messages/" + std::to_string(api.multipart_id);

  SECTION("a rebound name can neither read, delete nor replace the rules") {
    const auto read = api.request("/api/v1/messages", host("evil.test:8025"));
    CHECK(read.status == 403);
    const std::string text = error_of(read);
    CHECK(text.find("evil.test:8025") != std::string::npos);
    CHECK(text.find("--allowed-host") != std::string::npos);
    CHECK(text.find("MAILDOG_ALLOWED_HOSTS") != std::string::npos);
    CHECK(api.request(message + "/raw", host("evil.test")).status == 403);
    CHECK(api.request("/", host("evil.test")).status == 403);
    CHECK(api.request("/api/v1/messages", host("evil.test:8025", {"-X", "DELETE"})).status == 403);
    CHECK(api.request("/api/v1/rules", host("evil.test:8025", {"-X", "PUT", "-H", "Content-Type: application/json",
                                                               "--data-binary", R"([{"at":"rcpt","reply":"550 x"}])"}))
              .status == 403);
    CHECK(api.get("/api/v1/messages").json().at("count") == 2);
    CHECK(api.get("/api/v1/rules").body == "[]");
    // A name that merely starts or ends like an allowed one is another name.
    CHECK(api.request("/healthz", host("localhost.evil.test")).status == 403);
    CHECK(api.request("/healthz", host("127.0.0.1.evil.test:80")).status == 403);
    CHECK(api.request("/healthz", host("maildog.evil.test")).status == 403);
    // What follows the name must be a port.
    CHECK(api.request("/healthz", host("127.0.0.1:80@evil.test")).status == 403);
    CHECK(api.request("/healthz", host("localhost:8025:evil.test")).status == 403);
    CHECK(api.request("/healthz", host("[::1].evil.test")).status == 403);
    CHECK(api.request("/healthz", host("[::1")).status == 403);
  }
  SECTION("loopback names on any port, the bound address and allowed names are served") {
    for (const std::string name :
         {"localhost", "localhost:1234", "LOCALHOST:8025", "127.0.0.1:8025", "[::1]:8025", "[::1]", "maildog:8025",
          "MAILDOG", "proxy.example.test", "proxy.example.test.:443"}) {
      INFO(name);
      CHECK(api.request("/api/v1/messages", host(name)).status == 200);
    }
  }
  SECTION("no Host, or two, is a bad request") {
    const auto none = api.request("/api/v1/messages", {"-H", "Host:"});
    CHECK(none.status == 400);
    CHECK(error_of(none).find("no Host") != std::string::npos);
    CHECK(raw_status_line(api.server->port(),
                          "GET /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.test\r\n\r\n") ==
          "HTTP/1.1 400 Bad Request");
    CHECK(raw_status_line(api.server->port(), "GET /api/v1/messages HTTP/1.0\r\n\r\n").starts_with("HTTP/1.0 400"));
    CHECK(raw_status_line(api.server->port(), "GET /api/v1/messages HTTP/1.1\r\nHost: localhost\r\n\r\n") ==
          "HTTP/1.1 200 OK");
  }
  SECTION("a body must be sent as JSON") {
    const std::string rules = R"([{"at":"rcpt","reply":"550 5.7.1 no"}])";
    const auto form = api.request("/api/v1/rules", {"-X", "PUT", "--data-binary", rules});  // curl: a form type
    CHECK(form.status == 415);
    CHECK(error_of(form).find("application/json") != std::string::npos);
    CHECK(
        api.request("/api/v1/rules", {"-X", "PUT", "-H", "Content-Type: text/plain", "--data-binary", rules}).status ==
        415);
    CHECK(api.get("/api/v1/rules").body == "[]");
    CHECK(api.request("/api/v1/rules",
                      {"-X", "PUT", "-H", "Content-Type: Application/JSON; charset=utf-8", "--data-binary", rules})
              .status == 200);
  }
  SECTION("a state-changing request from another site's page is refused") {
    const auto cross = api.request(message, {"-X", "DELETE", "-H", "Origin: http://evil.test:8025"});
    CHECK(cross.status == 403);
    CHECK(error_of(cross).find("http://evil.test:8025") != std::string::npos);
    CHECK(api.request(message, {"-X", "DELETE", "-H", "Origin: null"}).status == 403);
    CHECK(api.request("/api/v1/rules", {"-X", "PUT", "-H", "Origin: http://localhost:1", "-H",
                                        "Content-Type: application/json", "--data-binary", "[]"})
              .status == 403);
    CHECK(api.get(message).status == 200);
    // GETs may carry any Origin (without CORS a page cannot read the reply); same-origin changes work.
    CHECK(api.request(message, {"-H", "Origin: http://evil.test"}).status == 200);
    const std::string same = "Origin: http://127.0.0.1:" + std::to_string(api.server->port());
    CHECK(api.request(message, {"-X", "DELETE", "-H", same}).status == 200);
    CHECK(api.get(message).status == 404);
  }
}

TEST_CASE("a server bound to every interface still checks the Host", "[http][rebinding]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: HTTP API tests skipped");
    return;
  }
  http::ApiOptions options;
  options.bind = "0.0.0.0";
  ApiFixture api(options);
  CHECK(api.request("/api/v1/messages", host("maildog:8025")).status == 403);
  CHECK(api.request("/api/v1/messages", host("evil.test")).status == 403);
  CHECK(api.request("/api/v1/messages", host("127.0.0.1:8025")).status == 200);
  CHECK(api.get("/api/v1/messages").status == 200);
}

TEST_CASE("with a token any Host is served", "[http][rebinding]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: HTTP API tests skipped");
    return;
  }
  http::ApiOptions options;
  options.token = "s3cret-token";
  ApiFixture api(options);
  CHECK(api.request("/api/v1/messages", host("maildog:8025", {"-H", "Authorization: Bearer s3cret-token"})).status ==
        200);
  CHECK(api.request("/api/v1/messages", host("maildog:8025")).status == 401);
  CHECK(api.request("/api/v1/messages", {"-H", "Host:", "-H", "Authorization: Bearer s3cret-token"}).status == 400);
}
