// Internal to the loader: one YAML document as JSON, with the source position of every value
// and key by its path ("server.rules[1].reply"), so schema and semantic errors point at lines.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/loader.hpp"

namespace maildog::scenario::detail {

struct Position {
  std::size_t line = 0;    // 1-based; 0: unknown
  std::size_t column = 0;  // 1-based
};

struct NodePosition {
  Position value;
  Position key;  // of the map key naming the value; equals `value` for list items and the root
};

// Paths as diagnostics show them: `a.b[2]`, or `a["x.y"]` for keys that are not plain names.
std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);

class PositionMap {
 public:
  void set(const std::string& path, NodePosition position) { m_positions[path] = position; }
  // The nearest known position: the path itself, else its closest recorded ancestor.
  NodePosition find(const std::string& path) const;

 private:
  std::unordered_map<std::string, NodePosition> m_positions;
};

// Collects diagnostics of one file, placing them by path.
class Reporter {
 public:
  Reporter(std::filesystem::path file, std::vector<Diagnostic>& out) : m_file(std::move(file)), m_out(out) {}

  void set_positions(const PositionMap* positions) { m_positions = positions; }
  // Where warn() puts its warnings; without it they are dropped.
  void set_warnings(std::vector<Diagnostic>* warnings) { m_warnings = warnings; }
  // At the value under `path` (or at its key when `at_key`).
  void error(const std::string& path, std::string message, bool at_key = false);
  void error_at(Position position, const std::string& path, std::string message);
  void warn(const std::string& path, std::string message, bool at_key = false);
  const std::filesystem::path& file() const { return m_file; }
  std::size_t count() const { return m_out.size(); }

 private:
  std::filesystem::path m_file;
  std::vector<Diagnostic>& m_out;
  const PositionMap* m_positions = nullptr;
  std::vector<Diagnostic>* m_warnings = nullptr;
};

struct Document {
  nlohmann::json value;
  PositionMap positions;
  Position start;                     // the root node
  std::size_t conversion_errors = 0;  // reported while reading it (e.g. an unset ${VAR})
};

struct ParsedFile {
  std::vector<Document> documents;  // empty documents left out
  bool syntax_error = false;        // reported; nothing else of the file is trustworthy
};

// YAML -> JSON with `${VAR}` expansion in string values and plain-scalar typing (YAML 1.2 core
// schema: null, true/false, integers, floats; everything else a string).
ParsedFile parse_yaml(std::string_view text, const Environment& env, Reporter& reporter);

// The embedded JSON Schema checks one document.
void validate_schema(const Document& document, Reporter& reporter);

// "'enforse' is not one of: off, report, enforce (did you mean 'enforce'?)": a word outside an
// enum, worded alike by the schema check and the builder.
std::string not_one_of(const std::string& wrong, const std::vector<std::string>& allowed);

// What a document is read for: a scenario to run needs an app or a client; a `serve`
// configuration needs only server (dns optional, no name).
enum class Purpose { run, serve };

// Semantic checks and the model; `scenario` is meaningful only when nothing was reported.
void build_scenario(const Document& document, Reporter& reporter, Scenario& scenario, Purpose purpose = Purpose::run);

}  // namespace maildog::scenario::detail
