// Small case-insensitive scanning helpers over the lines of a bounce or log text: one copy for
// explain's reply finder and bounce facts and for bounce's reader (bounce includes explain).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace maildog::explain::text {

using Lines = std::vector<std::string_view>;

// The lines of `text`, split at "\n" with a trailing "\r" dropped.
Lines split_lines(std::string_view text);
std::string_view trim(std::string_view text);
// Where `needle` (non-empty) first stands in `text` from `from` on, ignoring ASCII case; else npos.
std::size_t find_ci(std::string_view text, std::string_view needle, std::size_t from = 0);
inline bool contains_ci(std::string_view text, std::string_view needle) {
  return find_ci(text, needle) != std::string_view::npos;
}
// "Name: value" at the start of `line` (case-insensitive name): the value, trimmed; else npos-empty.
bool header_value(std::string_view line, std::string_view name, std::string_view& value);

}  // namespace maildog::explain::text
