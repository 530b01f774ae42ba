#include "capture/records.hpp"

namespace maildog::capture {

namespace {

// RFC 8601 2.2 allows folding between resinfo entries; one method per line keeps the stored
// header under RFC 5322's 78-character guidance as receivers' headers usually are. A ';'
// inside a quoted string or a comment does not separate entries.
std::string fold_authentication_results(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 32);
  bool quoted = false;
  bool escaped = false;
  int comment_depth = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (escaped) {
      escaped = false;
    } else if (c == '\\' && (quoted || comment_depth > 0)) {
      escaped = true;
    } else if (c == '"' && comment_depth == 0) {
      quoted = !quoted;
    } else if (!quoted && c == '(') {
      ++comment_depth;
    } else if (!quoted && c == ')' && comment_depth > 0) {
      --comment_depth;
    } else if (!quoted && comment_depth == 0 && c == ';' && i + 1 < value.size() && value[i + 1] == ' ') {
      out += ";\r\n\t";
      ++i;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> TransactionRecord::accepted_recipients() const {
  std::vector<std::string> out;
  for (const auto& recipient : recipients) {
    if (recipient.reply.positive()) {
      out.push_back(recipient.address);
    }
  }
  return out;
}

std::string TransactionRecord::stored_copy() const {
  if (!message) {
    return {};
  }
  return stored_prefix() + *message;
}

std::string TransactionRecord::stored_header_section() const {
  if (!message) {
    return {};
  }
  const std::string_view bytes(*message);
  std::size_t end = 0;
  while (end < bytes.size()) {
    const std::size_t eol = bytes.find('\n', end);
    const std::size_t line_end = eol == std::string_view::npos ? bytes.size() : eol;
    const bool blank = line_end == end || (line_end == end + 1 && bytes[end] == '\r');
    if (blank) {
      break;
    }
    end = eol == std::string_view::npos ? bytes.size() : eol + 1;
  }
  return stored_prefix() + std::string(bytes.substr(0, end));
}

std::string TransactionRecord::stored_prefix() const {
  if (authentication_results.empty()) {
    return {};
  }
  return "Authentication-Results: " + fold_authentication_results(authentication_results) + "\r\n";
}

}  // namespace maildog::capture
