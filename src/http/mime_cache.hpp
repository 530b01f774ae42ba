// Parsed MIME trees of recently viewed messages, so the inspector's tabs and repeated /mime
// requests parse a message once: a small, process-wide, least-recently-used cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mime/mime.hpp"

namespace maildog::http {

// Trees kept; each is bounded by the parser's part limit.
inline constexpr std::size_t k_mime_cache_entries = 32;

// mime::parse(bytes), from the cache when this message (id and the same bytes: sandboxes and
// restarts reuse ids) was parsed recently. Concurrent callers for one message share one parse.
std::shared_ptr<const mime::Parsed> cached_parse(std::uint64_t id, std::string_view bytes);

}  // namespace maildog::http
