// A hermetic resolver answering from a map (a scenario's `dns:` records or a test's zone), with
// explicit failures, so every SPF/DKIM/DMARC path including temperror can be driven in tests.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace maildog::dns {

// How many CNAMEs one lookup follows before answering servfail (a loop or a silly chain).
inline constexpr unsigned k_cname_chain_max = 8;

class FixtureResolver final : public Resolver {
 public:
  // name -> type -> values, as scenario::DnsSpec::records holds them. Names compare without case
  // and without the trailing dot. Types (any case):
  //   A, AAAA        addresses; stored as inet_ntop prints them
  //   MX             "preference host"
  //   TXT            one value per record (the record's strings already concatenated)
  //   PTR, CNAME     names (one CNAME value)
  //   NXDOMAIN, SERVFAIL, TIMEOUT (values ignored, e.g. "true"): questions for a type the name
  //                  has no records of get that status instead of nodata
  //   anything else (NS, SPF, ...): not answered, but the name exists
  // A name mapped to no types exists and has no records. Throws std::invalid_argument for an
  // address, MX value or CNAME that cannot be used.
  using Records = std::map<std::string, std::map<std::string, std::vector<std::string>>>;
  explicit FixtureResolver(const Records& records);

  LookupResult lookup(std::string_view name, RecordType type) override;

 private:
  struct Node {
    std::map<RecordType, std::vector<std::string>> records;
    std::optional<LookupResult::Status> failure;  // for types without records
  };
  std::map<std::string, Node> nodes_;  // by canonical_name
};

}  // namespace maildog::dns
