#include "scaffold/stage_choice.hpp"

#include <array>

namespace maildog::scaffold {

namespace {

using bounce::Stage;

struct ByDiagnosis {
  std::string_view id;
  Stage stage;
  std::string_view why;
};

// Where each kind of refusal comes in practice (the bounce did not say).
constexpr std::array k_by_diagnosis{
    ByDiagnosis{"user_unknown", Stage::rcpt, "an unknown recipient is refused when RCPT TO names it"},
    ByDiagnosis{"mailbox_disabled", Stage::rcpt, "a disabled mailbox is refused when RCPT TO names it"},
    ByDiagnosis{"mailbox_full", Stage::rcpt, "a full mailbox is refused when RCPT TO names it"},
    ByDiagnosis{"bad_destination_domain", Stage::rcpt,
                "a recipient domain the server does not take is refused at RCPT TO"},
    ByDiagnosis{"relay_denied", Stage::rcpt, "relaying is refused for each outside recipient at RCPT TO"},
    ByDiagnosis{"too_many_recipients", Stage::rcpt, "the recipient over the limit is refused at its RCPT TO"},
    ByDiagnosis{"greylisting", Stage::rcpt, "greylisting answers the first RCPT TO of a new sender/recipient pair"},
    ByDiagnosis{"dnsbl_listed", Stage::rcpt,
                "a DNSBL listing is checked when the first RCPT TO comes (Postfix smtpd_delay_reject)"},
    ByDiagnosis{"dnsbl_open_resolver", Stage::rcpt, "a DNSBL answer is checked when the first RCPT TO comes"},
    ByDiagnosis{"provider_blocklist", Stage::connect, "a provider's own IP block list refuses the connection"},
    ByDiagnosis{"low_reputation", Stage::connect, "a reputation refusal comes before any mail is taken"},
    ByDiagnosis{"rate_limited", Stage::mail, "rate limits are counted per message, at MAIL FROM"},
    ByDiagnosis{"sender_rejected", Stage::mail, "a refused sender address is refused at MAIL FROM"},
    ByDiagnosis{"auth_required", Stage::mail, "a server that wants AUTH refuses MAIL FROM without it"},
    ByDiagnosis{"tls_required", Stage::mail, "a server that wants TLS refuses MAIL FROM in the clear"},
    ByDiagnosis{"bad_credentials", Stage::auth, "credentials are refused in reply to AUTH"},
    ByDiagnosis{"message_too_big", Stage::end_of_data, "the size is known only once the whole message came"},
    ByDiagnosis{"dmarc_reject", Stage::end_of_data,
                "DMARC needs the From: header and DKIM: judged after the final dot"},
    ByDiagnosis{"spf_fail", Stage::end_of_data,
                "the receiver judges SPF with the message (Gmail, Microsoft): after the final dot"},
    ByDiagnosis{"ptr_missing", Stage::end_of_data, "the receiver refuses the message after the final dot"},
    ByDiagnosis{"dkim_fail", Stage::end_of_data, "DKIM is verified on the whole message: after the final dot"},
    ByDiagnosis{"unauthenticated_sender", Stage::end_of_data,
                "authentication is judged on the whole message: after the final dot"},
    ByDiagnosis{"spam_content", Stage::end_of_data, "content filters see the message only after the final dot"},
    ByDiagnosis{"malformed_message", Stage::end_of_data, "the message's format is judged after the final dot"},
};

}  // namespace

StageChoice choose_stage(const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis) {
  if (facts.stage != Stage::unknown) {
    const std::string evidence =
        facts.stage_evidence.empty() ? std::string("its transcript") : "\"" + facts.stage_evidence + "\"";
    return {facts.stage, "the bounce says " + evidence, true};
  }
  // The knowledge base decides (Diagnosis::stage); the table below says why in words when it agrees.
  const auto explain_stage = lookup_name(bounce::k_stage_names, diagnosis.stage);
  for (const auto& row : k_by_diagnosis) {
    if (row.id == diagnosis.id && (!explain_stage || *explain_stage == row.stage)) {
      return {row.stage, "the bounce does not say; explain [" + diagnosis.id + "]: " + std::string(row.why), false};
    }
  }
  if (explain_stage && *explain_stage != Stage::unknown) {
    return {*explain_stage,
            "the bounce does not say; explain's knowledge base puts [" + diagnosis.id + "] refusals there", false};
  }
  if (diagnosis.id.starts_with("bulk_sender")) {
    return {Stage::end_of_data,
            "the bounce does not say; bulk-sender rules judge the whole message, after the final dot", false};
  }
  if (const auto& enhanced = facts.reply.enhanced) {
    const std::string code = enhanced->str();
    if (enhanced->subject == 1 && (enhanced->detail == 7 || enhanced->detail == 8)) {
      return {Stage::mail, "the bounce does not say; " + code + " is about the sender's address: MAIL FROM", false};
    }
    if (enhanced->subject == 1 || enhanced->subject == 2) {
      return {Stage::rcpt, "the bounce does not say; " + code + " is about the recipient: RCPT TO", false};
    }
    if (enhanced->subject == 6 || (enhanced->subject == 3 && enhanced->detail == 4) || enhanced->subject == 7) {
      return {Stage::end_of_data, "the bounce does not say; " + code + " judges the message: after the final dot",
              false};
    }
  }
  return {Stage::rcpt, "the bounce does not say; most refusals come at RCPT TO", false};
}

}  // namespace maildog::scaffold
