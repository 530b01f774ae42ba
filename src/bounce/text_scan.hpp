// Small case-insensitive scanning helpers over lines of text, shared by the bounce readers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace maildog::bounce::scan {

using Lines = std::vector<std::string_view>;

Lines split_lines(std::string_view text);
std::string_view trim(std::string_view text);
std::size_t find_ci(std::string_view text, std::string_view needle, std::size_t from = 0);
inline bool contains_ci(std::string_view text, std::string_view needle) {
  return find_ci(text, needle) != std::string_view::npos;
}
// "Name: value" at the start of `line` (case-insensitive name): the value, trimmed; else npos-empty.
bool header_value(std::string_view line, std::string_view name, std::string_view& value);

}  // namespace maildog::bounce::scan
