// `maildog-ci serve`'s rules over the API, through the built binary: `times` counted across
// connections and concurrent sessions, ids and times_left in GET, POST and DELETE reaching a
// session already open at its next MAIL FROM, and bad input answered 4xx with a JSON error.
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "serve/http_client.hpp"
#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/smtp_client.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

HttpReply send_json(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body) {
  return curl(port, target, {"-X", method, "-H", "Content-Type: application/json", "--data-binary", body});
}

Json rules_of(const ServeProcess& serve) {
  const auto got = curl(serve.http_port(), "/api/v1/rules");
  REQUIRE(got.status == 200);
  return Json::parse(got.body);
}

// One connection: EHLO, MAIL, RCPT `to`; the RCPT reply's code (0 when none came).
int rcpt_code(std::uint16_t port, const std::string& to) {
  SmtpClient client;
  if (!client.connect(port) || !client.read_reply() || !client.command("EHLO client.test") ||
      !client.command("MAIL FROM:<app@example.test>")) {
    return 0;
  }
  const auto reply = client.command("RCPT TO:<" + to + ">");
  client.command("QUIT");
  return reply ? static_cast<int>(reply->code) : 0;
}

void require_json_error(const HttpReply& reply, int status) {
  INFO(reply.body);
  CHECK(reply.status == status);
  const Json body = Json::parse(reply.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body.at("error").is_string());
  CHECK_FALSE(body.at("error").get<std::string>().empty());
}

}  // namespace

TEST_CASE("serve: times 2 with 451 fails twice across connections, then accepts, and GET shows times_left",
          "[serve][integration][rules][times]") {
  if (!have("curl")) {
    return;
  }
  TempDir dir;
  // From the config file too: `times` is scenario syntax.
  const auto config =
      dir.write("serve.yaml",
                "server:\n  rules:\n"
                "    - {at: rcpt, match: {rcpt: bob@x.test}, reply: \"451 4.7.1 try later\", times: 2}\n");
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  Json rules = rules_of(serve);
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].at("times") == 2);
  CHECK(rules[0].at("times_left") == 2);
  CHECK(rules[0].at("id").is_number_unsigned());
  CHECK(rcpt_code(serve.port(), "alice@x.test") == 250);  // another recipient spends nothing
  CHECK(rules_of(serve)[0].at("times_left") == 2);
  CHECK(rcpt_code(serve.port(), "bob@x.test") == 451);
  CHECK(rules_of(serve)[0].at("times_left") == 1);
  CHECK(rcpt_code(serve.port(), "bob@x.test") == 451);
  CHECK(rules_of(serve)[0].at("times_left") == 0);
  CHECK(rcpt_code(serve.port(), "bob@x.test") == 250);
  CHECK(rules_of(serve)[0].at("times_left") == 0);

  SECTION("PUT takes GET's list back: new ids, every times counted afresh") {
    const auto put = send_json(serve.http_port(), "PUT", "/api/v1/rules", rules_of(serve).dump());
    INFO(put.body);
    REQUIRE(put.status == 200);
    const Json replaced = Json::parse(put.body);
    REQUIRE(replaced.size() == 1);
    CHECK(replaced[0].at("times_left") == 2);
    CHECK(replaced[0].at("id") != rules[0].at("id"));
    CHECK(replaced == rules_of(serve));
    CHECK(rcpt_code(serve.port(), "bob@x.test") == 451);
  }
}

TEST_CASE("serve: times counts across concurrent sessions: 20 parallel RCPTs against times 5, exactly 5 refusals",
          "[serve][integration][rules][times]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto put =
      send_json(serve.http_port(), "PUT", "/api/v1/rules",
                R"([{"at": "rcpt", "match": {"rcpt": "*@x.test"}, "reply": "451 4.7.1 busy", "times": 5}])");
  REQUIRE(put.status == 200);
  // Every client connected and past MAIL FROM before any RCPT is sent, so the RCPTs overlap.
  constexpr int k_clients = 20;
  std::vector<std::unique_ptr<SmtpClient>> clients;
  for (int i = 0; i < k_clients; ++i) {
    auto client = std::make_unique<SmtpClient>(10s);
    REQUIRE(client->connect(serve.port()));
    REQUIRE(client->read_reply());
    REQUIRE(client->command("EHLO client.test"));
    REQUIRE(client->command("MAIL FROM:<app@example.test>")->code == 250);
    clients.push_back(std::move(client));
  }
  std::atomic<int> refused{0};
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_clients; ++i) {
    threads.emplace_back([&, i] {
      const auto reply =
          clients[static_cast<std::size_t>(i)]->command("RCPT TO:<user" + std::to_string(i) + "@x.test>");
      if (reply && reply->code == 451) {
        ++refused;
      } else if (reply && reply->code == 250) {
        ++accepted;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(refused == 5);
  CHECK(accepted == k_clients - 5);
  CHECK(rules_of(serve)[0].at("times_left") == 0);
}

TEST_CASE("serve: POST then DELETE a rule changes what an open session gets at its next MAIL FROM",
          "[serve][integration][rules]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  REQUIRE(send_json(serve.http_port(), "PUT", "/api/v1/rules",
                    R"([{"at": "rcpt", "match": {"rcpt": "carol@x.test"}, "reply": "550 5.1.1 gone", "times": 3}])")
              .status == 200);
  CHECK(rcpt_code(serve.port(), "carol@x.test") == 550);
  // A pooled connection, open before the rule exists.
  SmtpClient pooled;
  REQUIRE(pooled.connect(serve.port()));
  REQUIRE(pooled.read_reply());
  REQUIRE(pooled.command("EHLO client.test"));
  REQUIRE(pooled.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(pooled.command("RCPT TO:<bob@x.test>")->code == 250);
  REQUIRE(pooled.command("RSET")->code == 250);

  const auto posted =
      send_json(serve.http_port(), "POST", "/api/v1/rules",
                R"({"at": "rcpt", "match": {"rcpt": "bob@x.test"}, "reply": "550 5.1.1 No such user", "times": 1})");
  INFO(posted.body);
  REQUIRE(posted.status == 201);
  const Json rule = Json::parse(posted.body);
  CHECK(rule.at("times_left") == 1);
  const auto id = rule.at("id").get<std::uint64_t>();
  Json listed = rules_of(serve);
  REQUIRE(listed.size() == 2);  // appended after the first, which keeps what is left of its times
  CHECK(listed[0].at("times_left") == 2);
  CHECK(listed[1] == rule);

  REQUIRE(pooled.command("MAIL FROM:<app@example.test>")->code == 250);
  const auto refused = pooled.command("RCPT TO:<bob@x.test>");
  REQUIRE(refused);
  CHECK(refused->code == 550);
  CHECK(refused->text() == "No such user");
  REQUIRE(pooled.command("RSET")->code == 250);
  CHECK(rules_of(serve)[1].at("times_left") == 0);

  // POSTed again (a fresh times), then deleted: the open session is back to 250.
  const auto again = send_json(serve.http_port(), "POST", "/api/v1/rules",
                               R"({"at": "rcpt", "match": {"rcpt": "bob@x.test"}, "reply": "550 5.1.1 No such user"})");
  REQUIRE(again.status == 201);
  const auto again_id = Json::parse(again.body).at("id").get<std::uint64_t>();
  CHECK(again_id > id);
  REQUIRE(pooled.command("MAIL FROM:<app@example.test>")->code == 250);
  CHECK(pooled.command("RCPT TO:<bob@x.test>")->code == 550);
  REQUIRE(pooled.command("RSET")->code == 250);
  const auto deleted = curl(serve.http_port(), "/api/v1/rules/" + std::to_string(again_id), {"-X", "DELETE"});
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  REQUIRE(pooled.command("MAIL FROM:<app@example.test>")->code == 250);
  CHECK(pooled.command("RCPT TO:<bob@x.test>")->code == 250);
  CHECK(pooled.command("QUIT")->code == 221);
  listed = rules_of(serve);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].at("times_left") == 2);  // the other rules' counts survive a POST and a DELETE

  require_json_error(curl(serve.http_port(), "/api/v1/rules/" + std::to_string(again_id), {"-X", "DELETE"}), 404);
}

TEST_CASE("serve: bad rules input gets 4xx with a JSON error and changes nothing", "[serve][integration][rules]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const std::string good = R"({"at": "rcpt", "reply": "550 5.1.1 no"})";
  REQUIRE(send_json(serve.http_port(), "POST", "/api/v1/rules", good).status == 201);
  const Json before = rules_of(serve);
  const auto port = serve.http_port();
  SECTION("POST") {
    require_json_error(send_json(port, "POST", "/api/v1/rules", "[" + good + "]"), 400);  // a list, not one rule
    require_json_error(send_json(port, "POST", "/api/v1/rules", R"("550 no")"), 400);
    require_json_error(send_json(port, "POST", "/api/v1/rules", "{not json"), 400);
    require_json_error(send_json(port, "POST", "/api/v1/rules", R"({"at": "rcpt", "reply": "550 x", "colour": "red"})"),
                       400);
    require_json_error(send_json(port, "POST", "/api/v1/rules", R"({"at": "rcpt", "reply": "550 x", "times": 0})"),
                       400);
    require_json_error(send_json(port, "POST", "/api/v1/rules", R"({"at": "rcpt", "reply": "550 x", "times": "x"})"),
                       400);
    require_json_error(send_json(port, "POST", "/api/v1/rules", R"({"at": "rcpt", "reply": "550 x", "times": -1})"),
                       400);
    require_json_error(send_json(port, "POST", "/api/v1/rules", R"({"at": "rcpt", "reply": "550 x", "times": 1.5})"),
                       400);
    require_json_error(send_json(port, "POST", "/api/v1/rules",
                                 R"({"at": "rcpt", "reply": "550 x", "match": )" + std::string(5000, '[') +
                                     std::string(5000, ']') + "}"),
                       400);
  }
  SECTION("PUT") {
    require_json_error(send_json(port, "PUT", "/api/v1/rules", good), 400);  // one rule, not a list
    require_json_error(send_json(port, "PUT", "/api/v1/rules", R"([{"at": "rcpt", "reply": "550 x", "times": 0}])"),
                       400);
    require_json_error(send_json(port, "PUT", "/api/v1/rules", R"([{"at": "rcpt", "reply": "550 x", "when": 1}])"),
                       400);
  }
  SECTION("DELETE") {
    require_json_error(curl(port, "/api/v1/rules/999999", {"-X", "DELETE"}), 404);
    require_json_error(curl(port, "/api/v1/rules/abc", {"-X", "DELETE"}), 404);
    require_json_error(curl(port, "/api/v1/rules/-1", {"-X", "DELETE"}), 404);
  }
  CHECK(rules_of(serve) == before);
}

TEST_CASE("serve: swaks and smtplib see fail twice with 451, then accept", "[serve][integration][rules][times]") {
  if (!have("curl") || !have("swaks")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  REQUIRE(
      send_json(
          serve.http_port(), "POST", "/api/v1/rules",
          R"({"at": "rcpt", "match": {"rcpt": "bob@x.test"}, "reply": "451 4.7.1 Greylisted, try again", "times": 2})")
          .status == 201);
  auto swaks = [&] {
    return run_child(ChildSpec{{"swaks", "--server", "127.0.0.1:" + std::to_string(serve.port()), "--from",
                                "app@example.test", "--to", "bob@x.test", "--timeout", "20"},
                               "",
                               {},
                               k_child_timeout_default});
  };
  const auto first = swaks();
  CHECK(first.exit_code != 0);
  CHECK(first.out.find("451 4.7.1 Greylisted, try again") != std::string::npos);
  // smtplib: the second try is refused the same way, the third is delivered.
  const std::string script =
      "import smtplib, sys\n"
      "codes = []\n"
      "for attempt in range(2):\n"
      "    with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20) as s:\n"
      "        try:\n"
      "            s.sendmail('app@example.test', ['bob@x.test'], 'Subject: retry\\r\\n\\r\\nhi\\r\\n')\n"
      "            codes.append(250)\n"
      "        except smtplib.SMTPRecipientsRefused as refused:\n"
      "            codes.append(refused.recipients['bob@x.test'][0])\n"
      "print(codes)\n";
  const auto python = run_child(
      ChildSpec{{"/usr/bin/python3", "-c", script, std::to_string(serve.port())}, "", {}, k_child_timeout_default});
  INFO(python.describe());
  CHECK(python.out == "[451, 250]\n");
  CHECK(swaks().exit_code == 0);
}
