// A pattern as scenarios write it: "/regex/flags", a glob with * and ?, or an exact string.
// Matching is a pure function; regexes are compiled once, at load time.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>

namespace maildog::rules {

class TextMatch {
 public:
  enum class Kind { exact, glob, regex };

  // Throws std::invalid_argument with a readable message for a bad regex.
  // Exact and glob matches ignore ASCII case (addresses and hostnames are compared that way);
  // a regex ignores case only with the `i` flag.
  static TextMatch parse(std::string_view pattern);
  static TextMatch exact(std::string_view text);

  bool matches(std::string_view text) const;
  Kind kind() const { return m_kind; }
  const std::string& pattern() const { return m_pattern; }

 private:
  Kind m_kind = Kind::exact;
  std::string m_pattern;
  std::string m_body;
  std::shared_ptr<const std::regex> m_regex;
};

// Case-insensitive glob: `*` any run, `?` one character.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace maildog::rules
