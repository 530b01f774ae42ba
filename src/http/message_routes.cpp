// The routes of the store's data: health, messages and their parts, sessions, attempts, the long-poll.
#include "http/routes.hpp"

#include <algorithm>
#include <string>

#include "http/attempt_json.hpp"
#include "http/message_json.hpp"
#include "http/mime_cache.hpp"
#include "http/opened_content.hpp"
#include "http/query_params.hpp"
#include "http/request_checks.hpp"
#include "mime/mime.hpp"

namespace maildog::http::routes {

namespace {

// Message bytes and decoded parts are the sender's content: never run as a page of ours, and
// opened directly they load nothing from elsewhere (remote images only when asked for).
void mark_untrusted(ApiResponse& response, bool remote_images = false) {
  response.headers.emplace_back("Content-Security-Policy", opened_content_policy(remote_images));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
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

}  // namespace

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
  response.stream =
      BodyStream{*size, [&store = context.store, keep = context.sandbox,
                         id = *id](std::size_t offset, std::size_t max) { return store.read_bytes(id, offset, max); }};
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
  response.body = subtype == "html" ? link_cid_parts(*body, cached_parse(message->id, bytes_of(*message))->root,
                                                     parts_prefix(request.target))
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

}  // namespace maildog::http::routes
