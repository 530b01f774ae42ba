#include "explain/knowledge.hpp"

#include <algorithm>
#include <array>

#include "core/ascii.hpp"
#include "explain/knowledge_rules.hpp"

namespace maildog::explain {

namespace {

enum class Pass { text, code, common_words };

Pass pass_of(const Trigger& trigger) {
  if (trigger.phrases.empty()) {
    return Pass::code;
  }
  return trigger.common_words ? Pass::common_words : Pass::text;
}

bool has_phrase(std::string_view lowered, std::string_view phrase) {
  while (!phrase.empty()) {
    const std::size_t amp = phrase.find('&');
    if (lowered.find(phrase.substr(0, amp)) == std::string_view::npos) {
      return false;
    }
    phrase = amp == std::string_view::npos ? std::string_view() : phrase.substr(amp + 1);
  }
  return true;
}

bool trigger_matches(const Trigger& trigger, const FoundReply& reply, std::string_view lowered) {
  if (!trigger.codes.empty()) {
    bool any = false;
    for (const auto& pattern : trigger.codes) {
      any = any || (reply.enhanced && pattern.matches(*reply.enhanced));
    }
    if (!any) {
      return false;
    }
  }
  if (!trigger.basic.empty() &&
      std::find(trigger.basic.begin(), trigger.basic.end(), reply.code) == trigger.basic.end()) {
    return false;
  }
  if (!trigger.phrases.empty()) {
    bool any = false;
    for (const auto phrase : trigger.phrases) {
      any = any || has_phrase(lowered, phrase);
    }
    if (!any) {
      return false;
    }
  }
  for (const auto phrase : trigger.unless) {
    if (has_phrase(lowered, phrase)) {
      return false;
    }
  }
  return !trigger.codes.empty() || !trigger.basic.empty() || !trigger.phrases.empty();
}

struct Generic {
  std::string_view id;
  std::string_view title;
  std::vector<std::string_view> causes;
  std::vector<std::string_view> fixes;
};

// When no rule matches: what the code's subject (or the basic code) says, with generic advice.
const Generic& generic_for(int subject) {
  static const std::vector<Generic> k_generic{
      {"generic_other",
       "Unspecified failure: the code gives no category, only the text can tell",
       {"The server did not say what kind of problem this is; the text after the code is the only clue.",
        "Often a policy refusal (anti-spam, reputation) in the receiving system's own words."},
       {"Read the text and look it up in the receiving system's documentation.",
        "Rule out the usual causes: the sending IP on a DNSBL, SPF/DKIM/DMARC (`maildog-ci check`), reverse DNS.",
        "Ask the recipient's postmaster, quoting the full reply line, the time and your sending IP."}},
      {"generic_addressing",
       "Addressing problem: the sender or recipient address",
       {"The recipient or the sender (MAIL FROM) address is wrong, does not exist, or is not accepted by this server."},
       {"Check both envelope addresses the app used (MAIL FROM and RCPT TO), not only the From: header.",
        "Check the domain: `dig MX domain`.",
        "For a permanent failure, stop mailing the address instead of retrying."}},
      {"generic_mailbox",
       "Problem with the recipient's mailbox",
       {"The mailbox exists but cannot take the message now: full, disabled, or over a per-mailbox limit."},
       {"After a 4xx keep the message queued and retry; after a 5xx tell the recipient another way and stop sending."}},
      {"generic_mail_system",
       "Problem in the receiving mail system",
       {"The destination server is overloaded, out of storage, misconfigured, or cannot provide a feature the "
        "message needs."},
       {"For a 4xx retry later with backoff (an MTA queue does this).",
        "For a 5xx contact the recipient's postmaster: the problem is on their side unless the text names your "
        "message (its size or features)."}},
      {"generic_network",
       "Network or routing problem",
       {"The destination could not be reached or routed to: DNS failures, no MX, connection timeouts, routing loops, "
        "or the message expired in a queue after retries."},
       {"Check the destination domain's DNS (`dig MX domain`, `dig A domain`).",
        "Let the queue retry a 4.4.x; after a 5.4.x check the address and the domain.",
        "If a relay in between is failing, look at its queue and logs."}},
      {"generic_protocol",
       "SMTP protocol error: the server did not accept a command",
       {"The client sent a command out of order, with bad syntax or with unsupported parameters (RCPT before MAIL, a "
        "malformed address, a line too long, misused PIPELINING).",
        "A bug in a hand-written SMTP client."},
       {"Capture the SMTP transcript (run the app against a maildog-ci scenario) and look at the command before this "
        "reply.",
        "Use a maintained SMTP library instead of writing the protocol by hand.",
        "Put addresses in angle brackets: `MAIL FROM:<a@example.com>`."}},
      {"generic_content",
       "Problem with the message content or format",
       {"The content cannot be delivered as it is: an unsupported media type, a conversion that is needed and not "
        "allowed (8-bit to 7-bit), non-ASCII addresses without SMTPUTF8, or a malformed message."},
       {"Build the message with a MIME library: CRLF line endings, RFC 2047 encoded non-ASCII headers, base64 or "
        "quoted-printable for 8-bit bodies.",
        "Send non-ASCII addresses only to servers that advertise SMTPUTF8."}},
      {"generic_policy",
       "Security or policy refusal",
       {"A security or policy rule refused the message: authentication required or failed, the sender not "
        "authorised, an anti-spam or reputation rule."},
       {"Read the text: it usually names the rule.",
        "Check SPF, DKIM and DMARC for your domain (`maildog-ci check`), the sending IP's DNSBL listings and reverse "
        "DNS.",
        "If it is about authentication, check the app's AUTH settings (user, password, TLS)."}},
  };
  return k_generic[static_cast<std::size_t>(subject >= 0 && subject <= 7 ? subject : 0)];
}

// The subject a basic code without an enhanced code most likely stands for.
int subject_of_basic(int code) {
  switch (code) {
    case 450:
      return 2;
    case 421:
    case 451:
    case 452:
    case 552:
      return 3;
    case 455:
    case 500:
    case 501:
    case 502:
    case 503:
    case 504:
    case 555:
      return 5;
    case 454:
      return 7;
    case 521:
    case 551:
    case 553:
      return 1;
    default:
      return 0;
  }
}

std::vector<std::string> strings(const std::vector<std::string_view>& views) { return {views.begin(), views.end()}; }

Diagnosis from_rule(const Rule& rule, const Trigger& trigger) {
  Diagnosis diagnosis{std::string(rule.id), std::string(rule.title), strings(rule.causes), strings(rule.fixes)};
  if (!rule.scenario.empty()) {
    diagnosis.scenario = "scenarios/" + std::string(rule.scenario);
  }
  if (!trigger.note.empty()) {
    diagnosis.note = std::string(trigger.note);
  }
  return diagnosis;
}

Diagnosis match(const FoundReply& reply) {
  const std::string lowered = ascii::lower(reply.text);
  const int cls = reply.code != 0 ? reply.code / 100 : (reply.enhanced ? reply.enhanced->cls : 0);
  if (cls == 2 || cls == 3) {
    return {"not_a_failure",
            cls == 2 ? "Not a failure: the server accepted the command"
                     : "Not a failure: the server waits for more input",
            {"A 2xx reply reports success; a 3xx asks the client to go on (send the message after 354, the next AUTH "
             "step after 334)."},
            {"Nothing to fix here. If the mail still did not arrive, look for the reply to the end of DATA, a later "
             "bounce message, or the recipient's spam folder."}};
  }
  for (const Pass pass : {Pass::text, Pass::code, Pass::common_words}) {
    for (const auto& rule : knowledge_rules()) {
      for (const auto& trigger : rule.triggers) {
        if (pass_of(trigger) != pass) {
          continue;
        }
        if (trigger_matches(trigger, reply, lowered)) {
          return from_rule(rule, trigger);
        }
      }
    }
  }
  const Generic& generic = generic_for(reply.enhanced ? reply.enhanced->subject : subject_of_basic(reply.code));
  return {std::string(generic.id), std::string(generic.title), strings(generic.causes), strings(generic.fixes)};
}

}  // namespace

std::optional<std::string> provider_of(std::string_view text) {
  struct Marker {
    std::string_view name;
    std::vector<std::string_view> phrases;
  };
  static const std::vector<Marker> k_senders{
      // Markers the provider's own texts carry, not any mention of its domain (a DMARC bounce from
      // elsewhere names yahoo.com; a Postfix reject names a gmail.com sender).
      {"Gmail",
       {"gsmtp", "support.google.com", "google.com/mail", "gmail requires", "gmail has detected", "sent to gmail",
        "google's", "googlemail"}},
      {"Microsoft 365 / Outlook.com",
       {"outlook.com", "office365", "resolver.adr", "mail.live.com", "postmaster.live.com", "sender.office.com",
        "microsoft.com", "aka.ms/", "(s3150)", "(s3140)", "(as3150)", "(as3140)"}},
      {"Yahoo",
       {"postmaster.yahoo", "yahooinc", "senders.yahoo", "yahoo requires", "yahoo.com account", "[tss0", "[ts0", "[bl2",
        "[ph0"}},
      {"Postgrey", {"postgrey"}},
      {"Proofpoint", {"proofpoint", "pphosts"}},
      {"Mimecast", {"mimecast"}},
      {"Postfix",
       {"recipient address rejected", "sender address rejected", "client host rejected", "helo command rejected",
        ">: relay access denied", "in local recipient table", "in virtual mailbox table"}},
      {"Exim", {"sender verify failed", "unrouteable address", "administrative prohibition"}},
  };
  static const std::vector<Marker> k_lists{
      {"Spamhaus", {"spamhaus"}},
      {"Barracuda", {"barracuda"}},
      {"SpamCop", {"spamcop"}},
  };
  const std::string lowered = ascii::lower(text);
  auto first = [&lowered](const std::vector<Marker>& markers) -> std::optional<std::string_view> {
    for (const auto& marker : markers) {
      for (const auto phrase : marker.phrases) {
        if (lowered.find(phrase) != std::string::npos) {
          return marker.name;
        }
      }
    }
    return std::nullopt;
  };
  const auto sender = first(k_senders);
  const auto list = first(k_lists);
  if (sender && list) {
    return std::string(*sender) + " (" + std::string(*list) + ")";
  }
  if (sender || list) {
    return std::string(sender ? *sender : *list);
  }
  return std::nullopt;
}

std::string_view usual_stage(std::string_view diagnosis_id) {
  struct Usual {
    std::string_view id;
    std::string_view stage;
  };
  // Why these stages: checks on the client's IP need only the connection (Postfix's smtpd still
  // says them at RCPT, smtpd_delay_reject); sender and SPF checks need MAIL FROM; recipient and
  // mailbox checks RCPT; DKIM, DMARC, content and size checks the whole message.
  static constexpr std::array k_usual{
      Usual{"proofpoint_reputation", "connect"},
      Usual{"mimecast_policy", "rcpt"},
      Usual{"dnsbl_open_resolver", "connect"},
      Usual{"provider_blocklist", "connect"},
      Usual{"dnsbl_listed", "connect"},
      Usual{"greylisting", "rcpt"},
      Usual{"relay_denied", "rcpt"},
      Usual{"tls_required", "mail"},
      Usual{"bad_credentials", "auth"},
      Usual{"auth_required", "mail"},
      Usual{"helo_rejected", "helo"},
      Usual{"ptr_missing", "connect"},
      Usual{"bulk_sender_alignment", "end_of_data"},
      Usual{"bulk_sender_dmarc_record", "end_of_data"},
      Usual{"bulk_sender_spf", "end_of_data"},
      Usual{"bulk_sender_dkim", "end_of_data"},
      Usual{"bulk_sender_authentication", "end_of_data"},
      Usual{"dmarc_reject", "end_of_data"},
      Usual{"unauthenticated_sender", "end_of_data"},
      Usual{"spf_error", "mail"},
      Usual{"spf_fail", "mail"},
      Usual{"dkim_fail", "end_of_data"},
      Usual{"auth_temporary", "auth"},
      Usual{"rate_limited", "mail"},
      Usual{"low_reputation", "connect"},
      Usual{"receiver_temporary_error", "rcpt"},
      Usual{"too_many_recipients", "rcpt"},
      Usual{"message_too_big", "end_of_data"},
      Usual{"mailbox_full", "rcpt"},
      Usual{"sender_rejected", "mail"},
      Usual{"bad_destination_domain", "rcpt"},
      Usual{"user_unknown", "rcpt"},
      Usual{"mailbox_disabled", "rcpt"},
      Usual{"malformed_message", "end_of_data"},
      Usual{"spam_content", "end_of_data"},
      Usual{"policy_blocked", "rcpt"},
      Usual{"generic_other", "rcpt"},
      Usual{"generic_addressing", "rcpt"},
      Usual{"generic_mailbox", "rcpt"},
      Usual{"generic_mail_system", "rcpt"},
      Usual{"generic_network", "connect"},
      Usual{"generic_protocol", "mail"},
      Usual{"generic_content", "end_of_data"},
      Usual{"generic_policy", "rcpt"},
  };
  for (const auto& usual : k_usual) {
    if (usual.id == diagnosis_id) {
      return usual.stage;
    }
  }
  return {};
}

namespace {

// The class (4 or 5) a fix is only about: "For 5.2.2: ...", "For a 4xx ...", "For 4.4.x, ...";
// 0 for a fix about both.
int class_of_fix(std::string_view fix) {
  for (const std::string_view prefix : {std::string_view("For a "), std::string_view("For ")}) {
    if (fix.starts_with(prefix) && fix.size() > prefix.size() + 1 &&
        (fix[prefix.size()] == '4' || fix[prefix.size()] == '5') &&
        (fix[prefix.size() + 1] == '.' || fix[prefix.size() + 1] == 'x' || fix[prefix.size() + 1] == 'X')) {
      return fix[prefix.size()] - '0';
    }
  }
  return 0;
}

// The fixes about the other class go last, so the first fix is about the reply at hand (a 5.2.2
// starts with what to do after a 5.2.2, a 4.2.2 with letting the queue retry).
void about_this_class_first(std::vector<std::string>& fixes, int cls) {
  std::stable_partition(fixes.begin(), fixes.end(), [cls](const std::string& fix) {
    const int about = class_of_fix(fix);
    return about == 0 || about == cls;
  });
}

}  // namespace

Diagnosis diagnose(const FoundReply& reply) {
  Diagnosis diagnosis = match(reply);
  about_this_class_first(diagnosis.fixes,
                         reply.code != 0 ? reply.code / 100 : (reply.enhanced ? reply.enhanced->cls : 0));
  diagnosis.stage = std::string(usual_stage(diagnosis.id));
  diagnosis.provider = provider_of(reply.text);
  return diagnosis;
}

}  // namespace maildog::explain
