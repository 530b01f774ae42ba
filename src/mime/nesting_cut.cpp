#include "mime/nesting_cut.hpp"

#include <string>
#include <utility>
#include <vector>

#include "core/ascii.hpp"

namespace maildog::mime {

namespace {

// The boundary parameter's value on a header line ("boundary=x" or "boundary=\"x y\""), or
// empty when the line declares none.
std::string_view declared_boundary(std::string_view line) {
  const std::string lower = ascii::lower(line);
  const std::size_t at = lower.find("boundary=");
  if (at == std::string::npos) {
    return {};
  }
  std::string_view value = line.substr(at + 9);
  if (value.starts_with('"')) {
    value.remove_prefix(1);
    return value.substr(0, value.find('"'));
  }
  return value.substr(0, value.find_first_of("; \t"));
}

}  // namespace

std::size_t nesting_cut(std::string_view message, std::size_t max_open) {
  std::vector<std::string_view> open;  // innermost last
  bool in_header = true;               // the message starts with its header section
  bool encapsulates = false;           // this header section's part is a message: one follows
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t line_start = pos;
    const std::size_t eol = message.find('\n', pos);
    std::string_view line = message.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? message.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (in_header) {
      if (line.empty()) {
        in_header = std::exchange(encapsulates, false);
        continue;
      }
      if (ascii::lower(line).find("message/rfc822") != std::string::npos) {
        encapsulates = true;
      }
      if (const std::string_view boundary = declared_boundary(line); !boundary.empty()) {
        if (open.size() >= max_open) {
          return line_start;
        }
        open.push_back(boundary);
      }
      continue;
    }
    if (!line.starts_with("--")) {
      continue;
    }
    // A delimiter of any open boundary: its closing form ends it and the ones inside it; its
    // opening form starts a part, whose header section follows.
    const std::string_view rest = line.substr(2);
    for (std::size_t i = open.size(); i-- > 0;) {
      if (!rest.starts_with(open[i])) {
        continue;
      }
      const std::string_view after = ascii::trim(rest.substr(open[i].size()));
      if (after.starts_with("--")) {
        open.resize(i);
      } else if (after.empty()) {
        open.resize(i + 1);
        in_header = true;
      } else {
        continue;
      }
      break;
    }
  }
  return std::string_view::npos;
}

}  // namespace maildog::mime
