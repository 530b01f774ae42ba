// libFuzzer target: DKIM-Signature header and tag-list parsing (RFC 6376 3.2, 3.5, 6.1.1).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "auth/dkim/signature.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)maildog::auth::dkim::parse_signature(input);
  (void)maildog::auth::dkim::parse_tag_list(input);
  return 0;
}
