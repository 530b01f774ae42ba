// JSON Schema validation of one document with valijson, and readable messages for its errors:
// valijson finds them; the schema itself (walked along the error's path) words them.
#include <algorithm>
#include <string>
#include <vector>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "scenario/document.hpp"

namespace maildog::scenario::detail {

namespace {

using nlohmann::json;

// A value from the file as it appears in a message; the file need not be UTF-8, so invalid
// bytes print as U+FFFD instead of throwing.
std::string shown(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// The embedded schema, parsed once per process (thread-safe static initialisation).
struct CompiledSchema {
  CompiledSchema() : document(json::parse(scenario_schema())) {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    parser.populateSchema(adapter, schema);
  }
  json document;
  valijson::Schema schema;
};

const CompiledSchema& compiled_schema() {
  static const CompiledSchema compiled;
  return compiled;
}

struct Step {
  bool is_index = false;
  std::string key;
  std::size_t index = 0;
};

// An error's place: the diagnostic path, the instance value there and the steps to it.
struct Location {
  std::string path;
  const json* value = nullptr;
  std::vector<Step> steps;
};

Location locate(const json& root, const std::vector<std::string>& context) {
  Location location;
  location.value = &root;
  for (std::size_t i = 1; i < context.size(); ++i) {
    const std::string& part = context[i];
    std::string inner =
        part.size() >= 2 && part.front() == '[' && part.back() == ']' ? part.substr(1, part.size() - 2) : part;
    const json* current = location.value;
    if (current && current->is_array()) {
      std::size_t index = std::stoul(inner);
      location.steps.push_back({true, {}, index});
      location.path = index_path(location.path, index);
      location.value = index < current->size() ? &(*current)[index] : nullptr;
    } else {
      location.steps.push_back({false, inner, 0});
      location.path = child_path(location.path, inner);
      location.value = current && current->is_object() && current->contains(inner) ? &(*current)[inner] : nullptr;
    }
  }
  return location;
}

const json* follow_ref(const json& root, const json* schema) {
  for (int hops = 0; schema && schema->is_object() && schema->contains("$ref") && hops < 16; ++hops) {
    const std::string ref = (*schema)["$ref"].get<std::string>();
    const std::string prefix = "#/definitions/";
    auto definitions = root.find("definitions");
    if (!ref.starts_with(prefix) || definitions == root.end()) {
      return nullptr;
    }
    auto found = definitions->find(ref.substr(prefix.size()));
    schema = found == definitions->end() ? nullptr : &*found;
  }
  return schema;
}

// The subschema that applies at `steps` (the schema uses no oneOf/anyOf, so this is unique).
const json* schema_at(const json& root, const std::vector<Step>& steps) {
  const json* schema = follow_ref(root, &root);
  for (const Step& step : steps) {
    if (!schema || !schema->is_object()) {
      return nullptr;
    }
    const json* next = nullptr;
    if (step.is_index) {
      if (auto items = schema->find("items"); items != schema->end() && items->is_object()) {
        next = &*items;
      }
    } else {
      auto properties = schema->find("properties");
      if (properties != schema->end() && properties->contains(step.key)) {
        next = &(*properties)[step.key];
      } else if (auto extra = schema->find("additionalProperties"); extra != schema->end() && extra->is_object()) {
        next = &*extra;
      }
    }
    schema = follow_ref(root, next);
  }
  return schema;
}

std::string type_word(std::string_view type) {
  if (type == "string") return "a string";
  if (type == "integer") return "a whole number";
  if (type == "number") return "a number";
  if (type == "boolean") return "true or false";
  if (type == "array") return "a list";
  if (type == "object") return "a map";
  if (type == "null") return "nothing";
  return std::string(type);
}

std::string found_word(const json* value) {
  if (!value || value->is_null()) return "nothing";
  if (value->is_string()) return "the string " + shown(*value);
  if (value->is_boolean()) return shown(*value);
  if (value->is_number()) return "the number " + shown(*value);
  if (value->is_array()) return "a list";
  return "a map";
}

std::string join_words(const std::vector<std::string>& words, std::string_view last_separator) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out += i + 1 == words.size() ? std::string(last_separator) : std::string(", ");
    }
    out += words[i];
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(std::string_view wrong, const std::vector<std::string>& choices) {
  std::string best;
  std::size_t best_distance = wrong.size() / 3 + 1;
  for (const auto& choice : choices) {
    std::size_t distance = edit_distance(wrong, choice);
    if (distance <= best_distance && (best.empty() || distance < best_distance)) {
      best = choice;
      best_distance = distance;
    }
  }
  return best;
}

std::vector<std::string> enum_values(const json& schema) {
  const json* values = nullptr;
  if (auto found = schema.find("enum"); found != schema.end()) {
    values = &*found;
  } else if (auto then = schema.find("then"); then != schema.end() && then->contains("enum")) {
    values = &(*then)["enum"];
  }
  std::vector<std::string> words;
  if (values) {
    for (const auto& value : *values) {
      std::string word = value.is_string() ? value.get<std::string>() : shown(value);
      if (std::find(words.begin(), words.end(), word) == words.end()) {
        words.push_back(word);
      }
    }
  }
  return words;
}

std::string quoted_name(const std::string& description) {
  auto last = description.rfind('\'');
  auto first = last == std::string::npos || last == 0 ? std::string::npos : description.rfind('\'', last - 1);
  return first == std::string::npos ? std::string() : description.substr(first + 1, last - first - 1);
}

// A numeric keyword of a subschema as text ("" when absent).
std::string keyword_number(const json& schema, const char* keyword) {
  auto found = schema.find(keyword);
  return found != schema.end() && found->is_number() ? found->dump() : std::string();
}

class ErrorWriter {
 public:
  ErrorWriter(const json& schema_root, const Document& document, Reporter& reporter)
      : m_root(schema_root), m_document(document), m_reporter(reporter) {}

  void write(const valijson::ValidationResults::Error& error) {
    const std::string& text = error.description;
    if (text.starts_with("Failed to validate against") || text.starts_with("Failed to validate item #") ||
        text.starts_with("Cannot validate item #")) {
      return;  // wrappers around the errors that say what is wrong
    }
    Location location = locate(m_document.value, error.context);
    const json* schema = schema_at(m_root, location.steps);
    if (text.starts_with("Object contains a property")) {
      unknown_keys(location, schema);
    } else if (text.starts_with("Missing required property")) {
      emit(location.path, "missing required key '" + quoted_name(text) + "'", false);
    } else if (text.starts_with("Value type not permitted") && schema && schema->contains("type")) {
      const json& types = (*schema)["type"];
      std::vector<std::string> words;
      for (const auto& type : types.is_array() ? types : json::array({types})) {
        words.push_back(type_word(type.get<std::string>()));
      }
      emit(location.path, "expected " + join_words(words, " or ") + ", found " + found_word(location.value), false,
           true);
    } else if (text.starts_with("Failed to match against any enum") && schema) {
      std::vector<std::string> allowed = enum_values(*schema);
      std::string wrong = location.value && location.value->is_string()
                              ? location.value->get<std::string>()
                              : (location.value ? shown(*location.value) : "");
      emit(location.path, not_one_of(wrong, allowed), false);
    } else if (text.starts_with("Failed to match expected value set by 'const'") && schema &&
               schema->contains("const")) {
      emit(location.path, "must be " + (*schema)["const"].dump(), false);
    } else if (text.starts_with("Expected number greater than") && schema && location.value) {
      emit(location.path, shown(*location.value) + " is below the minimum " + keyword_number(*schema, "minimum"),
           false);
    } else if (text.starts_with("Expected number less than") && schema && location.value) {
      emit(location.path, shown(*location.value) + " is above the maximum " + keyword_number(*schema, "maximum"),
           false);
    } else if (text.starts_with("Array should contain no fewer than")) {
      emit(location.path, "the list must not be empty", false);
    } else if (text.starts_with("String should be no fewer than")) {
      emit(location.path, "must not be empty", false);
    } else if (text.starts_with("Object should have no fewer than")) {
      emit(location.path, "the map must not be empty", false);
    } else if (text.starts_with("Failed to match regex") && schema && schema->contains("description") &&
               location.value) {
      emit(location.path, shown(*location.value) + " is not valid: " + (*schema)["description"].get<std::string>(),
           false);
    } else {
      emit(location.path, text, false);
    }
  }

 private:
  void unknown_keys(const Location& location, const json* schema) {
    if (!location.value || !location.value->is_object()) {
      return;
    }
    std::vector<std::string> allowed;
    if (schema && schema->contains("properties")) {
      for (const auto& item : (*schema)["properties"].items()) {
        allowed.push_back(item.key());
      }
    }
    for (const auto& item : location.value->items()) {
      if (std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end()) {
        continue;
      }
      std::string message = "unknown key '" + item.key() + "'";
      if (std::string guess = did_you_mean(item.key(), allowed); !guess.empty()) {
        message += " (did you mean '" + guess + "'?)";
      } else if (!allowed.empty()) {
        message += "; expected one of: " + join_words(allowed, ", ");
      }
      emit(child_path(location.path, item.key()), message, true);
    }
  }

  struct Pending {
    std::string path;
    std::string message;
    bool at_key = false;
    bool wrong_type = false;
  };

 public:
  // A wrong type makes every other complaint about the same value noise; report it alone.
  void flush() {
    for (const auto& pending : m_pending) {
      bool superseded =
          !pending.wrong_type && std::any_of(m_pending.begin(), m_pending.end(), [&](const Pending& other) {
            return other.wrong_type && other.path == pending.path;
          });
      if (!superseded) {
        m_reporter.error(pending.path, pending.message, pending.at_key);
      }
    }
    m_pending.clear();
  }

 private:
  void emit(const std::string& path, const std::string& message, bool at_key, bool wrong_type = false) {
    bool seen = std::any_of(m_pending.begin(), m_pending.end(),
                            [&](const Pending& pending) { return pending.path == path && pending.message == message; });
    if (!seen) {
      m_pending.push_back({path, message, at_key, wrong_type});
    }
  }

  const json& m_root;
  const Document& m_document;
  Reporter& m_reporter;
  std::vector<Pending> m_pending;
};

}  // namespace

std::string not_one_of(const std::string& wrong, const std::vector<std::string>& allowed) {
  std::string message = "'" + wrong + "' is not one of: " + join_words(allowed, ", ");
  if (std::string guess = did_you_mean(wrong, allowed); !guess.empty()) {
    message += " (did you mean '" + guess + "'?)";
  }
  return message;
}

void validate_schema(const Document& document, Reporter& reporter) {
  const CompiledSchema& compiled = compiled_schema();
  valijson::Validator validator;
  valijson::ValidationResults results;
  // valijson counts string lengths with a UTF-8 decoder that indexes past its tables on a run of
  // continuation bytes (found by fuzz/fuzz_scenario_load): it sees the document with invalid
  // bytes replaced by U+FFFD, as every message shows them anyway.
  const json checked = json::parse(document.value.dump(-1, ' ', false, json::error_handler_t::replace));
  valijson::adapters::NlohmannJsonAdapter target(checked);
  if (validator.validate(compiled.schema, target, &results)) {
    return;
  }
  ErrorWriter writer(compiled.document, document, reporter);
  for (const auto& error : results) {
    writer.write(error);
  }
  writer.flush();
}

}  // namespace maildog::scenario::detail
