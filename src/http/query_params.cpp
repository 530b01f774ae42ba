#include "http/query_params.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "core/ascii.hpp"
#include "http/api_options.hpp"

namespace maildog::http::routes {

namespace {

// A decimal number too large for 64 bits: digits only, and more of them than fit.
bool too_large(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc::result_out_of_range && end == text.data() + text.size();
}

}  // namespace

std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
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

}  // namespace maildog::http::routes
