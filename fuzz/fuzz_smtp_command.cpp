// libFuzzer target: smtp::parse_command on one command line (RFC 5321 4.1.1).
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "smtp/command.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto command = maildog::smtp::parse_command(input);
  (void)maildog::smtp::to_string(command.verb);
  return 0;
}
