// The HTTP API over real HTTP on 127.0.0.1 with curl as the client: every route, the filters,
// errors, the token, the limits, long-polls, keep-alive, and every JSON reply against its
// schema in schemas/api.openapi.json.
#include <algorithm>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "http/api_fixture.hpp"
#include "support/child.hpp"
#include "support/skip.hpp"

using namespace maildog;
using namespace maildog::test;

namespace {

std::vector<std::string> subjects(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& message : list.at("messages")) {
    out.push_back(message.at("subject"));
  }
  return out;
}

}  // namespace

TEST_CASE("the message routes", "[http]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed (ci/install-deps.sh installs it): HTTP API tests skipped");
    return;
  }
  ApiFixture api;
  const std::string message = "/api/v1/messages/" + std::to_string(api.multipart_id);

  SECTION("health needs no token and counts messages") {
    const auto body = expect_json(api.get("/healthz"), 200, "Health");
    CHECK(body.at("messages") == 2);
  }
  SECTION("the list, newest first, and its filters") {
    const auto all = expect_json(api.get("/api/v1/messages"), 200, "MessageList");
    CHECK(subjects(all) == std::vector<std::string>{"Weekly digest", "Reset your password \xE2\x9C\x93"});
    CHECK(all.at("messages").at(1).at("to") == nlohmann::json::array({"user@inbox.test"}));
    CHECK(subjects(expect_json(api.get("/api/v1/messages?to=USER@inbox"), 200, "MessageList")).size() == 1);
    CHECK(subjects(expect_json(api.get("/api/v1/messages?from=news.test"), 200, "MessageList")) ==
          std::vector<std::string>{"Weekly digest"});
    CHECK(subjects(expect_json(api.get("/api/v1/messages?subject=weekly+DIGEST"), 200, "MessageList")) ==
          std::vector<std::string>{"Weekly digest"});
    CHECK(subjects(expect_json(api.get("/api/v1/messages?auth=dmarc%3Dfail"), 200, "MessageList")) ==
          std::vector<std::string>{"Reset your password \xE2\x9C\x93"});
    CHECK(expect_json(api.get("/api/v1/messages?since=2100-01-01T00:00:00Z"), 200, "MessageList").at("count") == 0);
    CHECK(expect_json(api.get("/api/v1/messages?since=2000-01-01T01:00:00%2B01:00"), 200, "MessageList").at("count") ==
          2);
    CHECK(expect_json(api.get("/api/v1/messages?limit=1"), 200, "MessageList").at("count") == 1);
    CHECK(expect_json(api.get("/api/v1/messages?since=yesterday"), 400, "Error")
              .at("error")
              .get<std::string>()
              .find("RFC 3339") != std::string::npos);
    expect_json(api.get("/api/v1/messages?auth=dmarc"), 400, "Error");
    expect_json(api.get("/api/v1/messages?limit=0"), 400, "Error");
    const auto huge = expect_json(api.get("/api/v1/messages?limit=99999999999999999999999"), 400, "Error");
    CHECK(huge.at("error").get<std::string>().find("too large") != std::string::npos);
    CHECK(expect_json(api.get("/api/v1/messages?limit=18446744073709551615"), 200, "MessageList").at("count") == 2);
    expect_json(api.get("/api/v1/messages?before=x"), 400, "Error");
  }
  SECTION("one message: envelope, recipients with replies, auth and lint") {
    const auto body = expect_json(api.get(message), 200, "MessageDetail");
    CHECK(body.at("id") == api.multipart_id);
    CHECK(body.at("envelope").at("mail_from") == "sender@yourdomain.test");
    CHECK(body.at("recipients").at(1).at("reply").at("enhanced") == "5.1.1");
    CHECK(body.at("recipients").at(1).at("accepted") == false);
    CHECK(body.at("auth").at("dmarc") == "fail");
    CHECK(body.at("authentication_results").get<std::string>().starts_with("mx.sandbox.test; spf=pass"));
    CHECK(body.at("lint").at(0).at("name") == "missing_list_unsubscribe");
    CHECK(body.at("session_id") == 1);
    CHECK(body.at("size") == std::string(k_multipart_message).size());
  }
  SECTION("the raw source is the exact bytes") {
    const auto reply = api.get(message + "/raw");
    check_framing(reply);
    CHECK(reply.status == 200);
    CHECK(reply.headers.at("content-type") == "message/rfc822");
    CHECK(reply.body == k_multipart_message);
    CHECK(reply.headers.at("content-security-policy").ends_with("; sandbox"));
  }
  SECTION("headers decoded") {
    const auto body = expect_json(api.get(message + "/headers"), 200, "Headers");
    CHECK(body.at("headers").at(2) ==
          nlohmann::json({{"name", "Subject"}, {"value", "Reset your password \xE2\x9C\x93"}}));
    CHECK(body.at("headers").size() == 7);
  }
  SECTION("the MIME tree") {
    const auto body = expect_json(api.get(message + "/mime"), 200, "Mime");
    const auto& root = body.at("root");
    CHECK(root.at("content_type") == "multipart/mixed");
    REQUIRE(root.at("children").size() == 2);
    CHECK(root.at("children").at(0).at("content_type") == "multipart/alternative");
    CHECK(root.at("children").at(0).at("children").at(1).at("content_type") == "text/html");
    CHECK(root.at("children").at(1).at("filename") == "invoice.pdf");
    CHECK(root.at("children").at(1).at("path") == "2");
    CHECK(body.at("problems").empty());
  }
  SECTION("parts decoded, with their type") {
    const auto pdf = api.get(message + "/parts/2");
    check_framing(pdf);
    CHECK(pdf.status == 200);
    CHECK(pdf.headers.at("content-type") == "application/pdf");
    CHECK(pdf.body == "%PDF-1.4\n%\xC7\xEC\x8F\xA2\n");
    CHECK(pdf.headers.at("content-disposition") == "attachment; filename*=UTF-8''invoice.pdf");
    const auto text = api.get(message + "/parts/1.1");
    CHECK(text.headers.at("content-type") == "text/plain; charset=utf-8");
    CHECK(text.body == "Click the link to reset your password.");  // the CRLF before a boundary is the boundary's
    expect_json(api.get(message + "/parts/9"), 404, "Error");
    expect_json(api.get(message + "/parts/1"), 404, "Error");  // a multipart has no content of its own
  }
  SECTION("text and HTML bodies") {
    const auto html = api.get(message + "/body/html");
    check_framing(html);
    CHECK(html.headers.at("content-type") == "text/html; charset=utf-8");
    CHECK(html.body.find("<b>the link</b>") != std::string::npos);
    CHECK(html.headers.at("content-security-policy").ends_with("; sandbox"));
    CHECK(api.get(message + "/body/plain").body.find("reset your password") != std::string::npos);
    expect_json(api.get("/api/v1/messages/" + std::to_string(api.plain_id) + "/body/html"), 404, "Error");
  }
  SECTION("auth results with reasons") {
    const auto body = expect_json(api.get(message + "/auth"), 200, "Auth");
    CHECK(body.at("authserv_id") == "mx.sandbox.test");
    REQUIRE(body.at("methods").size() == 3);
    CHECK(body.at("methods").at(1).at("method") == "dkim");
    CHECK(body.at("methods").at(1).at("result") == "fail");
    CHECK(body.at("methods").at(1).at("reason") == "body hash did not verify");
    CHECK(body.at("methods").at(1).at("properties").at("header.s") == "s1");
    CHECK(body.at("methods").at(2).at("comment") == "p=reject dis=reject");
    CHECK(body.at("results").at("spf") == "pass");
  }
  SECTION("the transcript of its session") {
    const auto body = expect_json(api.get(message + "/transcript"), 200, "Transcript");
    CHECK(body.at("transcript").at(3).at("text") ==
          "550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown");
    CHECK(body.at("transcript").at(1).at("direction") == "client");
  }
  SECTION("sessions") {
    const auto list = expect_json(api.get("/api/v1/sessions"), 200, "SessionList");
    CHECK(list.at("sessions").at(0).at("helo") == "client.yourdomain.test");
    const auto one = expect_json(api.get("/api/v1/sessions/1"), 200, "SessionDetail");
    CHECK(one.at("refusals").at(0).at("reason") == "unknown_user");
    CHECK(one.at("transcript").size() == 5);
    expect_json(api.get("/api/v1/sessions/99"), 404, "Error");
  }
  SECTION("unknown messages, paths and methods") {
    expect_json(api.get("/api/v1/messages/999"), 404, "Error");
    expect_json(api.get("/api/v1/messages/abc/raw"), 404, "Error");
    expect_json(api.get("/api/v1/nothing"), 404, "Error");
    const auto post = api.request("/api/v1/messages", {"-X", "POST"});
    expect_json(post, 405, "Error");
    CHECK(post.headers.at("allow") == "GET, DELETE");
  }
  SECTION("delete one, then all") {
    CHECK(expect_json(api.request(message, {"-X", "DELETE"}), 200, "Deleted").at("deleted") == 1);
    expect_json(api.get(message), 404, "Error");
    expect_json(api.request(message, {"-X", "DELETE"}), 404, "Error");
    CHECK(expect_json(api.request("/api/v1/messages", {"-X", "DELETE"}), 200, "Deleted").at("deleted") == 1);
    CHECK(expect_json(api.get("/api/v1/messages"), 200, "MessageList").at("count") == 0);
  }
  SECTION("rules: read, replace, refuse") {
    CHECK(expect_json(api.get("/api/v1/rules"), 200, "Rules").empty());
    const std::string rules = R"([{"at":"rcpt","match":{"rcpt":"ghost@inbox.test"},"reply":"550 5.1.1 User unknown"}])";
    const auto put = expect_json(
        api.request("/api/v1/rules", {"-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", rules}),
        200, "Rules");
    CHECK(put == nlohmann::json::parse(rules));
    CHECK(expect_json(api.get("/api/v1/rules"), 200, "Rules") == nlohmann::json::parse(rules));
    const auto refused = expect_json(api.request("/api/v1/rules", {"-X", "PUT", "-H", "Content-Type: application/json",
                                                                   "--data-binary", R"([{"reply":"550"}])"}),
                                     400, "Error");
    CHECK(refused.at("error") == "rules[0]: `at` is required");
    expect_json(api.request("/api/v1/rules",
                            {"-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "{not json"}),
                400, "Error");
    CHECK(expect_json(api.get("/api/v1/rules"), 200, "Rules") == nlohmann::json::parse(rules));
  }
  SECTION("keep-alive: two requests on one connection") {
    const auto reply = api.request("/healthz", {"-v", api.url("/api/v1/messages")});
    CHECK(reply.trace.find("Re-using existing connection") != std::string::npos);
  }
  SECTION("no CORS headers unless enabled") {
    CHECK(api.get("/api/v1/messages").headers.count("access-control-allow-origin") == 0);
  }
}

TEST_CASE("the bearer token, CORS and request limits", "[http]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: HTTP API tests skipped");
    return;
  }
  http::ApiOptions options;
  options.token = "s3cret-token";
  options.max_body = 1024;
  options.cors = true;
  ApiFixture api(options);

  SECTION("401 without or with a wrong token, 200 with it") {
    const auto without = api.get("/api/v1/messages");
    expect_json(without, 401, "Error");
    CHECK(without.headers.at("www-authenticate").starts_with("Bearer"));
    expect_json(api.request("/api/v1/messages", {"-H", "Authorization: Bearer s3cret-tokeX"}), 401, "Error");
    expect_json(api.request("/api/v1/messages", {"-H", "Authorization: Bearer s3cret"}), 401, "Error");
    expect_json(api.request("/api/v1/messages", {"-H", "Authorization: Basic czNjcmV0LXRva2Vu"}), 401, "Error");
    expect_json(api.request("/api/v1/messages", {"-H", "Authorization: Bearer s3cret-token"}), 200, "MessageList");
  }
  SECTION("/healthz answers without the token, but counts messages only with it") {
    const auto open = expect_json(api.get("/healthz"), 200, "Health");
    CHECK(open == nlohmann::json({{"status", "ok"}}));
    CHECK(expect_json(api.request("/healthz", {"-H", "Authorization: Bearer wrong"}), 200, "Health")
              .contains("messages") == false);
    CHECK(expect_json(api.request("/healthz", {"-H", "Authorization: Bearer s3cret-token"}), 200, "Health")
              .at("messages") == 2);
  }
  SECTION("CORS when enabled") {
    const auto reply = api.request("/api/v1/messages", {"-H", "Authorization: bearer s3cret-token"});
    CHECK(reply.headers.at("access-control-allow-origin") == "*");
    const auto preflight = api.request("/api/v1/rules", {"-X", "OPTIONS"});
    CHECK(preflight.status == 200);
    CHECK(preflight.headers.at("access-control-allow-headers").find("Authorization") != std::string::npos);
  }
  SECTION("413 for a body over the limit") {
    const auto reply = api.request("/api/v1/rules", {"-X", "PUT", "-H", "Authorization: Bearer s3cret-token", "-H",
                                                     "Content-Type: application/json", "--data-binary",
                                                     "[" + std::string(2000, ' ') + "]"});
    expect_json(reply, 413, "Error");
  }
  SECTION("413 for a body of megabytes reaches a client that sends it all before reading") {
    // Closing at once while the client still sends makes its TCP reset the answer away; the
    // server reads and drops the rest first (RFC 9112 9.6). The client here writes the whole
    // request, then reads, as simple HTTP clients do: without the drain it mostly gets a reset.
    const std::string port = api.url("/").substr(std::string("http://127.0.0.1:").size());
    const std::string client = R"(import socket, sys
body = b"[" + b" " * (3 * 1024 * 1024) + b"]"
head = ("PUT /api/v1/rules HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret-token\r\n"
        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)).encode()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1].rstrip("/"))), timeout=20)
try:
    s.sendall(head + body)
except OSError as error:
    print("send:", error)
answer = b""
try:
    while chunk := s.recv(65536):
        answer += chunk
except OSError as error:
    print("recv:", error)
print(answer.split(b"\r\n", 1)[0].decode(errors="replace"))
)";
    for (int round = 0; round < 6; ++round) {
      ChildSpec spec;
      spec.argv = {"/usr/bin/python3", "-c", client, port};
      const auto result = run_child(spec);
      INFO("round " << round << ": " << result.describe());
      CHECK(result.out.find("HTTP/1.1 413") != std::string::npos);
    }
  }
  SECTION("431 for one header field over the header limit, with a short target") {
    const auto reply = api.request("/healthz", {"-H", "X-Big: " + std::string(40 * 1024, 'a')});
    expect_json(reply, 431, "Error");
    CHECK(reply.json().at("error") == "the request header is too large");
  }
  SECTION("414 for a target over the limit") {
    expect_json(api.get("/api/v1/messages?subject=" + std::string(http::k_max_target, 'x')), 414, "Error");
    expect_json(api.get("/api/v1/messages?subject=" + std::string(http::k_max_header + 10, 'x')), 414, "Error");
  }
}

TEST_CASE("long-polls for a message", "[http][wait]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: HTTP API tests skipped");
    return;
  }
  ApiFixture api;

  SECTION("returns when a matching message is added from another thread") {
    auto waiting =
        std::async(std::launch::async, [&api] { return api.get("/api/v1/wait?to=late@inbox.test&timeout=60"); });
    // Give curl a moment to be waiting, then add other messages before the awaited one.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    api.store->add(plain_message(1, "someone@inbox.test", "not this one"));
    api.store->add(plain_message(1, "late@inbox.test", "Your late message"));
    const auto body = expect_json(waiting.get(), 200, "MessageSummary");
    CHECK(body.at("subject") == "Your late message");
  }
  SECTION("a message already stored is returned at once") {
    CHECK(expect_json(api.get("/api/v1/wait?subject=digest"), 200, "MessageSummary").at("id") == api.plain_id);
  }
  SECTION("408 with a JSON error on timeout") {
    const auto body = expect_json(api.get("/api/v1/wait?to=nobody@inbox.test&timeout=300ms"), 408, "Error");
    CHECK(body.at("error").get<std::string>().find("300 ms") != std::string::npos);
    expect_json(api.get("/api/v1/wait?timeout=soon"), 400, "Error");
  }
  SECTION("stop() ends a pending long-poll") {
    auto waiting = std::async(std::launch::async, [&api] {
      ChildSpec spec;
      spec.argv = {"curl", "-sS", api.url("/api/v1/wait?to=nobody@inbox.test&timeout=250")};
      return run_child(spec);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    api.server->stop();
    const auto result = waiting.get();
    CHECK(result.exit_code == 52);  // curl: empty reply from server
  }
}

TEST_CASE("paging back with before=: every message, beyond the newest 1,000", "[http][paging]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed: HTTP API tests skipped");
    return;
  }
  ApiFixture api;
  for (int i = 0; i < 1100; ++i) {
    api.store->add(plain_message(1, "bulk@inbox.test", "bulk " + std::to_string(i)));
  }
  std::vector<std::uint64_t> seen;
  std::string target = "/api/v1/messages?limit=1000";
  for (int page = 0; page < 5; ++page) {
    const auto list = expect_json(api.get(target), 200, "MessageList");
    if (list.at("messages").empty()) {
      break;
    }
    for (const auto& message : list.at("messages")) {
      seen.push_back(message.at("id"));
    }
    target = "/api/v1/messages?limit=1000&before=" + std::to_string(seen.back());
  }
  REQUIRE(seen.size() == 1102);
  CHECK(std::is_sorted(seen.rbegin(), seen.rend()));
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen.back() == api.multipart_id);
  // With a filter, the cursor pages through the matches only.
  const auto bulk = expect_json(api.get("/api/v1/messages?to=bulk@&limit=3&before=" + std::to_string(seen.at(1))), 200,
                                "MessageList");
  CHECK(bulk.at("count") == 3);
  CHECK(bulk.at("messages").at(0).at("id") == seen.at(2));
}

TEST_CASE("the attempt routes: list, filters, detail with cause and diagnosis, and the wait", "[http][attempts]") {
  if (!program_available("curl")) {
    MAILDOG_SKIP("curl is not installed (ci/install-deps.sh installs it): HTTP API tests skipped");
    return;
  }
  ApiFixture api;
  serve::StoredAttempt refused;
  refused.at = std::chrono::system_clock::now();
  refused.session_id = 1;
  refused.client_address = "127.0.0.1";
  refused.helo = "client.test";
  capture::TransactionRecord transaction;
  transaction.mail_from = "app@example.test";
  transaction.mail_reply = smtp::make_reply(250, smtp::EnhancedCode{2, 1, 0}, "Ok");
  const smtp::Reply reply = smtp::make_reply(554, smtp::EnhancedCode{5, 7, 1}, "<x@relay.test>: Relay access denied");
  transaction.recipients.push_back({"x@relay.test", "", reply, 1});
  refused.transaction = transaction;
  refused.refusals.push_back(
      {.reason = "relay", .command = "RCPT", .argument = "x@relay.test", .recipients = {}, .reply = reply});
  refused.ended = "quit";
  refused.transcript = {{capture::TranscriptEntry::Direction::client, "RCPT TO:<x@relay.test>",
                         std::chrono::microseconds(1)},
                        {capture::TranscriptEntry::Direction::server, "554 5.7.1 <x@relay.test>: Relay access denied",
                         std::chrono::microseconds(2)}};
  std::promise<std::uint64_t> stored;
  api.store->add_attempt_async(refused, [&](std::uint64_t id, std::exception_ptr) { stored.set_value(id); });
  const auto id = stored.get_future().get();

  const auto all = expect_json(api.get("/api/v1/attempts"), 200, "AttemptList");
  REQUIRE(all.at("count") == 3);  // the fixture's two messages (one partly refused) and the refusal
  CHECK(all.at("attempts").at(0).at("status") == "refused");
  CHECK(all.at("attempts").at(1).at("status") == "accepted");
  CHECK(expect_json(api.get("/api/v1/attempts?status=refused&reason=relay&enhanced=5.7.1"), 200, "AttemptList")
            .at("count") == 1);
  CHECK(expect_json(api.get("/api/v1/attempts?status=accepted"), 200, "AttemptList").at("count") == 1);
  const auto partial = expect_json(api.get("/api/v1/attempts?status=partial"), 200, "AttemptList");
  REQUIRE(partial.at("count") == 1);
  CHECK(partial.at("attempts").at(0).at("message_id") == api.multipart_id);
  CHECK(partial.at("attempts").at(0).at("reply").at("enhanced") == "5.1.1");
  CHECK(expect_json(api.get("/api/v1/attempts?before=" + std::to_string(id) + "&limit=1"), 200, "AttemptList")
            .at("attempts")
            .at(0)
            .at("status") == "accepted");
  expect_json(api.get("/api/v1/attempts?code=abc"), 400, "Error");
  expect_json(api.get("/api/v1/attempts?enhanced=9.9"), 400, "Error");
  expect_json(api.get("/api/v1/attempts?auth=dmarc=fail"), 400, "Error");

  const auto detail = expect_json(api.get("/api/v1/attempts/" + std::to_string(id)), 200, "AttemptDetail");
  CHECK(detail.at("cause").at("field") == "RCPT TO");
  CHECK(detail.at("cause").at("transcript_line") == 1);
  CHECK(detail.at("cause").at("command_line") == 0);
  CHECK(detail.at("diagnosis").at("diagnosis").get<std::string>().find("relay") != std::string::npos);
  // An accepted attempt shows its session's transcript and no cause.
  const auto accepted = expect_json(api.get("/api/v1/attempts/2"), 200, "AttemptDetail");
  CHECK(accepted.at("cause").is_null());
  CHECK(accepted.at("message_id") == api.plain_id);
  CHECK_FALSE(accepted.at("transcript").empty());
  expect_json(api.get("/api/v1/attempts/99"), 404, "Error");

  const auto waited = expect_json(api.get("/api/v1/wait?status=refused&to=x@relay&timeout=5"), 200, "AttemptSummary");
  CHECK(waited.at("id") == id);
  expect_json(api.get("/api/v1/wait?status=partial&to=nobody@&timeout=100ms"), 408, "Error");
  expect_json(api.get("/api/v1/sessions"), 200, "SessionList");
}
