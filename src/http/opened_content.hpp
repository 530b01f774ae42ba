// A message's own content opened in a browser (a part, a body, the raw source: the inspector's
// "open" links): the policy it is sent under, so nothing loads from elsewhere unless the user
// asks for remote images, and its cid: references (RFC 2392) linked to the message's own parts.
#pragma once

#include <string>
#include <string_view>

#include "mime/mime.hpp"

namespace maildog::http {

// The Content-Security-Policy of opened content: no scripts (sandbox), no frames, media, fonts or
// remote style sheets; images only from this server and data: URLs, or, with `remote_images`
// (?remote=1), from http: and https: as well (the tracking pixels a mail reader asks about).
std::string opened_content_policy(bool remote_images);

// "/api/v1/messages/5/parts/" for the target of a body or part route ("/api/v1/messages/5/body/html",
// "/api/v1/sandboxes/s1/messages/5/parts/1.2?remote=1"): the same path with its last two segments
// replaced by "parts/", so links stay within the route's own prefix. Characters that could leave
// an HTML attribute or a CSS url() are percent-encoded.
std::string parts_prefix(std::string_view request_target);

// `html` with each cid: URL whose Content-ID names a part of `root` replaced by `prefix` + that
// part's path; other cid: URLs stay as they are (a browser loads nothing from them).
std::string link_cid_parts(std::string_view html, const mime::Part& root, std::string_view prefix);

}  // namespace maildog::http
