// The API's query parameters read into the store's queries: ids, limit, the message and attempt
// filters and the long-poll's timeout; a parameter that does not parse says why in `error`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/target.hpp"
#include "serve/store.hpp"

namespace maildog::http::routes {

// A message, attempt, session or rule id: decimal digits only.
std::optional<std::uint64_t> parse_id(std::string_view text);
// ?limit=N: the default when absent, at most k_list_limit_max.
std::optional<std::size_t> parse_limit(const Target& target, std::string* error);
// to, from, subject, since, auth, after, before and limit, as in GET /api/v1/messages.
std::optional<serve::MessageQuery> parse_query(const Target& target, std::string* error);
// The attempt filters besides those a MessageQuery has: status, code, enhanced and reason.
bool has_attempt_filter(const Target& target);
// GET /api/v1/attempts's filters: status, code, enhanced, reason, to, from, subject, since,
// after, before and limit.
std::optional<serve::AttemptQuery> parse_attempt_query(const Target& target, std::string* error);
// "30", "2.5" (seconds) or "500ms".
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text);

}  // namespace maildog::http::routes
