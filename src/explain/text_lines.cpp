#include "explain/text_lines.hpp"

#include "core/ascii.hpp"

namespace maildog::explain::text {

Lines split_lines(std::string_view text) {
  Lines lines;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
  return lines;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

std::size_t find_ci(std::string_view text, std::string_view needle, std::size_t from) {
  if (needle.empty() || needle.size() > text.size()) {
    return std::string_view::npos;
  }
  const char first = ascii::lower(needle.front());
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    if (ascii::lower(text[i]) == first && ascii::iequals(text.substr(i, needle.size()), needle)) {
      return i;
    }
  }
  return std::string_view::npos;
}

bool header_value(std::string_view line, std::string_view name, std::string_view& value) {
  line = trim(line);
  if (line.size() <= name.size() || line[name.size()] != ':' || !ascii::iequals(line.substr(0, name.size()), name)) {
    return false;
  }
  value = trim(line.substr(name.size() + 1));
  return true;
}

}  // namespace maildog::explain::text
