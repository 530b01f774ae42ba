#include "lint/line_scan.hpp"

#include <algorithm>

#include "lint/finding.hpp"
#include "lint/lint.hpp"

namespace maildog::lint {

namespace {

void note(Occurrences& occurrences, std::size_t line, std::string excerpt) {
  if (occurrences.count++ == 0) {
    occurrences.first_line = line;
    occurrences.excerpt = std::move(excerpt);
  }
}

std::string spelled(char c) { return c == '\r' ? "<CR>" : c == '\n' ? "<LF>" : std::string(1, c); }

// After the bare line ending at `terminator`: "." then CR or LF is an end-of-data look-alike.
// Returns the sequence spelled out ("<LF>.<CR><LF>"), or empty when there is none.
std::string look_alike_at(std::string_view bytes, std::size_t terminator) {
  if (terminator + 2 >= bytes.size() || bytes[terminator + 1] != '.') {
    return {};
  }
  const char after = bytes[terminator + 2];
  if (after != '\r' && after != '\n') {
    return {};
  }
  std::string sequence = spelled(bytes[terminator]) + "." + spelled(after);
  if (after == '\r' && terminator + 3 < bytes.size() && bytes[terminator + 3] == '\n') {
    sequence += "<LF>";
  }
  return sequence;
}

}  // namespace

LineScan scan_lines(std::string_view bytes) {
  LineScan scan;
  auto note_look_alike = [&](std::size_t terminator, std::size_t line) {
    std::string sequence = look_alike_at(bytes, terminator);
    if (sequence.empty()) {
      return;
    }
    if (scan.smuggling.count == 0) {
      scan.smuggling_sequence = std::move(sequence);
    }
    note(scan.smuggling, line, excerpt_around(bytes, terminator + 1));
  };
  std::size_t start = 0;
  std::size_t line = 1;
  while (start < bytes.size()) {
    const std::size_t lf = bytes.find('\n', start);
    const bool has_lf = lf != std::string_view::npos;
    const std::size_t end = has_lf ? lf : bytes.size();
    const bool crlf = has_lf && end > start && bytes[end - 1] == '\r';
    const std::string_view content = bytes.substr(start, (crlf ? end - 1 : end) - start);

    for (std::size_t cr = content.find('\r'); cr != std::string_view::npos; cr = content.find('\r', cr + 1)) {
      note(scan.bare_cr, line, excerpt_around(content, cr));
      note_look_alike(start + cr, line);
    }
    if (content.size() > k_line_max) {
      note(scan.long_lines, line, excerpt(content));
      scan.longest_line = std::max(scan.longest_line, content.size());
    }
    const auto high =
        std::find_if(content.begin(), content.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    if (high != content.end()) {
      note(scan.eight_bit, line, excerpt_around(content, static_cast<std::size_t>(high - content.begin())));
    }
    if (has_lf && !crlf) {
      const std::string_view whole = bytes.substr(start, lf + 1 - start);
      note(scan.bare_lf, line, excerpt_around(whole, whole.size() - 1));
      note_look_alike(lf, line + 1);
    }
    start = has_lf ? lf + 1 : bytes.size();
    ++line;
  }
  return scan;
}

std::string_view line_at(std::string_view bytes, std::size_t number) {
  std::size_t start = 0;
  for (std::size_t line = 1; line < number && start < bytes.size(); ++line) {
    const std::size_t lf = bytes.find('\n', start);
    start = lf == std::string_view::npos ? bytes.size() : lf + 1;
  }
  if (number == 0 || start >= bytes.size()) {
    return {};
  }
  const std::size_t lf = bytes.find('\n', start);
  return bytes.substr(start, lf == std::string_view::npos ? std::string_view::npos : lf + 1 - start);
}

}  // namespace maildog::lint
