#include "scenario/document.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "scenario/syntax_hints.hpp"

namespace maildog::scenario::detail {

namespace {

using nlohmann::json;

// Deeper nesting than any scenario needs; also stops alias cycles.
constexpr std::size_t k_max_depth = 64;

bool is_plain_key(std::string_view key) {
  if (key.empty() || (key.front() >= '0' && key.front() <= '9') || key.front() == '-') {
    return false;
  }
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Position position_of(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) {
    return {};
  }
  return {static_cast<std::size_t>(mark.line) + 1, static_cast<std::size_t>(mark.column) + 1};
}

bool is_null_word(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::optional<bool> bool_word(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  return std::nullopt;
}

bool all_digits(std::string_view text, int base) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    bool ok = base == 16 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                         : (c >= '0' && c < static_cast<char>('0' + base));
    if (!ok) {
      return false;
    }
  }
  return true;
}

// YAML 1.2 core schema integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+.
std::optional<json> integer_value(std::string_view text) {
  int base = 10;
  bool negative = false;
  std::string_view digits = text;
  if (text.starts_with("0x")) {
    base = 16;
    digits = text.substr(2);
  } else if (text.starts_with("0o")) {
    base = 8;
    digits = text.substr(2);
  } else if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    digits = text.substr(1);
  }
  if (!all_digits(digits, base)) {
    return std::nullopt;
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return std::nullopt;  // too large: the caller tries a float
  }
  if (!negative) {
    if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return json(static_cast<std::int64_t>(magnitude));
    }
    return json(magnitude);
  }
  if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return json(-static_cast<std::int64_t>(magnitude));
  }
  return std::nullopt;
}

// YAML 1.2 core schema floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and .inf/.nan
// are numbers; JSON has no inf or nan, so those stay strings and fail where a number is wanted.
std::optional<json> float_value(std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    rest.remove_prefix(1);
  }
  std::size_t i = 0;
  std::size_t int_digits = 0;
  while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
    ++i;
    ++int_digits;
  }
  std::size_t frac_digits = 0;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      ++i;
      ++frac_digits;
    }
  }
  if (int_digits + frac_digits == 0) {
    return std::nullopt;
  }
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '-' || rest[i] == '+')) {
      ++i;
    }
    if (!all_digits(rest.substr(i), 10)) {
      return std::nullopt;
    }
    i = rest.size();
  }
  if (i != rest.size()) {
    return std::nullopt;
  }
  double value = 0;
  std::string_view number = text.front() == '+' ? text.substr(1) : text;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size()) {
    return std::nullopt;
  }
  return json(value);
}

json plain_scalar(std::string_view text) {
  if (is_null_word(text)) {
    return json(nullptr);
  }
  if (auto flag = bool_word(text)) {
    return json(*flag);
  }
  if (auto number = integer_value(text)) {
    return *number;
  }
  if (auto number = float_value(text)) {
    return *number;
  }
  return json(std::string(text));
}

// yaml-cpp 0.7 accepts a quoted scalar left open at the end of the input; find that case.
bool quote_closed(std::string_view source, std::size_t start) {
  if (start >= source.size()) {
    return true;
  }
  const char quote = source[start];
  if (quote != '"' && quote != '\'') {
    return true;
  }
  for (std::size_t i = start + 1; i < source.size(); ++i) {
    if (quote == '"' && source[i] == '\\') {
      ++i;
    } else if (source[i] == quote) {
      if (quote == '\'' && i + 1 < source.size() && source[i + 1] == '\'') {
        ++i;
      } else {
        return true;
      }
    }
  }
  return false;
}

// `key: {{smtp.port}}` unquoted is a flow map inside a flow map; name the real problem.
std::optional<std::string> unquoted_template(const YAML::Node& node) {
  if (!node.IsMap() || node.size() != 1) {
    return std::nullopt;
  }
  const YAML::Node outer_key = node.begin()->first;
  const YAML::Node outer_value = node.begin()->second;
  if (!outer_key.IsMap() || outer_key.size() != 1 || !outer_value.IsNull()) {
    return std::nullopt;
  }
  const YAML::Node inner_key = outer_key.begin()->first;
  const YAML::Node inner_value = outer_key.begin()->second;
  if (!inner_key.IsScalar() || !inner_value.IsNull()) {
    return std::nullopt;
  }
  return "{{" + inner_key.Scalar() + "}}";
}

// Records where each document starts; nothing else of the parse is kept.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark last;

  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// yaml-cpp 0.7 (Debian 12) leaves a "," that stands where a block node or a document would start
// unconsumed, and LoadAll then makes empty documents at that place forever (found by
// fuzz/fuzz_scenario_load: ",", "-\n,\n", "- a\n,\n" all hung validate). LoadAll's loop is not
// ours to bound, so the same parse runs first with a handler that only sees where documents
// start: a document starting where the one before did means the parser made no progress.
// Returns that place; throws YAML::Exception for the errors LoadAll would throw.
std::optional<YAML::Mark> stuck_parse(std::string_view text) {
  std::istringstream input{std::string(text)};
  YAML::Parser parser(input);
  DocumentStarts starts;
  std::optional<int> previous;
  while (parser.HandleNextDocument(starts)) {
    if (previous == starts.last.pos) {
      return starts.last;
    }
    previous = starts.last.pos;
  }
  return std::nullopt;
}

// YAML allows no C0 control character but tab, LF and CR (YAML 1.2, 5.1), and yaml-cpp 0.7 can
// hang on them (fuzz/fuzz_scenario_load: a NUL before a "," hung LoadAll). Where the first is.
std::optional<std::pair<Position, unsigned char>> control_character(std::string_view text) {
  Position at{1, 1};
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7f) {
      return std::pair{at, byte};
    }
    at = c == '\n' ? Position{at.line + 1, 1} : Position{at.line, at.column + 1};
  }
  return std::nullopt;
}

// yaml-cpp places a tab error after the tab; point at the tab in the line's indentation.
std::optional<std::size_t> first_tab_column(std::string_view text, std::size_t line) {
  std::size_t start = 0;
  for (std::size_t current = 1; current < line; ++current) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) {
      return std::nullopt;
    }
    ++start;
  }
  for (std::size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '-'); ++i) {
    if (text[i] == '\t') {
      return i - start + 1;
    }
  }
  return std::nullopt;
}

class Converter {
 public:
  Converter(std::string_view source, const Environment& env, Reporter& reporter, PositionMap& positions)
      : m_source(source), m_env(env), m_reporter(reporter), m_positions(positions) {}

  bool syntax_error() const { return m_syntax_error; }

  json convert(const YAML::Node& node, const std::string& path, Position key_position, std::size_t depth) {
    Position here = position_of(node.Mark());
    if (node.IsNull() || here.line == 0) {
      here = key_position;  // a null's mark is the next token, often on another line
    }
    m_positions.set(path, {here, key_position.line == 0 ? here : key_position});
    if (depth > k_max_depth) {
      m_reporter.error_at(here, path, "nesting deeper than " + std::to_string(k_max_depth) + " levels");
      return json(nullptr);
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(node, path, here);
      case YAML::NodeType::Sequence: {
        json array = json::array();
        std::size_t index = 0;
        for (const auto& item : node) {
          array.push_back(convert(item, index_path(path, index), {}, depth + 1));
          ++index;
        }
        return array;
      }
      case YAML::NodeType::Map:
        return map(node, path, here, depth);
    }
    return json(nullptr);
  }

 private:
  json scalar(const YAML::Node& node, const std::string& path, Position here) {
    const std::string& raw = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!" && node.Mark().pos >= 0 && !quote_closed(m_source, static_cast<std::size_t>(node.Mark().pos))) {
      m_reporter.error_at(here, path, "YAML syntax error: quoted string is never closed");
      m_syntax_error = true;
      return json(nullptr);
    }
    EnvExpansion expanded = expand_env(raw, m_env);
    for (auto& message : expanded.errors) {
      m_reporter.error_at(here, path, std::move(message));
    }
    const bool core_tag = tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
                          tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null";
    if (!core_tag || (expanded.text.empty() && !raw.empty())) {
      return json(std::move(expanded.text));
    }
    return plain_scalar(expanded.text);
  }

  json map(const YAML::Node& node, const std::string& path, Position here, std::size_t depth) {
    json object = json::object();
    std::unordered_map<std::string, std::size_t> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: the iterator's pair is a temporary proxy, references into it dangle.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      Position key_position = position_of(key.Mark());
      if (!key.IsScalar()) {
        if (auto text = unquoted_template(node)) {
          m_reporter.error_at(here, path,
                              "write \"" + *text + "\" in quotes: an unquoted { starts a YAML flow mapping");
        } else {
          m_reporter.error_at(key_position.line ? key_position : here, path,
                              "a key must be a plain text, not a list or map");
        }
        continue;
      }
      const std::string& name = key.Scalar();
      std::string member_path = child_path(path, name);
      if (auto seen = first_line.find(name); seen != first_line.end()) {
        m_reporter.error_at(key_position, member_path,
                            "duplicate key '" + name + "' (first at line " + std::to_string(seen->second) + ")");
        continue;
      }
      first_line.emplace(name, key_position.line);
      object[name] = convert(value, member_path, key_position, depth + 1);
    }
    return object;
  }

  std::string_view m_source;
  const Environment& m_env;
  Reporter& m_reporter;
  PositionMap& m_positions;
  bool m_syntax_error = false;
};

}  // namespace

std::string child_path(const std::string& parent, std::string_view key) {
  if (is_plain_key(key)) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  }
  std::string quoted = "[\"";
  for (char c : key) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
    }
    quoted += c;
  }
  quoted += "\"]";
  return parent + quoted;
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

NodePosition PositionMap::find(const std::string& path) const {
  std::string current = path;
  while (true) {
    if (auto found = m_positions.find(current); found != m_positions.end()) {
      return found->second;
    }
    if (current.empty()) {
      return {};
    }
    // Drop the last component: `.name`, `[index]` or `["key"]` (which may hold '.' itself).
    auto cut = current.ends_with("\"]") ? current.rfind("[\"") : current.find_last_of(".[");
    current = cut == std::string::npos ? std::string() : current.substr(0, cut);
  }
}

void Reporter::error(const std::string& path, std::string message, bool at_key) {
  NodePosition position = m_positions ? m_positions->find(path) : NodePosition{};
  error_at(at_key ? position.key : position.value, path, std::move(message));
}

void Reporter::warn(const std::string& path, std::string message, bool at_key) {
  if (!m_warnings) {
    return;
  }
  NodePosition position = m_positions ? m_positions->find(path) : NodePosition{};
  const Position at = at_key ? position.key : position.value;
  Diagnostic warning{m_file, at.line, at.column, path, std::move(message)};
  warning.warning = true;
  m_warnings->push_back(std::move(warning));
}

void Reporter::error_at(Position position, const std::string& path, std::string message) {
  m_out.push_back(Diagnostic{m_file, position.line, position.column, path, std::move(message)});
}

ParsedFile parse_yaml(std::string_view text, const Environment& env, Reporter& reporter) {
  ParsedFile parsed;
  std::vector<YAML::Node> nodes;
  if (auto control = control_character(text)) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    reporter.error_at(control->first, "",
                      std::string("YAML syntax error: control character 0x") + k_hex[control->second >> 4] +
                          k_hex[control->second & 15] + " is not allowed in YAML (only tab, LF and CR are)");
    parsed.syntax_error = true;
    return parsed;
  }
  try {
    if (auto stuck = stuck_parse(text)) {
      const auto offset = static_cast<std::size_t>(stuck->pos);
      const bool comma = offset < text.size() && text[offset] == ',';
      reporter.error_at(position_of(*stuck), "",
                        comma ? "YAML syntax error: unexpected ',' where a value or a document should start "
                                "(',' only separates the entries of [...] or {...})"
                              : "YAML syntax error: unexpected token where a value or a document should start");
      parsed.syntax_error = true;
      return parsed;
    }
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& error) {
    // yaml-cpp's own guard (2,000 levels) says only "bad file"; the syntax scan would then call
    // the brackets it had not reached yet unclosed.
    reporter.error_at(position_of(error.mark), "",
                      "nesting deeper than " + std::to_string(k_max_depth) + " levels (a scenario needs far fewer)");
    parsed.syntax_error = true;
    return parsed;
  } catch (const YAML::Exception& error) {
    Position where = position_of(error.mark);
    std::string message = "YAML syntax error: " + error.msg;
    std::string path;
    if (auto tab = where.line > 0 ? first_tab_column(text, where.line) : std::nullopt) {
      where.column = *tab;
      if (error.msg.find("tab") == std::string::npos) {
        message += " (a tab in the indentation: YAML indents with spaces only)";
      }
    } else {
      // yaml-cpp says where it broke; the scan adds what was left open, or the indentation that broke it.
      const std::size_t offset = error.mark.pos >= 0 ? static_cast<std::size_t>(error.mark.pos) : text.size();
      SyntaxHint hint = explain_syntax_error(text, where, offset);
      if (!hint.explanation.empty()) {
        message += ": " + hint.explanation;
      }
      path = std::move(hint.path);
    }
    reporter.error_at(where.line ? where : Position{1, 1}, path, message);
    parsed.syntax_error = true;
    return parsed;
  }
  for (const auto& node : nodes) {
    if (node.IsNull()) {
      continue;  // `---` with nothing after it
    }
    Document document;
    document.start = position_of(node.Mark());
    if (document.start.line == 0) {
      document.start = {1, 1};
    }
    Converter converter(text, env, reporter, document.positions);
    const std::size_t before = reporter.count();
    document.value = converter.convert(node, "", document.start, 0);
    document.conversion_errors = reporter.count() - before;
    if (converter.syntax_error()) {
      parsed.syntax_error = true;
      parsed.documents.clear();
      return parsed;
    }
    parsed.documents.push_back(std::move(document));
  }
  return parsed;
}

}  // namespace maildog::scenario::detail
