// libFuzzer target: the DATA decoder fed in two chunks, split at the first byte's value.
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "smtp/data_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  maildog::smtp::DataDecoder decoder(4096);
  const std::size_t split = size == 0 ? 0 : std::min<std::size_t>(data[0], size);
  const std::size_t used = decoder.feed(input.substr(0, split));
  if (!decoder.done() && used == split) {
    (void)decoder.feed(input.substr(split));
  }
  (void)decoder.take_message();
  return 0;
}
