// libFuzzer target: the scenario YAML loader on one file's text, with an empty environment.
// Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "scenario/loader.hpp"
#include "scenario/template.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const auto env = maildog::scenario::Environment::from_map({});
  (void)maildog::scenario::load_text(input, "fuzz.yaml", env);
  return 0;
}
