// `maildog-ci record --probe`: a short scripted conversation with an inbound server (EHLO,
// STARTTLS when offered and asked for, MAIL, each RCPT, RSET, QUIT; no DATA), and the
// `client.target` scenario that asserts today's answers: an inbound regression test.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "record/proxy.hpp"
#include "reply/reply.hpp"

namespace maildog::record {

struct ProbeOptions {
  std::string host;
  std::string port;
  UpstreamTls tls = UpstreamTls::starttls;  // starttls: only when the server offers it
  std::string ca;                           // PEM file; empty: the system's store
  bool insecure = false;
  std::string helo = "probe.maildog-ci.test";
  std::string mail_from = "probe@maildog-ci.test";
  std::vector<std::string> rcpts;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

// One step of the conversation and the reply it got.
struct ProbeStep {
  std::string kind;     // greeting, send, starttls, quit
  std::string command;  // what was sent (send steps)
  smtp::Reply reply;
};

struct ProbeResult {
  std::vector<ProbeStep> steps;
  bool tls = false;
};

// Throws ChannelError (record/channel.hpp) when the server cannot be reached or talks nonsense.
ProbeResult run_probe(const ProbeOptions& options);

// The scenario (pure): the target's port as "${MX_PORT:-PORT}" so CI can hand another in.
std::string probe_scenario_yaml(const ProbeOptions& options, const ProbeResult& result);

}  // namespace maildog::record
