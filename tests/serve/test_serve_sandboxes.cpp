// Sandboxes of `maildog-ci serve` through the built binary (POST/GET/DELETE /api/v1/sandboxes
// and the routes under /api/v1/sandboxes/{id}/): each has its own SMTP port, mail, rules and
// waits; a deleted one closes its port; ids are never reused; --max-sandboxes caps them; bad
// input gets 4xx with a JSON error; and none of their mail reaches --data's SQLite file.
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/http_client.hpp"
#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/smtp_client.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const std::vector<std::string> k_json_post = {"-X", "POST", "-H", "Content-Type: application/json"};

HttpReply post_json(std::uint16_t http_port, const std::string& target, const std::string& body) {
  auto args = k_json_post;
  args.insert(args.end(), {"--data-binary", body});
  return curl(http_port, target, args);
}

// A new sandbox, checked to be one: its description as POST returned it.
Json create_sandbox(std::uint16_t http_port, const std::string& body = "") {
  const auto reply = body.empty() ? curl(http_port, "/api/v1/sandboxes", {"-X", "POST"})
                                  : post_json(http_port, "/api/v1/sandboxes", body);
  INFO(reply.body);
  REQUIRE(reply.status == 201);
  return Json::parse(reply.body);
}

std::uint16_t smtp_port_of(const Json& sandbox) { return sandbox.at("smtp").at("port").get<std::uint16_t>(); }

// "/api/v1/sandboxes/s1/" + rest, from the sandbox's own url.
std::string prefix(const Json& sandbox) {
  const auto url = sandbox.at("url").get<std::string>();
  return url.substr(url.find("/api/v1/"));
}

ChildResult swaks(std::uint16_t port, const std::string& to, const std::string& subject) {
  ChildSpec spec;
  spec.argv = {"swaks",  "--server",         "127.0.0.1:" + std::to_string(port),
               "--from", "app@example.test", "--to",
               to,       "--header",         "Subject: " + subject,
               "--body", "hello from swaks"};
  spec.timeout = 30s;
  return run_child(spec);
}

ChildResult smtplib(std::uint16_t port, const std::string& to, const std::string& subject) {
  ChildSpec spec;
  spec.argv = {"/usr/bin/python3",
               "-c",
               "import smtplib, sys\n"
               "from email.message import EmailMessage\n"
               "m = EmailMessage(); m['From'] = 'app@example.test'; m['To'] = sys.argv[2]; m['Subject'] = sys.argv[3]\n"
               "m.set_content('hello from smtplib')\n"
               "with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20) as s: s.send_message(m)\n",
               std::to_string(port),
               to,
               subject};
  spec.timeout = 30s;
  return run_child(spec);
}

// The C++ test client: one message, true when its end of data got 250.
bool send_with_client(std::uint16_t port, const std::string& to, const std::string& subject) {
  SmtpClient client;
  if (!client.connect(port) || !client.read_reply()) {
    return false;
  }
  const auto ok = [&](std::string_view line, int code) {
    const auto reply = client.command(line);
    return reply && reply->code == code;
  };
  return ok("EHLO client.test", 250) && ok("MAIL FROM:<app@example.test>", 250) && ok("RCPT TO:<" + to + ">", 250) &&
         ok("DATA", 354) && ok("Subject: " + subject + "\r\n\r\nhello from the C++ client\r\n.", 250) &&
         ok("QUIT", 221);
}

// The subjects of the messages GET `target` lists.
std::vector<std::string> subjects(std::uint16_t http_port, const std::string& target) {
  const auto reply = curl(http_port, target);
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  std::vector<std::string> found;
  const Json listed = Json::parse(reply.body);  // held: a range-for over a temporary's member dangles
  for (const auto& message : listed.at("messages")) {
    found.push_back(message.at("subject").get<std::string>());
  }
  return found;
}

// A 4xx with a JSON {"error": "..."} body.
void check_client_error(const HttpReply& reply, int status) {
  INFO(reply.body);
  CHECK(reply.status == status);
  const Json body = Json::parse(reply.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body.at("error").is_string());
  CHECK(!body.at("error").get<std::string>().empty());
}

}  // namespace

TEST_CASE(
    "serve sandboxes: the main sandbox and two others each keep only their own mail, and a rule in one "
    "refuses only there",
    "[serve][integration][http][sandboxes]") {
  if (!have("swaks") || !have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto first = create_sandbox(serve.http_port(), R"({"name": "first worker",
      "rules": [{"at": "rcpt", "match": {"rcpt": "bob@x.test"}, "reply": "550 5.1.1 No such user"}]})");
  const auto second = create_sandbox(serve.http_port());
  CHECK(first.at("id") == "s1");
  CHECK(second.at("id") == "s2");
  CHECK(first.at("name") == "first worker");
  CHECK(first.at("smtp").at("host") == "127.0.0.1");
  CHECK(first.at("ca_file").is_null());
  CHECK(first.at("url") == "http://127.0.0.1:" + std::to_string(serve.http_port()) + "/api/v1/sandboxes/s1/");
  CHECK(smtp_port_of(first) != smtp_port_of(second));
  CHECK(smtp_port_of(first) != serve.port());

  // Three clients, one per sandbox.
  const auto to_main = swaks(serve.port(), "alice@x.test", "to main");
  INFO(to_main.describe());
  CHECK(to_main.exit_code == 0);
  const auto to_first = smtplib(smtp_port_of(first), "alice@x.test", "to first");
  INFO(to_first.describe());
  CHECK(to_first.exit_code == 0);
  CHECK(send_with_client(smtp_port_of(second), "alice@x.test", "to second"));
  CHECK(subjects(serve.http_port(), "/api/v1/messages") == std::vector<std::string>{"to main"});
  CHECK(subjects(serve.http_port(), prefix(first) + "messages") == std::vector<std::string>{"to first"});
  CHECK(subjects(serve.http_port(), prefix(second) + "messages?to=alice@x.test") ==
        std::vector<std::string>{"to second"});

  // The sub-routes read the sandbox's own store: its message 1 is "to first", not main's.
  const auto raw = curl(serve.http_port(), prefix(first) + "messages/1/raw");
  CHECK(raw.status == 200);
  CHECK(raw.body.find("Subject: to first") != std::string::npos);
  CHECK(curl(serve.http_port(), prefix(second) + "sessions").status == 200);

  // first's rule refuses bob there; bob gets mail in second and in main.
  const auto refused = swaks(smtp_port_of(first), "bob@x.test", "bob in first");
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.find("550 5.1.1 No such user") != std::string::npos);
  CHECK(send_with_client(smtp_port_of(second), "bob@x.test", "bob in second"));
  CHECK(swaks(serve.port(), "bob@x.test", "bob in main").exit_code == 0);
  const auto attempts = Json::parse(curl(serve.http_port(), prefix(first) + "attempts?status=refused").body);
  REQUIRE(attempts.at("attempts").size() == 1);
  CHECK(attempts.at("attempts").at(0).at("recipients").at(0).at("address") == "bob@x.test");
  CHECK(Json::parse(curl(serve.http_port(), prefix(second) + "attempts?status=refused").body).at("count") == 0);
  CHECK(Json::parse(curl(serve.http_port(), "/api/v1/attempts?status=refused").body).at("count") == 0);

  // Rules under the prefix are the sandbox's: a PUT to second leaves first's and main's alone.
  const auto put = curl(serve.http_port(), prefix(second) + "rules",
                        {"-X", "PUT", "-H", "Content-Type: application/json", "--data-binary",
                         R"([{"at": "rcpt", "match": {"rcpt": "carol@x.test"}, "reply": "550 5.7.1 not here"}])"});
  CHECK(put.status == 200);
  CHECK(swaks(smtp_port_of(second), "carol@x.test", "carol in second").exit_code != 0);
  CHECK(swaks(smtp_port_of(first), "carol@x.test", "carol in first").exit_code == 0);
  CHECK(Json::parse(curl(serve.http_port(), "/api/v1/rules").body).empty());
  CHECK(Json::parse(curl(serve.http_port(), prefix(first) + "rules").body).at(0).at("match").at("rcpt") ==
        "bob@x.test");

  const auto listed = Json::parse(curl(serve.http_port(), "/api/v1/sandboxes").body).at("sandboxes");
  REQUIRE(listed.size() == 2);
  CHECK(listed.at(0) == first);
  CHECK(listed.at(1).at("id") == "s2");
  CHECK(Json::parse(curl(serve.http_port(), "/api/v1/sandboxes/s2").body) == second);
}

TEST_CASE("serve sandboxes: a wait in a sandbox wakes for its own message, not for another sandbox's",
          "[serve][integration][http][sandboxes]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto mine = create_sandbox(serve.http_port());
  const auto other = create_sandbox(serve.http_port());

  // The other sandbox (and main) get the awaited address: the wait must not end with them.
  auto waited = std::async(std::launch::async,
                           [&] { return curl(serve.http_port(), prefix(mine) + "wait?to=dave@x.test&timeout=3"); });
  std::this_thread::sleep_for(300ms);
  CHECK(send_with_client(smtp_port_of(other), "dave@x.test", "for the other"));
  CHECK(send_with_client(serve.port(), "dave@x.test", "for main"));
  const auto timed_out = waited.get();
  INFO(timed_out.body);
  CHECK(timed_out.status == 408);

  auto woken = std::async(std::launch::async,
                          [&] { return curl(serve.http_port(), prefix(mine) + "wait?to=dave@x.test&timeout=20"); });
  std::this_thread::sleep_for(300ms);
  CHECK(send_with_client(smtp_port_of(mine), "dave@x.test", "for mine"));
  const auto found = woken.get();
  INFO(found.body);
  REQUIRE(found.status == 200);
  CHECK(Json::parse(found.body).at("subject") == "for mine");

  // A wait on a sandbox that is deleted meanwhile ends with 410, not its timeout.
  auto orphaned = std::async(std::launch::async, [&] {
    return curl(serve.http_port(), prefix(other) + "wait?to=nobody@x.test&timeout=20");
  });
  std::this_thread::sleep_for(300ms);
  CHECK(curl(serve.http_port(), "/api/v1/sandboxes/" + other.at("id").get<std::string>(), {"-X", "DELETE"}).status ==
        204);
  check_client_error(orphaned.get(), 410);
}

TEST_CASE(
    "serve sandboxes: DELETE closes the port and tells open sessions 421, ids are never reused, "
    "--max-sandboxes caps them",
    "[serve][integration][http][sandboxes]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});  // the default cap: 64
  INFO(serve.output());
  REQUIRE(serve.started());
  std::vector<Json> made;
  for (int i = 0; i < 64; ++i) {
    made.push_back(create_sandbox(serve.http_port()));
  }
  CHECK(made.back().at("id") == "s64");
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes", {"-X", "POST"}), 429);

  const auto doomed = made.at(9);  // s10
  SmtpClient idle;
  REQUIRE(idle.connect(smtp_port_of(doomed)));
  REQUIRE(idle.read_reply());
  REQUIRE(idle.command("EHLO client.test"));
  const auto removed = curl(serve.http_port(), "/api/v1/sandboxes/s10", {"-X", "DELETE"});
  CHECK(removed.status == 204);
  CHECK(removed.body.empty());
  const auto goodbye = idle.read_reply();
  REQUIRE(goodbye);
  CHECK(goodbye->code == 421);
  CHECK(idle.wait_for_close());
  SmtpClient late;
  CHECK_FALSE(late.connect(smtp_port_of(doomed)));

  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes/s10"), 404);
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes/s10", {"-X", "DELETE"}), 404);
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes/s10/messages"), 404);
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes/s10/wait?timeout=5"), 404);
  CHECK(Json::parse(curl(serve.http_port(), "/api/v1/sandboxes").body).at("sandboxes").size() == 63);

  // The freed place goes to a new id, not s10 again.
  CHECK(create_sandbox(serve.http_port()).at("id") == "s65");
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes", {"-X", "POST"}), 429);
  CHECK(curl(serve.http_port(), "/api/v1/sandboxes/s1", {"-X", "DELETE"}).status == 204);
  CHECK(create_sandbox(serve.http_port()).at("id") == "s66");
}

TEST_CASE("serve sandboxes: bad input gets 4xx with a JSON error", "[serve][integration][http][sandboxes]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0", "--max-sandboxes", "3", "--api-token", "sandbox-token"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const std::vector<std::string> token = {"-H", "Authorization: Bearer sandbox-token"};
  const auto with_token = [&](std::vector<std::string> args) {
    args.insert(args.end(), token.begin(), token.end());
    return args;
  };
  const auto post = [&](const std::string& body) {
    auto args = with_token(k_json_post);
    args.insert(args.end(), {"--data-binary", body});
    return curl(serve.http_port(), "/api/v1/sandboxes", args);
  };
  check_client_error(post("not json"), 400);
  check_client_error(post("[1, 2]"), 400);
  check_client_error(post(R"({"rules": {"at": "rcpt"}})"), 400);
  check_client_error(post(R"({"name": 7})"), 400);
  check_client_error(post(R"({"rulez": []})"), 400);
  const auto wrong_rules = post(R"({"rules": [{"at": "sometime", "reply": "550 x"}]})");
  check_client_error(wrong_rules, 400);
  CHECK(wrong_rules.body.find("at") != std::string::npos);
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes",
                          with_token({"-X", "POST", "-H", "Content-Type: text/plain", "--data-binary", "{}"})),
                     415);
  // Nothing was made by the refused requests.
  CHECK(Json::parse(curl(serve.http_port(), "/api/v1/sandboxes", token).body).at("sandboxes").empty());

  const auto made = Json::parse(post(R"({"name": "ok"})").body);
  const std::string path = prefix(made);
  check_client_error(curl(serve.http_port(), path + "messages"), 401);  // the prefix needs the token too
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes", {"-X", "POST"}), 401);
  check_client_error(curl(serve.http_port(), path + "messages/99", token), 404);
  check_client_error(curl(serve.http_port(), path + "wait?timeout=soon", token), 400);
  check_client_error(curl(serve.http_port(), path + "nothing-here", token), 404);
  check_client_error(curl(serve.http_port(), path + "sandboxes", token), 404);  // no sandboxes in sandboxes
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes/s999/messages", token), 404);
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes/../messages", with_token({"--path-as-is"})), 404);
  check_client_error(curl(serve.http_port(), "/api/v1/sandboxes/s1", with_token({"-X", "PUT"})), 405);
  const auto put = curl(serve.http_port(), path + "rules",
                        with_token({"-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "{}"}));
  check_client_error(put, 400);
}

TEST_CASE("serve sandboxes: a sandbox's mail stays in memory, never in --data's SQLite file",
          "[serve][integration][http][sandboxes]") {
  if (!have("curl")) {
    return;
  }
  TempDir dir;
  const auto data = dir.path() / "data";
  {
    ServeProcess serve({"--smtp-port", "0", "--data", data.string(), "--keep", "1"});
    INFO(serve.output());
    REQUIRE(serve.started());
    const auto sandbox = create_sandbox(serve.http_port());
    CHECK(send_with_client(serve.port(), "main@x.test", "kept-on-disk-marker"));
    CHECK(send_with_client(smtp_port_of(sandbox), "box@x.test", "sandbox-only-marker-one"));
    CHECK(send_with_client(smtp_port_of(sandbox), "box@x.test", "sandbox-only-marker-two"));
    // --keep 1 applies to the sandbox too: only its newest message is left.
    CHECK(subjects(serve.http_port(), prefix(sandbox) + "messages") ==
          std::vector<std::string>{"sandbox-only-marker-two"});
    serve.send_signal(SIGTERM);
    const auto exit = serve.wait_exit(30s);
    REQUIRE(exit);
    CHECK(exit->code == 0);
  }
  std::string stored;
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    std::ifstream file(entry.path(), std::ios::binary);
    stored.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  CHECK(stored.find("kept-on-disk-marker") != std::string::npos);  // the check can see what is there
  CHECK(stored.find("sandbox-only-marker") == std::string::npos);
}

TEST_CASE(
    "serve sandboxes: a sandbox has serve's --config (domains, mailboxes, TLS with serve's CA) and "
    "the config's rules unless the request gives its own",
    "[serve][integration][http][sandboxes][tls]") {
  if (!have("curl") || !have("swaks") || !have("openssl")) {
    return;
  }
  TempDir dir;
  const auto config = dir.write("serve.yaml",
                                "server:\n  tls: starttls\n  domains: [inbox.test]\n  mailboxes: [user@inbox.test, "
                                "bob@inbox.test]\n  rules:\n    - {at: rcpt, match: {rcpt: bob@inbox.test}, "
                                "reply: \"550 5.7.1 the config's rule\"}\n");
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  REQUIRE(serve.wait_for_output("stop with Ctrl-C", 20s));
  const auto configured = create_sandbox(serve.http_port());
  const auto own_rules = create_sandbox(serve.http_port(), R"({"rules": []})");
  REQUIRE(configured.at("ca_file").is_string());
  const std::string ca_file = configured.at("ca_file").get<std::string>();
  CHECK(serve.output().find("CA in " + ca_file) != std::string::npos);  // serve's own CA
  CHECK(own_rules.at("ca_file") == configured.at("ca_file"));

  // STARTTLS verified with the CA file the sandbox names.
  const ChildResult tls = run_child(ChildSpec{{"openssl", "s_client", "-starttls", "smtp", "-connect",
                                               "127.0.0.1:" + std::to_string(smtp_port_of(configured)),
                                               "-verify_return_error", "-CAfile", ca_file, "-verify_ip", "127.0.0.1"},
                                              "QUIT\r\n",
                                              {},
                                              30s});
  INFO(tls.describe());
  CHECK(tls.exit_code == 0);
  CHECK(tls.out.find("Verify return code: 0 (ok)") != std::string::npos);

  // The config's mailboxes: an unknown one at the local domain is refused in both.
  for (const auto& sandbox : {configured, own_rules}) {
    const auto unknown = swaks(smtp_port_of(sandbox), "nobody@inbox.test", "unknown mailbox");
    CHECK(unknown.exit_code != 0);
    CHECK(unknown.out.find("550 5.1.1") != std::string::npos);
    CHECK(swaks(smtp_port_of(sandbox), "user@inbox.test", "known mailbox").exit_code == 0);
  }
  // The config's rule in the one made without rules; none in the one made with [].
  const auto ruled = swaks(smtp_port_of(configured), "bob@inbox.test", "bob");
  CHECK(ruled.out.find("550 5.7.1 the config's rule") != std::string::npos);
  CHECK(swaks(smtp_port_of(own_rules), "bob@inbox.test", "bob").exit_code == 0);
  CHECK(Json::parse(curl(serve.http_port(), prefix(own_rules) + "rules").body).empty());
}

TEST_CASE("serve sandboxes: POST and DELETE of one rule under a sandbox's prefix, times counted there only",
          "[serve][integration][http][sandboxes]") {
  if (!have("curl")) {
    return;
  }
  ServeProcess serve({"--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto counted = create_sandbox(serve.http_port());
  const auto other = create_sandbox(serve.http_port());
  const auto added =
      post_json(serve.http_port(), prefix(counted) + "rules",
                R"({"at": "rcpt", "match": {"rcpt": "erin@x.test"}, "reply": "451 4.7.1 try later", "times": 1})");
  INFO(added.body);
  REQUIRE(added.status == 201);
  const auto rule = Json::parse(added.body);
  CHECK(rule.at("times_left") == 1);
  CHECK(Json::parse(curl(serve.http_port(), prefix(other) + "rules").body).empty());
  CHECK(Json::parse(curl(serve.http_port(), "/api/v1/rules").body).empty());

  // The other sandbox and main never see it; in its own, it answers once.
  CHECK(send_with_client(smtp_port_of(other), "erin@x.test", "other"));
  CHECK(send_with_client(serve.port(), "erin@x.test", "main"));
  CHECK_FALSE(send_with_client(smtp_port_of(counted), "erin@x.test", "refused once"));
  CHECK(send_with_client(smtp_port_of(counted), "erin@x.test", "then accepted"));
  CHECK(Json::parse(curl(serve.http_port(), prefix(counted) + "rules").body).at(0).at("times_left") == 0);

  const std::string id = std::to_string(rule.at("id").get<std::uint64_t>());
  check_client_error(curl(serve.http_port(), prefix(other) + "rules/" + id, {"-X", "DELETE"}), 404);
  CHECK(curl(serve.http_port(), prefix(counted) + "rules/" + id, {"-X", "DELETE"}).status == 204);
  CHECK(Json::parse(curl(serve.http_port(), prefix(counted) + "rules").body).empty());
}
