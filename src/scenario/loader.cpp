#include "scenario/loader.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "scenario/app_placeholder.hpp"
#include "scenario/document.hpp"

namespace maildog::scenario {

namespace {

bool is_hidden(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.size() > 1 && name.front() == '.' && name != "..";
}

bool is_scenario_file(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml";
}

Diagnostic file_problem(const std::filesystem::path& path, std::string message) {
  return Diagnostic{path, 0, 0, "", std::move(message)};
}

// A semantic diagnostic says more than the schema's at the same place; drop the schema's. A value
// that failed to expand (an unset ${VAR}) is reported once, not again for what it expanded to.
void add_document_diagnostics(std::vector<Diagnostic>& out, std::vector<Diagnostic> schema,
                              std::vector<Diagnostic> semantic, const std::vector<Diagnostic>& conversion) {
  auto covered = [&](const Diagnostic& diagnostic) {
    auto same_path = [&](const Diagnostic& other) { return other.yaml_path == diagnostic.yaml_path; };
    auto same_place = [&](const Diagnostic& other) { return same_path(other) && other.line == diagnostic.line; };
    return std::any_of(semantic.begin(), semantic.end(), same_path) ||
           std::any_of(conversion.begin(), conversion.end(), same_place);
  };
  for (auto& diagnostic : schema) {
    if (!covered(diagnostic)) {
      out.push_back(std::move(diagnostic));
    }
  }
  for (auto& diagnostic : semantic) {
    auto same_place = [&](const Diagnostic& other) {
      return other.yaml_path == diagnostic.yaml_path && other.line == diagnostic.line;
    };
    if (std::none_of(conversion.begin(), conversion.end(), same_place)) {
      out.push_back(std::move(diagnostic));
    }
  }
}

LoadResult load_document_text(std::string_view yaml, const std::filesystem::path& name, const Environment& env,
                              detail::Purpose purpose);

void load_file(const std::filesystem::path& path, const Environment& env, LoadResult& result,
               detail::Purpose purpose = detail::Purpose::run) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.diagnostics.push_back(file_problem(path, "cannot read the file"));
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  LoadResult one = load_document_text(text.str(), path, env, purpose);
  std::move(one.scenarios.begin(), one.scenarios.end(), std::back_inserter(result.scenarios));
  std::move(one.diagnostics.begin(), one.diagnostics.end(), std::back_inserter(result.diagnostics));
  std::move(one.warnings.begin(), one.warnings.end(), std::back_inserter(result.warnings));
}

void load_folder(const std::filesystem::path& folder, const Environment& env, LoadResult& result) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(folder, error);
  for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    const auto& entry = *it;
    if (is_hidden(entry.path())) {
      if (entry.is_directory()) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (entry.is_regular_file() && is_scenario_file(entry.path())) {
      files.push_back(entry.path());
    }
  }
  if (error) {
    result.diagnostics.push_back(file_problem(folder, "cannot list the folder: " + error.message()));
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    load_file(file, env, result);
  }
}

}  // namespace

std::string Diagnostic::format() const {
  std::string out = file.string();
  if (line > 0) {
    out += ':' + std::to_string(line) + ':' + std::to_string(column);
  }
  out += (warning ? ": warning: " : ": error: ") + message;
  if (!yaml_path.empty()) {
    out += " (at " + yaml_path + ")";
  }
  return out;
}

LoadResult load_text(std::string_view yaml, const std::filesystem::path& name, const Environment& env) {
  return load_document_text(yaml, name, env, detail::Purpose::run);
}

LoadResult load_serve_config(const std::filesystem::path& file, const Environment& env) {
  LoadResult result;
  load_file(file, env, result, detail::Purpose::serve);
  if (result.scenarios.size() > 1) {
    result.scenarios.resize(1);
  }
  return result;
}

namespace {

// The schema is written for scenarios and requires a name; a serve configuration is a server:
// block (and dns:) that needs none, so it is checked as if it had one.
void validate_schema_for(const detail::Document& document, detail::Purpose purpose, detail::Reporter& reporter) {
  if (purpose != detail::Purpose::serve || !document.value.is_object() || document.value.contains("name")) {
    detail::validate_schema(document, reporter);
    return;
  }
  detail::Document named = document;
  named.value["name"] = "serve";
  detail::validate_schema(named, reporter);
}

// `maildog-ci new` without --app writes a placeholder as app.run: say what to write instead of
// running it (the schema takes it for a shell command).
void report_app_placeholder(const detail::Document& document, detail::Reporter& reporter) {
  const auto& value = document.value;
  if (!value.is_object() || !value.contains("app") || !value["app"].is_object() || !value["app"].contains("run") ||
      !value["app"]["run"].is_string() || !is_app_placeholder(value["app"]["run"].get<std::string>())) {
    return;
  }
  reporter.error("app.run",
                 "app.run is still the placeholder `maildog-ci new` wrote: replace it with the command "
                 "that runs your app, e.g. run: [python3, send.py], or write the scenario again with "
                 "`maildog-ci new --from ... --app \"CMD\"`");
}

LoadResult load_document_text(std::string_view yaml, const std::filesystem::path& name, const Environment& env,
                              detail::Purpose purpose) {
  LoadResult result;
  std::vector<Diagnostic> diagnostics;
  detail::Reporter reader(name, diagnostics);
  detail::ParsedFile parsed = detail::parse_yaml(yaml, env, reader);
  if (parsed.syntax_error) {
    result.diagnostics = std::move(diagnostics);
    return result;
  }
  if (parsed.documents.empty()) {
    result.diagnostics.push_back(file_problem(name, "no scenario in the file (it is empty)"));
    return result;
  }
  std::vector<Diagnostic> conversion = diagnostics;
  std::map<std::string, std::size_t> first_name_line;
  for (const auto& document : parsed.documents) {
    std::vector<Diagnostic> schema_problems;
    detail::Reporter schema_reporter(name, schema_problems);
    schema_reporter.set_positions(&document.positions);
    validate_schema_for(document, purpose, schema_reporter);

    std::vector<Diagnostic> semantic_problems;
    detail::Reporter semantic_reporter(name, semantic_problems);
    semantic_reporter.set_positions(&document.positions);
    semantic_reporter.set_warnings(&result.warnings);
    Scenario scenario;
    scenario.file = name;
    scenario.dir = name.parent_path();
    detail::build_scenario(document, semantic_reporter, scenario, purpose);
    report_app_placeholder(document, semantic_reporter);
    if (!scenario.name.empty()) {
      auto [first, inserted] = first_name_line.emplace(scenario.name, scenario.line);
      if (!inserted) {
        semantic_reporter.error("name", "duplicate scenario name '" + scenario.name + "' (first at line " +
                                            std::to_string(first->second) + ")");
      }
    }
    const bool clean = schema_problems.empty() && semantic_problems.empty() && document.conversion_errors == 0;
    add_document_diagnostics(diagnostics, std::move(schema_problems), std::move(semantic_problems), conversion);
    if (clean) {
      result.scenarios.push_back(std::move(scenario));
    }
  }
  auto by_place = [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  };
  std::stable_sort(diagnostics.begin(), diagnostics.end(), by_place);
  std::stable_sort(result.warnings.begin(), result.warnings.end(), by_place);
  result.diagnostics = std::move(diagnostics);
  return result;
}

}  // namespace

LoadResult load_paths(const std::vector<std::filesystem::path>& paths, const Environment& env) {
  LoadResult result;
  for (const auto& path : paths) {
    std::error_code error;
    auto status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status)) {
      result.diagnostics.push_back(file_problem(path, "no such file or folder"));
    } else if (std::filesystem::is_directory(status)) {
      load_folder(path, env, result);
    } else {
      load_file(path, env, result);
    }
  }
  return result;
}

}  // namespace maildog::scenario
