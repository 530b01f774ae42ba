// The JUnit XML report CI systems read: a <testsuite> per scenario file, a <testcase> per
// scenario with file and line, every failed expectation and the transcript. Valid against the
// Jenkins xUnit junit-10.xsd once the testcase `file`/`line` extensions are removed.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "runner/result.hpp"

namespace maildog::report {

void write_junit(const runner::RunResult& run, std::ostream& out);

// Text safe for XML 1.0 content (attribute = false) or a double-quoted attribute value:
// markup characters escaped, characters XML 1.0 forbids (NUL and the other C0 controls except
// tab, LF and CR, U+FFFE, U+FFFF) removed, invalid UTF-8 replaced by U+FFFD. In attributes
// tab, LF and CR become character references so they survive attribute normalisation.
std::string xml_escape(std::string_view text, bool attribute = false);

}  // namespace maildog::report
