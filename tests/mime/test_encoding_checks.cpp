#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "mime/encoding_checks.hpp"

using maildog::mime::base64_problem;
using maildog::mime::quoted_printable_problem;

TEST_CASE("base64: valid data with line breaks and padding passes", "[mime][encoding]") {
  CHECK_FALSE(base64_problem(""));
  CHECK_FALSE(base64_problem("SGVsbG8=\r\n"));
  CHECK_FALSE(base64_problem("SGVs\r\nbG8s\r\nIHdv\r\ncmxk\r\n"));
  CHECK_FALSE(base64_problem("SGk=\n"));
}

TEST_CASE("base64: the first error is named with its line", "[mime][encoding]") {
  CHECK(base64_problem("SGVs\r\nbG8*\r\n") == std::optional<std::string>("invalid base64 character '*' on line 2"));
  CHECK(base64_problem("SGVs\xe9") == std::optional<std::string>("invalid base64 character byte 0xE9 on line 1"));
  CHECK(base64_problem("SGk=\nSGk=\n") ==
        std::optional<std::string>("base64 data continues after '=' padding on line 2"));
  CHECK(base64_problem("SGVsbG8") ==
        std::optional<std::string>("base64 data ends mid-quantum: 7 characters, not a multiple of 4"));
  CHECK(base64_problem("S===") == std::optional<std::string>("base64 data ends in 3 '=' (at most 2)"));
}

TEST_CASE("quoted-printable: escapes and soft breaks", "[mime][encoding]") {
  CHECK_FALSE(quoted_printable_problem("caf=C3=A9 soft=\r\nbreak and trailing padding= \t\r\nend="));
  CHECK_FALSE(quoted_printable_problem("lower case hex =c3=a9 is read too"));
  CHECK(quoted_printable_problem("ok\r\n=XY\r\n") ==
        std::optional<std::string>("invalid quoted-printable escape '=XY' on line 2"));
  CHECK(quoted_printable_problem("cut =4") ==
        std::optional<std::string>("invalid quoted-printable escape '=4' on line 1"));
  CHECK(quoted_printable_problem("caf\xc3\xa9") ==
        std::optional<std::string>("unencoded 8-bit byte 0xC3 in quoted-printable on line 1"));
}
