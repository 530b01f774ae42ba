// The header section of a message as names and unfolded values: the one splitter the rules,
// the DMARC From check and the reports share. Pure, below every folder that reads messages, so
// auth need not include the rules engine for it (issue 22).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace maildog::message {

struct Header {
  std::string name;
  std::string value;  // unfolded
};

// Headers of a message: names and unfolded values, up to the blank line (RFC 5322 2.2).
std::vector<Header> parse_headers(std::string_view message);

}  // namespace maildog::message
