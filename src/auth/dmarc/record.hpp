// A DMARC policy record as parsed from its TXT text (RFC 7489 6.3, 6.4), with the RFC 7489
// 6.6.3 rule for records without a valid p= applied. Pure: evaluate.hpp does the DNS.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name_table.hpp"

namespace maildog::auth::dmarc {

enum class Policy { none, quarantine, reject };  // RFC 7489 6.3 "p"

inline constexpr NameTable<Policy, 3> k_policy_names{{
    {Policy::none, "none"},
    {Policy::quarantine, "quarantine"},
    {Policy::reject, "reject"},
}};

enum class Alignment { relaxed, strict };  // RFC 7489 6.3 "adkim", "aspf": "r" or "s"

// RFC 7489 6.3 defaults.
inline constexpr unsigned k_default_percent = 100;
inline constexpr unsigned k_default_report_interval = 86400;

struct Record {
  Policy policy = Policy::none;                          // p=
  std::optional<Policy> subdomain_policy;                // sp=; absent: p= applies to subdomains too
  Alignment dkim_alignment = Alignment::relaxed;         // adkim=
  Alignment spf_alignment = Alignment::relaxed;          // aspf=
  unsigned percent = k_default_percent;                  // pct=, 0..100
  std::vector<std::string> aggregate_report_uris;        // rua=
  std::vector<std::string> failure_report_uris;          // ruf=
  std::string failure_options = "0";                     // fo=, as written
  std::string report_format = "afrf";                    // rf=, as written
  unsigned report_interval = k_default_report_interval;  // ri=, seconds
  // RFC 7489 6.6.3 6.1: p= (or sp=) was missing or invalid but rua= is usable, so the record
  // is read as "p=none".
  bool policy_defaulted = false;
};

struct ParsedRecord {
  enum class Status {
    ok,         // `record` holds the record
    not_dmarc,  // does not start with v=DMARC1: discarded during discovery (RFC 7489 6.6.3 2)
    invalid,    // a DMARC record that cannot be used; `error` says why
  };
  Status status = Status::not_dmarc;
  Record record;
  std::string error;
};

// Parses one TXT record (its strings already joined). Tag names compare without case, p/sp
// values too; unknown tags are ignored (RFC 7489 6.3). A record whose p= is missing or
// invalid, or whose sp= is invalid, is "p=none" when rua= holds a valid URI and invalid
// otherwise (RFC 7489 6.6.3 6). Other malformed known tags make the record invalid.
ParsedRecord parse_record(std::string_view text);

}  // namespace maildog::auth::dmarc
