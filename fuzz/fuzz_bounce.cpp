// libFuzzer target: the bounce reader (src/bounce) and the scenario writer (src/scaffold) on what
// it read. Pure over the input bytes: a crash, a sanitizer report or an exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bounce/facts.hpp"
#include "explain/knowledge.hpp"
#include "scaffold/scenario_yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto read = maildog::bounce::read_bounce(input);
  if (read.facts) {
    const auto diagnosis = maildog::explain::diagnose(read.facts->reply);
    (void)maildog::scaffold::scenario_yaml(*read.facts, diagnosis, {});
    (void)maildog::scaffold::scenario_yaml(*read.facts, diagnosis, {.app = "true", .keep_addresses = true});
  }
  return 0;
}
