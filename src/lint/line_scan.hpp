// One pass over a message's lines for what a strict receiver checks octet by octet: line
// endings, line lengths, 8-bit octets and end-of-data look-alikes. Lines end at every LF, as
// smtp::DataDecoder counts them, so line numbers agree with the decoder's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace maildog::lint {

// How often something occurred, and where first (1-based line, escaped excerpt).
struct Occurrences {
  std::size_t count = 0;
  std::size_t first_line = 0;
  std::string excerpt;
};

struct LineScan {
  Occurrences bare_lf;     // lines ended by LF without CR
  Occurrences bare_cr;     // CRs not followed by LF
  Occurrences long_lines;  // lines over k_line_max octets, line ending not counted
  std::size_t longest_line = 0;
  Occurrences eight_bit;  // lines holding an octet >= 0x80
  // A bare LF or bare CR, ".", then CR or LF: a lax receiver takes it for the end of data.
  Occurrences smuggling;
  std::string smuggling_sequence;  // the first one spelled out, e.g. "<LF>.<CR><LF>"
};

LineScan scan_lines(std::string_view bytes);

// Line `number` (1-based) of `bytes` with its LF, or empty past the end.
std::string_view line_at(std::string_view bytes, std::size_t number);

}  // namespace maildog::lint
