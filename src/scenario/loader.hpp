// Reads scenario files: YAML -> schema validation (schemas/scenario.schema.json, embedded) ->
// semantic checks -> Scenario values. Problems come back as diagnostics with file:line:col.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/model.hpp"
#include "scenario/template.hpp"

namespace maildog::scenario {

struct Diagnostic {
  std::filesystem::path file;
  std::size_t line = 0;    // 1-based; 0: the problem concerns the whole file
  std::size_t column = 0;  // 1-based; 0 with line 0
  std::string yaml_path;   // e.g. "server.rules[1].reply"; empty for the document or the file
  std::string message;
  bool warning = false;  // almost surely a mistake, but valid: printed, never fails the load

  // "file:line:col: error: message (at server.rules[1].reply)"; "file: error: message" for line 0;
  // "warning:" instead of "error:" for a warning.
  std::string format() const;
};

struct LoadResult {
  std::vector<Scenario> scenarios;  // only from documents without diagnostics, in file order
  std::vector<Diagnostic> diagnostics;
  std::vector<Diagnostic> warnings;  // printed beside the diagnostics; they change no exit code
  bool ok() const { return diagnostics.empty(); }
};

// Files and folders; folders are searched recursively for *.yaml and *.yml (hidden entries
// skipped), in sorted order. Every problem of every file is reported.
LoadResult load_paths(const std::vector<std::filesystem::path>& paths, const Environment& env);

// One file's text, possibly several documents; `name` is used as the file in diagnostics and
// the model, and its parent as Scenario::dir.
LoadResult load_text(std::string_view yaml, const std::filesystem::path& name, const Environment& env);

// A `maildog-ci serve` configuration: one file whose first document is a scenario of which
// only server and dns count (name, app, client and expect may be there, so a scenario file
// serves as well, but are not needed). Diagnostics as for load_paths; at most one scenario.
LoadResult load_serve_config(const std::filesystem::path& file, const Environment& env);

// The embedded schema (schemas/scenario.schema.json), e.g. for `maildog-ci schema`.
std::string_view scenario_schema();

}  // namespace maildog::scenario
