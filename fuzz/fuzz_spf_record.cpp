// libFuzzer target: SPF record parsing (RFC 7208 4.5, 4.6, 5, 6, 12).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "auth/spf/record.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)maildog::auth::spf::is_spf_record(input);
  (void)maildog::auth::spf::parse_record(input);
  return 0;
}
