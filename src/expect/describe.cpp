#include "expect/describe.hpp"

#include <algorithm>
#include <cstdio>

namespace maildog::expect::detail {

std::string counted(std::size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + ' ' + std::string(n == 1 ? singular : plural);
}

std::string quote(std::string_view text, std::size_t limit) {
  bool cut = false;
  if (text.size() > limit) {
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    text = text.substr(0, end);
    cut = true;
  }
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
      out += buffer;
    } else {
      out += c;
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

std::string show(const rules::TextMatch& match) {
  if (match.kind() == rules::TextMatch::Kind::regex) {
    return match.pattern();
  }
  const auto& text = match.pattern();
  const bool plain = !text.empty() && text.find_first_of(" \t\"\\") == std::string::npos;
  return plain ? text : quote(text);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

std::string listed(const std::vector<std::string>& items) {
  std::vector<std::string> shown(items.begin(),
                                 items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), k_listed_max)));
  std::string out = join(shown, "; ");
  if (items.size() > shown.size()) {
    out += "; ... and " + std::to_string(items.size() - shown.size()) + " more";
  }
  return out;
}

std::string count_phrase(std::optional<std::size_t> count, std::optional<std::size_t> min,
                         std::optional<std::size_t> max, std::string_view singular, std::string_view plural) {
  if (count) {
    return "exactly " + counted(*count, singular, plural);
  }
  if (min && max) {
    return "between " + std::to_string(*min) + " and " + counted(*max, singular, plural);
  }
  if (max) {
    return "at most " + counted(*max, singular, plural);
  }
  return "at least " + counted(min.value_or(1), singular, plural);
}

bool count_holds(std::size_t n, std::optional<std::size_t> count, std::optional<std::size_t> min,
                 std::optional<std::size_t> max) {
  if (count) {
    return n == *count;
  }
  if (!min && !max) {
    return n >= 1;
  }
  return n >= min.value_or(0) && (!max || n <= *max);
}

std::string command_text(std::string_view command, std::string_view argument) {
  return argument.empty() ? std::string(command) : std::string(command) + ' ' + std::string(argument);
}

}  // namespace maildog::expect::detail
