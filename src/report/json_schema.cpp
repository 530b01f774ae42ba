#include "report/json_schema.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace maildog::report {

namespace {

// valijson reads integers as int64_t, so an unsigned value above INT64_MAX (a 64-bit seed in an
// older report) would look negative and fail "minimum: 0"; for validation it is clamped.
void clamp_for_validation(nlohmann::json& value) {
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max()) {
    value = std::numeric_limits<std::int64_t>::max();
  } else if (value.is_structured()) {
    for (auto& child : value) {
      clamp_for_validation(child);
    }
  }
}

}  // namespace

std::string json_schema_errors(const nlohmann::json& schema, const nlohmann::json& document, std::size_t most) {
  nlohmann::json checked = document;
  clamp_for_validation(checked);
  valijson::Schema parsed_schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema);
  parser.populateSchema(schema_adapter, parsed_schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(checked);
  if (validator.validate(parsed_schema, target, &results)) {
    return {};
  }
  std::string out;
  std::size_t shown = 0;
  valijson::ValidationResults::Error error;
  while (shown < most && results.popError(error)) {
    std::string path;
    for (const auto& part : error.context) {
      path += part;
    }
    out += (shown++ == 0 ? "" : "; ") + path + ": " + error.description;
  }
  return out;
}

}  // namespace maildog::report
