// Text helpers every expectation kind uses to say what it wanted and what happened: quoted
// excerpts, patterns as written, counted nouns, lists cut after a few items, count phrases.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/text_match.hpp"

namespace maildog::expect::detail {

// Observed items listed in an `actual` before "... and N more".
inline constexpr std::size_t k_listed_max = 3;
// Characters of app output quoted in an `actual`.
inline constexpr std::size_t k_excerpt_max = 200;

// "1 message", "2 messages".
std::string counted(std::size_t n, std::string_view singular, std::string_view plural);

// Text in double quotes with quotes, backslashes and control characters escaped, cut after
// `limit` bytes (on a UTF-8 boundary) with "..." appended.
std::string quote(std::string_view text, std::size_t limit = std::string_view::npos);

// A pattern as written: regexes as "/.../i", other patterns quoted unless they are plain words
// (addresses, hostnames).
std::string show(const rules::TextMatch& match);

std::string join(const std::vector<std::string>& items, std::string_view separator);

// The first k_listed_max items joined by "; ", then "; ... and N more".
std::string listed(const std::vector<std::string>& items);

// "exactly 2 times", "at least 1 time", "between 1 and 3 times", "at most 0 times".
std::string count_phrase(std::optional<std::size_t> count, std::optional<std::size_t> min,
                         std::optional<std::size_t> max, std::string_view singular, std::string_view plural);

// Whether `n` observed items meet count / min / max; with none of them, at least one.
bool count_holds(std::size_t n, std::optional<std::size_t> count, std::optional<std::size_t> min,
                 std::optional<std::size_t> max);

// "RCPT a@b"; the bare command when there is no argument.
std::string command_text(std::string_view command, std::string_view argument);

}  // namespace maildog::expect::detail
