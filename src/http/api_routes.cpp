#include "http/api_routes.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>

#include "core/ascii.hpp"
#include "core/json_depth.hpp"
#include "http/attempt_json.hpp"
#include "http/inspector_assets.hpp"
#include "http/message_json.hpp"
#include "http/mime_cache.hpp"
#include "http/sandbox_registry.hpp"
#include "http/opened_content.hpp"
#include "http/target.hpp"
#include "mime/mime.hpp"

namespace maildog::http {

namespace {

// What a request works on: serve's main sandbox, or the one its /api/v1/sandboxes/{id}/ prefix names.
struct Context {
  serve::MessageStore& store;
  const RulesAccess& rules;
  const ApiOptions& options;
  bool stopping;                        // serve is shutting down
  std::shared_ptr<ApiSandbox> sandbox;  // null: the main sandbox
  SandboxRegistry* sandboxes;           // null: no sandboxes routes
};

// The path's ":name" segments in order, e.g. the message id and the part path.
using Params = std::vector<std::string>;
using Handler = Routed (*)(const Context&, const Target&, const Params&, const ApiRequest&);

struct Route {
  std::string_view method;
  std::vector<std::string_view> pattern;  // ":x" matches any one segment
  Handler handler;
  bool needs_token = true;
};

ApiResponse json_response(const Json& body, unsigned status = 200) {
  ApiResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

// Message bytes and decoded parts are the sender's content: never run as a page of ours, and
// opened directly they load nothing from elsewhere (remote images only when asked for).
void mark_untrusted(ApiResponse& response, bool remote_images = false) {
  response.headers.emplace_back("Content-Security-Policy", opened_content_policy(remote_images));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

// ?remote=1: the user asked for the remote images of what they open.
bool remote_images(const Target& target) {
  const auto found = target.query.find("remote");
  return found != target.query.end() && found->second == "1";
}

std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// A decimal number too large for 64 bits: digits only, and more of them than fit.
bool too_large(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc::result_out_of_range && end == text.data() + text.size();
}

std::optional<std::size_t> parse_limit(const Target& target, std::string* error) {
  const auto found = target.query.find("limit");
  if (found == target.query.end()) {
    return k_list_limit_default;
  }
  const auto value = parse_id(found->second);
  if (!value && too_large(found->second)) {
    *error = "limit is too large (at most " + std::to_string(k_list_limit_max) + " are returned; use before= to page)";
    return std::nullopt;
  }
  if (!value || *value == 0) {
    *error = "limit must be a positive number";
    return std::nullopt;
  }
  return std::min<std::size_t>(*value, k_list_limit_max);
}

// to, from, subject, since, auth, after, before and limit, as in GET /api/v1/messages.
std::optional<serve::MessageQuery> parse_query(const Target& target, std::string* error) {
  serve::MessageQuery query;
  const auto text = [&](const char* name) -> std::optional<std::string> {
    const auto found = target.query.find(name);
    return found == target.query.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  query.to = text("to");
  query.from = text("from");
  query.subject = text("subject");
  if (const auto since = text("since")) {
    query.since = parse_rfc3339(*since);
    if (!query.since) {
      *error = "since must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z";
      return std::nullopt;
    }
  }
  if (const auto auth = text("auth")) {
    const std::size_t equals = auth->find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == auth->size()) {
      *error = "auth must be method=result, e.g. dmarc=fail";
      return std::nullopt;
    }
    query.auth = ascii::lower(*auth);
  }
  if (const auto after = text("after")) {
    const auto id = parse_id(*after);
    if (!id) {
      *error = "after must be a message id";
      return std::nullopt;
    }
    query.after_id = *id;
  }
  if (const auto before = text("before")) {
    const auto id = parse_id(*before);
    if (!id) {
      *error = "before must be a message id (the last id of the previous page)";
      return std::nullopt;
    }
    query.before_id = *id;
  }
  const auto limit = parse_limit(target, error);
  if (!limit) {
    return std::nullopt;
  }
  query.limit = *limit;
  return query;
}

// The attempt filters besides those a MessageQuery has: status, code, enhanced and reason.
bool has_attempt_filter(const Target& target) {
  constexpr std::array<std::string_view, 4> k_names{"status", "code", "enhanced", "reason"};
  return std::any_of(k_names.begin(), k_names.end(),
                     [&](std::string_view name) { return target.query.contains(std::string(name)); });
}

// GET /api/v1/attempts's filters: status, code, enhanced, reason, to, from, subject, since,
// after, before and limit.
std::optional<serve::AttemptQuery> parse_attempt_query(const Target& target, std::string* error) {
  const auto messages = parse_query(target, error);
  if (!messages) {
    return std::nullopt;
  }
  if (messages->auth) {
    *error = "auth filters messages, not attempts: use reason (e.g. reason=dmarc)";
    return std::nullopt;
  }
  serve::AttemptQuery query;
  query.to = messages->to;
  query.from = messages->from;
  query.subject = messages->subject;
  query.since = messages->since;
  query.after_id = messages->after_id;
  query.before_id = messages->before_id;
  query.limit = messages->limit;
  const auto text = [&](const char* name) -> std::optional<std::string> {
    const auto found = target.query.find(name);
    return found == target.query.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  if (const auto status = text("status")) {
    query.status = lookup_name(serve::k_attempt_status_names, *status);
    if (!query.status) {
      *error = "status must be refused, accepted or partial";
      return std::nullopt;
    }
  }
  if (const auto code = text("code")) {
    const auto value = parse_id(*code);
    if (!value || *value < 200 || *value > 599) {
      *error = "code must be a reply code, e.g. 550";
      return std::nullopt;
    }
    query.code = static_cast<int>(*value);
  }
  if (const auto enhanced = text("enhanced")) {
    const auto parsed = smtp::EnhancedCode::parse(*enhanced);
    if (!parsed) {
      *error = "enhanced must be an enhanced status code, e.g. 5.1.1";
      return std::nullopt;
    }
    query.enhanced = parsed->str();
  }
  if (const auto reason = text("reason")) {
    const std::string lower = ascii::lower(*reason);
    if (std::find(capture::k_refusal_reasons.begin(), capture::k_refusal_reasons.end(), lower) ==
        capture::k_refusal_reasons.end()) {
      std::string words;
      for (const auto word : capture::k_refusal_reasons) {
        words += (words.empty() ? "" : ", ") + std::string(word);
      }
      *error = "reason must be one of " + words;
      return std::nullopt;
    }
    query.reason = lower;
  }
  return query;
}

// "30", "2.5" (seconds) or "500ms".
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text) {
  double scale = 1000.0;
  if (text.ends_with("ms")) {
    text.remove_suffix(2);
    scale = 1.0;
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || !(value >= 0) || value > 1e9) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<long long>(value * scale));
}

std::optional<serve::StoredMessage> find_message(const Context& context, const Params& params, ApiResponse* error) {
  const auto id = parse_id(params.at(0));
  auto message = id ? context.store.get(*id) : std::nullopt;
  if (!message) {
    *error = json_error(404, "no message " + params.at(0));
  }
  return message;
}

std::string_view bytes_of(const serve::StoredMessage& message) {
  return message.transaction.message ? std::string_view(*message.transaction.message) : std::string_view();
}

const mime::Part* find_part(const mime::Part& part, std::string_view path) {
  if (part.path == path) {
    return &part;
  }
  for (const auto& child : part.children) {
    if (const mime::Part* found = find_part(child, path)) {
      return found;
    }
  }
  return nullptr;
}

// RFC 6266 / RFC 8187: filename*=UTF-8''percent-encoded, so any name is safe in the header.
std::string attachment_disposition(std::string_view filename) {
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : filename) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
        std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += k_hex[byte >> 4];
      encoded += k_hex[byte & 0x0f];
    }
  }
  return encoded.empty() ? "attachment" : "attachment; filename*=UTF-8''" + encoded;
}

bool authorized(const ApiOptions& options, std::string_view authorization);

// Open to health checks, but how much mail there is stays behind the token when there is one.
Routed healthz(const Context& context, const Target&, const Params&, const ApiRequest& request) {
  if (!authorized(context.options, request.authorization)) {
    return json_response({{"status", "ok"}});
  }
  return json_response({{"status", "ok"}, {"messages", context.store.size()}});
}

// For programs that start serve and wait for it: open like /healthz, 503 once it is stopping.
Routed readyz(const Context& context, const Target&, const Params&, const ApiRequest&) {
  if (context.stopping) {
    return json_response({{"status", "stopping"}}, 503);
  }
  return json_response({{"status", "ready"}});
}

Routed list_messages(const Context& context, const Target& target, const Params&, const ApiRequest&) {
  std::string error;
  const auto query = parse_query(target, &error);
  if (!query) {
    return json_error(400, error);
  }
  Json messages = Json::array();
  for (const auto& message : context.store.find(*query)) {
    messages.push_back(message_summary(message));
  }
  return json_response({{"count", messages.size()}, {"messages", messages}});
}

Routed get_message(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  ApiResponse error;
  const auto message = find_message(context, params, &error);
  return message ? json_response(message_detail(*message)) : error;
}

// Streamed from the store in pieces: a slow reader holds one piece, not the message.
Routed get_raw(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  const auto id = parse_id(params.at(0));
  const auto size = id ? context.store.bytes_size(*id) : std::nullopt;
  if (!size) {
    return json_error(404, "no message " + params.at(0));
  }
  ApiResponse response;
  response.content_type = "message/rfc822";
  // The sandbox (null for the main one) is held with the stream: a DELETE of it while a slow
  // reader is still reading must not free the store under it.
  response.stream = BodyStream{*size, [&store = context.store, keep = context.sandbox, id = *id](
                                          std::size_t offset, std::size_t max) { return store.read_bytes(id, offset, max); }};
  mark_untrusted(response);
  return response;
}

Routed get_headers(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  ApiResponse error;
  const auto message = find_message(context, params, &error);
  return message ? json_response(headers_json(mime::parse(header_section(bytes_of(*message))).headers)) : error;
}

Routed get_mime(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  ApiResponse error;
  const auto message = find_message(context, params, &error);
  return message ? json_response(mime_json(*cached_parse(message->id, bytes_of(*message)))) : error;
}

Routed get_part(const Context& context, const Target& target, const Params& params, const ApiRequest& request) {
  ApiResponse response;
  const auto message = find_message(context, params, &response);
  if (!message) {
    return response;
  }
  const std::string_view bytes = bytes_of(*message);
  // The tree from the cache /mime fills: the inspector opens a message's parts one after another.
  const auto tree = cached_parse(message->id, bytes);
  const mime::Parsed& parsed = *tree;
  const mime::Part* part = find_part(parsed.root, params.at(1));
  auto content = part != nullptr ? mime::part_content(bytes, params.at(1)) : std::nullopt;
  if (!content) {
    return json_error(404, "message " + params.at(0) + " has no leaf part " + params.at(1));
  }
  response.content_type = part->content_type.empty() ? "application/octet-stream" : part->content_type;
  if (part->content_type.starts_with("text/")) {
    response.content_type += "; charset=utf-8";  // part_content converts text to UTF-8
  }
  response.body = part->content_type == "text/html"
                      ? link_cid_parts(*content, parsed.root, parts_prefix(request.target))
                      : std::move(*content);
  mark_untrusted(response, remote_images(target));
  if (part->disposition == "attachment") {
    response.headers.emplace_back("Content-Disposition", attachment_disposition(part->filename));
  }
  return response;
}

// The text or HTML body a mail reader would show (mime::text_body).
Routed get_body(const Context& context, const Target& target, const Params& params, const ApiRequest& request) {
  ApiResponse response;
  const auto message = find_message(context, params, &response);
  if (!message) {
    return response;
  }
  const std::string& subtype = params.at(1);
  if (subtype != "plain" && subtype != "html") {
    return json_error(404, "a body is plain or html, not " + subtype);
  }
  auto body = mime::text_body(bytes_of(*message), subtype);
  if (!body) {
    return json_error(404, "message " + params.at(0) + " has no text/" + subtype + " body");
  }
  response.content_type = "text/" + subtype + "; charset=utf-8";
  response.body = subtype == "html"
                      ? link_cid_parts(*body, cached_parse(message->id, bytes_of(*message))->root, parts_prefix(request.target))
                      : std::move(*body);
  mark_untrusted(response, remote_images(target));
  return response;
}

Routed get_auth(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  ApiResponse error;
  const auto message = find_message(context, params, &error);
  return message ? json_response(auth_json(*message)) : error;
}

Routed get_transcript(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  ApiResponse error;
  const auto message = find_message(context, params, &error);
  if (!message) {
    return error;
  }
  const auto session = context.store.session(message->session_id);
  if (!session) {
    return json_error(404, "the session of message " + params.at(0) + " is not stored");
  }
  return json_response(transcript_json(*session));
}

Routed delete_message(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  const auto id = parse_id(params.at(0));
  if (!id || !context.store.remove(*id)) {
    return json_error(404, "no message " + params.at(0));
  }
  return json_response({{"deleted", 1}});
}

Routed delete_messages(const Context& context, const Target&, const Params&, const ApiRequest&) {
  return json_response({{"deleted", context.store.remove_all()}});
}

Routed list_sessions(const Context& context, const Target& target, const Params&, const ApiRequest&) {
  std::string error;
  const auto limit = parse_limit(target, &error);
  if (!limit) {
    return json_error(400, error);
  }
  Json sessions = Json::array();
  for (const auto& session : context.store.sessions(*limit)) {
    sessions.push_back(session_summary(session));
  }
  return json_response({{"count", sessions.size()}, {"sessions", sessions}});
}

Routed get_session(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  const auto id = parse_id(params.at(0));
  const auto session = id ? context.store.session(*id) : std::nullopt;
  return session ? json_response(session_detail(*session)) : json_error(404, "no session " + params.at(0));
}

Routed list_attempts(const Context& context, const Target& target, const Params&, const ApiRequest&) {
  std::string error;
  const auto query = parse_attempt_query(target, &error);
  if (!query) {
    return json_error(400, error);
  }
  Json attempts = Json::array();
  for (const auto& attempt : context.store.find_attempts(*query)) {
    attempts.push_back(attempt_summary(attempt));
  }
  return json_response({{"count", attempts.size()}, {"attempts", attempts}});
}

Routed get_attempt(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  const auto id = parse_id(params.at(0));
  const auto attempt = id ? context.store.attempt(*id) : std::nullopt;
  if (!attempt) {
    return json_error(404, "no attempt " + params.at(0));
  }
  // An accepted attempt keeps no transcript of its own: its session's is shown.
  const auto session = attempt->transcript.empty() ? context.store.session(attempt->session_id) : std::nullopt;
  return json_response(attempt_detail(*attempt, session));
}

Routed wait_message(const Context& context, const Target& target, const Params&, const ApiRequest&) {
  std::string error;
  auto query = parse_query(target, &error);
  if (!query) {
    return json_error(400, error);
  }
  std::optional<serve::AttemptQuery> attempt_query;
  if (has_attempt_filter(target)) {
    attempt_query = parse_attempt_query(target, &error);
    if (!attempt_query) {
      return json_error(400, error);
    }
    attempt_query->limit = 1;
  }
  std::chrono::milliseconds timeout = k_wait_default;
  if (const auto found = target.query.find("timeout"); found != target.query.end()) {
    const auto parsed = parse_timeout(found->second);
    if (!parsed) {
      return json_error(400, "timeout must be seconds (e.g. 30 or 2.5) or milliseconds (e.g. 500ms)");
    }
    timeout = *parsed;
  }
  query->limit = 1;
  return WaitPlan{*query, attempt_query, std::min(timeout, context.options.max_wait), context.sandbox};
}

Routed get_rules(const Context& context, const Target&, const Params&, const ApiRequest&) {
  if (!context.rules.get_json) {
    return json_error(404, "this server has no rules to show");
  }
  ApiResponse response;
  response.body = context.rules.get_json();
  return response;
}

Routed put_rules(const Context& context, const Target& target, const Params& params, const ApiRequest& request) {
  if (!context.rules.put_json) {
    return json_error(404, "this server's rules cannot be replaced");
  }
  if (json_depth::deeper_than(request.body, json_depth::k_max)) {
    return json_error(400, "the body nests deeper than " + std::to_string(json_depth::k_max) + " levels");
  }
  const Json rules = Json::parse(request.body, nullptr, false);
  if (rules.is_discarded() || !rules.is_array()) {
    return json_error(400, "the body must be a JSON array of rules (the scenario rules: list)");
  }
  if (auto error = context.rules.put_json(request.body)) {
    return json_error(400, *error);
  }
  return get_rules(context, target, params, request);
}

// Where a client connects: a listener on every address is reached on loopback from here.
std::string connectable_host(const std::string& bound) {
  if (bound == "0.0.0.0") {
    return "127.0.0.1";
  }
  return bound == "::" ? "::1" : bound;
}

// A sandbox as POST, GET and the list show it; its URL names this server as the request did.
Json sandbox_json(const ApiSandbox& sandbox, const ApiRequest& request) {
  const auto& server = sandbox.sandbox->server();
  return {{"id", sandbox.id},
          {"name", sandbox.name},
          {"smtp", {{"host", connectable_host(server.host())}, {"port", server.port()}}},
          {"url", "http://" + std::string(ascii::trim(request.host)) + "/api/v1/sandboxes/" + sandbox.id + "/"},
          {"ca_file", sandbox.ca_file ? Json(*sandbox.ca_file) : Json(nullptr)}};
}

// Optional body: {"rules": [...], "name": "..."}; anything else is a client's mistake.
Routed create_sandbox(const Context& context, const Target&, const Params&, const ApiRequest& request) {
  if (context.sandboxes == nullptr) {
    return json_error(404, "this server makes no sandboxes");
  }
  std::optional<std::string> rules;
  std::string name;
  if (!ascii::trim(request.body).empty()) {
    if (json_depth::deeper_than(request.body, json_depth::k_max)) {
      return json_error(400, "the body nests deeper than " + std::to_string(json_depth::k_max) + " levels");
    }
    const Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return json_error(400, "the body must be a JSON object: {\"rules\": [...], \"name\": \"...\"} (both optional)");
    }
    for (const auto& [key, value] : body.items()) {
      if (key == "rules" && value.is_array()) {
        rules = value.dump();
      } else if (key == "name" && value.is_string()) {
        name = value.get<std::string>();
      } else if (key == "rules" || key == "name") {
        return json_error(400, key == "rules" ? "rules must be a JSON array of rules (the scenario rules: list)"
                                              : "name must be a string");
      } else {
        return json_error(400, "unknown field \"" + key.substr(0, 64) + "\" (a sandbox takes rules and name)");
      }
    }
  }
  auto created = context.sandboxes->create(rules, std::move(name));
  if (!created.sandbox) {
    return json_error(created.status, created.error);
  }
  return json_response(sandbox_json(*created.sandbox, request), 201);
}

Routed list_sandboxes(const Context& context, const Target&, const Params&, const ApiRequest& request) {
  Json sandboxes = Json::array();
  if (context.sandboxes != nullptr) {
    for (const auto& sandbox : context.sandboxes->list()) {
      sandboxes.push_back(sandbox_json(*sandbox, request));
    }
  }
  return json_response({{"sandboxes", sandboxes}});
}

Routed get_sandbox(const Context& context, const Target&, const Params& params, const ApiRequest& request) {
  const auto sandbox = context.sandboxes != nullptr ? context.sandboxes->find(params.at(0)) : nullptr;
  return sandbox ? json_response(sandbox_json(*sandbox, request)) : json_error(404, "no sandbox " + params.at(0));
}

Routed delete_sandbox(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  if (context.sandboxes == nullptr || !context.sandboxes->remove(params.at(0))) {
    return json_error(404, "no sandbox " + params.at(0));
  }
  ApiResponse response;
  response.status = 204;
  return response;
}

Routed post_rule(const Context& context, const Target&, const Params&, const ApiRequest& request) {
  if (!context.rules.post_json) {
    return json_error(404, "this server's rules cannot be changed");
  }
  if (json_depth::deeper_than(request.body, json_depth::k_max)) {
    return json_error(400, "the body nests deeper than " + std::to_string(json_depth::k_max) + " levels");
  }
  const Json rule = Json::parse(request.body, nullptr, false);
  if (rule.is_discarded() || !rule.is_object()) {
    return json_error(400, "the body must be one rule as a JSON object (an item of the scenario rules: list)");
  }
  auto added = context.rules.post_json(request.body);
  if (!added.error.empty()) {
    return json_error(400, added.error);
  }
  ApiResponse response;
  response.status = 201;
  response.body = std::move(added.json);
  return response;
}

Routed delete_rule(const Context& context, const Target&, const Params& params, const ApiRequest&) {
  if (!context.rules.delete_rule) {
    return json_error(404, "this server's rules cannot be changed");
  }
  const auto id = parse_id(params.at(0));
  if (!id || !context.rules.delete_rule(*id)) {
    return json_error(404, "no rule with id " + params.at(0).substr(0, 40));
  }
  ApiResponse response;
  response.status = 204;
  return response;
}

Routed inspector_file(std::string_view content_type, std::string_view content) {
  ApiResponse response;
  response.content_type = content_type;
  response.body = content;
  // The page loads only its own files; message HTML is shown in a sandboxed frame, where this
  // policy applies as well and blocks remote images and scripts.
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; "
                                "form-action 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

Routed inspector_page(const Context&, const Target&, const Params&, const ApiRequest&) {
  return inspector_file("text/html; charset=utf-8", inspector_html());
}
Routed inspector_style(const Context&, const Target&, const Params&, const ApiRequest&) {
  return inspector_file("text/css; charset=utf-8", inspector_css());
}
Routed inspector_script(const Context&, const Target&, const Params&, const ApiRequest&) {
  return inspector_file("text/javascript; charset=utf-8", inspector_js());
}

// The inspector shows a message's HTML here (opened, or with remote images on request): no
// script runs in it, and only the inspector, same-origin, may frame it and fill it in.
Routed viewer_page(const Context&, const Target& target, const Params&, const ApiRequest&) {
  ApiResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = inspector_viewer_html();
  response.headers.emplace_back("Content-Security-Policy",
                                std::string("default-src 'none'; img-src 'self' data:") +
                                    (remote_images(target) ? " https: http:" : "") +
                                    "; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                                    "frame-ancestors 'self'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

const std::vector<Route>& routes() {
  static const std::vector<Route> k_routes = {
      {"GET", {}, inspector_page, false},
      {"GET", {"assets", "inspector.css"}, inspector_style, false},
      {"GET", {"assets", "inspector.js"}, inspector_script, false},
      {"GET", {"view"}, viewer_page, false},
      {"GET", {"healthz"}, healthz, false},
      {"GET", {"readyz"}, readyz, false},
      {"GET", {"api", "v1", "messages"}, list_messages},
      {"DELETE", {"api", "v1", "messages"}, delete_messages},
      {"GET", {"api", "v1", "messages", ":id"}, get_message},
      {"DELETE", {"api", "v1", "messages", ":id"}, delete_message},
      {"GET", {"api", "v1", "messages", ":id", "raw"}, get_raw},
      {"GET", {"api", "v1", "messages", ":id", "headers"}, get_headers},
      {"GET", {"api", "v1", "messages", ":id", "mime"}, get_mime},
      {"GET", {"api", "v1", "messages", ":id", "parts", ":path"}, get_part},
      {"GET", {"api", "v1", "messages", ":id", "body", ":subtype"}, get_body},
      {"GET", {"api", "v1", "messages", ":id", "auth"}, get_auth},
      {"GET", {"api", "v1", "messages", ":id", "transcript"}, get_transcript},
      {"GET", {"api", "v1", "attempts"}, list_attempts},
      {"GET", {"api", "v1", "attempts", ":id"}, get_attempt},
      {"GET", {"api", "v1", "sessions"}, list_sessions},
      {"GET", {"api", "v1", "sessions", ":id"}, get_session},
      {"GET", {"api", "v1", "wait"}, wait_message},
      {"GET", {"api", "v1", "rules"}, get_rules},
      {"PUT", {"api", "v1", "rules"}, put_rules},
      {"POST", {"api", "v1", "sandboxes"}, create_sandbox},
      {"GET", {"api", "v1", "sandboxes"}, list_sandboxes},
      {"GET", {"api", "v1", "sandboxes", ":sandbox"}, get_sandbox},
      {"DELETE", {"api", "v1", "sandboxes", ":sandbox"}, delete_sandbox},
      {"POST", {"api", "v1", "rules"}, post_rule},
      {"DELETE", {"api", "v1", "rules", ":id"}, delete_rule},
  };
  return k_routes;
}

std::optional<Params> match(const Route& route, const std::vector<std::string>& segments) {
  if (route.pattern.size() != segments.size()) {
    return std::nullopt;
  }
  Params params;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (route.pattern[i].starts_with(':')) {
      params.push_back(segments[i]);
    } else if (route.pattern[i] != segments[i]) {
      return std::nullopt;
    }
  }
  return params;
}

// The routes a sandbox has under its prefix: every /api/v1 route but the sandboxes' own.
bool per_sandbox(const Route& route) {
  return route.pattern.size() > 2 && route.pattern[0] == "api" && route.pattern[1] == "v1" &&
         route.pattern[2] != "sandboxes";
}

// "/api/v1/sandboxes/s1/messages/3" -> "s1" and api, v1, messages, 3; nothing without the prefix.
std::optional<std::pair<std::string, std::vector<std::string>>> sandbox_prefix(const std::vector<std::string>& segments) {
  if (segments.size() < 5 || segments[0] != "api" || segments[1] != "v1" || segments[2] != "sandboxes") {
    return std::nullopt;
  }
  std::vector<std::string> rest{"api", "v1"};
  rest.insert(rest.end(), segments.begin() + 4, segments.end());
  return std::make_pair(segments[3], std::move(rest));
}

ApiResponse token_required() {
  ApiResponse response = json_error(401, "a valid bearer token is required (Authorization: Bearer ...)");
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"maildog-ci\"");
  return response;
}

// RFC 6750 2.1: "Authorization: Bearer <token>", the scheme without case.
bool authorized(const ApiOptions& options, std::string_view authorization) {
  if (options.token.empty()) {
    return true;
  }
  constexpr std::string_view k_scheme = "bearer ";
  if (authorization.size() < k_scheme.size() || !ascii::iequals(authorization.substr(0, k_scheme.size()), k_scheme)) {
    return false;
  }
  return same_token(ascii::trim(authorization.substr(k_scheme.size())), options.token);
}

// ":8025" or nothing: what may follow a host name in a Host field.
bool is_port_suffix(std::string_view rest) {
  return rest.empty() || (rest.size() > 1 && rest.front() == ':' &&
                          rest.substr(1).find_first_not_of("0123456789") == std::string_view::npos);
}

// "Host:port" or "[v6]:port" without the port and brackets, lower case, no trailing dot; empty
// when what follows the name is not a port ("127.0.0.1:80@evil.test" names nothing of ours).
std::string host_name(std::string_view host) {
  host = ascii::trim(host);
  std::string_view name = host;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || !is_port_suffix(host.substr(close + 1))) {
      return {};
    }
    name = host.substr(1, close - 1);
  } else if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (!is_port_suffix(host.substr(colon))) {
      return {};
    }
    name = host.substr(0, colon);
  }
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  return ascii::lower(name);
}

// Origin is "scheme://host[:port]": same-origin when it names the Host the request was sent to.
bool same_origin(std::string_view origin, std::string_view host) {
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() > scheme.size() && ascii::iequals(origin.substr(0, scheme.size()), scheme)) {
      return ascii::iequals(origin.substr(scheme.size()), ascii::trim(host));
    }
  }
  return false;
}

// The media type of a Content-Type value, without parameters.
bool is_json_type(std::string_view content_type) {
  return ascii::iequals(ascii::trim(content_type.substr(0, content_type.find(';'))), "application/json");
}

// Host, Origin and Content-Type: what a web page on another name cannot get past. nullopt: go on.
std::optional<ApiResponse> check_request(const ApiOptions& options, const ApiRequest& request) {
  if (request.host_count != 1) {
    return json_error(400, request.host_count == 0 ? "the request has no Host header"
                                                   : "the request has more than one Host header");
  }
  if (!host_allowed(options, request.host)) {
    return json_error(403, "Host \"" + request.host.substr(0, 255) +
                               "\" is not served (DNS rebinding protection): use localhost or 127.0.0.1, allow the "
                               "name with --allowed-host NAME or MAILDOG_ALLOWED_HOSTS=NAME,..., or set an API token");
  }
  const bool changes_state = request.method == "PUT" || request.method == "POST" || request.method == "DELETE";
  if (changes_state && !request.origin.empty() && !options.cors && !same_origin(request.origin, request.host)) {
    return json_error(403, "Origin \"" + request.origin.substr(0, 255) + "\" is not this server's (\"" +
                               request.host.substr(0, 255) + "\"): a page on another site cannot change it");
  }
  if (!request.body.empty() && !is_json_type(request.content_type)) {
    return json_error(415, "a request body must be sent with Content-Type: application/json");
  }
  return std::nullopt;
}

}  // namespace

bool host_allowed(const ApiOptions& options, std::string_view host) {
  if (!options.token.empty()) {
    return true;
  }
  const std::string name = host_name(host);
  if (name.empty()) {
    return false;
  }
  if (name == "localhost" || name == "127.0.0.1" || name == "::1" || name == host_name("[" + options.bind + "]")) {
    return true;
  }
  return std::any_of(options.allowed_hosts.begin(), options.allowed_hosts.end(), [&name](const std::string& allowed) {
    const bool bracketed = allowed.starts_with('[');
    return host_name(bracketed || allowed.find(':') == std::string::npos ? allowed : "[" + allowed + "]") == name;
  });
}

bool same_token(std::string_view given, std::string_view expected) {
  unsigned difference = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const char other = i < given.size() ? given[i] : '\0';
    difference |= static_cast<unsigned char>(expected[i] ^ other);
  }
  return difference == 0;
}

ApiResponse json_error(unsigned status, const std::string& text) { return json_response({{"error", text}}, status); }

ApiRoutes::ApiRoutes(serve::MessageStore& store, RulesAccess rules, ApiOptions options, SandboxRegistry* sandboxes)
    : m_store(store), m_rules(std::move(rules)), m_options(std::move(options)), m_sandboxes(sandboxes) {}

Routed ApiRoutes::handle(const ApiRequest& request) const {
  const auto target = parse_target(request.target);
  if (!target) {
    return json_error(400, "the request target is not a valid path");
  }
  if (auto refused = check_request(m_options, request)) {
    return std::move(*refused);
  }
  if (m_options.cors && request.method == "OPTIONS") {
    ApiResponse preflight = json_response(Json::object());
    preflight.headers.emplace_back("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, OPTIONS");
    preflight.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    preflight.headers.emplace_back("Access-Control-Max-Age", "600");
    return preflight;
  }
  // A sandbox's prefix: the same routes on its store and rules (one table for both).
  auto prefixed = sandbox_prefix(target->segments);
  std::shared_ptr<ApiSandbox> sandbox;
  if (prefixed) {
    if (!authorized(m_options, request.authorization)) {
      return token_required();
    }
    sandbox = m_sandboxes != nullptr ? m_sandboxes->find(prefixed->first) : nullptr;
    if (!sandbox) {
      return json_error(404, "no sandbox " + prefixed->first.substr(0, 64));
    }
  }
  const Context context = sandbox ? Context{sandbox->store(), sandbox->rules, m_options, m_stopping->load(), sandbox, m_sandboxes}
                                  : Context{m_store, m_rules, m_options, m_stopping->load(), nullptr, m_sandboxes};
  const auto& segments = prefixed ? prefixed->second : target->segments;
  std::string allowed;
  for (const Route& route : routes()) {
    if (prefixed && !per_sandbox(route)) {
      continue;
    }
    auto params = match(route, segments);
    if (!params) {
      continue;
    }
    if (route.method != request.method) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
      continue;
    }
    if (route.needs_token && !authorized(m_options, request.authorization)) {
      return token_required();
    }
    return route.handler(context, *target, *params, request);
  }
  if (!allowed.empty()) {
    ApiResponse response = json_error(405, "method " + request.method + " is not allowed here");
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  return json_error(404, "no such resource: " + request.target.substr(0, request.target.find('?')));
}

serve::MessageStore& ApiRoutes::store_of(const WaitPlan& plan) const {
  return plan.sandbox ? plan.sandbox->store() : m_store;
}

std::optional<ApiResponse> ApiRoutes::poll(const WaitPlan& plan) const {
  if (plan.sandbox && plan.sandbox->removed) {
    return json_error(410, "sandbox " + plan.sandbox->id + " was deleted while waiting");
  }
  if (plan.attempt_query) {
    const auto attempts = store_of(plan).find_attempts(*plan.attempt_query);
    return attempts.empty() ? std::nullopt : std::optional(json_response(attempt_summary(attempts.front())));
  }
  const auto found = store_of(plan).find(plan.query);
  if (found.empty()) {
    return std::nullopt;
  }
  return json_response(message_summary(found.front()));
}

ApiResponse ApiRoutes::wait_timed_out(const WaitPlan& plan) const {
  return json_error(408, std::string(plan.attempt_query ? "no matching attempt" : "no matching message") +
                              " arrived within " + std::to_string(plan.timeout.count()) + " ms");
}

void ApiRoutes::finish(ApiResponse& response) const {
  if (m_options.cors) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    response.headers.emplace_back("Access-Control-Expose-Headers", "WWW-Authenticate");
  }
}

}  // namespace maildog::http
