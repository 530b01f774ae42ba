// One sender-hygiene finding: something a strict receiver refuses, or that breaks DKIM in
// transit. The names are stable identifiers: `expect.lint` keys and the reports use them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/name_table.hpp"

namespace maildog::lint {

enum class Kind {
  bare_lf,                     // LF without CR
  bare_cr,                     // CR without LF
  long_lines,                  // over 998 octets without CRLF (RFC 5322 2.1.1)
  smuggling_eod,               // an end of data other than <CR><LF>.<CR><LF> (SMTP smuggling)
  eight_bit_without_8bitmime,  // octets >= 0x80 without BODY=8BITMIME or SMTPUTF8 (RFC 6152)
  utf8_without_smtputf8,       // a non-ASCII address without SMTPUTF8 (RFC 6531)
  missing_date,                // RFC 5322 3.6: Date is required
  missing_message_id,          // RFC 5322 3.6.4: should be present; receivers score its absence
  missing_from,                // RFC 5322 3.6: From is required
  duplicate_header,            // a field RFC 5322 3.6 allows at most once, twice
  from_without_domain,         // a From address without @domain
  header_too_large,            // the header section over k_header_section_max
};

inline constexpr NameTable<Kind, 12> k_kind_names{{
    {Kind::bare_lf, "bare_lf"},
    {Kind::bare_cr, "bare_cr"},
    {Kind::long_lines, "long_lines"},
    {Kind::smuggling_eod, "smuggling_eod"},
    {Kind::eight_bit_without_8bitmime, "eight_bit_without_8bitmime"},
    {Kind::utf8_without_smtputf8, "utf8_without_smtputf8"},
    {Kind::missing_date, "missing_date"},
    {Kind::missing_message_id, "missing_message_id"},
    {Kind::missing_from, "missing_from"},
    {Kind::duplicate_header, "duplicate_header"},
    {Kind::from_without_domain, "from_without_domain"},
    {Kind::header_too_large, "header_too_large"},
}};

struct Finding {
  Kind kind = Kind::bare_lf;
  std::string message;   // for a person: what, how often, where first
  std::size_t line = 0;  // 1-based line in the message; 0: the envelope, or a field that is absent
  std::string excerpt;   // the offending text, escaped (see excerpt()); may be empty

  std::string_view name() const { return name_of(k_kind_names, kind); }
};

// Bytes of message text an excerpt shows before it is cut with "...".
inline constexpr std::size_t k_excerpt_max = 60;

// `text` safe to print anywhere: CR, LF and TAB as \r \n \t, other control and 8-bit octets as
// \xNN, backslash doubled; cut after k_excerpt_max bytes of `text` with "..." appended.
std::string excerpt(std::string_view text);

// The excerpt of at most k_excerpt_max bytes of `text` centred on `position`, with "..." on
// each side that was cut.
std::string excerpt_around(std::string_view text, std::size_t position);

}  // namespace maildog::lint
