#include "auth/dkim/key_record.hpp"

#include "auth/dkim/signature.hpp"
#include "core/ascii.hpp"

#include <algorithm>

namespace maildog::auth::dkim {
namespace {

using ascii::lower;
std::string_view trim(std::string_view text) { return ascii::trim(text, " \t\r\n"); }

// A colon-separated list (h=, s=, t=), each item trimmed and lower-cased; empty items dropped.
std::vector<std::string> colon_list(std::string_view value) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t next = std::min(value.find(':', start), value.size());
    const std::string_view item = trim(value.substr(start, next - start));
    if (!item.empty()) {
      items.push_back(lower(item));
    }
    start = next + 1;
  }
  return items;
}

bool contains(const std::vector<std::string>& items, std::string_view wanted) {
  return std::find(items.begin(), items.end(), wanted) != items.end();
}

}  // namespace

std::string_view key_type_name(KeyType type) { return type == KeyType::ed25519 ? "ed25519" : "rsa"; }

bool KeyRecord::accepts_hash(std::string_view hash) const {
  return hash_algorithms.empty() || contains(hash_algorithms, hash);
}

bool KeyRecord::is_for_email() const { return contains(service_types, "*") || contains(service_types, "email"); }

std::variant<KeyRecord, KeyRecordError> parse_key_record(std::string_view txt) {
  auto parsed = parse_tag_list(txt);
  if (const auto* failure = std::get_if<TagListError>(&parsed)) {
    return KeyRecordError{failure->message};
  }
  const auto& tags = std::get<std::vector<Tag>>(parsed);
  KeyRecord record;
  bool has_key = false;
  for (std::size_t index = 0; index < tags.size(); ++index) {
    const Tag& tag = tags[index];
    if (tag.name == "v") {
      // RFC 6376 3.6.1 v=: "If specified, this tag MUST be set to "DKIM1" ... and MUST be the
      // first tag in the record."
      if (index != 0) {
        return KeyRecordError{"v= must be the first tag"};
      }
      if (tag.value != "DKIM1") {
        return KeyRecordError{"unsupported key record version v=" + tag.value};
      }
    } else if (tag.name == "h") {
      record.hash_algorithms = colon_list(tag.value);
    } else if (tag.name == "k") {
      const std::string type = lower(tag.value);
      if (type == "rsa") {
        record.key_type = KeyType::rsa;
      } else if (type == "ed25519") {
        record.key_type = KeyType::ed25519;
      } else {
        return KeyRecordError{"unknown key type k=" + tag.value};
      }
    } else if (tag.name == "n") {
      record.notes = tag.value;
    } else if (tag.name == "p") {
      const auto key = decode_base64(tag.value);
      if (!key) {
        return KeyRecordError{"p= is not valid base64"};
      }
      record.public_key = *key;
      has_key = true;
    } else if (tag.name == "s") {
      record.service_types = colon_list(tag.value);
    } else if (tag.name == "t") {
      const auto flags = colon_list(tag.value);
      record.testing = contains(flags, "y");
      record.strict_identity = contains(flags, "s");
    }
  }
  if (!has_key) {
    return KeyRecordError{"missing required tag p="};
  }
  return record;
}

}  // namespace maildog::auth::dkim
