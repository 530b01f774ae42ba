#include "http/opened_content.hpp"

#include <map>
#include <optional>

#include "core/ascii.hpp"
#include "http/target.hpp"

namespace maildog::http {

namespace {

// The Content-IDs of `part` and its descendants, each with the path of the part it names (the
// first part wins when a sender repeats an id). The message itself has no part URL.
void collect_content_ids(const mime::Part& part, std::map<std::string, std::string>& ids) {
  if (!part.content_id.empty() && !part.path.empty()) {
    ids.emplace(part.content_id, part.path);
  }
  for (const auto& child : part.children) {
    collect_content_ids(child, ids);
  }
}

// RFC 2392: a cid URL is the Content-ID's addr-spec with %hh escapes.
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit_value(text[i + 1]) >= 0 &&
        hex_digit_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit_value(text[i + 1]) * 16 + hex_digit_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Where a cid: URL in markup or CSS ends: quotes, brackets, spaces, an entity, a srcset comma.
bool ends_url(char c) { return std::string_view("\"'<>() \t\r\n\f&\\,").find(c) != std::string_view::npos; }

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::optional<std::string> path_of(const std::map<std::string, std::string>& ids, const std::string& cid) {
  if (const auto found = ids.find(cid); found != ids.end()) {
    return found->second;
  }
  // Mail clients compare Content-IDs without case; so do we when no exact one matches.
  for (const auto& [id, path] : ids) {
    if (ascii::iequals(id, cid)) {
      return path;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string opened_content_policy(bool remote_images) {
  return std::string("default-src 'none'; img-src 'self' data:") + (remote_images ? " https: http:" : "") +
         "; style-src 'unsafe-inline'; sandbox";
}

std::string parts_prefix(std::string_view request_target) {
  std::string_view path = request_target.substr(0, request_target.find_first_of("?#"));
  for (int segments = 0; segments < 2; ++segments) {
    const std::size_t slash = path.rfind('/');
    path = path.substr(0, slash == std::string_view::npos ? 0 : slash);
  }
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string prefix;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_word_char(c) || c == '.' || c == '~' || c == '/' || c == '%') {
      prefix += c;
    } else {
      prefix += '%';
      prefix += k_hex[byte >> 4];
      prefix += k_hex[byte & 0x0f];
    }
  }
  return prefix + "/parts/";
}

std::string link_cid_parts(std::string_view html, const mime::Part& root, std::string_view prefix) {
  std::map<std::string, std::string> ids;
  collect_content_ids(root, ids);
  if (ids.empty()) {
    return std::string(html);
  }
  constexpr std::string_view k_scheme = "cid:";
  std::string out;
  out.reserve(html.size());
  std::size_t done = 0;
  for (std::size_t at = 0; at + k_scheme.size() <= html.size(); ++at) {
    if (!ascii::iequals(html.substr(at, k_scheme.size()), k_scheme) || (at > 0 && is_word_char(html[at - 1]))) {
      continue;
    }
    const std::size_t start = at + k_scheme.size();
    std::size_t end = start;
    while (end < html.size() && !ends_url(html[end])) {
      ++end;
    }
    if (end == start) {
      continue;
    }
    if (const auto path = path_of(ids, percent_decoded(html.substr(start, end - start)))) {
      out.append(html.substr(done, at - done));
      out.append(prefix);
      out.append(*path);
      done = end;
    }
    at = end - 1;
  }
  out.append(html.substr(done));
  return out;
}

}  // namespace maildog::http
