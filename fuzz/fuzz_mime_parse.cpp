// libFuzzer target: MIME inspection of one message (RFC 2045-2049, 2047, 2231).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "mime/mime.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)maildog::mime::parse(input);
  return 0;
}
