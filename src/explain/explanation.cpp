#include "explain/explanation.hpp"

namespace maildog::explain {

Explanation explain(const FoundReply& reply) {
  Explanation out;
  out.reply = reply;
  const int basic_class = reply.code / 100;
  const int cls = reply.code != 0 ? basic_class : (reply.enhanced ? reply.enhanced->cls : 0);
  out.failure = cls == 4 || cls == 5;
  out.permanent = cls == 5;
  if (reply.code != 0) {
    out.basic = basic_code(reply.code);
  }
  if (reply.enhanced) {
    out.cls = class_title(reply.enhanced->cls);
    out.subject = subject_title(reply.enhanced->subject);
    out.detail = detail_title(reply.enhanced->subject, reply.enhanced->detail);
  } else {
    out.cls = class_title(cls);
  }
  out.diagnosis = diagnose(reply);

  if (reply.code == 0) {
    out.notes.push_back(
        "The input has only an enhanced status code, no three-digit reply code; whether it is "
        "permanent follows the enhanced code's class.");
  }
  if (reply.code != 0 && reply.enhanced && reply.enhanced->cls != basic_class) {
    out.notes.push_back(
        "The enhanced code " + reply.enhanced->str() + " (class " + std::to_string(reply.enhanced->cls) +
        ") disagrees with the reply code " + std::to_string(reply.code) + " (class " + std::to_string(basic_class) +
        "); the two should agree. Sending MTAs act on the reply code, so this is treated as " +
        (out.permanent ? "permanent" : "temporary") + "; whoever runs that server should make them match.");
  }
  if (out.diagnosis.note) {
    out.notes.push_back(*out.diagnosis.note);
  } else if (reply.enhanced && !out.detail && out.subject) {
    out.notes.push_back(reply.enhanced->str() + " is not in the IANA registry: its detail (" +
                        std::to_string(reply.enhanced->detail) + ") is specific to the server that sent it.");
  }
  return out;
}

}  // namespace maildog::explain
