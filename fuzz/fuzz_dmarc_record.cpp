// libFuzzer target: DMARC record parsing (RFC 7489 6.3, 6.4).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "auth/dmarc/record.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)maildog::auth::dmarc::parse_record(input);
  return 0;
}
