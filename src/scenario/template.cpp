#include "scenario/template.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

namespace maildog::scenario {

namespace {

constexpr std::array<std::string_view, 7> k_template_names{
    "smtp.host", "smtp.port", "smtp.user", "smtp.password", "smtp.ca_file", "scenario.dir", "scenario.tmp",
};

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

// One `{{ name }}` occurrence: where it starts, its length with the braces, and the trimmed name.
struct TemplateRef {
  std::size_t start = 0;
  std::size_t length = 0;
  std::string_view name;
};

std::optional<TemplateRef> next_template(std::string_view text, std::size_t from) {
  auto open = text.find("{{", from);
  if (open == std::string_view::npos) {
    return std::nullopt;
  }
  auto close = text.find("}}", open + 2);
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  return TemplateRef{open, close + 2 - open, trim(text.substr(open + 2, close - open - 2))};
}

}  // namespace

Environment::Environment()
    : m_lookup([](const std::string& name) -> std::optional<std::string> {
        if (const char* value = std::getenv(name.c_str())) {
          return std::string(value);
        }
        return std::nullopt;
      }) {}

Environment::Environment(Lookup lookup) : m_lookup(std::move(lookup)) {}

Environment Environment::from_map(std::map<std::string, std::string> values) {
  return Environment([values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) {
      return std::nullopt;
    }
    return found->second;
  });
}

std::optional<std::string> Environment::get(const std::string& name) const { return m_lookup(name); }

EnvExpansion expand_env(std::string_view text, const Environment& env) {
  EnvExpansion result;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      result.text += c;
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      result.text += '$';
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      result.text += c;
      ++i;
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      result.errors.push_back("unterminated ${ in \"" + std::string(text) + "\" (write $$ for a literal $)");
      result.text.append(text.substr(i));
      break;
    }
    std::string_view inside = text.substr(i + 2, close - i - 2);
    std::string_view name = inside;
    std::optional<std::string_view> fallback;
    if (auto dash = inside.find(":-"); dash != std::string_view::npos) {
      name = inside.substr(0, dash);
      fallback = inside.substr(dash + 2);
    }
    bool valid = !name.empty() && is_name_start(name.front());
    for (char n : name) {
      valid = valid && is_name_char(n);
    }
    if (!valid) {
      result.errors.push_back("bad variable reference ${" + std::string(inside) +
                              "} (expected ${NAME} or ${NAME:-default})");
    } else {
      auto value = env.get(std::string(name));
      if (value && !(fallback && value->empty())) {
        result.text += *value;
      } else if (fallback) {
        result.text += *fallback;
      } else {
        // ${} is expanded in every scalar, shell commands and their comments included, so a
        // variable meant for the app's shell lands here too: name the escape.
        result.errors.push_back("environment variable " + std::string(name) + " is not set (use ${" +
                                std::string(name) + ":-default} for a default, or $${" + std::string(name) +
                                "} for a literal ${" + std::string(name) + "}, e.g. for the app's shell)");
      }
    }
    i = close + 1;
  }
  return result;
}

std::span<const std::string_view> template_names() { return k_template_names; }

bool valid_name(std::string_view name) {
  if (name.empty() || name.front() < 'a' || name.front() > 'z') {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

std::vector<std::string> template_references(std::string_view text) {
  std::vector<std::string> names;
  std::size_t from = 0;
  while (auto ref = next_template(text, from)) {
    names.emplace_back(ref->name);
    from = ref->start + ref->length;
  }
  return names;
}

std::string expand_templates(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t from = 0;
  while (auto ref = next_template(text, from)) {
    out.append(text.substr(from, ref->start - from));
    auto found = values.find(std::string(ref->name));
    if (found != values.end()) {
      out += found->second;
    } else {
      out.append(text.substr(ref->start, ref->length));
    }
    from = ref->start + ref->length;
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace maildog::scenario
