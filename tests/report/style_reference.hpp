// The HTML golden file without the stylesheet: the page is compared with the stylesheet replaced by
// a reference naming it and its SHA-256, and the stylesheet is tested on its own (test_html_style.cpp).
#pragma once

#include <string>
#include <string_view>

namespace maildog::test {

// Lower-case hex SHA-256 of `bytes`, as `sha256sum` prints it.
std::string sha256_hex(std::string_view bytes);

// The comment that stands for the embedded stylesheet in the golden file:
// "/* src/report/html_report.css sha256 HEX, tested on its own (tests/report/test_html_style.cpp) */".
std::string style_reference();

// `html` with its one embedded copy of report::html_style() replaced by style_reference(); unchanged
// when the page does not embed the stylesheet exactly (the golden comparison then shows how).
std::string with_style_reference(const std::string& html);

}  // namespace maildog::test
