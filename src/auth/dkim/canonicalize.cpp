#include "auth/dkim/canonicalize.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "core/ascii.hpp"

namespace maildog::auth::dkim {
namespace {

constexpr std::string_view crlf = "\r\n";

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view without_final_crlf(std::string_view text) {
  if (text.size() >= 2 && text.substr(text.size() - 2) == crlf) {
    text.remove_suffix(2);
  }
  return text;
}

// Appends `text` with every run of WSP made one SP and WSP at the end removed (3.4.2, 3.4.4).
void append_compressed(std::string& out, std::string_view text) {
  bool pending_space = false;
  for (const char c : text) {
    if (is_wsp(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(c);
  }
}

}  // namespace

std::string normalize_line_endings(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 32);
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) {
      out.push_back('\r');
    }
    out.push_back(message[i]);
  }
  return out;
}

MessageParts split_message(std::string_view message) {
  MessageParts parts;
  std::size_t pos = 0;
  std::size_t field_start = std::string_view::npos;
  std::size_t name_end = 0;
  const auto close_field = [&](std::size_t end) {
    if (field_start != std::string_view::npos) {
      std::string_view name = message.substr(field_start, name_end - field_start);
      while (!name.empty() && is_wsp(name.back())) {
        name.remove_suffix(1);
      }
      parts.headers.push_back(HeaderField{name, message.substr(field_start, end - field_start)});
      field_start = std::string_view::npos;
    }
  };
  while (pos < message.size()) {
    const std::size_t line_end = message.find(crlf, pos);
    const std::size_t next = line_end == std::string_view::npos ? message.size() : line_end + 2;
    const std::string_view line = message.substr(pos, next - pos);
    if (line == crlf) {
      close_field(pos);
      parts.body = message.substr(next);
      return parts;
    }
    if (is_wsp(line.front())) {
      pos = next;  // a continuation line: it stays inside the open field (if any)
      continue;
    }
    close_field(pos);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      field_start = pos;
      name_end = pos + colon;
    }
    pos = next;
  }
  close_field(message.size());
  return parts;
}

std::string canonicalize_header(Canonicalization canon, std::string_view raw_field) {
  raw_field = without_final_crlf(raw_field);
  std::string out;
  if (canon == Canonicalization::simple) {
    out.reserve(raw_field.size() + 2);
    out.append(raw_field);
    out.append(crlf);
    return out;
  }
  const std::size_t colon = raw_field.find(':');
  std::string_view name = raw_field.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) {
    name.remove_suffix(1);
  }
  for (const char c : name) {
    out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  }
  out.push_back(':');
  if (colon != std::string_view::npos) {
    // Unfold: drop every CRLF (inside a field each is followed by WSP), then compress.
    std::string unfolded;
    std::string_view value = raw_field.substr(colon + 1);
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
        ++i;
        continue;
      }
      unfolded.push_back(value[i]);
    }
    std::string_view trimmed = unfolded;
    while (!trimmed.empty() && is_wsp(trimmed.front())) {
      trimmed.remove_prefix(1);
    }
    append_compressed(out, trimmed);
  }
  out.append(crlf);
  return out;
}

std::string canonicalize_body(Canonicalization canon, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  if (canon == Canonicalization::simple) {
    while (body.size() >= 2 && body.substr(body.size() - 2) == crlf) {
      body.remove_suffix(2);
    }
    out.append(body);
    out.append(crlf);
    return out;
  }
  std::size_t pos = 0;
  std::size_t pending_empty_lines = 0;  // empty lines are written only once a later line has text
  while (pos < body.size()) {
    const std::size_t line_end = body.find(crlf, pos);
    const std::size_t end = line_end == std::string_view::npos ? body.size() : line_end;
    const std::string_view line = body.substr(pos, end - pos);
    pos = line_end == std::string_view::npos ? body.size() : line_end + 2;
    const std::size_t before = out.size();
    append_compressed(out, line);
    if (out.size() == before) {
      ++pending_empty_lines;
      continue;
    }
    std::string text = out.substr(before);
    out.resize(before);
    for (; pending_empty_lines > 0; --pending_empty_lines) {
      out.append(crlf);
    }
    out.append(text);
    out.append(crlf);
  }
  return out;
}

std::string signed_header_data(const std::vector<HeaderField>& headers, const std::vector<std::string>& names,
                               Canonicalization canon, std::string_view signature_field, const HeaderField* self) {
  const auto same_name = [](std::string_view a, std::string_view b) { return ascii::iequals(a, b); };
  std::vector<bool> used(headers.size(), false);
  std::string data;
  for (const std::string& name : names) {
    for (std::size_t i = headers.size(); i-- > 0;) {
      const bool is_self = self != nullptr && headers[i].raw.data() == self->raw.data();
      if (!used[i] && !is_self && same_name(headers[i].name, name)) {
        used[i] = true;
        data += canonicalize_header(canon, headers[i].raw);
        break;
      }
    }
  }
  std::string own = canonicalize_header(canon, signature_field);
  own.resize(own.size() - crlf.size());
  data += own;
  return data;
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

std::optional<BodyHash> body_hash(Canonicalization canon, std::string_view body, std::optional<std::uint64_t> length) {
  const std::string canonical = canonicalize_body(canon, body);
  BodyHash result;
  result.canonical_length = canonical.size();
  std::string_view hashed = canonical;
  if (length) {
    if (*length > canonical.size()) {
      return std::nullopt;
    }
    hashed = hashed.substr(0, static_cast<std::size_t>(*length));
  }
  result.digest = sha256(hashed);
  return result;
}

}  // namespace maildog::auth::dkim
