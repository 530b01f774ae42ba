// libFuzzer target: SPF macro-string checking and expansion (RFC 7208 7), with the RFC's own
// example values; the first byte picks the use (domain-spec or explanation) and the address
// family. Pure over the input bytes: a crash or a sanitizer report is a finding.
#include "auth/spf/macro.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spf = maildog::auth::spf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto use = (data[0] & 1) != 0 ? spf::MacroUse::explanation : spf::MacroUse::domain;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const spf::MacroValues v4{"strong-bad@email.example.com",
                                   "email.example.com",
                                   *spf::IpAddress::parse("192.0.2.3"),
                                   "mx.example.org",
                                   "receiver.example",
                                   1700000000,
                                   [] { return "mx.example.org"; }};
  static const spf::MacroValues v6{"strong-bad@email.example.com",
                                   "email.example.com",
                                   *spf::IpAddress::parse("2001:db8::cb01"),
                                   "mx.example.org",
                                   "receiver.example",
                                   1700000000,
                                   [] { return "unknown"; }};
  (void)spf::check_macro_string(text, use);
  (void)spf::ends_with_macro_expand(text);
  (void)spf::expand_macro_string(text, (data[0] & 2) != 0 ? v6 : v4, use);
  return 0;
}
