// libFuzzer target: serve's HTTP API routes (http::ApiRoutes::handle, and poll for a wait plan)
// on a fresh memory store holding a session, two messages and a refused attempt, with the real
// rules parser behind PUT/POST /api/v1/rules. The input is "METHOD\nTARGET\nCONTENT-TYPE\nBODY":
// a crash, a sanitizer report or an exception out of the routes is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/api_routes.hpp"
#include "scenario/rules_json.hpp"
#include "serve/store.hpp"

namespace {

using namespace maildog;

constexpr std::string_view k_message =
    "From: Sender <sender@yourdomain.test>\r\nTo: user@inbox.test\r\nSubject: Welcome\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n"
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
    "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <img src=\"cid:logo\"></p>\r\n--b1--\r\n";

smtp::Reply reply(int code, std::string text) {
  smtp::Reply out;
  out.code = code;
  out.lines = {std::move(text)};
  return out;
}

serve::StoredMessage message(const std::string& to) {
  serve::StoredMessage stored;
  stored.received = std::chrono::system_clock::now();
  stored.session_id = 1;
  auto& transaction = stored.transaction;
  transaction.mail_from = "sender@yourdomain.test";
  transaction.mail_reply = reply(250, "2.1.0 Ok");
  transaction.recipients.push_back({to, "", reply(250, "2.1.5 Ok"), 1});
  transaction.final_reply = reply(250, "2.0.0 Ok: queued");
  transaction.delivered = true;
  transaction.message = std::make_shared<const std::string>(k_message);
  return stored;
}

std::unique_ptr<serve::MessageStore> filled_store() {
  auto store = serve::make_memory_store(0);
  serve::StoredSession session;
  session.id = 1;
  session.open = false;
  session.record.id = 1;
  session.record.client_address = "127.0.0.1";
  session.record.transcript = {{capture::TranscriptEntry::Direction::client, "EHLO client.test", {}},
                               {capture::TranscriptEntry::Direction::server, "550 5.1.1 User unknown", {}}};
  store->put_session(session);
  store->add(message("user@inbox.test"));
  store->add(message("other@inbox.test"));
  serve::StoredAttempt attempt;
  attempt.at = std::chrono::system_clock::now();
  attempt.session_id = 1;
  attempt.refusals.push_back({"unknown_user", "RCPT", "ghost@inbox.test", {}, reply(550, "5.1.1 User unknown")});
  attempt.transcript = session.record.transcript;
  store->add_attempt_async(std::move(attempt), {});
  return store;
}

// The next line of `input` (without its LF); the rest stays in `input`.
std::string take_line(std::string_view& input) {
  const std::size_t end = input.find('\n');
  std::string line(input.substr(0, end));
  input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  http::ApiRequest request;
  request.method = take_line(input);
  request.target = take_line(input);
  request.content_type = take_line(input);
  request.body = std::string(input);
  request.host = "127.0.0.1:8025";
  request.host_count = 1;

  auto store = filled_store();
  auto rules = std::make_shared<std::string>("[]");
  http::RulesAccess access;
  access.get_json = [rules] { return *rules; };
  access.put_json = [rules](const std::string& text) -> std::optional<std::string> {
    auto update = scenario::parse_rules_json(text);
    if (!update.error.empty()) {
      return update.error;
    }
    *rules = std::move(update.json);
    return std::nullopt;
  };
  http::ApiOptions options;
  options.max_wait = std::chrono::milliseconds(0);
  const http::ApiRoutes routes(*store, std::move(access), options);
  http::Routed routed = routes.handle(request);
  if (auto* plan = std::get_if<http::WaitPlan>(&routed)) {
    // A wait is one look at the store and its timeout answer: the fuzzer never sleeps.
    if (auto found = routes.poll(*plan)) {
      routes.finish(*found);
    } else {
      http::ApiResponse timed_out = routes.wait_timed_out(*plan);
      routes.finish(timed_out);
    }
  } else {
    routes.finish(std::get<http::ApiResponse>(routed));
  }
  return 0;
}
