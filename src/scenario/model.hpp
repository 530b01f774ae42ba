// A scenario as the runner and the expectation evaluator see it: plain values built by the
// loader from one YAML document (schemas/scenario.schema.json), with source lines for reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "reply/reply.hpp"
#include "rules/text_match.hpp"
#include "scenario/check_modes.hpp"
#include "scenario/service.hpp"
#include "smtp/certificate_authority.hpp"
#include "smtp/server_config.hpp"

namespace maildog::scenario {

// `dns:` — hermetic records for the sender checks, kept as written for the dns module.
struct DnsSpec {
  bool live = false;  // `dns: live`: use the real resolver; `records` is then empty
  // name as written -> record type ("A", "AAAA", "CNAME", "MX", "NS", "PTR", "TXT") -> values
  std::map<std::string, std::map<std::string, std::vector<std::string>>> records;
};

// `server.peer` — who the sandbox judges the client to be.
struct PeerSpec {
  std::string ip;                   // client IP address the checks see
  std::optional<std::string> helo;  // HELO name the checks use instead of the one sent
};

// `server.checks` — sender authentication checks, with a profile's modes filled in for what the
// scenario leaves out (scenario/check_modes.hpp: each mode parsed once by the builder).
struct ChecksSpec {
  CheckMode spf = CheckMode::off;    // off | report | enforce | require
  CheckMode dkim = CheckMode::off;   // off | report | enforce
  CheckMode dmarc = CheckMode::off;  // off | report | enforce | require
  CheckMode ptr = CheckMode::off;    // require | off
  std::vector<std::string> dnsbl;    // DNSBL zones to query for the peer IP
  // "spf", "dkim", "dmarc", "dmarc_missing", "dmarc_unaligned", "ptr", "dnsbl", "authentication",
  // "rfc5322", "unsubscribe" -> its refusal
  std::map<std::string, smtp::Reply> replies;
  AuthenticationFloor authentication = AuthenticationFloor::off;
  CheckMode rfc5322 = CheckMode::off;      // off | enforce
  CheckMode unsubscribe = CheckMode::off;  // off | require

  // Whether any check is on (a mode other than off, or a DNSBL zone).
  bool any_on() const {
    return spf != CheckMode::off || dkim != CheckMode::off || dmarc != CheckMode::off || ptr != CheckMode::off ||
           authentication != AuthenticationFloor::off || rfc5322 != CheckMode::off || unsubscribe != CheckMode::off ||
           !dnsbl.empty();
  }
};

// The parts of `server:` that smtp::ServerConfig does not hold, for the rules and auth modules.
struct ServerExtras {
  std::optional<std::string> profile;  // provider preset name, e.g. "gmail" (scenario/profiles.hpp)
  bool bulk_sender = false;            // the profile's bulk-sender rules apply too
  std::optional<PeerSpec> peer;
  ChecksSpec checks;
  bool seed_written = false;  // `server.seed` is in the file: a run's --seed leaves it alone
  // `server.tls.certificate`: what the sandbox presents when it makes its own certificate.
  smtp::CertificateKind certificate = smtp::CertificateKind::trusted;
};

struct ThenStep;

// `app:` — the program under test. Strings may hold {{smtp.*}} / {{scenario.dir}} templates.
struct AppSpec {
  std::vector<std::string> argv;           // `run` as a list: program and arguments (empty when `shell` is set)
  std::optional<std::string> shell;        // `run` as a string: a command for /bin/sh -c
  std::map<std::string, std::string> env;  // extra environment (numbers and booleans as text)
  std::optional<std::chrono::milliseconds> timeout;  // kill the process group after this
  std::optional<std::string> cwd;                    // as written; relative to Scenario::dir; absent: Scenario::dir
  std::size_t line = 0;                              // line of the `app:` key
  std::vector<ThenStep> then;                        // `app.then`: steps after the app exited, in order
};

// `client.target` — where a scripted client connects.
struct Target {
  bool sandbox = true;               // no `host`: the scenario's own sandbox
  std::string host;                  // set when !sandbox
  std::uint16_t port = 0;            // set when !sandbox
  std::string port_template;         // `port: "{{port.mx}}"` (a service's port): the runner sets `port` from it
  std::optional<smtp::TlsMode> tls;  // none | starttls | implicit; absent: the sandbox's implicit TLS, else none
};

// `expect:` of a client step — every present field must hold for the reply.
struct StepExpect {
  std::optional<int> code;
  std::optional<smtp::EnhancedCode> enhanced;
  std::optional<rules::TextMatch> text;  // against Reply::text() (lines joined by "\n")
};

struct AuthStep {
  smtp::AuthMechanism mechanism = smtp::AuthMechanism::plain;
  std::string user;      // may hold {{smtp.user}}
  std::string password;  // may hold {{smtp.password}}
};

// One step of a scripted conversation: an action and/or an expectation on the reply it reads.
struct ClientStep {
  enum class Kind {
    expect_only,  // send nothing; read the next reply (e.g. the greeting) and check `expect`
    send,         // send `text` as a command line (CRLF added)
    starttls,     // send STARTTLS; on 220 start the TLS handshake
    auth,         // AUTH with `auth`
    data,         // DATA, expect 354, send `text` dot-stuffed + CRLF.CRLF; `expect` is for the final reply
    connect,      // open a new connection (closing any open one)
    quit,         // send QUIT, read the reply, close
  };
  Kind kind = Kind::expect_only;
  std::string text;                  // send: the line; data: the message body
  std::optional<AuthStep> auth;      // set for Kind::auth
  std::optional<StepExpect> expect;  // absent: the reply is read but not checked
  std::size_t line = 0;              // line of the step
};

// `client:` — a scripted SMTP conversation.
struct ClientSpec {
  Target target;
  std::vector<ClientStep> steps;
  std::size_t line = 0;  // line of the `client:` key
};

// `expect.app.stdout` / `stderr`: every present check must hold.
struct OutputExpect {
  std::vector<std::string> contains;      // substrings that must appear
  std::vector<std::string> not_contains;  // substrings that must not appear
  std::optional<rules::TextMatch> regex;  // a regex (Kind::regex) that must find a match
};

// `expect.app`
// Without `exit`, `timed_out` or `signal` the app must exit 0 within its timeout: an app that
// hangs, dies of a signal or exits non-zero fails the scenario unless these name that outcome.
struct AppExpect {
  std::optional<int> exit;        // exit status 0..255
  bool exit_any = false;          // `exit: any`: every exit status passes (a timeout or a signal still fails)
  std::optional<bool> timed_out;  // true: the app must run into its timeout and be killed by the runner
  std::optional<int> signal;      // the signal number the app must die of (not the runner's kill at timeout)
  std::optional<OutputExpect> stdout_expect;
  std::optional<OutputExpect> stderr_expect;
  std::size_t line = 0;
};

// `expect.replies[]` — replies the sandbox (or a client.target server) sent to a command, or
// to any command when none is named. No count/min/max: at least one.
struct ReplyExpect {
  std::string command;  // upper case: "CONNECT" (greeting), "EHLO", "MAIL", "RCPT", "DATA", "END_OF_DATA", ...;
                        // empty: any command
  std::optional<rules::TextMatch> arg;  // the command's argument (MAIL/RCPT: address without brackets)
  std::optional<int> code;
  std::optional<smtp::EnhancedCode> enhanced;
  std::optional<rules::TextMatch> text;             // against Reply::text()
  std::optional<std::size_t> count;                 // exactly this many matching replies
  std::optional<std::size_t> min;                   // at least
  std::optional<std::size_t> max;                   // at most
  std::optional<std::chrono::milliseconds> within;  // per-item `within`; absent: Expectations::within
  std::size_t line = 0;
};

// `expect.delivered[].mime` — what a message's MIME structure holds; every given item must hold.
struct MimeExpect {
  std::vector<std::string> types;          // lower case type/subtype, each somewhere in the part tree
  std::vector<std::string> attachments;    // file names, each an attachment
  std::vector<std::string> text_contains;  // in the plain body, else the HTML body (UTF-8)
  std::optional<bool> problems;            // false: no malformed MIME; true: some
};

// `expect.delivered[]` — accepted messages. No count: at least one.
struct DeliveredExpect {
  std::optional<rules::TextMatch> to;               // one accepted recipient matches
  std::optional<rules::TextMatch> from;             // the reverse-path matches
  std::optional<std::size_t> count;                 // exactly this many matching messages
  std::map<std::string, rules::TextMatch> headers;  // header name as written (compare without case) -> value pattern
  std::map<std::string, std::string> auth;          // sender check -> result, e.g. "dmarc" -> "pass"
  std::optional<MimeExpect> mime;
  std::optional<std::chrono::milliseconds> within;  // per-item `within`; absent: Expectations::within
  std::size_t line = 0;
};

// `expect.rejected[]` — refusals the sandbox sent for a named reason (capture::k_refusal_reasons).
// No count: at least one.
struct RejectedExpect {
  std::string reason;
  std::optional<rules::TextMatch> to;  // RCPT: the address; DATA, END_OF_DATA: one refused recipient
  std::optional<int> code;
  std::optional<smtp::EnhancedCode> enhanced;
  std::optional<std::size_t> count;                 // exactly this many (0: the reason never refused anything)
  std::optional<std::chrono::milliseconds> within;  // per-item `within`; absent: Expectations::within
  std::size_t line = 0;
};

// `expect.retries[]` — attempts per recipient (RCPT across sessions).
struct RetryExpect {
  std::string rcpt;
  std::optional<unsigned> max_attempts;
  std::optional<unsigned> min_attempts;
  std::optional<std::chrono::milliseconds> within;  // per-item `within`; absent: Expectations::within
  std::size_t line = 0;
};

// `expect.transcript`
struct TranscriptExpect {
  std::optional<std::filesystem::path> golden;  // Scenario::dir / the path as written (absolute stays)
  std::vector<std::string> contains;            // fragments the normalised transcript must contain
  std::size_t line = 0;
};

// `expect.lint.<finding>` — a sender lint finding (src/lint) that must occur in at least one
// captured message (true), or in none (false).
struct LintExpect {
  std::string finding;  // a lint::k_kind_names name, e.g. "bare_lf" (the schema lists them)
  bool occurs = false;
  std::size_t line = 0;
};

// `expect:` — absent parts are not checked.
struct Expectations {
  std::optional<AppExpect> app;
  std::vector<ReplyExpect> replies;
  std::vector<DeliveredExpect> delivered;
  std::vector<std::string> not_delivered;  // no accepted message may have these recipients
  std::size_t not_delivered_line = 0;      // line of the `not_delivered` key
  std::vector<RejectedExpect> rejected;
  std::vector<RetryExpect> retries;
  std::optional<TranscriptExpect> transcript;
  std::vector<LintExpect> lint;  // sorted by finding name
  // `expect.within`: how long replies, delivered, rejected and retries may take to hold after the
  // app (and its `then` steps) ended; not_delivered and maxima are judged when it ends. Absent: no wait.
  std::optional<std::chrono::milliseconds> within;
  std::size_t line = 0;  // line of the `expect:` key; 0 when absent
};

// `app.then[]` — a command run after the app exited (e.g. flush a sender's queue), optionally
// once what `wait_for` names has been captured.
struct ThenStep {
  // replies / delivered / rejected / retries that must all hold before `run` starts; the other
  // members stay empty
  std::optional<Expectations> wait_for;
  std::chrono::milliseconds within{std::chrono::seconds(10)};  // how long wait_for may take
  std::optional<AppSpec> run;      // run / env / cwd / timeout as the app has them; absent: only wait
  std::optional<int> expect_exit;  // `expect_exit: N`; absent (and not any): 0
  bool exit_any = false;           // `expect_exit: any`
  std::size_t line = 0;            // line of the step (its first key)
};

struct Scenario {
  std::string name;
  std::vector<std::string> tags;
  std::filesystem::path file;  // as given to the loader (or the name passed to load_text)
  std::size_t line = 0;        // 1-based line of the `name` key (else of the document's first node)
  std::filesystem::path dir;   // the scenario file's folder: relative paths and {{scenario.dir}}
  smtp::ServerConfig server;   // rules carry their source lines; tls_cert/key resolved against `dir`
  ServerExtras server_extras;  // server.profile / peer / checks
  DnsSpec dns;
  std::optional<AppSpec> app;  // exactly one of app and client is set
  std::optional<ClientSpec> client;
  std::vector<ServiceSpec> services;  // started in order before app or client, stopped in reverse
  std::set<std::string> port_names;   // every NAME of a {{port.NAME}} anywhere in the scenario
  Expectations expect;
};

}  // namespace maildog::scenario
