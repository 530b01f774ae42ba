#include "explain/render.hpp"

#include <iomanip>

namespace maildog::explain {

namespace {

std::string verdict(const Explanation& explanation) {
  if (explanation.permanent) {
    return "permanent failure: sending the same message again will fail again; something has to change first";
  }
  if (explanation.failure) {
    return "temporary failure: the sender should keep the message queued and retry later";
  }
  return "not a failure";
}

std::string source_text(const FoundReply& reply) {
  std::string text;
  switch (reply.source) {
    case ReplySource::reply:
      text = "a reply";
      break;
    case ReplySource::dsn:
      text = "a bounce message (Diagnostic-Code/Status fields)";
      break;
    case ReplySource::log:
      text = "a log line or error message";
      break;
  }
  if (!reply.stage.empty()) {
    text += ", in answer to " + reply.stage;
  }
  return text;
}

void field(std::ostream& out, std::string_view name, std::string_view value) {
  out << std::left << std::setw(11) << name << value << '\n';
}

// "Detail     26   Multiple authentication checks failed", then the meaning on its own line
// (the class's meaning is left out: the heading already says permanent or temporary).
void code_field(std::ostream& out, std::string_view name, const std::string& number,
                const std::optional<CodeTitle>& title, std::string_view fallback, bool with_meaning = true) {
  std::string line = number;
  line.resize(std::max<std::size_t>(line.size() + 1, 5), ' ');
  line += title ? title->title : fallback;
  field(out, name, line);
  if (title && with_meaning) {
    field(out, "", title->meaning);
  }
}

using Json = nlohmann::ordered_json;

template <typename Value>
Json optional_json(const std::optional<Value>& value) {
  return value ? Json(*value) : Json(nullptr);
}

}  // namespace

std::string shell_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string reproduce_command(const Explanation& explanation) {
  if (!explanation.failure) {
    return {};
  }
  const FoundReply& reply = explanation.reply;
  // The reply as the bounce gave it: code, enhanced code, text (a DSN's Status-only reply has no code).
  std::string line = reply.code != 0 ? std::to_string(reply.code) : std::string();
  if (reply.enhanced) {
    line += (line.empty() ? "" : " ") + reply.enhanced->str();
  }
  if (!reply.text.empty()) {
    line += (line.empty() ? "" : " ") + reply.text;
  }
  return "maildog-ci new --from " + shell_quoted(line) + " -o " + explanation.diagnosis.id + ".yaml";
}

void render_text(const Explanation& explanation, std::ostream& out) {
  const FoundReply& reply = explanation.reply;
  std::string heading = reply.code != 0 ? std::to_string(reply.code) : std::string();
  if (reply.enhanced) {
    heading += (heading.empty() ? "" : " ") + reply.enhanced->str();
  }
  out << heading << "  " << verdict(explanation) << "\n\n";

  field(out, "Reply", reply.text.empty() ? "(no text)" : reply.text);
  field(out, "Found in", source_text(reply));
  if (reply.code != 0) {
    std::string line = std::to_string(reply.code) + "  ";
    if (explanation.basic) {
      line += std::string(explanation.basic->text) + " (" + std::string(explanation.basic->reference) + ")";
    } else {
      line += std::string(basic_class_name(reply.code)) + " (not a code RFC 5321 defines)";
    }
    field(out, "Code", line);
    if (explanation.basic) {
      field(out, "", explanation.basic->meaning);
    }
  }
  if (reply.enhanced) {
    code_field(out, "Class", std::to_string(reply.enhanced->cls), explanation.cls, "(not a registered class)", false);
    code_field(out, "Subject", std::to_string(reply.enhanced->subject), explanation.subject,
               "(not a registered subject)");
    code_field(out, "Detail", std::to_string(reply.enhanced->detail), explanation.detail,
               "(not in the IANA registry: specific to the server that sent it)");
  } else {
    field(out, "Class",
          std::string(explanation.cls ? explanation.cls->title : basic_class_name(reply.code)) +
              " (from the reply code; there is no enhanced status code)");
  }
  if (explanation.diagnosis.provider) {
    field(out, "Provider", *explanation.diagnosis.provider);
  }
  if (!reply.mta.empty()) {
    field(out, "MTA", reply.mta);
  }
  if (!reply.recipients.empty()) {
    std::string list;
    for (const auto& recipient : reply.recipients) {
      list += (list.empty() ? "" : ", ") + recipient;
    }
    field(out, "Recipients", list);
  }

  out << "\nDiagnosis: " << explanation.diagnosis.title << " [" << explanation.diagnosis.id << "]\n";
  if (!explanation.diagnosis.causes.empty()) {
    out << "\nLikely causes\n";
    for (const auto& cause : explanation.diagnosis.causes) {
      out << "  - " << cause << '\n';
    }
  }
  if (!explanation.diagnosis.fixes.empty()) {
    out << "\nFixes\n";
    for (const auto& fix : explanation.diagnosis.fixes) {
      out << "  - " << fix << '\n';
    }
  }
  if (const std::string command = reproduce_command(explanation); !command.empty()) {
    out << "\nReproduce it: " << command << '\n';
  }
  for (const auto& note : explanation.notes) {
    out << "\nNote: " << note << '\n';
  }
}

nlohmann::ordered_json render_json(const Explanation& explanation) {
  const FoundReply& reply = explanation.reply;
  auto title = [](const std::optional<CodeTitle>& code) {
    return code ? Json(std::string(code->title)) : Json(nullptr);
  };
  std::string meaning;
  if (explanation.detail) {
    meaning = explanation.detail->meaning;
  } else if (explanation.basic) {
    meaning = explanation.basic->meaning;
  } else if (explanation.subject) {
    meaning = explanation.subject->meaning;
  }
  Json out;
  out["code"] = reply.code != 0 ? Json(reply.code) : Json(nullptr);
  out["enhanced"] = reply.enhanced ? Json(reply.enhanced->str()) : Json(nullptr);
  out["permanent"] = explanation.permanent;
  out["failure"] = explanation.failure;
  out["class"] = title(explanation.cls);
  out["subject"] = title(explanation.subject);
  out["detail"] = title(explanation.detail);
  out["meaning"] = meaning;
  out["text"] = reply.text;
  out["source"] = std::string(name_of(k_reply_source_names, reply.source));
  out["stage"] = reply.stage.empty() ? Json(nullptr) : Json(reply.stage);
  out["provider"] = optional_json(explanation.diagnosis.provider);
  out["diagnosis"] = explanation.diagnosis.id;
  out["title"] = explanation.diagnosis.title;
  out["causes"] = explanation.diagnosis.causes;
  out["fixes"] = explanation.diagnosis.fixes;
  out["scenario"] = optional_json(explanation.diagnosis.scenario);
  out["mta"] = reply.mta.empty() ? Json(nullptr) : Json(reply.mta);
  out["recipients"] = reply.recipients;
  const std::string command = reproduce_command(explanation);
  out["reproduce"] = command.empty() ? Json(nullptr) : Json(command);
  out["notes"] = explanation.notes;
  return out;
}

}  // namespace maildog::explain
