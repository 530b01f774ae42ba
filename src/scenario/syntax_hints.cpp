#include "scenario/syntax_hints.hpp"

#include <optional>
#include <vector>

namespace maildog::scenario::detail {

namespace {

// A block map or sequence open at some line: its column, its path, and where it was last seen.
struct Block {
  std::size_t indent = 0;
  bool sequence = false;
  std::string path;
  std::size_t items = 0;      // sequences: items seen
  std::size_t last_line = 0;  // the line of its latest key or item
  std::string last_key;       // maps
};

struct Opened {
  char bracket = '[';
  Position at;
  std::string path;
};

std::string plural_spaces(std::size_t count) { return std::to_string(count) + (count == 1 ? " space" : " spaces"); }
std::string at_text(Position at) { return std::to_string(at.line) + ":" + std::to_string(at.column); }

// Reads the text as YAML's block and flow structure only, up to where yaml-cpp broke. Scalars are
// skipped, not typed; it is only ever run on text yaml-cpp already refused, to word the refusal.
class StructureScan {
 public:
  StructureScan(std::string_view text, Position broke_at, std::size_t offset)
      : m_text(text), m_broke(broke_at), m_stop(std::min(offset, text.size())) {}

  SyntaxHint explain() {
    scan();
    if (m_open_quote) {
      return {"the quoted string opened at " + at_text(*m_open_quote) + " is never closed", m_quote_path};
    }
    if (m_mismatched_close && !m_flows.empty()) {
      const Opened& open = m_flows.back();
      return {std::string("'") + m_mismatched_close->bracket + "' at " + at_text(m_mismatched_close->at) +
                  " cannot close the '" + open.bracket + "' opened at " + at_text(open.at),
              open.path};
    }
    if (!m_flows.empty()) {
      const Opened& open = m_flows.back();
      const bool list = open.bracket == '[';
      return {std::string("unclosed '") + open.bracket + "' opened at " + at_text(open.at) + " (a " +
                  (list ? "[...] list ends with ']'" : "{...} map ends with '}'") + ")",
              open.path};
    }
    if (m_stray_close) {
      return {std::string("'") + m_stray_close->bracket + "' at " + at_text(m_stray_close->at) +
                  " closes nothing that is open",
              m_stray_close->path};
    }
    return indentation_hint();
  }

 private:
  char at(std::size_t pos) const { return pos < m_text.size() ? m_text[pos] : '\n'; }
  bool line_end(std::size_t pos) const { return at(pos) == '\n' || at(pos) == '\r'; }
  Position here() const { return {m_line, m_pos - m_line_start + 1}; }
  bool stopped() const { return m_pos >= m_stop; }

  void advance() {
    if (at(m_pos) == '\n') {
      ++m_line;
      m_line_start = m_pos + 1;
    }
    ++m_pos;
  }
  void to_next_line() {
    while (!stopped() && at(m_pos) != '\n') {
      advance();
    }
    if (!stopped()) {
      advance();
    }
  }
  std::size_t indent_at(std::size_t line_start) const {
    std::size_t indent = 0;
    while (at(line_start + indent) == ' ') {
      ++indent;
    }
    return indent;
  }

  // Up to where yaml-cpp broke; the broken line's own structure is scanned for what it opens, but
  // its indentation is judged against the blocks open before it.
  void scan() {
    while (!stopped() && m_line <= m_broke.line) {
      if (m_line == m_broke.line && !m_blocks_before_broken_line) {
        m_blocks_before_broken_line = m_blocks;
        m_last_scalar_key_before = m_last_scalar_key;
      }
      const std::size_t indent = indent_at(m_pos);
      const char first = at(m_pos + indent);
      const bool blank = m_pos + indent >= m_text.size() || line_end(m_pos + indent) || first == '#';
      if (m_block_scalar_indent && (blank || indent > *m_block_scalar_indent)) {
        to_next_line();
        continue;
      }
      m_block_scalar_indent.reset();
      if (!blank && indent == 0 &&
          (m_text.substr(m_pos).starts_with("---") || m_text.substr(m_pos).starts_with("..."))) {
        m_blocks.clear();
        m_pending_path.clear();
      } else if (!blank) {
        m_pos += indent;
        block_line(indent);
      }
      if (!stopped() && at(m_pos) != '\n') {
        to_next_line();
      } else if (!stopped()) {
        advance();
      }
    }
  }

  // One line in block context from its first character: "- " entries, then a key or a value.
  void block_line(std::size_t column) {
    while (!m_blocks.empty() && m_blocks.back().indent > column) {
      m_blocks.pop_back();
    }
    while (at(m_pos) == '-' && (at(m_pos + 1) == ' ' || line_end(m_pos + 1))) {
      if (m_blocks.empty() || m_blocks.back().indent != column || !m_blocks.back().sequence) {
        m_blocks.push_back({column, true, m_pending_path, 0, m_line, {}});
      } else {
        ++m_blocks.back().items;
      }
      Block& list = m_blocks.back();
      list.last_line = m_line;
      m_pending_path = index_path(list.path, list.items);
      ++m_pos;
      while (at(m_pos) == ' ') {
        ++m_pos;
      }
      column = m_pos - m_line_start;
      if (line_end(m_pos) || at(m_pos) == '#') {
        return;
      }
    }
    auto key = key_here();
    if (!key) {
      value(m_pending_path, column);
      return;
    }
    if (!m_blocks.empty() && m_blocks.back().indent == column && m_blocks.back().sequence) {
      m_blocks.pop_back();  // "key:\n- item" may put the items at the key's column
    }
    if (m_blocks.empty() || m_blocks.back().indent != column || m_blocks.back().sequence) {
      m_blocks.push_back({column, false, m_pending_path, 0, m_line, {}});
    }
    Block& map = m_blocks.back();
    map.last_key = key->first;
    map.last_line = m_line;
    const std::string path = child_path(map.path, key->first);
    m_pos = key->second;
    while (at(m_pos) == ' ' || at(m_pos) == '\t') {
      ++m_pos;
    }
    m_last_scalar_key.reset();
    if (line_end(m_pos) || at(m_pos) == '#') {
      m_pending_path = path;
      return;
    }
    if (value(path, column)) {
      m_last_scalar_key = LastScalarKey{column, key->first, m_line};
    }
  }

  // A key at the current position and where its value starts (after the ':'), or nothing.
  std::optional<std::pair<std::string, std::size_t>> key_here() const {
    std::size_t pos = m_pos;
    const char first = at(pos);
    std::string key;
    if (first == '"' || first == '\'') {
      for (++pos; !line_end(pos) && at(pos) != first; ++pos) {
        pos += (first == '"' && at(pos) == '\\') ? 1 : 0;
        key += at(pos);
      }
      if (at(pos) != first) {
        return std::nullopt;
      }
      ++pos;
      while (at(pos) == ' ') {
        ++pos;
      }
    } else {
      if (std::string_view("[]{},#&*!|>%@`-?:").find(first) != std::string_view::npos) {
        return std::nullopt;
      }
      for (; !line_end(pos); ++pos) {
        if (at(pos) == ':' && (at(pos + 1) == ' ' || at(pos + 1) == '\t' || line_end(pos + 1))) {
          break;
        }
        if (at(pos) == '#' && (at(pos - 1) == ' ' || at(pos - 1) == '\t')) {
          return std::nullopt;
        }
        key += at(pos);
      }
      while (!key.empty() && key.back() == ' ') {
        key.pop_back();
      }
    }
    if (at(pos) != ':' || key.empty()) {
      return std::nullopt;
    }
    return std::pair{key, pos + 1};
  }

  // A value starting at the current position; true when it is a scalar on this line.
  bool value(const std::string& path, std::size_t column) {
    if (stopped()) {
      return false;  // past where yaml-cpp broke: nothing there is known to be open
    }
    while (at(m_pos) == '&' || at(m_pos) == '!') {  // anchors and tags before the value
      while (!line_end(m_pos) && at(m_pos) != ' ') {
        ++m_pos;
      }
      while (at(m_pos) == ' ') {
        ++m_pos;
      }
    }
    const char first = at(m_pos);
    if (first == '[' || first == '{') {
      flow(path);
      return false;
    }
    if (first == '"' || first == '\'') {
      quoted(path);
      return true;
    }
    if (first == '|' || first == '>') {
      m_block_scalar_indent = column;
      return false;
    }
    return !line_end(m_pos);
  }

  void quoted(const std::string& path) {
    const char quote = at(m_pos);
    const Position start = here();
    advance();
    while (!stopped() && m_pos < m_text.size()) {
      const char c = at(m_pos);
      if (quote == '"' && c == '\\') {
        advance();
      } else if (c == quote) {
        if (quote == '\'' && at(m_pos + 1) == '\'') {
          advance();
        } else {
          advance();
          return;
        }
      }
      advance();
    }
    m_open_quote = start;
    m_quote_path = path;
  }

  void flow(const std::string& path) {
    bool token_start = true;  // a quote opens a quoted scalar only where a token starts
    while (!stopped() && m_pos < m_text.size()) {
      const char c = at(m_pos);
      if ((c == '"' || c == '\'') && token_start) {
        quoted(path);
        if (m_open_quote) {
          return;
        }
        token_start = false;
        continue;
      }
      if (c == '#' && (m_pos == m_line_start || at(m_pos - 1) == ' ' || at(m_pos - 1) == '\t')) {
        while (!stopped() && !line_end(m_pos)) {
          advance();
        }
        continue;
      }
      if (c == '[' || c == '{') {
        m_flows.push_back({c, here(), path});
      } else if (c == ']' || c == '}') {
        if (m_flows.empty()) {
          m_stray_close = Opened{c, here(), path};
          return;
        }
        if ((c == ']') != (m_flows.back().bracket == '[')) {
          m_mismatched_close = Opened{c, here(), path};
          return;
        }
        m_flows.pop_back();
        if (m_flows.empty()) {
          advance();
          return;
        }
      }
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        token_start = c == '[' || c == '{' || c == ',' || c == ':';
      }
      advance();
    }
  }

  std::string describe(const Block& block) const {
    const std::string name = block.path.empty() ? "the top level" : block.path;
    return (block.sequence ? "the '-' items of " : "the keys of ") + name + " (" + plural_spaces(block.indent) +
           ", as on line " + std::to_string(block.last_line) + ")";
  }

  // The line yaml-cpp broke on, against the blocks open before it.
  SyntaxHint indentation_hint() const {
    std::size_t start = 0;
    for (std::size_t line = 1; line < m_broke.line && start < m_text.size(); ++line) {
      start = m_text.find('\n', start);
      start = start == std::string_view::npos ? m_text.size() : start + 1;
    }
    const std::vector<Block>& blocks = m_blocks_before_broken_line ? *m_blocks_before_broken_line : m_blocks;
    const std::optional<LastScalarKey>& last_scalar_key =
        m_blocks_before_broken_line ? m_last_scalar_key_before : m_last_scalar_key;
    if (start >= m_text.size() || blocks.empty()) {
      return {};
    }
    const std::size_t indent = indent_at(start);
    const bool item = at(start + indent) == '-';
    const std::string line = "line " + std::to_string(m_broke.line) + " is indented " + plural_spaces(indent);
    const Block* deeper = nullptr;
    const Block* shallower = nullptr;
    for (const Block& block : blocks) {
      if (block.indent == indent) {
        if (block.sequence && !item) {
          return {sequence_column_hint(blocks, block, indent, m_broke.line), block.path};
        }
        return {{}, block.path};
      }
      if (block.indent > indent && !deeper) {
        deeper = &block;
      }
      if (block.indent < indent) {
        shallower = &block;
      }
    }
    if (last_scalar_key && indent > last_scalar_key->indent && shallower && !deeper) {
      return {line + ", deeper than '" + last_scalar_key->key + "' on line " + std::to_string(last_scalar_key->line) +
                  " (" + plural_spaces(last_scalar_key->indent) +
                  "), which has its value on its line: YAML reads this line as more of that value; indent it as '" +
                  last_scalar_key->key + "' to make it a key beside it",
              shallower->path};
    }
    if (deeper) {
      std::string hint = line + ", which lines up with nothing open: " + describe(*deeper);
      if (shallower) {
        hint += ", " + describe(*shallower);
      }
      return {hint + "; a key lines up with the keys of the map it belongs to", deeper->path};
    }
    return {{}, shallower ? shallower->path : std::string()};
  }

  static std::string sequence_column_hint(const std::vector<Block>& blocks, const Block& list, std::size_t indent,
                                          std::size_t broken_line) {
    std::string hint = "line " + std::to_string(broken_line) + " is at the column of the '-' items of " +
                       (list.path.empty() ? "the top level" : list.path) + " (" + plural_spaces(indent) +
                       ") but is not an item: start it with '- ' for a new item";
    const Block* inside = &list + 1 < blocks.data() + blocks.size() ? &list + 1 : nullptr;
    if (inside && !inside->sequence) {
      hint += ", or indent it by " + std::to_string(inside->indent) + " to belong to " + inside->path + " (as '" +
              inside->last_key + "' on line " + std::to_string(inside->last_line) + ")";
    }
    return hint;
  }

  struct LastScalarKey {
    std::size_t indent = 0;
    std::string key;
    std::size_t line = 0;
  };

  std::string_view m_text;
  Position m_broke;
  std::size_t m_stop;
  std::size_t m_pos = 0;
  std::size_t m_line = 1;
  std::size_t m_line_start = 0;
  std::vector<Block> m_blocks;
  std::vector<Opened> m_flows;
  std::optional<Opened> m_stray_close;
  std::optional<Opened> m_mismatched_close;  // a ']' for a '{' or a '}' for a '['
  std::optional<Position> m_open_quote;
  std::string m_quote_path;
  std::string m_pending_path;                        // the value whose content follows on the next lines
  std::optional<std::size_t> m_block_scalar_indent;  // inside `|`/`>` text: the lines deeper than this
  std::optional<LastScalarKey> m_last_scalar_key;    // the latest key, when its value was on its line
  std::optional<std::vector<Block>> m_blocks_before_broken_line;
  std::optional<LastScalarKey> m_last_scalar_key_before;
};

}  // namespace

SyntaxHint explain_syntax_error(std::string_view text, Position broke_at, std::size_t offset) {
  if (broke_at.line == 0) {
    return {};
  }
  return StructureScan(text, broke_at, offset).explain();
}

}  // namespace maildog::scenario::detail
