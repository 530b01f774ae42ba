// A store filled with real message bytes (multipart/alternative + attachment, auth results, a
// session transcript), an ApiServer on 127.0.0.1:0 over it, and curl as the HTTP client.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/api_server.hpp"
#include "serve/store.hpp"

namespace maildog::test {

// The message with text and HTML alternatives and a PDF attachment; and a plain one.
extern const char* const k_multipart_message;
extern const char* const k_plain_message;

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case; the last of a repeated name
  std::string body;
  std::string trace;  // curl's stderr (with -v: the connection log)

  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

serve::StoredMessage multipart_message(std::uint64_t session_id);
serve::StoredMessage plain_message(std::uint64_t session_id, const std::string& to, const std::string& subject);
serve::StoredSession finished_session(std::uint64_t id);

struct RulesDouble {
  std::string rules = "[]";
  http::RulesAccess access();
};

class ApiFixture {
 public:
  // `sandboxes`: served as POST/GET/DELETE /api/v1/sandboxes and the routes under their prefix.
  explicit ApiFixture(http::ApiOptions options = {}, http::SandboxRegistry* sandboxes = nullptr);
  ~ApiFixture();

  std::string url(const std::string& path) const;
  // curl `args...` URL; the reply's status, headers and body.
  HttpReply request(const std::string& path, std::vector<std::string> args = {}) const;
  HttpReply get(const std::string& path) const { return request(path); }

  std::unique_ptr<serve::MessageStore> store;
  RulesDouble rules;
  std::uint64_t multipart_id = 0;
  std::uint64_t plain_id = 0;
  std::unique_ptr<http::ApiServer> server;
};

// Every reply the server sends says what it is and how long it is.
void check_framing(const HttpReply& reply);
// A JSON reply with this status, framed as check_framing wants and valid against the named
// schema of schemas/api.openapi.json; its body.
nlohmann::json expect_json(const HttpReply& reply, int status, const std::string& schema);
// Problems of `document` against components.schemas[name] of schemas/api.openapi.json.
std::string openapi_errors(const nlohmann::json& document, const std::string& name);

}  // namespace maildog::test
