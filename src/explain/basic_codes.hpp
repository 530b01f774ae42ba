// The three-digit SMTP reply codes: what RFC 5321 4.2.2/4.2.3 (and the AUTH, STARTTLS and null MX
// RFCs) say each one means, for replies that carry no enhanced status code.
#pragma once

#include <optional>
#include <string_view>

namespace maildog::explain {

struct BasicCode {
  int code = 0;
  std::string_view text;       // the RFC's text for it
  std::string_view reference;  // where that text comes from
  std::string_view meaning;    // what it means for the sender, in our words
};

std::optional<BasicCode> basic_code(int code);

// RFC 5321 4.2.1: the first digit. "Positive Intermediate" for 3xx, "Transient Negative
// Completion" for 4xx, ...
std::string_view basic_class_name(int code);

}  // namespace maildog::explain
