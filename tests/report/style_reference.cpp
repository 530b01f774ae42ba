#include "report/style_reference.hpp"

#include <openssl/evp.h>

#include <array>

#include "report/html_assets.hpp"

namespace maildog::test {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    return "(no sha256)";
  }
  static constexpr std::string_view k_hex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += k_hex[digest[i] >> 4];
    hex += k_hex[digest[i] & 0x0f];
  }
  return hex;
}

std::string style_reference() {
  return "/* src/report/html_report.css sha256 " + sha256_hex(report::html_style()) +
         ", tested on its own (tests/report/test_html_style.cpp) */\n";
}

std::string with_style_reference(const std::string& html) {
  // As report/html.cpp writes it: the stylesheet between "<style>\n" and "</style>".
  const std::string embedded = "<style>\n" + std::string(report::html_style()) + "</style>";
  const std::size_t at = html.find(embedded);
  if (at == std::string::npos || html.find(embedded, at + 1) != std::string::npos) {
    return html;
  }
  std::string referenced = html;
  referenced.replace(at, embedded.size(), "<style>\n" + style_reference() + "</style>");
  return referenced;
}

}  // namespace maildog::test
