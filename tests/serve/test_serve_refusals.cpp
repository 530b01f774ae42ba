// `maildog-ci serve` shows what it refused and why (issue 23): swaks is refused, and curl finds
// the attempt in /api/v1/attempts (filters, detail with cause and diagnosis), waits for it with
// /api/v1/wait, sees the refusal count in /api/v1/sessions, and the console prints a line.
// Covers http/attempt_json (an attempt's cause and diagnosis) and serve/attempt_keys (what the
// filters compare) through the built binary.
#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "serve/http_client.hpp"
#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json get_json(std::uint16_t port, const std::string& target, int status = 200) {
  const auto reply = curl(port, target);
  INFO(target << ": " << reply.body);
  REQUIRE(reply.status == status);
  return json::parse(reply.body);
}

ChildResult swaks(std::uint16_t port, const std::string& from, const std::string& to) {
  ChildSpec spec;
  spec.argv = {"swaks",
               "--server",
               "127.0.0.1:" + std::to_string(port),
               "--from",
               from,
               "--to",
               to,
               "--header",
               "Subject: refusal test",
               "--body",
               "hello from swaks"};
  spec.timeout = 30s;
  return run_child(spec);
}

}  // namespace

TEST_CASE("serve: a refused RCPT shows in the API, the wait, the sessions and the console",
          "[serve][integration][http][attempts]") {
  if (!have("swaks") || !have("curl")) {
    return;
  }
  TempDir dir;
  const auto config = dir.path() / "serve.yaml";
  std::ofstream(config) << "name: one mailbox\nserver:\n  mailboxes: [user@inbox.test]\n";
  const bool sqlite = GENERATE(false, true);
  std::vector<std::string> args{"--config", config.string(), "--smtp-port", "0"};
  if (sqlite) {
    args.insert(args.end(), {"--data", (dir.path() / "data").string()});
  }
  ServeProcess serve(args);
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto http = serve.http_port();

  // The test waits for "the app tried ghost and got 550 5.1.1" before the app has tried.
  auto sent = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(300ms);
    return swaks(serve.port(), "app@example.test", "ghost@inbox.test");
  });
  const auto waited = get_json(http, "/api/v1/wait?status=refused&enhanced=5.1.1&to=ghost@inbox.test&timeout=20");
  const auto refused = sent.get();
  INFO(refused.describe());
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.find("550 5.1.1") != std::string::npos);
  CHECK(waited.at("status") == "refused");
  CHECK(waited.at("reply").at("code") == 550);
  CHECK(waited.at("reasons") == json::array({"unknown_user"}));
  const auto id = waited.at("id").get<std::uint64_t>();

  // /messages keeps its meaning: nothing was accepted.
  CHECK(get_json(http, "/api/v1/messages").at("count") == 0);
  CHECK(get_json(http, "/api/v1/attempts?status=refused").at("count") == 1);
  CHECK(get_json(http, "/api/v1/attempts?status=accepted").at("count") == 0);
  CHECK(get_json(http, "/api/v1/attempts?reason=unknown_user&code=550&from=app@").at("count") == 1);
  CHECK(get_json(http, "/api/v1/attempts?reason=relay").at("count") == 0);
  CHECK(get_json(http, "/api/v1/attempts?reason=nonsense", 400).at("error").get<std::string>().find("unknown_user") !=
        std::string::npos);
  CHECK(get_json(http, "/api/v1/attempts?status=maybe", 400).contains("error"));
  CHECK(get_json(http, "/api/v1/attempts/999999", 404).contains("error"));

  const auto detail = get_json(http, "/api/v1/attempts/" + std::to_string(id));
  CHECK(detail.at("from") == "app@example.test");
  CHECK(detail.at("recipients").at(0).at("address") == "ghost@inbox.test");
  CHECK(detail.at("recipients").at(0).at("accepted") == false);
  const auto& cause = detail.at("cause");
  CHECK(cause.at("kind") == "envelope");
  CHECK(cause.at("field") == "RCPT TO");
  CHECK(cause.at("value") == "ghost@inbox.test");
  const auto& transcript = detail.at("transcript");
  const auto line = cause.at("transcript_line").get<std::size_t>();
  REQUIRE(line < transcript.size());
  CHECK(transcript.at(line).at("text").get<std::string>().starts_with("550 5.1.1"));
  CHECK(transcript.at(cause.at("command_line").get<std::size_t>()).at("text") == "RCPT TO:<ghost@inbox.test>");
  CHECK(detail.at("diagnosis").at("diagnosis") == "user_unknown");
  CHECK_FALSE(detail.at("diagnosis").at("fixes").empty());

  // The session says it refused something.
  const auto sessions = get_json(http, "/api/v1/sessions");
  CHECK(sessions.at("sessions").at(0).at("refusal_count") == 1);

  // One console line per refusal: time, client, what, reply, reason.
  REQUIRE(serve.wait_for_output("RCPT <ghost@inbox.test>", 10s));
  CHECK(std::regex_search(
      serve.output(),
      std::regex(R"(refused \d\d:\d\d:\d\d 127\.0\.0\.1 RCPT <ghost@inbox\.test> 550 5\.1\.1 unknown_user)")));

  // A wait on attempt filters that nothing matches times out as a wait for messages does.
  CHECK(get_json(http, "/api/v1/wait?status=refused&reason=relay&timeout=200ms", 408).contains("error"));
}

TEST_CASE("serve: a DMARC refusal at end of data names the DMARC result as its cause",
          "[serve][integration][http][attempts]") {
  if (!have("swaks") || !have("curl")) {
    return;
  }
  ServeProcess serve({"--config", (source_dir() / "scenarios" / "dmarc_reject.yaml").string(), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto refused = swaks(serve.port(), "app@yourdomain.test", "user@inbox.test");
  INFO(refused.describe());
  CHECK(refused.out.find("550 5.7.26") != std::string::npos);
  const auto waited = get_json(serve.http_port(), "/api/v1/wait?reason=dmarc&timeout=20");
  const auto detail = get_json(serve.http_port(), "/api/v1/attempts/" + std::to_string(waited.at("id").get<int>()));
  CHECK(detail.at("stage") == "END_OF_DATA");
  CHECK(detail.at("subject") == "refusal test");
  CHECK(detail.at("auth").at("dmarc") == "fail");
  CHECK(detail.at("cause").at("kind") == "check");
  CHECK(detail.at("cause").at("check") == "dmarc");
  CHECK(detail.at("cause").at("result") == "fail");
  CHECK(detail.at("diagnosis").at("enhanced") == "5.7.26");
  REQUIRE(serve.wait_for_output("end of DATA from <app@yourdomain.test> 550 5.7.26 dmarc", 10s));
}

TEST_CASE("serve: --keep-refused keeps refusals apart from the messages", "[serve][integration][http][attempts]") {
  if (!have("swaks") || !have("curl")) {
    return;
  }
  TempDir dir;
  const auto config = dir.path() / "serve.yaml";
  std::ofstream(config) << "name: one mailbox\nserver:\n  mailboxes: [user@inbox.test]\n";
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0", "--keep", "1", "--keep-refused", "2"});
  INFO(serve.output());
  REQUIRE(serve.started());
  CHECK(swaks(serve.port(), "app@example.test", "user@inbox.test").exit_code == 0);
  for (int i = 0; i < 3; ++i) {
    swaks(serve.port(), "app@example.test", "ghost" + std::to_string(i) + "@inbox.test");
  }
  get_json(serve.http_port(), "/api/v1/wait?to=ghost2@inbox.test&status=refused&timeout=20");
  CHECK(get_json(serve.http_port(), "/api/v1/messages").at("count") == 1);
  const auto refused = get_json(serve.http_port(), "/api/v1/attempts?status=refused");
  REQUIRE(refused.at("count") == 2);
  CHECK(refused.at("attempts").at(0).at("recipients").at(0).at("address") == "ghost2@inbox.test");
  CHECK(get_json(serve.http_port(), "/api/v1/attempts?status=accepted").at("count") == 1);
}
