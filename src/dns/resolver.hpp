// DNS as the sender checks see it: one question (name, type) gives a status and the records as
// text. Implementations: FixtureResolver (hermetic, from scenario data) and LiveResolver (c-ares).
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name_table.hpp"

namespace maildog::dns {

// The record types the checks ask for. Record text: A and AAAA as printed by inet_ntop, MX as
// "preference host", TXT as the strings of one record concatenated, PTR and CNAME as names.
enum class RecordType { a, aaaa, mx, txt, ptr, cname };

inline constexpr NameTable<RecordType, 6> k_record_type_names{{
    {RecordType::a, "A"},
    {RecordType::aaaa, "AAAA"},
    {RecordType::mx, "MX"},
    {RecordType::txt, "TXT"},
    {RecordType::ptr, "PTR"},
    {RecordType::cname, "CNAME"},
}};

struct LookupResult {
  enum class Status {
    ok,        // records holds at least one record
    nxdomain,  // RCODE 3: the name does not exist
    nodata,    // the name exists but has no record of the type asked
    servfail,  // RCODE 2 or any other failure to get an answer
    timeout,   // no answer in time
  };
  Status status = Status::nxdomain;
  std::vector<std::string> records;

  // RFC 7208 4.6.4: a "void lookup" is an answer with no records or a Name Error.
  bool is_void() const { return status == Status::nxdomain || status == Status::nodata; }
  // An error a retry might cure: the checks turn it into temperror.
  bool is_error() const { return status == Status::servfail || status == Status::timeout; }
};

inline constexpr NameTable<LookupResult::Status, 5> k_lookup_status_names{{
    {LookupResult::Status::ok, "ok"},
    {LookupResult::Status::nxdomain, "nxdomain"},
    {LookupResult::Status::nodata, "nodata"},
    {LookupResult::Status::servfail, "servfail"},
    {LookupResult::Status::timeout, "timeout"},
}};

class Resolver {
 public:
  Resolver() = default;
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  virtual ~Resolver() = default;

  // `name` in any case, with or without the trailing dot.
  virtual LookupResult lookup(std::string_view name, RecordType type) = 0;
};

// Passes every question to another resolver and counts them.
class CountingResolver final : public Resolver {
 public:
  explicit CountingResolver(Resolver& inner) : inner_(inner) {}

  LookupResult lookup(std::string_view name, RecordType type) override {
    ++queries_;
    return inner_.lookup(name, type);
  }
  unsigned queries() const { return queries_; }

 private:
  Resolver& inner_;
  unsigned queries_ = 0;
};

// The form names are compared in: ASCII lower case, without one trailing dot (RFC 4343).
inline std::string canonical_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::string result(name);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return result;
}

inline bool same_name(std::string_view left, std::string_view right) {
  return canonical_name(left) == canonical_name(right);
}

// RFC 1035 2.3.4: a label is at most 63 octets; a name in dotted form at most 253 (255 on the
// wire, less the length octets).
inline constexpr std::size_t k_label_max = 63;
inline constexpr std::size_t k_name_max = 253;

// Whether a question can be composed from `name`: no empty label (one trailing dot allowed), no
// label over 63 octets, at most 253 octets. Callers treat other names as non-existent.
inline bool is_queryable_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  if (name.empty() || name.size() > k_name_max) {
    return false;
  }
  std::size_t label_start = 0;
  while (true) {
    const std::size_t dot = name.find('.', label_start);
    const std::size_t label_end = dot == std::string_view::npos ? name.size() : dot;
    const std::size_t label_size = label_end - label_start;
    if (label_size == 0 || label_size > k_label_max) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    label_start = dot + 1;
  }
}

}  // namespace maildog::dns
