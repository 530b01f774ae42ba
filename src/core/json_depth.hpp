// Whether a JSON text nests deeper than a limit, checked before it is parsed. nlohmann/json has
// no depth limit and its dump() recurses: one request body of 60,000 '[' overflowed serve's
// stack. Counting brackets outside strings needs no parser, so it is written here.
#pragma once

#include <cstddef>
#include <string_view>

namespace maildog::json_depth {

// Far deeper than any JSON maildog-ci reads needs (API bodies, rules, reports), far shallower
// than what overflows a stack.
inline constexpr std::size_t k_max = 64;

// True when some value of `text` sits deeper than `limit` arrays and objects; a text that is not
// JSON at all is left to the parser to refuse.
inline bool deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        return true;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace maildog::json_depth
