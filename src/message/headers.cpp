#include "message/headers.hpp"

namespace maildog::message {

std::vector<Header> parse_headers(std::string_view message) {
  std::vector<Header> headers;
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto eol = message.find('\n', pos);
    std::string_view line = message.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? message.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      break;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
      // RFC 5322 2.2.3: unfolding removes the CRLF before the white space.
      headers.back().value += std::string(line);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    headers.push_back(Header{std::string(line.substr(0, colon)), std::string(value)});
  }
  for (auto& header : headers) {
    while (!header.value.empty() && (header.value.back() == ' ' || header.value.back() == '\t')) {
      header.value.pop_back();
    }
  }
  return headers;
}

}  // namespace maildog::message
