#include "expect/transcript.hpp"

#include <cctype>
#include <cstddef>

namespace maildog::expect {

namespace {

using capture::TranscriptEntry;

constexpr std::string_view k_tls_established = "TLS established: ";
constexpr std::string_view k_queued_as = "queued as ";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != lower(prefix[i])) {
      return false;
    }
  }
  return true;
}

// `shape` spells the expected characters at `pos`: '9' a digit, 'A' a letter, anything else
// itself.
bool has_shape(std::string_view text, std::size_t pos, std::string_view shape) {
  if (pos > text.size() || text.size() - pos < shape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const char c = text[pos + i];
    const char want = shape[i];
    if (want == '9' ? !is_digit(c) : want == 'A' ? !is_alpha(c) : c != want) {
      return false;
    }
  }
  return true;
}

// "/tmp/maildog-x1Y2/out.eml" -> "<tmp>/out.eml".
std::string replace_temp_paths(std::string text, const std::vector<std::string>& roots) {
  constexpr std::string_view k_before = " \t\"'<(=:,[";
  constexpr std::string_view k_stop = "/ \t\"'<>(),]";
  for (const auto& root : roots) {
    if (root.empty()) {
      continue;
    }
    std::size_t pos = 0;
    while ((pos = text.find(root, pos)) != std::string::npos) {
      if (pos > 0 && k_before.find(text[pos - 1]) == std::string_view::npos) {
        pos += root.size();
        continue;
      }
      std::size_t end = pos + root.size();
      while (end < text.size() && k_stop.find(text[end]) == std::string_view::npos) {
        ++end;
      }
      if (end == pos + root.size()) {
        pos = end;
        continue;
      }
      text.replace(pos, end - pos, "<tmp>");
      pos += 5;
    }
  }
  return text;
}

// Extends a time of day at [start, end) to the date before it and the zone after it.
void extend_timestamp(std::string_view text, std::size_t& start, std::size_t& end) {
  // ISO 8601 date: "2025-06-03T" or "2025-06-03 ".
  if (start >= 11 && (text[start - 1] == 'T' || text[start - 1] == ' ') && has_shape(text, start - 11, "9999-99-99")) {
    start -= 11;
  } else if (start >= 11 && has_shape(text, start - 9, "AAA 9999 ")) {
    // RFC 5322 3.3: "[Tue, ]3 Jun 2025 " before the time.
    const std::size_t month = start - 9;
    std::size_t day = month;
    if (month >= 3 && has_shape(text, month - 3, "99 ")) {
      day = month - 3;
    } else if (has_shape(text, month - 2, "9 ")) {
      day = month - 2;
    }
    if (day != month) {
      start = day;
      if (start >= 5 && has_shape(text, start - 5, "AAA, ")) {
        start -= 5;
      }
    }
  }
  if (end < text.size() && text[end] == '.') {
    std::size_t frac = end + 1;
    while (frac < text.size() && is_digit(text[frac])) {
      ++frac;
    }
    if (frac > end + 1) {
      end = frac;
    }
  }
  if (end < text.size() && text[end] == 'Z') {
    end += 1;
  } else if (has_shape(text, end, "+99:99") || has_shape(text, end, "-99:99")) {
    end += 6;
  } else if (has_shape(text, end, "+9999") || has_shape(text, end, "-9999") || has_shape(text, end, " +9999") ||
             has_shape(text, end, " -9999")) {
    end += text[end] == ' ' ? 6 : 5;
    if (end < text.size() && text[end] == ' ' && end + 1 < text.size() && text[end + 1] == '(') {
      auto close = text.find(')', end);
      if (close != std::string_view::npos) {
        end = close + 1;
      }
    }
  } else if (has_shape(text, end, " GMT") || has_shape(text, end, " UTC")) {
    end += 4;
  }
}

// Times of day, with the ISO 8601 or RFC 5322 date and zone around them, -> "<timestamp>".
std::string replace_timestamps(std::string text) {
  std::size_t pos = 0;
  while (pos + 8 <= text.size()) {
    const bool boundary_before = pos == 0 || !(is_hex(text[pos - 1]) || text[pos - 1] == ':');
    const bool boundary_after = pos + 8 == text.size() || !(is_digit(text[pos + 8]) || text[pos + 8] == ':');
    if (!boundary_before || !boundary_after || !has_shape(text, pos, "99:99:99")) {
      ++pos;
      continue;
    }
    std::size_t start = pos;
    std::size_t end = pos + 8;
    extend_timestamp(text, start, end);
    text.replace(start, end - start, "<timestamp>");
    pos = start + 11;
  }
  return text;
}

// True when `host` (the text just before a ':') ends in an IPv4 address, a bracketed IPv6
// address or "localhost".
bool ends_with_host(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  if (host.back() == ']') {
    auto open = host.rfind('[');
    if (open == std::string_view::npos || open + 2 > host.size()) {
      return false;
    }
    for (std::size_t i = open + 1; i + 1 < host.size(); ++i) {
      if (!is_hex(host[i]) && host[i] != ':' && host[i] != '.') {
        return false;
      }
    }
    return true;
  }
  if (host.size() >= 9 && starts_with_nocase(host.substr(host.size() - 9), "localhost")) {
    return true;
  }
  std::size_t start = host.size();
  while (start > 0 && (is_digit(host[start - 1]) || host[start - 1] == '.')) {
    --start;
  }
  if (start > 0 && is_alnum(host[start - 1])) {
    return false;
  }
  std::string_view address = host.substr(start);
  int dots = 0;
  std::size_t run = 0;
  for (char c : address) {
    if (c == '.') {
      if (run == 0) {
        return false;
      }
      ++dots;
      run = 0;
    } else if (++run > 3) {
      return false;
    }
  }
  return dots == 3 && run > 0;
}

// "127.0.0.1:40312" -> "127.0.0.1:<port>", also for "[::1]:40312" and "localhost:2525".
std::string replace_ports(std::string text) {
  std::size_t pos = 0;
  while ((pos = text.find(':', pos)) != std::string::npos) {
    std::size_t end = pos + 1;
    while (end < text.size() && is_digit(text[end])) {
      ++end;
    }
    const std::size_t digits = end - pos - 1;
    const bool port_end = end == text.size() || !(is_alnum(text[end]) || text[end] == ':' || text[end] == '.');
    if (digits >= 1 && digits <= 5 && port_end && ends_with_host(std::string_view(text).substr(0, pos))) {
      text.replace(pos + 1, digits, "<port>");
      pos += 7;
    } else {
      pos += 1;
    }
  }
  return text;
}

// "queued as 0A1B2C3D4E" -> "queued as <id>".
std::string replace_queue_ids(std::string text) {
  std::size_t pos = 0;
  while (pos + k_queued_as.size() <= text.size()) {
    if (!starts_with_nocase(std::string_view(text).substr(pos), k_queued_as)) {
      ++pos;
      continue;
    }
    const std::size_t id = pos + k_queued_as.size();
    std::size_t end = id;
    while (end < text.size() && is_alnum(text[end])) {
      ++end;
    }
    if (end > id) {
      text.replace(id, end - id, "<id>");
      end = id + 4;
    }
    pos = end;
  }
  return text;
}

std::string_view prefix(TranscriptEntry::Direction direction) {
  switch (direction) {
    case TranscriptEntry::Direction::client:
      return "C: ";
    case TranscriptEntry::Direction::server:
      return "S: ";
    case TranscriptEntry::Direction::event:
      return "*  ";
  }
  return "*  ";
}

std::string host_and_port(const capture::SessionRecord& session) {
  if (session.client_address.find(':') != std::string::npos) {
    return "[" + session.client_address + "]:" + std::to_string(session.client_port);
  }
  return session.client_address + ":" + std::to_string(session.client_port);
}

}  // namespace

std::string render_session_header(const capture::SessionRecord& session) {
  const std::string from = session.client_port == 0 ? session.client_address : host_and_port(session);
  return "== session " + std::to_string(session.id) + " from " + from;
}

std::string render_entry(const capture::TranscriptEntry& entry) {
  return std::string(prefix(entry.direction)) + entry.text;
}

std::vector<std::string> render_lines(const std::vector<capture::SessionRecord>& sessions) {
  std::vector<std::string> lines;
  for (const auto& session : sessions) {
    lines.push_back(render_session_header(session));
    for (const auto& entry : session.transcript) {
      lines.push_back(render_entry(entry));
    }
  }
  return lines;
}

std::string normalise_text(std::string_view line, const NormaliseOptions& options) {
  std::string text = replace_temp_paths(std::string(line), options.temp_roots);
  text = replace_timestamps(std::move(text));
  text = replace_ports(std::move(text));
  return replace_queue_ids(std::move(text));
}

std::vector<std::string> normalised_lines(const std::vector<capture::SessionRecord>& sessions,
                                          const NormaliseOptions& options) {
  std::vector<std::string> lines;
  for (const auto& session : sessions) {
    lines.push_back("== session " + std::to_string(session.id) + " from " + session.client_address);
    bool cram_md5_pending = false;
    for (const auto& entry : session.transcript) {
      std::string text;
      switch (entry.direction) {
        case TranscriptEntry::Direction::client:
          cram_md5_pending = starts_with_nocase(entry.text, "AUTH CRAM-MD5");
          text = normalise_text(entry.text, options);
          break;
        case TranscriptEntry::Direction::server:
          if (cram_md5_pending && entry.text.starts_with("334 ")) {
            text = "334 <challenge>";
          } else {
            text = normalise_text(entry.text, options);
          }
          cram_md5_pending = false;
          break;
        case TranscriptEntry::Direction::event:
          if (entry.text.starts_with(k_tls_established)) {
            text = std::string(k_tls_established) + "<tls>";
          } else {
            text = normalise_text(entry.text, options);
          }
          break;
      }
      lines.push_back(std::string(prefix(entry.direction)) + text);
    }
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace maildog::expect
