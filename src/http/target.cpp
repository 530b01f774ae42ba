#include "http/target.hpp"

namespace maildog::http {

namespace {

// `plus_is_space`: in a query, form encoding writes a space as "+".
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      const int high = hex_digit_value(text[i + 1]);
      const int low = hex_digit_value(text[i + 2]);
      if (high < 0 || low < 0) {
        return std::nullopt;
      }
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool char_at(std::string_view text, std::size_t at, std::string_view allowed) {
  return at < text.size() && allowed.find(text[at]) != std::string_view::npos;
}

}  // namespace

std::optional<Target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return std::nullopt;
  }
  Target parsed;
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    if (end > start) {
      auto segment = percent_decode(path.substr(start, end - start), false);
      if (!segment) {
        return std::nullopt;
      }
      parsed.segments.push_back(std::move(*segment));
    }
    start = end + 1;
  }
  if (question == std::string_view::npos) {
    return parsed;
  }
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t equals = pair.find('=');
    auto name = percent_decode(pair.substr(0, equals), true);
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1), true);
    if (!name || !value) {
      return std::nullopt;
    }
    parsed.query[std::move(*name)] = std::move(*value);
  }
  return parsed;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !char_at(text, 4, "-") || !char_at(text, 7, "-") ||
      !char_at(text, 10, "Tt ") || !char_at(text, 13, ":") || !char_at(text, 16, ":") || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  std::size_t at = 19;
  microseconds fraction{0};
  if (char_at(text, at, ".")) {
    ++at;
    const std::size_t first = at;
    long long scale = 100000;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      fraction += microseconds((text[at] - '0') * scale);
      scale /= 10;
      ++at;
    }
    if (at == first) {
      return std::nullopt;
    }
  }
  minutes offset{0};
  if (char_at(text, at, "Zz") && at + 1 == text.size()) {
    ++at;
  } else if (char_at(text, at, "+-") && at + 6 == text.size() && char_at(text, at + 3, ":")) {
    const auto offset_hours = digits(text, at + 1, 2);
    const auto offset_minutes = digits(text, at + 4, 2);
    if (!offset_hours || !offset_minutes || *offset_hours > 23 || *offset_minutes > 59) {
      return std::nullopt;
    }
    offset = hours(*offset_hours) + minutes(*offset_minutes);
    if (text[at] == '-') {
      offset = -offset;
    }
    at += 6;
  } else {
    return std::nullopt;
  }
  // system_clock counts nanoseconds in 64 bits (years 1678 to 2261): beyond, the nearest end.
  const auto in_seconds =
      sys_days(date).time_since_epoch() + hours(*hour) + minutes(*minute) + seconds(*second) - offset;
  if (in_seconds >= floor<seconds>(system_clock::time_point::max().time_since_epoch())) {
    return system_clock::time_point::max();
  }
  if (in_seconds <= ceil<seconds>(system_clock::time_point::min().time_since_epoch())) {
    return system_clock::time_point::min();
  }
  return system_clock::time_point(duration_cast<system_clock::duration>(in_seconds) + fraction);
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace maildog::http
