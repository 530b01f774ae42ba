// Owning handles for GMime's GObjects and GLib allocations, so every exit path releases them.
// Internal to src/mime: the public header never shows a GLib type.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <string>

namespace maildog::mime::detail {

struct ObjectUnref {
  void operator()(void* object) const {
    if (object) {
      g_object_unref(object);
    }
  }
};
template <typename T>
using Owned = std::unique_ptr<T, ObjectUnref>;

struct GFree {
  void operator()(void* memory) const { g_free(memory); }
};
using OwnedChars = std::unique_ptr<char, GFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};
using OwnedParserOptions = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

// A GLib-allocated string as std::string; empty for NULL.
inline std::string take(char* chars) {
  OwnedChars owned(chars);
  return owned ? std::string(owned.get()) : std::string();
}

inline std::string copy(const char* chars) { return chars ? std::string(chars) : std::string(); }

}  // namespace maildog::mime::detail
