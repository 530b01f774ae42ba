#include "capture/record_codec.hpp"

#include "core/name_table.hpp"
#include "core/time_text.hpp"

namespace maildog::capture {

namespace {

std::string text_of(const RecordJson& json, std::string_view field) { return json.at(field).get<std::string>(); }

// system_clock counts nanoseconds in 64 bits: a time beyond about 292 years from 1970 is not one.
std::chrono::system_clock::time_point time_of(const RecordJson& json, std::string_view field) {
  const auto micros = integer_of<std::int64_t>(json, field);
  constexpr auto k_limit =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::duration::max()).count();
  if (micros > k_limit || micros < -k_limit) {
    throw RecordError(std::string(field) + ": out of range: " + std::to_string(micros));
  }
  return time_text::time_from_micros(micros);
}

RecordJson recipient_to_json(const RecipientRecord& recipient) {
  return {{"address", recipient.address},
          {"parameters", recipient.parameters},
          {"reply", reply_to_json(recipient.reply)},
          {"attempt", recipient.attempt}};
}

RecipientRecord recipient_from_json(const RecordJson& json) {
  return {text_of(json, "address"), text_of(json, "parameters"), reply_from_json(json.at("reply")),
          integer_of<unsigned>(json, "attempt")};
}

RecordJson lint_note_to_json(const LintNote& note) {
  return {{"name", note.name}, {"message", note.message}, {"line", note.line}, {"excerpt", note.excerpt}};
}

LintNote lint_note_from_json(const RecordJson& json) {
  return {text_of(json, "name"), text_of(json, "message"), integer_of<std::size_t>(json, "line"),
          text_of(json, "excerpt")};
}

}  // namespace

RecordJson reply_to_json(const smtp::Reply& reply) {
  return {{"code", reply.code},
          {"enhanced", reply.enhanced ? RecordJson(reply.enhanced->str()) : RecordJson(nullptr)},
          {"lines", reply.lines}};
}

smtp::Reply reply_from_json(const RecordJson& json) {
  smtp::Reply reply;
  reply.code = integer_of<int>(json, "code");
  if (const auto& enhanced = json.at("enhanced"); !enhanced.is_null()) {
    reply.enhanced = smtp::EnhancedCode::parse(enhanced.get<std::string>());
    if (!reply.enhanced) {
      throw RecordError("not an enhanced status code: " + enhanced.get<std::string>());
    }
  }
  reply.lines = json.at("lines").get<std::vector<std::string>>();
  return reply;
}

RecordJson optional_reply_to_json(const std::optional<smtp::Reply>& reply) {
  return reply ? reply_to_json(*reply) : RecordJson(nullptr);
}

std::optional<smtp::Reply> optional_reply_from_json(const RecordJson& json) {
  return json.is_null() ? std::nullopt : std::optional(reply_from_json(json));
}

RecordJson transcript_entry_to_json(const TranscriptEntry& entry) {
  return {{"direction", name_of(k_direction_names, entry.direction)},
          {"text", entry.text},
          {"offset_us", entry.offset.count()}};
}

TranscriptEntry transcript_entry_from_json(const RecordJson& json) {
  const std::string direction = text_of(json, "direction");
  const auto known = lookup_name(k_direction_names, direction);
  if (!known) {
    throw RecordError("unknown value: " + direction);
  }
  return {*known, text_of(json, "text"), std::chrono::microseconds(integer_of<std::int64_t>(json, "offset_us"))};
}

RecordJson refusal_to_json(const RefusalRecord& refusal) {
  return {{"reason", refusal.reason},
          {"command", refusal.command},
          {"argument", refusal.argument},
          {"recipients", refusal.recipients},
          {"reply", reply_to_json(refusal.reply)}};
}

RefusalRecord refusal_from_json(const RecordJson& json) {
  return {text_of(json, "reason"), text_of(json, "command"), text_of(json, "argument"),
          json.at("recipients").get<std::vector<std::string>>(), reply_from_json(json.at("reply"))};
}

RecordJson transaction_to_json(const TransactionRecord& transaction) {
  return {{"mail_from", transaction.mail_from},
          {"mail_parameters", transaction.mail_parameters},
          {"mail_reply", reply_to_json(transaction.mail_reply)},
          {"recipients", array_of(transaction.recipients, recipient_to_json)},
          {"data_reply", optional_reply_to_json(transaction.data_reply)},
          {"final_reply", optional_reply_to_json(transaction.final_reply)},
          {"delivered", transaction.delivered},
          {"size", transaction.message ? RecordJson(transaction.message->size()) : RecordJson(nullptr)},
          {"bare_lf", transaction.bare_lf},
          {"eight_bit", transaction.eight_bit},
          {"smuggling_line", transaction.smuggling_line},
          {"auth_results", transaction.auth_results},
          {"authentication_results", transaction.authentication_results},
          {"lint", array_of(transaction.lint, lint_note_to_json)}};
}

TransactionRecord transaction_from_json(const RecordJson& json) {
  TransactionRecord transaction;
  transaction.mail_from = text_of(json, "mail_from");
  transaction.mail_parameters = text_of(json, "mail_parameters");
  transaction.mail_reply = reply_from_json(json.at("mail_reply"));
  transaction.recipients = records_of(json.at("recipients"), recipient_from_json);
  transaction.data_reply = optional_reply_from_json(json.at("data_reply"));
  transaction.final_reply = optional_reply_from_json(json.at("final_reply"));
  transaction.delivered = json.at("delivered").get<bool>();
  transaction.bare_lf = json.at("bare_lf").get<bool>();
  transaction.eight_bit = json.at("eight_bit").get<bool>();
  transaction.smuggling_line = integer_of<std::size_t>(json, "smuggling_line");
  transaction.auth_results = json.at("auth_results").get<std::map<std::string, std::string>>();
  transaction.authentication_results = text_of(json, "authentication_results");
  transaction.lint = records_of(json.at("lint"), lint_note_from_json);
  return transaction;
}

RecordJson session_to_json(const SessionRecord& session, WithTransactions with) {
  RecordJson out = {{"id", session.id},
                    {"client_address", session.client_address},
                    {"client_port", session.client_port},
                    {"helo", session.helo},
                    {"esmtp", session.esmtp},
                    {"tls", session.tls},
                    {"tls_version", session.tls_version},
                    {"tls_cipher", session.tls_cipher},
                    {"auth_user", session.auth_user ? RecordJson(*session.auth_user) : RecordJson(nullptr)},
                    {"auth_mechanism", session.auth_mechanism},
                    {"close_reason", session.close_reason},
                    {"started_us", time_text::micros_since_epoch(session.started)},
                    {"duration_us", session.duration.count()},
                    {"transcript", array_of(session.transcript, transcript_entry_to_json)}};
  if (with == WithTransactions::yes) {
    out["transactions"] = array_of(session.transactions, transaction_to_json);
  }
  out["refusals"] = array_of(session.refusals, refusal_to_json);
  return out;
}

SessionRecord session_from_json(const RecordJson& json) {
  SessionRecord session;
  session.id = integer_of<std::uint64_t>(json, "id");
  session.client_address = text_of(json, "client_address");
  session.client_port = integer_of<std::uint16_t>(json, "client_port");
  session.helo = text_of(json, "helo");
  session.esmtp = json.at("esmtp").get<bool>();
  session.tls = json.at("tls").get<bool>();
  session.tls_version = text_of(json, "tls_version");
  session.tls_cipher = text_of(json, "tls_cipher");
  if (const auto& user = json.at("auth_user"); !user.is_null()) {
    session.auth_user = user.get<std::string>();
  }
  session.auth_mechanism = text_of(json, "auth_mechanism");
  session.close_reason = text_of(json, "close_reason");
  session.started = time_of(json, "started_us");
  session.duration = std::chrono::microseconds(integer_of<std::int64_t>(json, "duration_us"));
  session.transcript = records_of(json.at("transcript"), transcript_entry_from_json);
  if (json.contains("transactions")) {
    session.transactions = records_of(json.at("transactions"), transaction_from_json);
  }
  session.refusals = records_of(json.at("refusals"), refusal_from_json);
  return session;
}

RecordJson reshape(const RecordJson& record, std::initializer_list<FieldChange> changes) {
  RecordJson out = RecordJson::object();
  for (const auto& [field, value] : record.items()) {
    const FieldChange* change = nullptr;
    for (const auto& candidate : changes) {
      if (candidate.field == field) {
        change = &candidate;
        break;
      }
    }
    if (change == nullptr) {
      out[field] = value;
    } else {
      change->write(out, value, record);
    }
  }
  return out;
}

FieldChange renamed(std::string_view field, std::string to) {
  return {field,
          [to = std::move(to)](RecordJson& out, const RecordJson& value, const RecordJson&) { out[to] = value; }};
}

FieldChange dropped(std::string_view field) {
  return {field, [](RecordJson&, const RecordJson&, const RecordJson&) {}};
}

FieldChange lines_as_text() {
  return {"lines", [](RecordJson& out, const RecordJson& value, const RecordJson&) {
            smtp::Reply reply;
            reply.lines = value.get<std::vector<std::string>>();
            out["text"] = reply.text();
          }};
}

FieldChange micros_as_iso_time(std::string_view field, std::string to) {
  return {field, [to = std::move(to)](RecordJson& out, const RecordJson& value, const RecordJson&) {
            out[to] =
                time_text::utc(time_text::time_from_micros(value.get<std::int64_t>()), time_text::Form::iso_millis);
          }};
}

FieldChange micros_as_millis(std::string_view field, std::string to) {
  return {field, [to = std::move(to)](RecordJson& out, const RecordJson& value, const RecordJson&) {
            out[to] = time_text::as_milliseconds(std::chrono::microseconds(value.get<std::int64_t>()));
          }};
}

FieldChange each(std::string_view field, std::function<RecordJson(const RecordJson&)> element) {
  return {field, [field = std::string(field), element = std::move(element)](RecordJson& out, const RecordJson& value,
                                                                            const RecordJson&) {
            RecordJson array = RecordJson::array();
            for (const auto& item : value) {
              array.push_back(element(item));
            }
            out[field] = std::move(array);
          }};
}

}  // namespace maildog::capture
