#include "http/api_fixture.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "report/json_schema.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"

namespace maildog::test {

const char* const k_multipart_message =
    "From: Sender <sender@yourdomain.test>\r\n"
    "To: user@inbox.test\r\n"
    "Subject: =?UTF-8?Q?Reset_your_password_=E2=9C=93?=\r\n"
    "Date: Sun, 29 Nov 2026 08:00:00 +0000\r\n"
    "Message-ID: <reset-1@yourdomain.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Click the link to reset your password.\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Click <b>the link</b> to reset.</p><script>document.title='pwned'</script>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"invoice.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKJcfsj6IK\r\n"
    "--outer--\r\n";

const char* const k_plain_message =
    "From: digest@news.test\r\n"
    "To: {to}\r\n"
    "Subject: {subject}\r\n"
    "Message-ID: <digest@news.test>\r\n"
    "\r\n"
    "This week in the sandbox.\r\n";

namespace {

smtp::Reply reply(int code, const char* enhanced, const char* text) {
  return smtp::make_reply(code, smtp::EnhancedCode::parse(enhanced), text);
}

std::string replaced(std::string text, const std::string& name, const std::string& value) {
  text.replace(text.find(name), name.size(), value);
  return text;
}

}  // namespace

serve::StoredMessage multipart_message(std::uint64_t session_id) {
  serve::StoredMessage message;
  message.received = std::chrono::system_clock::now();
  message.session_id = session_id;
  auto& transaction = message.transaction;
  transaction.mail_from = "sender@yourdomain.test";
  transaction.mail_reply = reply(250, "2.1.0", "Ok");
  transaction.recipients.push_back({"user@inbox.test", "", reply(250, "2.1.5", "Ok"), 1});
  transaction.recipients.push_back(
      {"ghost@inbox.test", "", reply(550, "5.1.1", "<ghost@inbox.test>: Recipient address rejected: User unknown"), 1});
  transaction.data_reply = reply(354, "", "End data with <CR><LF>.<CR><LF>");
  transaction.final_reply = reply(250, "2.0.0", "Ok: queued");
  transaction.delivered = true;
  transaction.message = std::make_shared<const std::string>(k_multipart_message);
  transaction.authentication_results =
      "mx.sandbox.test; spf=pass smtp.mailfrom=yourdomain.test; dkim=fail reason=\"body hash did not verify\" "
      "header.d=yourdomain.test header.s=s1; dmarc=fail (p=reject dis=reject) header.from=yourdomain.test";
  transaction.auth_results = {{"spf", "pass"}, {"dkim", "fail"}, {"dmarc", "fail"}};
  transaction.lint.push_back({"missing_list_unsubscribe", "no List-Unsubscribe header", 0, ""});
  return message;
}

serve::StoredMessage plain_message(std::uint64_t session_id, const std::string& to, const std::string& subject) {
  serve::StoredMessage message;
  message.received = std::chrono::system_clock::now();
  message.session_id = session_id;
  auto& transaction = message.transaction;
  transaction.mail_from = "digest@news.test";
  transaction.mail_reply = reply(250, "2.1.0", "Ok");
  transaction.recipients.push_back({to, "", reply(250, "2.1.5", "Ok"), 1});
  transaction.final_reply = reply(250, "2.0.0", "Ok: queued");
  transaction.delivered = true;
  transaction.message =
      std::make_shared<const std::string>(replaced(replaced(k_plain_message, "{to}", to), "{subject}", subject));
  transaction.authentication_results =
      "mx.sandbox.test; spf=pass smtp.mailfrom=news.test; dmarc=pass header.from=news.test";
  transaction.auth_results = {{"spf", "pass"}, {"dmarc", "pass"}};
  return message;
}

serve::StoredSession finished_session(std::uint64_t id) {
  serve::StoredSession session;
  session.id = id;
  session.open = false;
  auto& record = session.record;
  record.id = id;
  record.client_address = "127.0.0.1";
  record.client_port = 40000;
  record.helo = "client.yourdomain.test";
  record.esmtp = true;
  record.started = std::chrono::system_clock::now();
  record.duration = std::chrono::milliseconds(12);
  record.close_reason = "quit";
  using Direction = capture::TranscriptEntry::Direction;
  record.transcript = {
      {Direction::server, "220 mx.sandbox.test ESMTP", {}},
      {Direction::client, "EHLO client.yourdomain.test", {}},
      {Direction::client, "RCPT TO:<ghost@inbox.test>", {}},
      {Direction::server, "550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown", {}},
      {Direction::client, "QUIT", {}}};
  record.refusals.push_back({"unknown_user", "RCPT", "ghost@inbox.test", {}, reply(550, "5.1.1", "User unknown")});
  return session;
}

http::RulesAccess RulesDouble::access() {
  // A stand-in for the scenario loader's check: every rule needs a stage.
  return {[this] { return rules; },
          [this](const std::string& json) -> std::optional<std::string> {
            const auto parsed = nlohmann::json::parse(json);
            for (std::size_t i = 0; i < parsed.size(); ++i) {
              if (!parsed[i].is_object() || !parsed[i].contains("at")) {
                return "rules[" + std::to_string(i) + "]: `at` is required";
              }
            }
            rules = parsed.dump();
            return std::nullopt;
          },
          // POST and DELETE of one rule are serve's (tests/serve/test_serve_rules.cpp).
          [](const std::string&) {
            return http::RuleAdded{{}, "this double only reads and replaces"};
          },
          [](std::uint64_t) { return false; }};
}

ApiFixture::ApiFixture(http::ApiOptions options, http::SandboxRegistry* sandboxes)
    : store(serve::make_memory_store(0)) {
  store->put_session(finished_session(1));
  multipart_id = store->add(multipart_message(1));
  plain_id = store->add(plain_message(1, "news@inbox.test", "Weekly digest"));
  server = std::make_unique<http::ApiServer>(*store, rules.access(), std::move(options), sandboxes);
  server->start();
}

ApiFixture::~ApiFixture() { server->stop(); }

std::string ApiFixture::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(server->port()) + path;
}

HttpReply ApiFixture::request(const std::string& path, std::vector<std::string> args) const {
  ChildSpec spec;
  spec.argv = {"curl", "-sS", "-i", "--max-time", "60"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.argv.push_back(url(path));
  spec.timeout = std::chrono::seconds(90);
  const ChildResult result = run_child(spec);
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  HttpReply reply;
  reply.trace = result.err;
  std::string_view rest = result.out;
  // curl -i prints interim 100 Continue replies before the final one.
  for (;;) {
    const std::size_t end = rest.find("\r\n\r\n");
    REQUIRE(end != std::string_view::npos);
    const std::string_view head = rest.substr(0, end);
    rest.remove_prefix(end + 4);
    if (head.starts_with("HTTP/1.1 100")) {
      continue;
    }
    reply.status = std::stoi(std::string(head.substr(9, 3)));
    std::size_t start = head.find("\r\n");
    while (start != std::string_view::npos) {
      const std::size_t next = head.find("\r\n", start + 2);
      const std::string_view line =
          head.substr(start + 2, next == std::string_view::npos ? std::string_view::npos : next - start - 2);
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        for (char& c : name) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        reply.headers[name] = std::string(line.substr(line.find_first_not_of(' ', colon + 1)));
      }
      start = next;
    }
    break;
  }
  reply.body = std::string(rest);
  return reply;
}

void check_framing(const HttpReply& reply) {
  if (reply.status == 204) {  // RFC 9110 8.6: no content, so no Content-Length (and no type)
    CHECK(reply.headers.count("content-length") == 0);
    CHECK(reply.headers.count("content-type") == 0);
    CHECK(reply.body.empty());
    return;
  }
  REQUIRE(reply.headers.count("content-type") == 1);
  REQUIRE(reply.headers.count("content-length") == 1);
  CHECK(reply.headers.at("content-length") == std::to_string(reply.body.size()));
}

nlohmann::json expect_json(const HttpReply& reply, int status, const std::string& schema) {
  INFO(reply.body.substr(0, 2000));
  check_framing(reply);
  REQUIRE(reply.status == status);
  CHECK(reply.headers.at("content-type") == "application/json");
  const auto body = reply.json();
  CHECK(openapi_errors(body, schema) == "");
  return body;
}

std::string openapi_errors(const nlohmann::json& document, const std::string& name) {
  static const nlohmann::json k_api = [] {
    std::ifstream in(source_dir() / "schemas" / "api.openapi.json");
    return nlohmann::json::parse(in);
  }();
  const nlohmann::json schema = {{"$ref", "#/components/schemas/" + name}, {"components", k_api.at("components")}};
  REQUIRE(k_api.at("components").at("schemas").contains(name));
  return report::json_schema_errors(schema, document, 5);
}

}  // namespace maildog::test
