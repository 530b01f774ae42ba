// Where to cut a message whose multiparts nest too deep, before GMime sees it. GMime compares
// each "--" line with every open boundary, so 100,000 nested multiparts took seconds of CPU per
// parse; cutting where the open boundaries pass a limit bounds that work. Pure over bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace maildog::mime {

// Open multipart boundaries allowed at once; real mail stays far below (each nested multipart
// or encapsulated message opens one).
inline constexpr std::size_t k_open_boundaries_max = 64;

// The offset of the line whose boundary declaration would open one boundary more than
// `max_open`, or std::string_view::npos when the message stays within. A light scan: header
// sections (the message's, and each part's after a delimiter line) are searched for
// `boundary=`; delimiter lines close what they end.
std::size_t nesting_cut(std::string_view message, std::size_t max_open = k_open_boundaries_max);

}  // namespace maildog::mime
