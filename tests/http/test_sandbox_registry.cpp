// http::SandboxRegistry behind a real ApiServer (curl on 127.0.0.1): sandboxes made by a factory
// of real ServeSandboxes with memory stores; ids never reused, the cap, a factory's refusal
// (400) and a listener that cannot open (500) still spend their ids; the prefixed routes read
// the sandbox's store; and every reply against its schema in schemas/api.openapi.json.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "http/api_fixture.hpp"
#include "http/sandbox_registry.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"

using namespace maildog;
using namespace maildog::test;

namespace {

// Rules a sandbox keeps as text; "bad" in them is refused, as a real rules check would.
http::RulesAccess text_rules(const std::string& initial) {
  auto current = std::make_shared<std::string>(initial);
  http::RulesAccess access;  // GET and PUT only: POST and DELETE of one rule are serve's
  access.get_json = [current] { return *current; };
  access.put_json = [current](const std::string& json) -> std::optional<std::string> {
    *current = json;
    return std::nullopt;
  };
  return access;
}

struct Factory {
  std::uint16_t port = 0;  // what the next sandbox's server binds
  http::SandboxRegistry::Factory make() {
    return [this](const std::optional<std::string>& rules) -> std::variant<http::SandboxRegistry::Made, std::string> {
      if (rules && rules->find("bad") != std::string::npos) {
        return std::string("rules[0]: bad rule");
      }
      smtp::ServerConfig config;
      config.port = port;
      http::SandboxRegistry::Made made;
      made.sandbox = std::make_unique<serve::ServeSandbox>(config, serve::make_memory_store(0));
      made.rules = text_rules(rules.value_or("[]"));
      return made;
    };
  }
};

// A port something listens on, held for the scope.
class TakenPort {
 public:
  TakenPort() : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(m_fd, 1) == 0);
    socklen_t size = sizeof address;
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    m_port = ntohs(address.sin_port);
  }
  ~TakenPort() { ::close(m_fd); }
  std::uint16_t port() const { return m_port; }

 private:
  int m_fd;
  std::uint16_t m_port = 0;
};

const std::vector<std::string> k_post = {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary"};

std::vector<std::string> post(const std::string& body) {
  auto args = k_post;
  args.push_back(body);
  return args;
}

}  // namespace

TEST_CASE("the sandboxes routes over a SandboxRegistry", "[http][sandboxes]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: test skipped (ci/install-deps.sh installs it)");
    return;
  }
  Factory factory;
  http::SandboxRegistry registry(factory.make(), 3);
  ApiFixture api({}, &registry);

  const auto first = expect_json(api.request("/api/v1/sandboxes", post(R"({"name": "one"})")), 201, "Sandbox");
  CHECK(first.at("id") == "s1");
  CHECK(first.at("name") == "one");
  CHECK(first.at("ca_file").is_null());
  CHECK(first.at("url") == api.url("/api/v1/sandboxes/s1/"));
  REQUIRE(registry.find("s1"));
  CHECK(first.at("smtp").at("port") == registry.find("s1")->sandbox->server().port());
  CHECK_FALSE(registry.find("s01"));
  CHECK_FALSE(registry.find("1"));

  // A factory's refusal is a 400 and spends s2; a listener that cannot open is a 500 and spends s3.
  const auto refused = expect_json(api.request("/api/v1/sandboxes", post(R"({"rules": ["bad"]})")), 400, "Error");
  CHECK(refused.at("error") == "rules[0]: bad rule");
  {
    TakenPort taken;
    factory.port = taken.port();
    expect_json(api.request("/api/v1/sandboxes", post("{}")), 500, "Error");
    factory.port = 0;
  }
  const auto second = expect_json(api.request("/api/v1/sandboxes", {"-X", "POST"}), 201, "Sandbox");
  CHECK(second.at("id") == "s4");
  CHECK(second.at("name") == "");
  expect_json(api.request("/api/v1/sandboxes", post(R"({"rules": []})")), 201, "Sandbox");  // s5
  expect_json(api.request("/api/v1/sandboxes", {"-X", "POST"}), 429, "Error");

  const auto listed = expect_json(api.get("/api/v1/sandboxes"), 200, "SandboxList");
  REQUIRE(listed.at("sandboxes").size() == 3);
  CHECK(listed.at("sandboxes").at(0) == first);
  CHECK(listed.at("sandboxes").at(1) == second);
  CHECK(expect_json(api.get("/api/v1/sandboxes/s4"), 200, "Sandbox") == second);
  expect_json(api.get("/api/v1/sandboxes/s2"), 404, "Error");

  // The prefixed routes read the sandbox's store and rules, not the main one's.
  registry.find("s1")->store().add(plain_message(1, "box@inbox.test", "only in s1"));
  const auto in_first = expect_json(api.get("/api/v1/sandboxes/s1/messages"), 200, "MessageList");
  REQUIRE(in_first.at("messages").size() == 1);
  CHECK(in_first.at("messages").at(0).at("subject") == "only in s1");
  CHECK(expect_json(api.get("/api/v1/sandboxes/s4/messages"), 200, "MessageList").at("count") == 0);
  CHECK(expect_json(api.get("/api/v1/messages?to=box@inbox.test"), 200, "MessageList").at("count") == 0);
  CHECK(api.get("/api/v1/sandboxes/s5/rules").body == "[]");
  const auto found =
      expect_json(api.get("/api/v1/sandboxes/s1/wait?to=box@inbox.test&timeout=5"), 200, "MessageSummary");
  CHECK(found.at("subject") == "only in s1");

  // Deleted: 204, then 404 everywhere, and its place is free for a new id.
  const auto removed = api.request("/api/v1/sandboxes/s1", {"-X", "DELETE"});
  CHECK(removed.status == 204);
  check_framing(removed);
  CHECK(registry.find("s1") == nullptr);
  expect_json(api.request("/api/v1/sandboxes/s1", {"-X", "DELETE"}), 404, "Error");
  expect_json(api.get("/api/v1/sandboxes/s1/messages"), 404, "Error");
  CHECK(expect_json(api.request("/api/v1/sandboxes", {"-X", "POST"}), 201, "Sandbox").at("id") == "s6");
  CHECK_FALSE(registry.remove("s1"));
  CHECK(registry.list().size() == 3);
}

TEST_CASE("the sandboxes routes without a registry answer 404 and list none", "[http][sandboxes]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: test skipped (ci/install-deps.sh installs it)");
    return;
  }
  ApiFixture api;
  expect_json(api.request("/api/v1/sandboxes", {"-X", "POST"}), 404, "Error");
  CHECK(expect_json(api.get("/api/v1/sandboxes"), 200, "SandboxList").at("sandboxes").empty());
  expect_json(api.get("/api/v1/sandboxes/s1"), 404, "Error");
  expect_json(api.get("/api/v1/sandboxes/s1/messages"), 404, "Error");
}
