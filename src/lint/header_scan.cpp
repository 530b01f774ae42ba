#include "lint/header_scan.hpp"

#include <algorithm>

namespace maildog::lint {

namespace {

// RFC 5322 3.6.8: ftext is printable US-ASCII except ":".
bool is_field_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= 33 && c <= 126 && c != ':'; });
}

std::string_view without_line_ending(std::string_view line) {
  if (line.ends_with('\n')) {
    line.remove_suffix(1);
  }
  if (line.ends_with('\r')) {
    line.remove_suffix(1);
  }
  return line;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

HeaderSection scan_headers(std::string_view bytes) {
  HeaderSection section;
  std::size_t start = 0;
  std::size_t line = 1;
  std::size_t value_start = 0;  // offset of the last field's value
  bool dropped = false;         // the last field was past k_header_fields_max
  while (start < bytes.size()) {
    const std::size_t lf = bytes.find('\n', start);
    const std::size_t end = lf == std::string_view::npos ? bytes.size() : lf + 1;
    const std::string_view text = without_line_ending(bytes.substr(start, end - start));
    if (text.empty()) {
      break;
    }
    if (text.front() == ' ' || text.front() == '\t') {
      if (!section.fields.empty() && !dropped) {
        HeaderField& field = section.fields.back();
        field.value = bytes.substr(value_start, start + text.size() - value_start);
        field.size += end - start;
      }
    } else {
      const std::size_t colon = text.find(':');
      if (colon == std::string_view::npos || !is_field_name(text.substr(0, colon))) {
        break;
      }
      dropped = section.fields.size() >= k_header_fields_max;
      if (!dropped) {
        value_start = start + colon + 1;
        section.fields.push_back({text.substr(0, colon), text.substr(colon + 1), line, end - start});
      }
    }
    section.size += end - start;
    start = end;
    ++line;
  }
  return section;
}

std::vector<std::string> addresses(std::string_view value) {
  std::vector<std::string> out;
  std::string outside;  // the entry's text outside <>: the addr-spec when there is no <>
  std::string inside;   // the text inside <>
  bool angle = false;   // seen "<" in this entry
  bool in_angle = false;
  auto finish = [&] {
    std::string address = angle ? inside : outside;
    // An obsolete route "<@relay:a@b>" (RFC 5322 4.4) is not part of the address.
    if (address.starts_with('@') && address.find(':') != std::string::npos) {
      address.erase(0, address.find(':') + 1);
    }
    if (!address.empty()) {
      out.push_back(std::move(address));
    }
    outside.clear();
    inside.clear();
    angle = false;
    in_angle = false;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    std::string& target = in_angle ? inside : outside;
    if (c == '"') {
      // A quoted string, kept with its quotes and escapes.
      const std::size_t open = i;
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        i += value[i] == '\\' ? 1 : 0;
      }
      target.append(value.substr(open, std::min(i + 1, value.size()) - open));
    } else if (c == '(') {
      // A comment, nested comments and escapes included, is dropped.
      int depth = 1;
      for (++i; i < value.size() && depth > 0; ++i) {
        if (value[i] == '\\') {
          ++i;
        } else {
          depth += value[i] == '(' ? 1 : value[i] == ')' ? -1 : 0;
        }
      }
      --i;
    } else if (c == '<' && !in_angle) {
      angle = true;
      in_angle = true;
      inside.clear();
    } else if (c == '>' && in_angle) {
      in_angle = false;
    } else if ((c == ',' || c == ';') && !in_angle) {
      finish();
    } else if (c == ':' && !in_angle) {
      outside.clear();  // a group's display name
    } else if (!is_space(c)) {
      target += c;
    }
  }
  finish();
  return out;
}

}  // namespace maildog::lint
