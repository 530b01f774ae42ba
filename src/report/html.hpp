// The HTML report (`run --html FILE`): one self-contained page, with inline CSS and a small
// script and nothing fetched, showing the summary, filters by status and tag, and for each
// scenario its failures, the transcript with the lines around each failure highlighted, the
// app's result, the client's steps and the captured messages' envelopes, headers and
// authentication results. Readable without JavaScript (only the filters need it).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "runner/result.hpp"

namespace maildog::report {

// What one scenario shows at most, so a flood of lines or a chatty app keeps the page usable;
// --artifacts and the JSON report keep everything.
inline constexpr std::size_t k_html_transcript_lines_max = 2000;
inline constexpr std::size_t k_html_line_max = 2000;           // characters of one transcript line
inline constexpr std::size_t k_html_output_tail_max = 8192;    // last bytes of the app's stdout and stderr
inline constexpr std::size_t k_html_messages_max = 50;         // captured messages per scenario
inline constexpr std::size_t k_html_header_block_max = 16384;  // bytes of a message read for its headers

void write_html(const runner::RunResult& run, std::ostream& out);

// Text safe in HTML content and in double- or single-quoted attribute values: markup
// characters and quotes as character references, invalid UTF-8 as U+FFFD, control characters
// other than tab and LF dropped.
std::string html_escape(std::string_view text);

// Indexes into `lines` (expect::normalised_lines) of the first run of consecutive lines equal
// to `context` (runner::Failure::context, normalised the same way); empty when there is none.
std::vector<std::size_t> context_line_indexes(const std::vector<std::string>& lines,
                                              const std::vector<std::string>& context);

}  // namespace maildog::report
