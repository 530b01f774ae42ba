// libFuzzer target: the explain reply finder (reply lines, log lines, bounces).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "explain/reply_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)maildog::explain::find_reply(input);
  return 0;
}
