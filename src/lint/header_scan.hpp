// The header section of a message as the linter needs it (RFC 5322 2.2): each field's name,
// raw value and line, and the section's size; and the addresses of an address-list value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::lint {

// Fields kept per message; a section with more is far over k_header_section_max anyway.
inline constexpr std::size_t k_header_fields_max = 10000;

struct HeaderField {
  std::string_view name;
  std::string_view value;  // after the colon to the end of its last line, folds kept, line ending not
  std::size_t line = 0;    // 1-based line of the name
  std::size_t size = 0;    // octets of the field with its line endings
};

struct HeaderSection {
  std::vector<HeaderField> fields;  // in order; at most k_header_fields_max
  std::size_t size = 0;             // octets up to the blank line, which is not counted
};

// The section ends at the first empty line, or at the first line that is neither a field nor a
// continuation (a message without a blank line before its body).
HeaderSection scan_headers(std::string_view bytes);

// The addr-specs of a mailbox-list or address-list value (RFC 5322 3.4): "Name <a@b>", "a@b",
// "a@b (comment)" and groups "team: a@b, c@d;". Comments removed, folds ignored; an entry with
// no address (empty, or a group's display name alone) gives nothing.
std::vector<std::string> addresses(std::string_view value);

}  // namespace maildog::lint
