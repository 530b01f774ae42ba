// A request target split into decoded path segments and query parameters (RFC 3986), and the
// RFC 3339 timestamps the API reads. Pure functions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::http {

struct Target {
  std::vector<std::string> segments;         // "/api/v1/messages/7" -> api, v1, messages, 7
  std::map<std::string, std::string> query;  // the last value of a repeated name wins
};

// Nothing when a percent escape is malformed or the target is not an origin-form path.
std::optional<Target> parse_target(std::string_view target);
// A hex digit's value (either case); -1 for any other character. For percent escapes.
int hex_digit_value(char c);

// "2026-11-29T08:53:13Z", "2026-11-29T09:53:13.5+01:00" (RFC 3339 5.6); nothing otherwise.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);
// The API writes times with time_text::utc(when, time_text::Form::iso_millis) (core/time_text.hpp).

}  // namespace maildog::http
