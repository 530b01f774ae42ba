#include "rules/text_match.hpp"

#include <stdexcept>

#include "core/ascii.hpp"

namespace maildog::rules {

namespace {

using ascii::iequals;
using ascii::lower;

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with one backtrack point: linear in practice, no recursion depth.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

TextMatch TextMatch::exact(std::string_view text) {
  TextMatch match;
  match.m_kind = Kind::exact;
  match.m_pattern = std::string(text);
  match.m_body = match.m_pattern;
  return match;
}

TextMatch TextMatch::parse(std::string_view pattern) {
  TextMatch match;
  match.m_pattern = std::string(pattern);
  auto last_slash = pattern.rfind('/');
  if (pattern.size() >= 2 && pattern.front() == '/' && last_slash > 0) {
    match.m_kind = Kind::regex;
    match.m_body = std::string(pattern.substr(1, last_slash - 1));
    auto flags_text = pattern.substr(last_slash + 1);
    auto flags = std::regex::ECMAScript;
    for (char flag : flags_text) {
      if (flag == 'i') {
        flags |= std::regex::icase;
      } else {
        throw std::invalid_argument("unknown regex flag '" + std::string(1, flag) + "' in " + match.m_pattern +
                                    " (only i is supported)");
      }
    }
    try {
      match.m_regex = std::make_shared<const std::regex>(match.m_body, flags);
    } catch (const std::regex_error& error) {
      throw std::invalid_argument("invalid regex " + match.m_pattern + ": " + error.what());
    }
  } else if (pattern.find_first_of("*?") != std::string_view::npos) {
    match.m_kind = Kind::glob;
    match.m_body = match.m_pattern;
  } else {
    match.m_kind = Kind::exact;
    match.m_body = match.m_pattern;
  }
  return match;
}

bool TextMatch::matches(std::string_view text) const {
  switch (m_kind) {
    case Kind::exact:
      return iequals(m_body, text);
    case Kind::glob:
      return glob_match(m_body, text);
    case Kind::regex:
      return std::regex_search(text.begin(), text.end(), *m_regex);
  }
  return false;
}

}  // namespace maildog::rules
