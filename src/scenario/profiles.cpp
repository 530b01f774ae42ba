#include "scenario/profiles.hpp"

#include <algorithm>

namespace maildog::scenario {

namespace {

// Gmail: the sender guidelines (https://support.google.com/a/answer/81126) ask every sender for
// SPF or DKIM, valid forward and reverse DNS (PTR), TLS and RFC 5322 messages; senders of 5,000
// or more messages a day also need SPF and DKIM, a DMARC record with aligned From, and one-click
// unsubscribe. The reply texts are Gmail's, from its SMTP error reference
// (https://support.google.com/a/answer/3726730) as collected in sisimai's rhost/for-google.go.
// Gmail takes messages up to 50 MB (https://support.google.com/mail/answer/6584). It offers
// STARTTLS but still accepts plaintext, so TLS is offered, not required.
Profile gmail() {
  Profile profile;
  profile.name = "gmail";
  profile.summary =
      "Gmail: SPF or DKIM, PTR, RFC 5322, DMARC honoured; bulk: SPF and DKIM, DMARC, one-click unsubscribe";
  profile.hostname = "mx.google.com";
  profile.tls = smtp::TlsMode::starttls;
  profile.message_size = 50U * 1024 * 1024;
  profile.checks = {.spf = CheckMode::report,
                    .dkim = CheckMode::report,
                    .dmarc = CheckMode::enforce,
                    .ptr = CheckMode::require,
                    .authentication = AuthenticationFloor::spf_or_dkim,
                    .rfc5322 = CheckMode::enforce,
                    .unsubscribe = {}};
  profile.bulk_checks = {.spf = CheckMode::require,
                         .dkim = CheckMode::enforce,
                         .dmarc = CheckMode::require,
                         .ptr = {},
                         .authentication = AuthenticationFloor::spf_and_dkim,
                         .rfc5322 = {},
                         .unsubscribe = CheckMode::require};
  profile.server_replies = {
      {"unknown_user",
       "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the "
       "recipient's email address for typos or unnecessary spaces. For more information, go to "
       "https://support.google.com/mail/?p=NoSuchUser"},
      {"size",
       "552 5.3.4 Your message exceeded Google's message size limits. For more information, go to "
       "https://support.google.com/mail/?p=MaxSizeError"},
      {"too_many_recipients",
       "452 4.5.3 Your message has too many recipients. For more information regarding Google's sending limits, "
       "go to https://support.google.com/mail/?p=TooManyRecipientsError"},
      {"tls_required", "530 5.7.0 Must issue a STARTTLS command first. https://support.google.com/a/answer/3221692"},
  };
  // The sender checks' own defaults are Gmail's words (default_check_texts below); DKIM for bulk
  // senders has its own code.
  profile.bulk_check_replies = {
      {"dkim",
       "550 5.7.30 This mail has been blocked because DKIM does not pass. Gmail requires all large senders to "
       "authenticate with DKIM."},
  };
  return profile;
}

// Microsoft 365 (Exchange Online Protection) honours DMARC p=reject with 5.7.509 and words an
// unknown recipient and a relay attempt as its NDR reference says
// (https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online).
// A mailbox receives up to 36 MB by default (MaxReceiveSize,
// https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits).
// `bulk_sender` adds Outlook.com's rule for senders of over 5,000 messages a day (May 2025):
// SPF and DKIM pass and DMARC (p=none or stronger) aligns, or 550 5.7.515
// (https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90volume-senders/4399730).
Profile microsoft365() {
  Profile profile;
  profile.name = "microsoft365";
  profile.summary = "Microsoft 365: DMARC p=reject honoured (5.7.509); bulk: SPF, DKIM and DMARC or 5.7.515";
  profile.hostname = "inbox-test.mail.protection.outlook.com";
  profile.tls = smtp::TlsMode::starttls;
  profile.message_size = 36U * 1024 * 1024;
  profile.checks = {.spf = CheckMode::report,
                    .dkim = CheckMode::report,
                    .dmarc = CheckMode::enforce,
                    .ptr = {},
                    .authentication = {},
                    .rfc5322 = {},
                    .unsubscribe = {}};
  profile.bulk_checks = {.spf = CheckMode::require,
                         .dkim = CheckMode::enforce,
                         .dmarc = CheckMode::require,
                         .ptr = {},
                         .authentication = {},
                         .rfc5322 = {},
                         .unsubscribe = {}};
  profile.server_replies = {
      {"unknown_user", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"},
      {"relay", "550 5.7.64 TenantAttribution; Relay Access Denied"},
      {"size", "552 5.3.4 Message size exceeds fixed maximum message size"},
  };
  constexpr std::string_view authentication_level =
      "550 5.7.515 Access denied, sending domain {domain} doesn't meet the required authentication level.";
  profile.check_replies = {
      {"dmarc",
       "550 5.7.509 Access denied, sending domain {domain} does not pass DMARC verification and has a DMARC "
       "policy of reject."},
  };
  profile.bulk_check_replies = {
      {"spf", authentication_level},
      {"dkim", authentication_level},
      {"dmarc_missing", authentication_level},
      {"dmarc_unaligned", authentication_level},
  };
  return profile;
}

// Yahoo's sender requirements (https://senders.yahooinc.com/best-practices/) ask every sender
// for SPF or DKIM and valid forward and reverse DNS; bulk senders for SPF and DKIM, DMARC with
// aligned From, and one-click unsubscribe. Texts from its error codes page
// (https://senders.yahooinc.com/smtp-error-codes/) as collected in sisimai's
// rhost/for-yahooinc.go; Yahoo publishes no text for a missing PTR, so that refusal keeps the
// sandbox's wording.
Profile yahoo() {
  Profile profile;
  profile.name = "yahoo";
  profile.summary = "Yahoo: SPF or DKIM, PTR, DMARC honoured; bulk: SPF and DKIM, DMARC, one-click unsubscribe";
  profile.hostname = "mta5.am0.yahoodns.net";
  profile.tls = smtp::TlsMode::starttls;
  profile.checks = {.spf = CheckMode::report,
                    .dkim = CheckMode::report,
                    .dmarc = CheckMode::enforce,
                    .ptr = CheckMode::require,
                    .authentication = AuthenticationFloor::spf_or_dkim,
                    .rfc5322 = {},
                    .unsubscribe = {}};
  profile.bulk_checks = {.spf = CheckMode::require,
                         .dkim = CheckMode::enforce,
                         .dmarc = CheckMode::require,
                         .ptr = {},
                         .authentication = AuthenticationFloor::spf_and_dkim,
                         .rfc5322 = {},
                         .unsubscribe = CheckMode::require};
  profile.server_replies = {
      {"unknown_user", "554 delivery error: dd This user doesn't have a yahoo.com account ({address})"},
  };
  constexpr std::string_view policy =
      "554 5.7.9 Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes";
  profile.check_replies = {
      {"authentication",
       "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders "
       "to authenticate with either SPF or DKIM."},
      {"dmarc", policy},
  };
  profile.bulk_check_replies = {
      {"spf", policy},         {"dkim", policy}, {"dmarc_missing", policy}, {"dmarc_unaligned", policy},
      {"unsubscribe", policy},
  };
  return profile;
}

// Postfix as Debian 12 installs it (3.7), from postconf(5): no STARTTLS
// (smtpd_tls_security_level empty), message_size_limit = 10240000, smtpd_recipient_limit =
// 1000, bare LF accepted (smtpd_forbid_bare_newline = no), no sender checks, and the reject
// texts of smtpd (local_recipient_maps, reject_unauth_destination with relay_domains_reject_code
// 554) and cleanup.
Profile postfix_default() {
  Profile profile;
  profile.name = "postfix-default";
  profile.summary = "Postfix 3.7 defaults: no TLS, 10240000-byte messages, 1000 recipients, bare LF accepted";
  profile.tls = smtp::TlsMode::none;
  profile.message_size = 10240000;
  profile.recipients = 1000;
  profile.reject_bare_lf = false;
  profile.server_replies = {
      {"unknown_user", "550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"},
      {"relay", "554 5.7.1 <{address}>: Relay access denied"},
      {"size", "552 5.3.4 Message size exceeds fixed limit"},
      {"too_many_recipients", "452 4.5.3 Error: too many recipients"},
      {"tls_required", "530 5.7.0 Must issue a STARTTLS command first"},
  };
  return profile;
}

}  // namespace

// Replies as large receivers word them: Gmail's 5.7.2x family and its bulk-sender rules (its SMTP
// error reference, https://support.google.com/a/answer/3726730, as collected in sisimai's
// rhost/for-google.go), Gmail's RFC 5322 refusals
// (https://support.google.com/mail/?p=RfcMessageNonCompliant) and Spamhaus-style DNSBL text. Gmail
// and Yahoo require one-click unsubscribe of bulk senders but publish no SMTP reply for its
// absence (they filter); that wording is maildog's.
const CheckTexts& default_check_texts() {
  static const CheckTexts texts{
      .spf_failed = {550, {5, 7, 23}, "SPF validation failed: {reason}"},
      .dkim_missing = {550, {5, 7, 20}, "No passing DKIM signature found"},
      .dmarc_rejected = {550,
                         {5, 7, 26},
                         "Unauthenticated email from {domain} is not accepted due to domain's DMARC policy"},
      .ptr_missing = {550,
                      {5, 7, 25},
                      "The IP address sending this message does not have a PTR record setup, or the corresponding "
                      "forward DNS entry does not point to the sending IP"},
      .dnsbl_listed = {550, {5, 7, 1}, "Service unavailable; client [{ip}] blocked using {zone}"},
      .unauthenticated = {550,
                          {5, 7, 26},
                          "This mail has been blocked because the sender is unauthenticated. Gmail requires all "
                          "senders to authenticate with either SPF or DKIM."},
      .spf_not_passing = {550,
                          {5, 7, 27},
                          "This mail has been blocked because SPF does not pass. Gmail requires all large senders "
                          "to authenticate with SPF."},
      .dmarc_record_missing = {421,
                               {4, 7, 40},
                               "Your email has been rate limited because the sending domain doesn't have a DMARC "
                               "record, or the DMARC record doesn't specify a DMARC policy."},
      .dmarc_not_aligned = {421,
                            {4, 7, 32},
                            "Your email has been rate limited because the From: header (RFC5322) in this message "
                            "isn't aligned with either the authenticated SPF or DKIM organizational domain."},
      .rfc5322_from = {550,
                       {5, 7, 1},
                       "Messages missing a valid address in the From: header, or having no From: header, are not "
                       "accepted. See https://support.google.com/mail/?p=RfcMessageNonCompliant"},
      .rfc5322_message_id = {550,
                             {5, 7, 1},
                             "Messages missing a valid Message-ID: header are not accepted. See "
                             "https://support.google.com/mail/?p=RfcMessageNonCompliant"},
      .rfc5322_duplicate = {550,
                            {5, 7, 1},
                            "This message is not RFC 5322 compliant because it has duplicate headers. See "
                            "https://support.google.com/mail/?p=RfcMessageNonCompliant"},
      .unsubscribe_missing = {550,
                              {5, 7, 1},
                              "Bulk mail must offer one-click unsubscribe (RFC 8058): a List-Unsubscribe field with "
                              "an https URI and List-Unsubscribe-Post: List-Unsubscribe=One-Click"},
  };
  return texts;
}

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> all{gmail(), microsoft365(), yahoo(), postfix_default()};
  return all;
}

const Profile* find_profile(std::string_view name) {
  const auto& all = profiles();
  auto found = std::find_if(all.begin(), all.end(), [&](const Profile& profile) { return profile.name == name; });
  return found == all.end() ? nullptr : &*found;
}

}  // namespace maildog::scenario
