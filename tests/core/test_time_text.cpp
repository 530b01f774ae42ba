#include <catch2/catch.hpp>

#include "core/time_text.hpp"

using namespace maildog;
using namespace std::chrono;

namespace {

// 2025-06-03T10:00:07.123456Z
const system_clock::time_point k_when = sys_days(year{2025} / June / 3) + hours(10) + seconds(7) + microseconds(123456);

}  // namespace

TEST_CASE("a time is written in each form the reports and the API use", "[core][time]") {
  CHECK(time_text::utc(k_when, time_text::Form::iso_millis) == "2025-06-03T10:00:07.123Z");
  CHECK(time_text::utc(k_when, time_text::Form::iso_seconds) == "2025-06-03T10:00:07");
  CHECK(time_text::utc(k_when, time_text::Form::readable) == "2025-06-03 10:00:07 UTC");
  // Milliseconds are cut, not rounded: 999.9 ms is still the same second.
  CHECK(time_text::utc(sys_days(year{1999} / December / 31) + hours(23) + minutes(59) + seconds(59) +
                           microseconds(999999),
                       time_text::Form::iso_millis) == "1999-12-31T23:59:59.999Z");
  CHECK(time_text::utc(system_clock::time_point{}, time_text::Form::iso_millis) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("the ISO form reads back, and anything else does not", "[core][time]") {
  const auto read = time_text::parse_iso_millis("2025-06-03T10:00:07.123Z");
  REQUIRE(read);
  CHECK(*read == floor<milliseconds>(k_when));
  CHECK(time_text::utc(*read, time_text::Form::iso_millis) == "2025-06-03T10:00:07.123Z");
  CHECK_FALSE(time_text::parse_iso_millis("2025-13-03T10:00:07.123Z"));
  CHECK_FALSE(time_text::parse_iso_millis("2025-02-30T10:00:07.123Z"));
  CHECK_FALSE(time_text::parse_iso_millis("2025-06-03T24:00:07.123Z"));
  CHECK_FALSE(time_text::parse_iso_millis("2025-06-03 10:00:07"));
  CHECK_FALSE(time_text::parse_iso_millis(""));
}

TEST_CASE("microseconds since the epoch and milliseconds as a fraction", "[core][time]") {
  const auto micros = time_text::micros_since_epoch(k_when);
  CHECK(micros == 1748944807123456);
  CHECK(time_text::time_from_micros(micros) == k_when);
  CHECK(time_text::as_milliseconds(microseconds(99293)) == 99.293);
  CHECK(time_text::as_milliseconds(microseconds(0)) == 0.0);
}

TEST_CASE("the local clock is hours, minutes and seconds", "[core][time]") {
  const std::string clock = time_text::local_clock(k_when);
  REQUIRE(clock.size() == 8);
  CHECK(clock[2] == ':');
  CHECK(clock[5] == ':');
  CHECK(clock.substr(6) == "07");  // every time zone is a whole number of minutes off UTC
}
