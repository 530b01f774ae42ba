// Internal to the loader: what yaml-cpp's syntax errors leave out. yaml-cpp says where parsing
// broke ("end of sequence flow not found"), not what was left open or which indentation went
// wrong; a light scan of the text up to that place finds both, and the YAML path there.
#pragma once

#include <string>
#include <string_view>

#include "scenario/document.hpp"

namespace maildog::scenario::detail {

struct SyntaxHint {
  std::string explanation;  // appended to yaml-cpp's message; empty: nothing to add
  std::string path;         // the YAML path where the problem is, when known
};

// `broke_at` is yaml-cpp's error position (1-based), `offset` the same as an index into `text`.
SyntaxHint explain_syntax_error(std::string_view text, Position broke_at, std::size_t offset);

}  // namespace maildog::scenario::detail
