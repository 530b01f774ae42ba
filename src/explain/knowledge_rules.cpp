// The knowledge base's rules: one entry per kind of refusal, with its causes, fixes, the bundled
// scenario that reproduces it and the triggers (codes, phrases) that select it. Data, mostly.
#include "explain/knowledge_rules.hpp"

#include <charconv>

namespace maildog::explain {

namespace {

int number(std::string_view text) {
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

CodePattern code(std::string_view spec) {
  CodePattern pattern;
  const std::size_t first = spec.find('.');
  const std::size_t second = spec.find('.', first + 1);
  pattern.cls = spec[0] == '*' ? 0 : number(spec.substr(0, first));
  pattern.subject = number(spec.substr(first + 1, second - first - 1));
  const std::string_view details = spec.substr(second + 1);
  const std::size_t dash = details.find('-');
  pattern.low = number(details.substr(0, dash));
  pattern.high = dash == std::string_view::npos ? pattern.low : number(details.substr(dash + 1));
  return pattern;
}

const std::vector<Rule>& knowledge_rules() {
  static const std::vector<Rule> k_rules{
      // Vendors' own reputation systems come before the public DNSBLs: their texts say "blocked"
      // and link pages named "dnsbl-lookup", but no public list is involved.
      {"proofpoint_reputation",
       "Proofpoint refused the sending IP on its own reputation (not a public DNSBL)",
       {"The recipient's organisation filters inbound mail through Proofpoint (its MX hosts are usually "
        "*.pphosts.com or *.ppe-hosted.com), and Proofpoint's own IP reputation service refused the IP your mail "
        "leaves from.",
        "Public DNSBL lookups can show the IP clean: the listing is Proofpoint's, kept from its customers' traffic "
        "(spam or bulk mail seen from the IP or its neighbours, a new IP without history)."},
       {"Look the IP up with the Proofpoint IP reputation lookup the reply links to (support.proofpoint.com's "
        "dnsbl-lookup page, with your IP in it) and request removal there; a public DNSBL delisting does not help.",
        "Stop the cause first (a compromised account, unsolicited or purchased-list mail), or the IP is listed again.",
        "Ask the recipient's mail administrators to allow your IP or domain in their Proofpoint policy while the "
        "request is open; they see the refusal in their Proofpoint logs."},
       "",
       {{.phrases = {"proofpoint", "pphosts"}}}},

      {"mimecast_policy",
       "Mimecast refused the message by one of its customer's policies or its own reputation checks",
       {"The recipient's organisation filters inbound mail through Mimecast; a policy there refused this sender, IP "
        "or message: 'Host network not allowed' (your IP or network is not allowed by a policy), 'Envelope blocked' "
        "(a blocked senders entry), 'Rejected by header based Anti-Spoofing policy' (your From: uses the recipient's "
        "own domain), or Mimecast's own IP reputation.",
        "It is not a public DNSBL: the decision is Mimecast's and its customer's."},
       {"Open the Mimecast error-code page the reply links to (community.mimecast.com, DOC-1369, with the code as "
        "anchor): it says what that code means and who can change it.",
        "Send the full reply line and the time to the recipient's IT: their Mimecast administrators can see the "
        "refusal in message tracking and change the blocked senders, permitted networks or anti-spoofing policy.",
        "If the text names your IP's reputation, fix the cause (unsolicited mail, a compromised host) before asking "
        "for a review; a public DNSBL delisting does not change Mimecast's decision."},
       "",
       {{.phrases = {"mimecast"}, .unless = {"internal resource temporarily unavailable"}}}},

      {"dnsbl_open_resolver",
       "The receiver's DNSBL lookup failed: Spamhaus refuses queries that come through public DNS resolvers",
       {"The receiving server asks zen.spamhaus.org through a public or shared resolver (8.8.8.8, 1.1.1.1, a cloud "
        "provider's resolver); Spamhaus answers those queries with an error code that the server takes for a listing.",
        "Your IP is not necessarily listed: the refusal comes from the receiving server's DNS setup."},
       {"If you run the receiving server: resolve through a local recursive resolver (unbound, bind) that does not "
        "forward to a public one, or use Spamhaus DQS with a key; in Postfix reject only on listing answers, e.g. "
        "`reject_rbl_client zen.spamhaus.org=127.0.0.[2..11]`.",
        "If you are the sender: confirm at https://check.spamhaus.org/ that your IP is not listed, then send this "
        "bounce to the recipient's postmaster."},
       "dnsbl_listed.yaml",
       {{.phrases = {"open resolver", "returnc/pub"}}}},

      {"provider_blocklist",
       "The receiving provider has your sending IP on its own block list",
       {"Microsoft 365 / Outlook.com keeps its own list of IPs it refuses (5.7.606-649 banned sending IP, 5.7.511 "
        "banned sender, S3140/S3150 'part of their network is on our block list').",
        "The IP or its network range sent spam or had a poor reputation; on shared hosting or cloud IPs another "
        "customer may be the cause.",
        "5.7.708 from a new or trial Microsoft 365 tenant: its outbound mail leaves from a high-risk pool until the "
        "tenant has a sending reputation."},
       {"Request delisting at https://sender.office.com/ (Microsoft 365 codes) or through the Outlook.com sender "
        "support form for S3140/S3150; give the full reply line and the IP.",
        "Check the IP's reputation with Microsoft SNDS (https://sendersupport.olc.protection.outlook.com/snds/) and "
        "fix the cause first (a compromised account, an open relay, unsolicited sending).",
        "If the IP belongs to a hosting provider's shared range, send through a reputable relay or ESP instead."},
       "dnsbl_listed.yaml",
       {{.phrases = {"part of their network is on our block list", "banned sending ip", "banned sender",
                     "traffic not accepted from this ip", "on our block list", "(s3150)", "(s3140)"}},
        {.codes = {code("*.7.606-649"), code("*.7.511"), code("*.7.708")}}}},

      {"dnsbl_listed",
       "The sending IP is listed on a DNS blocklist (DNSBL)",
       {"The IP address your mail leaves from is listed on the blocklist named in the reply (Spamhaus ZEN/SBL/XBL/PBL, "
        "Barracuda BRBL, SpamCop SCBL, ...).",
        "Typical reasons: spam sent from that IP (a compromised account or host, an open relay), a shared or cloud IP "
        "with a bad history, or a dynamic/residential IP sending straight to MX servers (Spamhaus PBL)."},
       {"Look the IP up on the list's own page (https://check.spamhaus.org/, "
        "https://www.barracudacentral.org/lookups, https://www.spamcop.net/bl.shtml) and follow its delisting steps.",
        "Find and stop the source of the spam before asking for removal, or the listing comes back.",
        "Do not deliver to MX servers from residential or dynamic IPs: relay through your provider's submission "
        "server or an ESP."},
       "dnsbl_listed.yaml",
       {{.phrases = {"blocked using", "spamhaus", "barracuda", "spamcop", "dnsbl", "rbl.", " rbl ", "blacklist",
                     "blocklist", "listed at", "listed in", "listed on"}}}},

      {"greylisting",
       "Greylisted: a temporary refusal that a retry after a few minutes gets past",
       {"The receiver greylists: it refuses the first attempt from an unknown (client IP, sender, recipient) triplet "
        "with a 4xx and accepts a retry after a delay (Postgrey's default is 300 seconds).",
        "The message is lost only if the sender does not retry, or retries from a different IP each time (large "
        "sending pools), so every attempt looks new."},
       {"Treat 4xx as temporary: keep the message queued and retry after 5-15 minutes, as an MTA does; never report "
        "a greylisted message as failed or drop it.",
        "If the app speaks SMTP itself, hand mail to a local MTA or an ESP that retries.",
        "Retry from the same IP, or ask the receiver to whitelist your sending range."},
       "greylisting.yaml",
       {{.phrases = {"greylist", "graylist", "grey-list", "gray-list", "postgrey",
                     "internal resource temporarily unavailable"}},
        {.codes = {code("4.7.1")}, .phrases = {"try again later"}, .unless = {"rate", "too many", "limit"}}}},

      {"relay_denied",
       "Relaying denied: this server will not pass your mail on to that recipient's domain",
       {"The app submits to a server that is not responsible for the recipient's domain without authenticating, so "
        "the server treats it as an open-relay attempt (port 25 used instead of 587 with AUTH).",
        "The sending host is not in the server's relay permissions: Postfix mynetworks/smtpd_relay_restrictions, an "
        "Exchange receive connector, a Microsoft 365 connector, the Google Workspace SMTP relay IP list.",
        "The recipient's domain is not an accepted domain on the receiving server (Microsoft 365 5.7.54/5.7.64), or "
        "its MX points at a server that no longer hosts it."},
       {"Authenticate (AUTH, after STARTTLS, on port 587) before sending to outside recipients.",
        "Or allow the sending host explicitly: its IP in Postfix mynetworks, an Exchange receive connector, the "
        "Google Workspace SMTP relay settings, or a Microsoft 365 inbound connector.",
        "When delivering to a domain's MX: check that `dig MX domain` points at the server that hosts the domain."},
       "relaying_denied.yaml",
       {{.codes = {code("*.4.1")},
         .phrases = {"relay access denied"},
         .note = "Exchange Online Protection answers 5.4.1 when it refuses to relay; the IANA registry has X.4.1 as "
                 "'No answer from host'."},
        {.phrases = {"relay access denied", "relaying denied", "relay not permitted", "unable to relay", "relay denied",
                     "relaying not allowed", "not permitted to relay", "relay not allowed", "relaying mail to",
                     "forwarding to remote hosts", "we do not relay", "no relaying", "invalid credentials for relay",
                     "as a relay"}},
        {.codes = {code("*.7.54"), code("*.7.64")}},
        {.basic = {551}}}},

      {"tls_required",
       "The server requires TLS (STARTTLS) before this command",
       {"The client sent MAIL or AUTH over a plain connection to a server that requires encryption.",
        "The client's TLS setting is off, or it tries STARTTLS only opportunistically and went on without it.",
        "Gmail 4.7.29/5.7.29 and Microsoft 4.4.317/5.4.317: mail to them must travel over TLS."},
       {"Turn STARTTLS on in the client on port 587 (nodemailer `requireTLS: true`, Python `smtp.starttls()` before "
        "`login()`, PHPMailer `SMTPSecure = 'tls'`), or use implicit TLS on port 465.",
        "For an MTA delivering to the receiver: offer TLS (Postfix `smtp_tls_security_level = may`, or `encrypt` for "
        "that destination) and check that the handshake succeeds (`openssl s_client -starttls smtp -connect mx:25`)."},
       "",
       {{.codes = {code("*.7.29")},
         .phrases = {"tls"},
         .note = "Gmail uses x.7.29 for mail not sent over TLS; the IANA registry has X.7.29 as 'ARC validation "
                 "failure'."},
        {.phrases = {"starttls", "tls required", "requires tls", "tls is required", "encryption required",
                     "must use tls", "tls/ssl", "over a tls connection", "encryption needed"},
         .unless = {"authentication unsuccessful"}},
        {.codes = {code("*.7.10"), code("*.7.11")}},
        {.basic = {538}}}},

      {"bad_credentials",
       "Authentication failed: the server rejected the user name and password (or the way they were sent)",
       {"A wrong user name or password, or a secret that expired or was rotated without updating the app.",
        "Gmail/Google Workspace with 2-Step Verification refuses the account password over SMTP: it needs an app "
        "password or OAuth2 (534 5.7.9 'Application-specific password required', 535 5.7.8 BadCredentials).",
        "Microsoft 365 535 5.7.139/5.7.3: SMTP AUTH is disabled for the tenant or the mailbox, Security Defaults "
        "block basic authentication, or the password is wrong.",
        "The mechanism is weaker than the server allows for this user (x.7.9)."},
       {"Check the credentials the app really uses (environment variable, secret store), and sign in with the same "
        "user interactively.",
        "Gmail: create an app password (https://myaccount.google.com/apppasswords) or switch the app to XOAUTH2.",
        "Microsoft 365: enable Authenticated SMTP for the mailbox (`Set-CASMailbox -SmtpClientAuthenticationDisabled "
        "$false`) or move to OAuth2; basic authentication for SMTP AUTH is being retired.",
        "Make the app treat 535 as a configuration error that needs a person: alert, do not retry in a loop."},
       "bad_credentials.yaml",
       {{.codes = {code("*.7.3")},
         .phrases = {"authentication unsuccessful"},
         .note = "Microsoft uses 5.7.3 for a failed AUTH; the IANA registry has X.7.3 as 'Security conversion "
                 "required but not possible'."},
        {.phrases = {"username and password not accepted", "authentication unsuccessful", "invalid credentials",
                     "incorrect authentication data", "application-specific password", "badcredentials",
                     "smtpclientauthentication", "basic authentication is disabled", "invalid login",
                     "please log in with your web browser", "please log in through your web browser"}},
        {.codes = {code("*.7.8"), code("*.7.139"), code("*.7.9"), code("*.7.14")}},
        {.basic = {534, 535}}}},

      {"auth_required",
       "The server requires SMTP authentication (AUTH) before it accepts mail",
       {"The client sent MAIL FROM without AUTH to a submission server that only takes mail from authenticated users.",
        "The app has no credentials configured, or skipped AUTH because the server only offers it after STARTTLS.",
        "Microsoft 365 5.7.57: the app connects to smtp.office365.com without authenticating (or the recipient's "
        "domain refuses anonymous senders)."},
       {"Configure the SMTP user and password (or OAuth2 token) and make the app send AUTH after STARTTLS, on port 587.",
        "Microsoft 365: use SMTP AUTH client submission (smtp.office365.com:587) with a mailbox whose Authenticated "
        "SMTP is enabled, or a connector for a device that cannot authenticate."},
       "auth_required.yaml",
       {{.phrases = {"authentication required", "authentication is required", "not authenticated", "must authenticate",
                     "requires authentication", "auth required", "unauthenticated senders not allowed",
                     "requires authentication when attempting to send"}},
        {.codes = {code("*.7.57")}},
        {.basic = {530}}}},

      {"helo_rejected",
       "The receiver refused the client's HELO/EHLO name",
       {"The name the client gave in HELO/EHLO is not a fully-qualified domain name (a bare host name, 'localhost', "
        "a Windows machine name), or it does not resolve in DNS (Postfix `reject_invalid_helo_hostname`, "
        "`reject_non_fqdn_helo_hostname`, `reject_unknown_helo_hostname`).",
        "A HELO access rule refused that name (Postfix `check_helo_access`: 'Helo command rejected: match ...').",
        "Postfix says it at RCPT (smtpd_delay_reject), though the cause is the HELO."},
       {"Make the client send its own fully-qualified name in EHLO: one with an A (and AAAA) record pointing at the "
        "sending IP, ideally the name the IP's PTR record gives (Postfix `smtp_helo_name`, nodemailer `name`, "
        "Python `smtplib.SMTP(local_hostname=...)`, PHPMailer `Helo`).",
        "Never announce the receiver's own domain or a name you do not own."},
       "",
       {{.phrases = {"helo command rejected", "invalid helo", "bad helo", "helo name", "ehlo name", "hello rejected",
                     "fully-qualified hostname"}}}},

      {"ptr_missing",
       "The sending IP has no valid reverse DNS (PTR) record",
       {"The sending IP has no PTR record, or the name in it does not resolve back to the same IP (forward-confirmed "
        "reverse DNS fails).",
        "The mail went out over IPv6 and only the IPv4 address has a PTR record.",
        "Postfix `reject_unknown_client_hostname`: a temporary DNS failure gives 450 4.7.25 instead of 550."},
       {"Ask whoever owns the IP (the hosting or cloud provider, not the domain registrar) to set PTR YOUR.IP -> "
        "mail.yourdomain.example.",
        "Publish mail.yourdomain.example A (and AAAA) -> YOUR.IP so the PTR forward-confirms, and use that name in "
        "HELO/EHLO.",
        "If IPv6 has no PTR, add one or make the MTA send over IPv4 (Postfix `inet_protocols = ipv4`)."},
       "missing_ptr.yaml",
       {{.codes = {code("*.7.23")},
         .phrases = {"ptr record"},
         .note =
             "Gmail uses 4.7.23 for a missing PTR record; the IANA registry has X.7.23 as 'SPF validation failed'."},
        {.phrases = {"ptr record", "reverse dns", "cannot find your hostname", "cannot find your reverse hostname",
                     "reverse hostname", "rdns"}},
        {.codes = {code("*.7.25")}}}},

      {"bulk_sender_alignment",
       "Gmail bulk-sender rule: the From: domain is not aligned with the SPF or DKIM domain",
       {"Gmail requires bulk senders (about 5,000+ messages a day to Gmail) to pass DMARC alignment: the From: "
        "domain must match the domain that passed SPF (the envelope/Return-Path domain) or DKIM (the d= domain).",
        "An ESP signs with its own d= domain and uses its own bounce domain, so both pass but neither aligns."},
       {"Sign with DKIM `d=` equal to the From: domain (or its organisational domain), e.g. by adding the ESP's "
        "DKIM CNAME records for your domain.",
        "Or use a custom Return-Path (bounce) subdomain of your From: domain that the ESP's IPs pass SPF for."},
       "from_change_breaks_alignment.yaml",
       {{.phrases = {"aligned with either the authenticated spf or dkim", "isn't aligned", "not aligned"}},
        {.codes = {code("*.7.32")}, .note = "x.7.32 is Gmail's own code (not in the IANA registry)."}}},

      {"bulk_sender_dmarc_record",
       "Gmail bulk-sender rule: the sending domain has no DMARC record (or no DMARC policy)",
       {"Gmail requires bulk senders to publish a DMARC record with a policy (p=none is enough) at _dmarc.DOMAIN."},
       {"Publish `_dmarc.yourdomain.example TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@yourdomain.example\"` "
        "and move to quarantine/reject once the reports show every source passes."},
       "",
       {{.phrases = {"add a dmarc record", "doesn't have a dmarc record", "does not have a dmarc record"}},
        {.codes = {code("*.7.40")}, .note = "x.7.40 is Gmail's own code (not in the IANA registry)."}}},

      {"bulk_sender_spf",
       "Gmail bulk-sender rule: SPF did not pass",
       {"Gmail requires bulk senders to pass SPF for the envelope sender (Return-Path) domain; the sending IP is not "
        "in that domain's SPF record, or the record is missing or broken."},
       {"Publish `v=spf1 ip4:YOUR.IP include:your-esp.example -all` at the envelope sender's domain (one record, at "
        "most 10 DNS lookups).",
        "Check a delivered copy's Authentication-Results (or run `maildog-ci check`) to see the domain and IP SPF used."},
       "spf_fail.yaml",
       {{.codes = {code("*.7.27")},
         .phrases = {"spf"},
         .note = "Gmail uses x.7.27 for SPF failures of bulk senders; the IANA registry has X.7.27 as "
                 "'Sender address has null MX'."}}},

      {"bulk_sender_dkim",
       "Gmail bulk-sender rule: DKIM did not pass",
       {"Gmail requires bulk senders to sign with DKIM; the message was not signed, or the signature did not verify "
        "(key not published at the selector, key rotated, message changed after signing)."},
       {"Sign every message with DKIM `d=` equal to the From: domain (RSA 2048 or Ed25519) and publish the key at "
        "SELECTOR._domainkey.DOMAIN (`maildog-ci keygen` prints the record).",
        "Sign as the last step, after footers, link tracking and header rewrites."},
       "dkim_required.yaml",
       {{.codes = {code("*.7.30")},
         .phrases = {"dkim"},
         .note = "Gmail uses x.7.30 for DKIM failures of bulk senders; the IANA registry has X.7.30 as "
                 "'REQUIRETLS support required'."}}},

      {"bulk_sender_authentication",
       "Outlook.com high-volume sender rule: the domain does not meet the required authentication level",
       {"Outlook.com requires domains sending more than 5,000 messages a day to pass SPF and DKIM and publish DMARC "
        "(at least p=none) aligned with one of them; this message missed at least one (the reply lists Spf=, Dkim=, "
        "DMARC= results)."},
       {"Make SPF pass for the envelope domain, sign with DKIM for the From: domain, and publish a DMARC record.",
        "Use the Spf= / Dkim= / DMARC= results in the reply to see which one failed."},
       "dmarc_reject.yaml",
       {{.phrases = {"required authentication level"}}, {.codes = {code("*.7.515")}}}},

      {"dmarc_reject",
       "DMARC failed: neither SPF nor DKIM passed aligned with the From: domain, and its policy says reject",
       {"The From: domain publishes a DMARC policy of reject (or quarantine), and the message had no aligned pass: "
        "SPF failed or passed only for another (envelope) domain, and DKIM was missing, broken, or signed with "
        "another d= domain.",
        "A third-party service (ESP, CRM, helpdesk) sends with your From: domain but its own envelope and DKIM domain.",
        "Forwarding or a mailing list changed the message (breaking DKIM) and the sending IP (breaking SPF).",
        "Someone spoofs your domain: then the rejection is DMARC working as intended."},
       {"Sign with DKIM `d=` equal to the From: domain (relaxed alignment also accepts a subdomain) and publish the "
        "key at SELECTOR._domainkey.DOMAIN.",
        "Publish `v=spf1 ip4:YOUR.IP ... -all` at the envelope sender's domain, and make that domain the From: "
        "domain or a subdomain of it.",
        "Read a real message's Authentication-Results header, or run `maildog-ci check msg.eml --client-ip ...`, to "
        "see which check failed and for which domain.",
        "Roll DMARC out at p=none with rua= reports to find every legitimate source before p=reject."},
       "dmarc_reject.yaml",
       {{.phrases = {"dmarc", "domain owner policy"}},
        {.codes = {code("*.7.9")},
         .phrases = {"policy reasons"},
         .note = "Yahoo uses x.7.9 for messages that fail its authentication (DMARC) checks; the IANA registry has "
                 "X.7.9 as 'Authentication mechanism is too weak' (an AUTH reply)."},
        {.codes = {code("*.7.26"), code("*.7.509")}}}},

      {"unauthenticated_sender",
       "Unauthenticated sender: neither SPF nor DKIM passed for this message",
       {"The envelope domain has no SPF record or does not list the sending IP, and the message is not DKIM-signed "
        "(or the signature fails).",
        "Since 2024 Gmail and Yahoo refuse mail that passes neither SPF nor DKIM, whatever the DMARC policy; "
        "Microsoft requires SPF or DKIM for mail over IPv6."},
       {"Publish `v=spf1 ip4:YOUR.IP ... -all` at the envelope sender's domain.",
        "Sign with DKIM `d=` equal to the From: domain (`maildog-ci keygen` makes a key and its DNS record).",
        "Check the Authentication-Results of a delivered copy, or run `maildog-ci check`."},
       "profile_gmail_unauthenticated.yaml",
       {{.codes = {code("*.7.9")},
         .phrases = {"sender is unauthenticated"},
         .note = "Yahoo uses x.7.9 for unauthenticated mail; the IANA registry has X.7.9 as 'Authentication mechanism "
                 "is too weak' (an AUTH reply)."},
        {.phrases = {"sender is unauthenticated", "authenticate with either spf or dkim",
                     "does not have authentication information", "fails to pass authentication checks",
                     "must pass either spf or dkim", "unauthenticated email", "unauthenticated mail",
                     "because it is unauthenticated"}}}},

      {"spf_error",
       "SPF could not be evaluated: the SPF record is broken or its DNS lookups failed",
       {"The SPF record has a syntax error, there are two v=spf1 records, or evaluating it needs more than 10 DNS "
        "lookups (permerror).",
        "A DNS lookup for the record or an include timed out (temperror: temporary)."},
       {"Keep exactly one TXT record starting `v=spf1` at the domain, with at most 10 DNS-querying terms (include, a, "
        "mx, ptr, exists, redirect); flatten or drop unused includes.",
        "Check every include: target exists and answers; fix a temperror at the DNS servers of the domain."},
       "",
       {{.phrases = {"spf record of the sending domain", "spf&permerror", "spf&temperror", "too many dns lookups",
                     "spf&permanent error", "spf&temporary error"}},
        {.codes = {code("*.7.24")}}}},

      {"spf_fail",
       "SPF failed: the sending IP is not allowed to send for the envelope sender's domain",
       {"The IP the mail came from is not in the SPF record of the MAIL FROM (Return-Path) domain, and the record ends "
        "in -all (hard fail).",
        "A new server, cloud IP or ESP sends for the domain and was not added to its SPF record.",
        "Forwarding: a forwarder resends with your envelope domain from its own IP (it should use SRS)."},
       {"Publish `v=spf1 ip4:YOUR.IP include:your-esp.example -all` at the envelope sender's domain (one record, at "
        "most 10 DNS lookups).",
        "Or send with an envelope domain whose SPF covers the IP (the ESP's bounce domain) and rely on aligned DKIM "
        "for DMARC.",
        "Check it with `maildog-ci check msg.eml --client-ip YOUR.IP --helo HOST --mail-from SENDER`."},
       "spf_fail.yaml",
       {{.phrases = {"hard fail policy", "sender policy framework", "spf check", "spf validation failed", "spf&fail",
                     "spf&not pass", "spf&did not pass", "spf&not designated", "spf&not authorized",
                     "spf&not permitted", "spf&not allowed to send"}},
        {.codes = {code("*.7.23")}}}},

      {"dkim_fail",
       "DKIM failed: no valid (or no acceptable) DKIM signature",
       {"The message is not DKIM-signed (x.7.20), or the signature does not verify: the key is not published at "
        "SELECTOR._domainkey.DOMAIN, it was rotated, or the message was changed after signing (footer, link "
        "rewriting, a From: change).",
        "The signature verifies but the receiver does not accept it (x.7.21): an RSA key under 1024 bits, SHA-1, or a "
        "d= domain it does not trust.",
        "No valid signature has a d= domain matching the From: address (x.7.22, author-matched)."},
       {"Sign with DKIM `d=` equal to the From: domain, `a=rsa-sha256` with a 2048-bit key (or Ed25519 alongside "
        "RSA), and publish the public key (`maildog-ci keygen` prints the TXT record).",
        "Sign last, after every change to the message (footers, tracking, header rewrites).",
        "Look at the DKIM-Signature and Authentication-Results headers of a delivered copy.",
        "A signature broken by a change after signing is reproduced by scenarios/from_change_breaks_alignment.yaml."},
       "dkim_required.yaml",
       {{.phrases = {"dkim&fail", "dkim&not pass", "dkim&did not pass", "dkim&no valid", "dkim&invalid",
                     "no passing dkim", "dkim signature", "body hash did not verify"}},
        {.codes = {code("*.7.20-22")}}}},

      {"auth_temporary",
       "Authentication could not be completed for a temporary reason on the server side",
       {"The server's authentication backend (a SASL daemon, LDAP, a database) failed or timed out; a wrong password "
        "would be 535, not 454.",
        "Too many failed logins from your IP: some servers answer 454 4.7.0 while they throttle logins (Gmail 'Too many "
        "login attempts')."},
       {"Retry later with backoff; the same credentials may work then.",
        "If it persists and you run the server: check the authentication service's logs (e.g. the Dovecot SASL socket "
        "behind Postfix).",
        "Make sure the app does not loop on failed logins, which keeps the throttle on."},
       "",
       {{.basic = {454}, .phrases = {"authenticat", "login attempts"}}}},

      {"rate_limited",
       "Rate limited or deferred for reputation: the receiver takes less mail from you for now",
       {"Volume from your IP or domain rose faster than its reputation allows, or recipients marked your mail as spam "
        "(Gmail 4.7.28 'unusual rate of unsolicited mail', Yahoo [TSS04] 'unexpected volume or user complaints').",
        "Too many connections, or too many messages per connection or per minute, for this receiver.",
        "One recipient is getting too much mail (Gmail 4.2.1 'receiving mail too quickly').",
        "A daily sending quota of the submission service was reached (Google Workspace 'daily user sending limit')."},
       {"Let the MTA retry with backoff (minutes, not seconds); a 4xx is delivered later if you slow down.",
        "Lower the concurrency and messages per connection for this provider, and ramp volume up gradually on new IPs "
        "and domains.",
        "Cut complaints: mail only opted-in recipients, honour unsubscribes (RFC 8058 one-click), drop bounced "
        "addresses.",
        "Watch the reputation dashboards: Google Postmaster Tools, Yahoo Sender Hub, Microsoft SNDS."},
       "rate_limited.yaml",
       {{.phrases = {"unusual rate", "rate limit", "temporarily deferred", "receiving mail too quickly",
                     "receiving email too quickly", "receiving mail at a rate", "receiving email at a rate",
                     "too many messages", "sending limit exceeded", "sending quota exceeded", "relay limit exceeded",
                     "[tss0", "[ts0", "throttl", "too many connections", "too many open connections",
                     "unexpected volume"}},
        {.codes = {code("*.7.28"), code("4.7.500-699")}},
        {.codes = {code("4.7.0"), code("4.7.1")},
         .unless = {"authentication", "tls"},
         .note = "A 4.7.0 or 4.7.1 with no telling text is most often a rate limit or reputation deferral; greylisting "
                 "also answers this way (a retry after 5-15 minutes tells them apart)."}}},

      {"low_reputation",
       "Refused because of the sending IP's or domain's low reputation",
       {"The receiver's reputation system rates the sending IP or domain poorly: past spam, complaints, a new IP "
        "without history, or neighbours in the same range."},
       {"Check the reputation dashboards (Google Postmaster Tools, Microsoft SNDS, Yahoo Sender Hub) and DNSBLs.",
        "Send only wanted mail, authenticate it fully (SPF, DKIM, DMARC), and warm new IPs up slowly."},
       "",
       {{.phrases = {"low reputation", "poor reputation", "bad reputation", "reputation of the sending"}}}},

      {"receiver_temporary_error",
       "The receiving server had a temporary problem of its own (Postfix 451 4.3.0: a failed lookup, milter, policy "
       "service or content filter, or a configuration error)",
       {"'Temporary lookup failure': Postfix could not query a table it needs for this recipient or sender (a "
        "mysql:, pgsql:, ldap: or proxy: map behind virtual_mailbox_maps or a check_*_access restriction), or a DNS "
        "lookup for a reject_unknown_* restriction timed out.",
        "'Error: queue file write error': the cleanup daemon could not store the message: the queue's disk is full "
        "(queue_minfree), or a milter or before-queue content filter failed or timed out while it was written.",
        "'Server configuration error' (4.3.0) or 'Server configuration problem' (4.3.5): a restriction, map or policy "
        "service named in main.cf is missing, mistyped or not answering (a check_policy_service socket such as "
        "postgrey's or a policyd's).",
        "The problem is the receiving server's, not your message's: the same message goes through once it is fixed."},
       {"As the sender: keep the message queued and retry with backoff, a 4xx is not a bounce; if it lasts for hours, "
        "send the full reply line and its time to the recipient's postmaster.",
        "If you run the Postfix server: find the 'warning:' or 'fatal:' line logged at the same time; it names the "
        "map, milter, filter or parameter at fault.",
        "Lookup failures: test the map with `postmap -q ADDRESS mysql:/etc/postfix/MAP.cf` and check the database or "
        "LDAP server behind it.",
        "Queue file write errors: check free space on the queue directory (`df`), message_size_limit against "
        "queue_minfree, and the milter's or filter's own log (`milter_default_action` decides what a failed milter "
        "does).",
        "Configuration errors: run `postfix check` and test that every check_policy_service socket answers."},
       "",
       {{.phrases = {"temporary lookup failure", "queue file write error", "server configuration error",
                     "server configuration problem", "temporary local problem", "local configuration error"}},
        {.codes = {code("4.3.0"), code("4.3.5")}}}},

      {"too_many_recipients",
       "Too many recipients in one transaction",
       {"The transaction has more RCPT TO than the server accepts (Postfix `smtpd_recipient_limit` is 1000 by default; "
        "big providers allow a few hundred per message).",
        "With 452 4.5.3 the server wants the remaining recipients sent in another transaction (RFC 5321 4.5.3.1.10)."},
       {"Split the recipients into batches under the limit, and after a 452 send the rest in a new transaction.",
        "Keep the recipients already accepted: a 452 for one RCPT does not cancel the earlier ones.",
        "Send bulk mail through a list manager or an ESP instead of one message with hundreds of RCPT TO."},
       "",
       {{.phrases = {"too many recipients", "recipient limit", "domain policy size per transaction"}},
        {.codes = {code("*.5.3")}}}},

      {"message_too_big",
       "The message is larger than the receiver accepts",
       {"The message, with attachments and their base64 encoding (about +37%), exceeds the server's limit (the SIZE "
        "in its EHLO reply) or a per-mailbox limit (x.2.3).",
        "Gmail allows 25 MB including encoding; Microsoft 365 defaults to 35 MB; many servers take 10-20 MB.",
        "Too many attachments, or an oversized header (Gmail's 5.3.4 variants)."},
       {"Read SIZE from the server's EHLO reply and send `MAIL FROM:<...> SIZE=n` so it refuses before the upload.",
        "Send big files as links, or compress and resize them.",
        "Do not retry the same message: a 552 5.3.4 fails again."},
       "message_too_big.yaml",
       {{.phrases = {"message size exceeds", "message too big", "message too large", "message is too large",
                     "too large for", "exceeds the maximum", "size limit", "message size limit",
                     "exceeded google's message", "recipsizelimit", "exceeds fixed maximum message size"},
         .unless = {"mailbox size limit"}},
        {.codes = {code("*.3.4"), code("*.2.3"), code("*.7.16")}}}},

      {"mailbox_full",
       "The recipient's mailbox is full",
       {"The recipient has used up their storage quota.",
        "An abandoned mailbox that still receives mail (Gmail: 'out of storage space and inactive')."},
       {"For 5.2.2: the receiver refused for good because the mailbox is over its quota; tell the recipient another "
        "way, and stop mailing the address until they have freed space (retrying the same message fails again).",
        "For 4.2.2: nothing to fix on your side; keep the message queued, it is delivered once the recipient frees "
        "space.",
        "A 4.2.2 that lasts for days is as good as a 5.2.2: reach the recipient another way."},
       "",
       {{.phrases = {"mailbox full", "mailbox is full", "over quota", "quota exceeded", "out of storage space",
                     "exceeded storage", "storage quota", "insufficient storage", "mailbox size limit"}},
        {.codes = {code("*.2.2")}}}},

      {"sender_rejected",
       "The sender (MAIL FROM) address was refused",
       {"The envelope sender's domain does not exist or has no MX/A record (x.1.8, Postfix "
        "`reject_unknown_sender_domain`), or it publishes a null MX (x.7.27).",
        "Sender verification (Exim 'Sender verify failed', Postfix `reject_unverified_sender`) could not confirm the "
        "address exists.",
        "The authenticated user may not send as this address (Postfix `reject_sender_login_mismatch` 'not owned by "
        "user', Exchange 'Client does not have permissions to send as this sender', an ESP's unverified sender "
        "identity).",
        "The sender address is not syntactically valid (x.1.7)."},
       {"Send with a MAIL FROM address that exists, at a domain with working MX records, that accepts bounces.",
        "Use the address of the account you authenticate as, or grant that account 'Send As' / verify the sender "
        "identity at your ESP.",
        "Never use an unregistered domain, or no-reply@ at a domain without MX, as the envelope sender."},
       "sender_rejected.yaml",
       {{.phrases = {"sender address rejected", "sender verify failed", "sender rejected", "domain of sender address",
                     "invalid sender", "sender address is not", "not a valid rfc 5321 address", "not owned by user",
                     "verified sender identity", "send as this sender", "sendasdenied", "no identity changes permitted",
                     "sender domain must", "unverified sender"}},
        {.codes = {code("*.1.7"), code("*.1.8")}},
        {.codes = {code("*.1.0")}, .unless = {"recipient"}},
        {.codes = {code("*.7.27")}}}},

      {"bad_destination_domain",
       "The recipient's domain cannot receive mail (no such domain, no MX, or a null MX)",
       {"A typo in the domain part of the address (gmial.com).", "The domain expired, or has no MX or A record.",
        "The domain publishes a null MX (`MX 0 .`, RFC 7505): it accepts no mail at all.",
        "A DNS failure on the sending side (x.4.4 with class 4: temporary)."},
       {"Check the domain: `dig MX domain` and `dig A domain`.",
        "Correct the address, or stop mailing addresses whose domain has no mail service.",
        "For a 4.4.x, let the queue retry: DNS trouble is often temporary."},
       "",
       {{.phrases = {"nonexistentdomain", "nonexistent domain", "non-existent domain", "domain not found",
                     "host not found", "host or domain name not found", "domain does not exist", "no such domain",
                     "unrouteable address", "unroutable address", "null mx", "no mx record", "bad destination system",
                     "mail for this domain"},
         .unless = {"sender address"}},
        {.codes = {code("*.1.2"), code("*.4.4"), code("*.1.10")}},
        {.basic = {556}}}},

      {"user_unknown",
       "The recipient address does not exist",
       {"A typo in the address, or an address that was deleted, renamed or never existed.",
        "A stale address in a list or CRM; a former employee's mailbox.",
        "The receiving side's directory is wrong: Postfix 'User unknown in local recipient table' when the domain "
        "should be virtual; Microsoft 365 Directory-Based Edge Blocking ('550 5.4.1 Recipient address rejected: "
        "Access denied') for an address missing from the tenant."},
       {"Check the exact address the server refused (it is usually in the reply) for typos.",
        "Treat it as a hard bounce: mark the address undeliverable and stop sending to it; never retry a 5.1.1.",
        "Make one refused recipient not abort the others in the same message (scenarios/partial_failure.yaml).",
        "If you run the receiving server: add the mailbox or alias; for Postfix check mydestination against "
        "virtual_mailbox_domains."},
       "user_unknown.yaml",
       {{.codes = {code("*.1.10")},
         .phrases = {"recipientnotfound", "recipient not found"},
         .note = "Microsoft 365 uses 5.1.10 for an unknown recipient; the IANA registry has X.1.10 as 'Recipient "
                 "address has null MX'."},
        {.codes = {code("*.4.1")},
         .phrases = {"recipient address rejected: access denied"},
         .note =
             "Microsoft 365 answers 5.4.1 'Recipient address rejected: Access denied' for an address its tenant "
             "does not have (Directory-Based Edge Blocking); the IANA registry has X.4.1 as 'No answer from host'."},
        {.phrases = {"user unknown", "unknown user", "does not exist", "no such user", "recipnotfound",
                     "recipientnotfound", "recipient not found", "mailbox not found", "invalid recipient",
                     "unknown recipient", "no such recipient", "user not found",
                     "recipient address rejected: access denied", "doesn't have a", "no mailbox here",
                     "address rejected: undeliverable address", "badrcptto", "mailbox unavailable&not found"},
         .unless = {"domain does not exist"}},
        {.codes = {code("*.1.1"), code("*.1.6")}}}},

      {"mailbox_disabled",
       "The recipient's mailbox exists but is disabled",
       {"The account was suspended, deactivated or has been inactive for a long time.",
        "The person left the organisation; the mailbox is kept but closed to new mail."},
       {"For 5.2.1: treat it as a hard bounce; stop mailing the address and reach the person another way.",
        "For 4.2.1: the block is temporary; let the queue retry."},
       "",
       {{.phrases = {"is disabled", "is inactive", "mailbox disabled", "account disabled", "has been disabled",
                     "has been suspended", "is suspended", "no longer valid", "no longer active"}},
        {.codes = {code("*.2.1")}}}},

      {"malformed_message",
       "The message is malformed (it breaks RFC 5322 or RFC 5321 formatting rules)",
       {"A missing or duplicated header (From:, Date:, Message-ID:), several addresses in From:, or invalid syntax "
        "in a header.",
        "Bare LF line endings instead of CRLF (RFC 5321 2.3.8), which receivers refuse since the SMTP smuggling fixes.",
        "Raw non-ASCII bytes in headers without RFC 2047 encoding or SMTPUTF8."},
       {"Exactly one From: header with one address, plus Date: and Message-ID:.",
        "CRLF line endings everywhere, no bare LF or CR.",
        "Build the message with a MIME library rather than by string concatenation; `maildog-ci check` and a "
        "scenario's `expect.lint` show these problems."},
       "profile_gmail_missing_message_id.yaml",
       {{.phrases = {"rfc 5322", "rfc5322", "multiple addresses in from", "missing a valid", "header is missing",
                     "bare lf", "bare line feed", "bare <lf>", "invalid characters", "malformed", "duplicate headers",
                     "headers are not rfc compliant", "encoded-word syntax", "not rfc compliant", "header error"}},
        {.codes = {code("*.6.11")}}}},

      {"spam_content",
       "Refused as spam, or for its content",
       {"The receiver's filter scored this message (content, links, attachments, sending history) as unsolicited.",
        "Links in the message, or the link-tracking domain, have a bad reputation.",
        "Recipients marked similar mail as spam."},
       {"Mail only recipients who asked for it, and drop addresses that never engage.",
        "Authenticate fully (SPF, DKIM and DMARC aligned): unauthenticated mail is filtered harder.",
        "Avoid URL shorteners and shared tracking domains; keep the HTML and text parts consistent; no executable "
        "attachments.",
        "Check the receiver's guidelines (Gmail: https://support.google.com/mail/answer/81126)."},
       "",
       {{.phrases = {"spam", "unsolicited", "content rejected", "junk", "nature of the content",
                     "content presents a potential security issue", "illegal attachment", "virus", "malware"}}}},

      {"policy_blocked",
       "Refused by the receiver's policy (delivery not authorized)",
       {"A local rule on the receiving side refuses this sender, client IP, recipient or content: access lists, "
        "transport rules, Google Workspace or Microsoft 365 admin policies (Gmail adds 'gcdp' for custom rules).",
        "The recipient only takes mail from certain senders (a restricted group or list).",
        "A reputation or anti-abuse system that gives no specific reason."},
       {"Read the text after the code: it often names the rule or the list.",
        "Ask the recipient's postmaster which policy matched; give them the full reply line, the time and your "
        "sending IP.",
        "Rule out the usual causes: the sending IP on a DNSBL, SPF/DKIM/DMARC (`maildog-ci check`), reverse DNS."},
       "",
       {{.phrases = {"access denied", "administrative prohibition", "policy", "not authorized", "prohibited", "blocked",
                     "denied", "has been rejected", "not in whitelist", "rejected by"},
         .common_words = true},
        {.codes = {code("*.7.1"), code("*.7.2"), code("5.7.0")}}}},
  };
  return k_rules;
}

}  // namespace maildog::explain
