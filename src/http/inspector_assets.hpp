// The web inspector's page, style sheet and script (src/http/inspector/), compiled in so
// `serve` works offline and fetches nothing from elsewhere.
#pragma once

#include <string_view>

namespace maildog::http {

std::string_view inspector_html();
std::string_view inspector_css();
std::string_view inspector_js();
// The empty page the inspector shows a message's HTML in (GET /view, ?remote=1 for remote images).
std::string_view inspector_viewer_html();

}  // namespace maildog::http
