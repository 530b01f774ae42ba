#include <yaml-cpp/yaml.h>

#include "record/probe.hpp"

namespace maildog::record {

namespace {
// A reply text as an exact pattern: a text that would read as /regex/ is left to code and
// enhanced code alone (rules::TextMatch), and globs' * and ? match themselves too.
bool text_is_literal(const std::string& text) { return !(text.size() > 1 && text.front() == '/'); }
}  // namespace

std::string probe_scenario_yaml(const ProbeOptions& options, const ProbeResult& result) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::Comment("Written by `maildog-ci record --probe " + options.host + ":" + options.port +
                       "`: today's answers of an inbound server, as a regression test. MX_PORT overrides the port.");
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << ("inbound answers of " + options.host);
  out << YAML::Key << "tags" << YAML::Value << YAML::Flow << YAML::BeginSeq << "probe"
      << "inbound" << YAML::EndSeq;
  out << YAML::Key << "client" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "target" << YAML::Value << YAML::BeginMap << YAML::Key << "host" << YAML::Value << options.host
      << YAML::Key << "port" << YAML::Value << YAML::DoubleQuoted << ("${MX_PORT:-" + options.port + "}");
  const char* tls = options.tls == UpstreamTls::implicit ? "implicit" : result.tls ? "starttls" : "none";
  out << YAML::Key << "tls" << YAML::Value << tls << YAML::EndMap;
  out << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
  for (const auto& step : result.steps) {
    out << YAML::BeginMap;
    if (step.kind == "send") {
      out << YAML::Key << "send" << YAML::Value << YAML::DoubleQuoted << step.command;
    } else if (step.kind == "starttls") {
      out << YAML::Key << "starttls" << YAML::Value << true;
    } else if (step.kind == "quit") {
      out << YAML::Key << "quit" << YAML::Value << true;
    }
    out << YAML::Key << "expect" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "code" << YAML::Value
        << step.reply.code;
    if (step.reply.enhanced) {
      out << YAML::Key << "enhanced" << YAML::Value << YAML::DoubleQuoted << step.reply.enhanced->str();
    }
    // The answers to MAIL and RCPT are what a regression test is about: their exact text too.
    const bool envelope = step.command.starts_with("MAIL ") || step.command.starts_with("RCPT ");
    if (envelope && text_is_literal(step.reply.text())) {
      out << YAML::Key << "text" << YAML::Value << YAML::DoubleQuoted << step.reply.text();
    }
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  if (!out.good()) {
    throw std::runtime_error("cannot write the scenario: " + out.GetLastError());
  }
  return std::string(out.c_str()) + "\n";
}

}  // namespace maildog::record
