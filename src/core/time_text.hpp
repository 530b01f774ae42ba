// Every way maildog-ci writes a point in time, in one place: the store's and the record codec's
// whole microseconds, the JSON report's and the API's ISO 8601 with milliseconds, JUnit's and
// the HTML report's forms, and serve's local clock. The UTC forms are computed with <chrono>
// (floor to the millisecond), so they do not depend on the process's time zone.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace maildog::time_text {

// Whole microseconds since the Unix epoch: how the store's columns and the record codec keep times.
inline std::int64_t micros_since_epoch(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point time_from_micros(std::int64_t micros) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(micros)));
}

// A duration as the reports and the API write it: milliseconds with the microseconds as a fraction.
inline double as_milliseconds(std::chrono::microseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

// The written forms of a UTC time.
enum class Form {
  iso_millis,   // "2025-06-03T10:00:00.123Z": the JSON report and the API (RFC 3339)
  iso_seconds,  // "2025-06-03T10:00:00": JUnit (Ant's schema wants no zone suffix)
  readable,     // "2025-06-03 10:00:00 UTC": the HTML report's header
};

inline std::string utc(std::chrono::system_clock::time_point when, Form form) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(when);
  const auto day_start = floor<days>(ms);
  const year_month_day date(day_start);
  const hh_mm_ss time(ms - day_start);
  char buffer[48];
  const int length =
      std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u%c%02lld:%02lld:%02lld", static_cast<int>(date.year()),
                    static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                    form == Form::readable ? ' ' : 'T', static_cast<long long>(time.hours().count()),
                    static_cast<long long>(time.minutes().count()), static_cast<long long>(time.seconds().count()));
  std::string out(buffer, length > 0 ? static_cast<std::size_t>(length) : 0);
  if (form == Form::iso_millis) {
    std::snprintf(buffer, sizeof buffer, ".%03lldZ", static_cast<long long>(time.subseconds().count()));
    out += buffer;
  } else if (form == Form::readable) {
    out += " UTC";
  }
  return out;
}

// Reads Form::iso_millis back, the only form the JSON report's schema allows; nullopt for any
// other text or an impossible date or time (a 13th month, a 61st second).
inline std::optional<std::chrono::system_clock::time_point> parse_iso_millis(std::string_view text) {
  using namespace std::chrono;
  const std::string copy(text);
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millisecond = 0;
  const int fields = std::sscanf(copy.c_str(), "%4d-%2u-%2uT%2d:%2d:%2d.%3dZ", &year, &month, &day, &hour, &minute,
                                 &second, &millisecond);
  const year_month_day date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (fields != 7 || !date.ok() || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  return sys_days(date) + hours(hour) + minutes(minute) + seconds(second) + milliseconds(millisecond);
}

// "14:03:07" in the local time zone: serve's console is read by the person beside it.
inline std::string local_clock(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

}  // namespace maildog::time_text
