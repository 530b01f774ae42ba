// libFuzzer target: DKIM key record parsing (RFC 6376 3.6.1).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "auth/dkim/key_record.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)maildog::auth::dkim::parse_key_record(input);
  return 0;
}
