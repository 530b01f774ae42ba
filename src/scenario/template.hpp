// The two substitutions in scenario strings: `${VAR}` / `${VAR:-default}` from the runner's
// environment at load time, and `{{name}}` runtime values (sandbox address) expanded by the runner.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::scenario {

// Where `${VAR}` values come from: the process environment by default, a map or any lookup in tests.
class Environment {
 public:
  using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

  Environment();  // std::getenv
  explicit Environment(Lookup lookup);
  static Environment from_map(std::map<std::string, std::string> values);

  std::optional<std::string> get(const std::string& name) const;

 private:
  Lookup m_lookup;
};

struct EnvExpansion {
  std::string text;                 // expanded; failed references are left out
  std::vector<std::string> errors;  // one readable message per bad or unset reference
};

// `${VAR}` (VAR unset is an error), `${VAR:-default}` (default when VAR is unset or empty),
// `$$` for a literal `$`; any other `$` stays as it is.
EnvExpansion expand_env(std::string_view text, const Environment& env);

// The fixed names the runner provides: smtp.host, smtp.port, smtp.user, smtp.password,
// smtp.ca_file, scenario.dir, scenario.tmp. Besides them, `port.NAME` for any valid NAME.
std::span<const std::string_view> template_names();

// The prefix of `{{port.NAME}}`: a free loopback port per scenario run and NAME.
inline constexpr std::string_view k_port_template_prefix = "port.";

// A service name, and the NAME of `{{port.NAME}}`: [a-z][a-z0-9_-]*.
bool valid_name(std::string_view name);

// Names used as `{{name}}` (spaces inside the braces allowed), in order of appearance.
std::vector<std::string> template_references(std::string_view text);

// Replaces each `{{name}}` found in `values`; unknown names stay as written.
std::string expand_templates(std::string_view text, const std::map<std::string, std::string>& values);

}  // namespace maildog::scenario
