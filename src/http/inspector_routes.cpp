// The web inspector's page, style sheet and script, and the script-free viewer it shows HTML in.
#include "http/routes.hpp"

#include <string>

#include "http/inspector_assets.hpp"

namespace maildog::http::routes {

namespace {

Routed inspector_file(std::string_view content_type, std::string_view content) {
  ApiResponse response;
  response.content_type = content_type;
  response.body = content;
  // The page loads only its own files; message HTML is shown in a sandboxed frame, where this
  // policy applies as well and blocks remote images and scripts.
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; "
                                "form-action 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

Routed inspector_page(const Context&, const Target&, const Params&, const ApiRequest&) {
  return inspector_file("text/html; charset=utf-8", inspector_html());
}

Routed inspector_style(const Context&, const Target&, const Params&, const ApiRequest&) {
  return inspector_file("text/css; charset=utf-8", inspector_css());
}

Routed inspector_script(const Context&, const Target&, const Params&, const ApiRequest&) {
  return inspector_file("text/javascript; charset=utf-8", inspector_js());
}

// The inspector shows a message's HTML here (opened, or with remote images on request): no
// script runs in it, and only the inspector, same-origin, may frame it and fill it in.
Routed viewer_page(const Context&, const Target& target, const Params&, const ApiRequest&) {
  ApiResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = inspector_viewer_html();
  response.headers.emplace_back("Content-Security-Policy",
                                std::string("default-src 'none'; img-src 'self' data:") +
                                    (remote_images(target) ? " https: http:" : "") +
                                    "; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                                    "frame-ancestors 'self'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}
}  // namespace maildog::http::routes
