// Content-Transfer-Encoding errors GMime's decoders skip silently (RFC 2045 6.7, 6.8): a strict
// receiver or a DKIM body hash sees the bytes as they are, so they are reported.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace maildog::mime {

// The first reason `encoded` is not valid base64, or nothing.
std::optional<std::string> base64_problem(std::string_view encoded);

// The first reason `encoded` is not valid quoted-printable, or nothing.
std::optional<std::string> quoted_printable_problem(std::string_view encoded);

}  // namespace maildog::mime
