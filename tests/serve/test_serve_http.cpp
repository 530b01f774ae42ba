// `maildog-ci serve` end to end with its HTTP API: swaks delivers, curl long-polls /api/v1/wait
// and reads the message back, rules replaced over PUT /api/v1/rules refuse the next session,
// and a token keeps the API closed.
#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/http_client.hpp"
#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
using namespace std::chrono_literals;

namespace {

// curl with the status code appended on its own last line.
ChildResult swaks(std::uint16_t port, const std::string& to, const std::string& subject) {
  ChildSpec spec;
  spec.argv = {"swaks",  "--server",         "127.0.0.1:" + std::to_string(port),
               "--from", "app@example.test", "--to",
               to,       "--header",         "Subject: " + subject,
               "--body", "hello from swaks"};
  spec.timeout = 30s;
  return run_child(spec);
}

}  // namespace

TEST_CASE("serve: swaks delivers, the API waits for it, rules change over PUT", "[serve][integration][http]") {
  if (!have("swaks") || !have("curl")) {
    return;
  }
  TempDir dir;
  const auto config = dir.path() / "serve.yaml";
  std::ofstream(config) << "name: serve with a rule\nserver:\n  rules:\n"
                           "    - {at: rcpt, match: {rcpt: ghost@inbox.test}, reply: \"550 5.1.1 no such user\"}\n";
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0", "--data", (dir.path() / "data").string()});
  INFO(serve.output());
  REQUIRE(serve.started());
  REQUIRE(serve.http_port() != 0);

  CHECK(curl(serve.http_port(), "/healthz").status == 200);
  const auto rules = curl(serve.http_port(), "/api/v1/rules");
  CHECK(rules.status == 200);
  CHECK(nlohmann::json::parse(rules.body).at(0).at("match").at("rcpt") == "ghost@inbox.test");

  // The long-poll starts before the message exists and returns when it arrives.
  auto sent = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(500ms);
    return swaks(serve.port(), "user@inbox.test", "waited for");
  });
  const auto waited = curl(serve.http_port(), "/api/v1/wait?to=user@inbox.test&subject=waited&timeout=20");
  INFO(sent.get().describe());
  REQUIRE(waited.status == 200);
  const auto summary = nlohmann::json::parse(waited.body);
  const auto id = summary.at("id").get<std::uint64_t>();
  const auto raw = curl(serve.http_port(), "/api/v1/messages/" + std::to_string(id) + "/raw");
  CHECK(raw.status == 200);
  CHECK(raw.body.find("Subject: waited for") != std::string::npos);
  CHECK(raw.body.find("hello from swaks") != std::string::npos);

  // New rules apply to the next session.
  CHECK(swaks(serve.port(), "blocked@inbox.test", "before").exit_code == 0);
  const std::string new_rules =
      R"([{"at": "rcpt", "match": {"rcpt": "blocked@inbox.test"}, "reply": "550 5.7.1 blocked by the API"}])";
  const auto put = curl(serve.http_port(), "/api/v1/rules",
                        {"-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", new_rules});
  CHECK(put.status == 200);
  const auto refused = swaks(serve.port(), "blocked@inbox.test", "after");
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.find("550 5.7.1 blocked by the API") != std::string::npos);
  auto shown = nlohmann::json::parse(curl(serve.http_port(), "/api/v1/rules").body);
  CHECK(shown.at(0).at("id").is_number_unsigned());  // GET adds each rule's id
  shown.at(0).erase("id");
  CHECK(shown == nlohmann::json::parse(new_rules));

  const auto bad = curl(serve.http_port(), "/api/v1/rules",
                        {"-X", "PUT", "-H", "Content-Type: application/json", "--data-binary",
                         R"([{"at": "sometime", "reply": "550 x"}])"});
  CHECK(bad.status == 400);
  CHECK(bad.body.find("server.rules[0].at") != std::string::npos);

  const auto listed = nlohmann::json::parse(curl(serve.http_port(), "/api/v1/messages?to=blocked@inbox.test").body);
  CHECK(listed.at("messages").size() == 1);  // "before" only: "after" was refused
}

TEST_CASE("serve: --api-token closes the API but not /healthz", "[serve][integration][http]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0", "--api-token", "t0ken-for-tests"});
  INFO(serve.output());
  REQUIRE(serve.started());
  CHECK(curl(serve.http_port(), "/healthz").status == 200);
  CHECK(curl(serve.http_port(), "/api/v1/messages").status == 401);
  CHECK(curl(serve.http_port(), "/api/v1/messages", {"-H", "Authorization: Bearer t0ken-for-tests"}).status == 200);
  CHECK(serve.output().find("t0ken-for-tests") == std::string::npos);
}

TEST_CASE("serve: without a token, other Host names get 403 unless --allowed-host or MAILDOG_ALLOWED_HOSTS allows them",
          "[serve][integration][http][rebinding]") {
  if (!have("curl")) {
    return;
  }
  // The container's way: every interface, and the compose service names from the environment.
  ::setenv("MAILDOG_ALLOWED_HOSTS", " maildog , ,mail.test", 1);
  ServeProcess serve({"--smtp-port", "0", "--bind", "0.0.0.0", "--allowed-host", "proxy.test"});
  ::unsetenv("MAILDOG_ALLOWED_HOSTS");
  REQUIRE(serve.started());
  const auto refused = curl(serve.http_port(), "/api/v1/messages", {"-H", "Host: evil.test:8025"});
  CHECK(refused.status == 403);
  CHECK(refused.body.find("evil.test:8025") != std::string::npos);
  CHECK(curl(serve.http_port(), "/api/v1/messages", {"-H", "Host: maildog:8025"}).status == 200);
  CHECK(curl(serve.http_port(), "/api/v1/messages", {"-H", "Host: mail.test"}).status == 200);
  CHECK(curl(serve.http_port(), "/api/v1/messages", {"-H", "Host: proxy.test:443"}).status == 200);
  CHECK(curl(serve.http_port(), "/api/v1/messages", {"-H", "Host: localhost:9"}).status == 200);
  CHECK(curl(serve.http_port(), "/healthz").status == 200);
  CHECK(curl(serve.http_port(), "/api/v1/rules", {"-X", "PUT", "--data-binary", "[]"}).status == 415);
}

TEST_CASE("serve: --smtp-bind and --http-bind, names such as localhost, IPv6 URLs in brackets",
          "[serve][integration][http][bind]") {
  if (!have("curl")) {
    return;
  }
  SECTION("--bind localhost listens on 127.0.0.1") {
    ServeProcess serve({"--smtp-port", "0", "--bind", "localhost"});
    INFO(serve.output());
    REQUIRE(serve.started());
    CHECK(serve.output().find("SMTP on 127.0.0.1:") != std::string::npos);
    CHECK(serve.output().find("warning") == std::string::npos);
    CHECK(curl(serve.http_port(), "/healthz").status == 200);
  }
  SECTION("HTTP on [::1], SMTP on 127.0.0.1") {
    ServeProcess serve({"--smtp-port", "0", "--smtp-bind", "127.0.0.1", "--http-bind", "::1"});
    INFO(serve.output());
    if (!serve.started() && serve.output().find("::1") != std::string::npos) {
      MAILDOG_SKIP("no IPv6 loopback here: " << serve.output());
      return;
    }
    REQUIRE(serve.started());
    const std::string at = "[::1]:" + std::to_string(serve.http_port());
    CHECK(serve.output().find("SMTP on 127.0.0.1:" + std::to_string(serve.port()) + "\n") != std::string::npos);
    CHECK(serve.output().find("HTTP on " + at + " ") != std::string::npos);
    CHECK(serve.output().find("http://" + at + "/") != std::string::npos);
    CHECK(serve.output().find("warning") == std::string::npos);
    ChildSpec spec;
    spec.argv = {"curl", "-sS",       "-g", "--max-time",   "30",
                 "-o",   "/dev/null", "-w", "%{http_code}", "http://" + at + "/api/v1/messages"};
    spec.timeout = 40s;
    const auto reply = run_child(spec);
    INFO(reply.describe());
    CHECK(reply.out == "200");
    // SMTP is not on ::1, HTTP is not on 127.0.0.1.
    spec.argv = {"curl", "-sS", "--max-time", "5",
                 "http://127.0.0.1:" + std::to_string(serve.http_port()) + "/healthz"};
    CHECK(run_child(spec).exit_code != 0);
  }
  SECTION("beyond loopback without a token: a warning that says who can read the mail and how to set a token") {
    ServeProcess serve({"--smtp-port", "0", "--http-bind", "0.0.0.0"});
    REQUIRE(serve.started());
    const std::string& out = serve.output();
    INFO(out);
    CHECK(out.find("warning: the HTTP API on 0.0.0.0:" + std::to_string(serve.http_port()) + " has no token") !=
          std::string::npos);
    CHECK(out.find("anyone who can reach this address") != std::string::npos);
    CHECK(out.find("read every message") != std::string::npos);
    CHECK(out.find("MAILDOG_API_TOKEN") != std::string::npos);
  }
  SECTION("beyond loopback with a token, or SMTP alone beyond loopback: no warning") {
    ::setenv("MAILDOG_API_TOKEN", "s3cret", 1);
    ServeProcess with_token({"--smtp-port", "0", "--bind", "0.0.0.0"});
    ::unsetenv("MAILDOG_API_TOKEN");
    REQUIRE(with_token.started());
    CHECK(with_token.output().find("warning") == std::string::npos);
    ServeProcess smtp_only({"--smtp-port", "0", "--bind", "0.0.0.0", "--http-bind", "127.0.0.1"});
    REQUIRE(smtp_only.started());
    CHECK(smtp_only.output().find("SMTP on 0.0.0.0:") != std::string::npos);
    CHECK(smtp_only.output().find("HTTP on 127.0.0.1:") != std::string::npos);
    CHECK(smtp_only.output().find("warning") == std::string::npos);
  }
  SECTION("a name that does not resolve is an invalid setting, named") {
    ServeProcess serve({"--smtp-port", "0", "--http-bind", "no-such-host.invalid"});
    CHECK_FALSE(serve.started());
    const auto exit = serve.wait_exit(20s);
    REQUIRE(exit);
    CHECK(exit->code == 2);
    CHECK(serve.output().find("--http-bind no-such-host.invalid") != std::string::npos);
  }
}

TEST_CASE("serve: --help recommends MAILDOG_API_TOKEN over --api-token, which ps shows", "[serve][http][token]") {
  ChildSpec spec;
  spec.argv = {binary_path().string(), "serve", "--help"};
  spec.timeout = 30s;
  const auto result = run_child(spec);
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  const std::size_t option = result.out.find("--api-token");
  REQUIRE(option != std::string::npos);
  const std::string after = result.out.substr(option, 400);
  CHECK(after.find("Prefer the environment") != std::string::npos);
  CHECK(after.find("MAILDOG_API_TOKEN") != std::string::npos);
  CHECK(after.find("`ps`") != std::string::npos);
}

TEST_CASE("serve: with a token, /healthz is 200 without it but shows no count", "[serve][integration][http][token]") {
  if (!have("curl")) {
    return;
  }
  ::setenv("MAILDOG_API_TOKEN", "s3cret", 1);
  ServeProcess serve({"--smtp-port", "0"});
  ::unsetenv("MAILDOG_API_TOKEN");
  REQUIRE(serve.started());
  const auto open = curl(serve.http_port(), "/healthz");
  CHECK(open.status == 200);
  CHECK(nlohmann::json::parse(open.body) == nlohmann::json({{"status", "ok"}}));
  const auto with_token = curl(serve.http_port(), "/healthz", {"-H", "Authorization: Bearer s3cret"});
  CHECK(nlohmann::json::parse(with_token.body).at("messages") == 0);
}
