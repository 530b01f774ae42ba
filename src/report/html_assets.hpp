// The style sheet and script the HTML report inlines, compiled in from html_report.css and
// html_report.js so a report never fetches anything.
#pragma once

#include <string_view>

namespace maildog::report {

std::string_view html_style();
std::string_view html_script();

}  // namespace maildog::report
