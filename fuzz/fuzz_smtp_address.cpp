// libFuzzer target: reverse- and forward-path parsing with ESMTP parameters (RFC 5321 4.1.2).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "smtp/address.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)maildog::smtp::parse_reverse_path(input);
  (void)maildog::smtp::parse_forward_path(input);
  (void)maildog::smtp::parse_esmtp_parameters(input, true);
  (void)maildog::smtp::normalized_address(input);
  return 0;
}
