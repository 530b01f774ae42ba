// `maildog-ci record`: the recording proxy (record/proxy.hpp) between an app and a real server,
// and the scenario written from what it saw, atomically (a temporary file renamed into place,
// so an error or a bad upstream leaves no half-written file).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "record/channel.hpp"
#include "record/probe.hpp"
#include "record/proxy.hpp"
#include "record/scenario_writer.hpp"
#include "record/transcript_json.hpp"

namespace maildog::cli {

namespace {

struct RecordSettings {
  std::string listen = "127.0.0.1:2525";
  std::string upstream;
  std::string upstream_tls = "starttls";
  std::string upstream_ca;
  bool insecure = false;
  std::string output;
  std::size_t sessions = 0;
  bool keep_bodies = false;
  std::string app;
  std::string transcript;
  std::string ca_file;
  double timeout_seconds = 300;
  bool force = false;
  std::string probe;
  std::vector<std::string> rcpts;
  std::string mail_from = "probe@maildog-ci.test";
  std::string tls = "starttls";
};

record::UpstreamTls tls_of(const std::string& text) {
  return text == "implicit" ? record::UpstreamTls::implicit
         : text == "none"   ? record::UpstreamTls::none
                            : record::UpstreamTls::starttls;
}

std::pair<std::string, std::string> split_host_port(const std::string& text, const std::string& option) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw CLI::ValidationError(option, "expected HOST:PORT, got \"" + text + "\"");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, text.substr(colon + 1)};
}

// Temporary file beside the target, then rename: readers see the old file or the whole new one.
void write_atomically(const std::filesystem::path& target, const std::string& text) {
  auto temporary = target;
  temporary += ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw std::runtime_error("cannot write " + temporary.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, target, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    throw std::runtime_error("cannot write " + target.string() + ": " + ec.message());
  }
}

std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

// --probe: a scripted conversation with an inbound server, written as a client.target scenario.
int run_probe(const RecordSettings& settings) {
  if (settings.rcpts.empty()) {
    std::cerr << "maildog-ci record: --probe needs at least one --rcpt\n";
    return k_exit_invalid;
  }
  record::ProbeOptions options;
  std::tie(options.host, options.port) = split_host_port(settings.probe, "--probe");
  options.tls = tls_of(settings.tls);
  options.ca = settings.upstream_ca;
  options.insecure = settings.insecure;
  options.mail_from = settings.mail_from;
  options.rcpts = settings.rcpts;
  options.timeout = std::chrono::milliseconds(static_cast<long long>(settings.timeout_seconds * 1000));
  record::ProbeResult result;
  try {
    result = record::run_probe(options);
  } catch (const record::ChannelError& error) {
    std::cerr << "maildog-ci record: the probe failed: " << error.what() << "; nothing written\n";
    return k_exit_environment;
  }
  write_atomically(settings.output, record::probe_scenario_yaml(options, result));
  for (const auto& step : result.steps) {
    if (!step.command.empty()) {
      std::cout << step.command << " -> " << step.reply.summary() << '\n';
    }
  }
  std::cout << "maildog-ci record: wrote " << settings.output << "; run it with: maildog-ci run " << settings.output
            << std::endl;
  return k_exit_passed;
}

int run_record(const RecordSettings& settings) {
  const std::filesystem::path output(settings.output);
  if (!settings.force && std::filesystem::exists(output)) {
    std::cerr << "maildog-ci record: " << output.string() << " exists; use --force to replace it\n";
    return k_exit_invalid;
  }
  if (!settings.probe.empty()) {
    return run_probe(settings);
  }
  if (settings.upstream.empty()) {
    std::cerr << "maildog-ci record: --upstream HOST:PORT is required (or --probe HOST:PORT)\n";
    return k_exit_invalid;
  }
  record::ProxyOptions options;
  std::tie(options.listen_host, options.listen_port) = split_host_port(settings.listen, "--listen");
  std::tie(options.upstream_host, options.upstream_port) = split_host_port(settings.upstream, "--upstream");
  options.upstream_tls = tls_of(settings.upstream_tls);
  options.upstream_ca = settings.upstream_ca;
  options.insecure = settings.insecure;
  options.sessions = settings.sessions;
  options.keep_bodies = settings.keep_bodies;
  options.timeout = std::chrono::milliseconds(static_cast<long long>(settings.timeout_seconds * 1000));
  options.connect_timeout = std::min(options.timeout, options.connect_timeout);
  // The CA file the app trusts: chosen, or beside the output (kept: the app may need it again).
  options.ca_file = settings.ca_file.empty() ? std::filesystem::path(settings.output + ".ca.pem")
                                             : std::filesystem::path(settings.ca_file);
  options.say = [](const std::string& line) { std::cout << "maildog-ci record: " << line << std::endl; };

  record::Recording recording;
  try {
    recording = record::run_proxy(options);
  } catch (const record::UpstreamFailed& failed) {
    std::cerr << "maildog-ci record: " << failed.what() << "\nmaildog-ci record: nothing written (the app got 421)\n";
    return k_exit_environment;
  }
  if (recording.sessions.empty()) {
    std::cerr << "maildog-ci record: no session was recorded; nothing written\n";
    return k_exit_failed;
  }
  record::WriterOptions writer;
  if (!settings.app.empty()) {
    writer.app = settings.app;
  }
  writer.recorded_at = today_utc();
  const std::string yaml = record::scenario_yaml(recording, writer);
  if (!settings.transcript.empty()) {
    write_atomically(settings.transcript, record::transcript_json(recording));
  }
  write_atomically(output, yaml);
  std::cout << "maildog-ci record: wrote " << output.string() << " (" << recording.sessions.size()
            << " sessions); replay it with: maildog-ci run " << output.string() << std::endl;
  return k_exit_passed;
}

}  // namespace

Command add_record_command(CLI::App& app) {
  auto settings = std::make_shared<RecordSettings>();
  auto* command = app.add_subcommand(
      "record", "Record a real server's answers through an SMTP proxy and write a scenario that replays them");
  command->footer(
      "Point your app at the proxy instead of the server; each command goes upstream and each reply comes back\n"
      "unchanged. On Ctrl-C (or after --sessions N) the scenario is written: the server's hostname, greeting, EHLO\n"
      "keywords and replies as rules (a 451 then 250 becomes attempt rules) and what the app did as expectations.\n"
      "STARTTLS ends at the proxy: the app trusts the CA file it prints (MAILDOG_SMTP_CA_FILE). AUTH credentials\n"
      "are recorded as ***; bodies only as sizes and header names (unless --keep-bodies).\n"
      "\nExample:\n"
      "  maildog-ci record --listen 127.0.0.1:2525 --upstream smtp.staging.test:587 -o recorded.yaml \\\n"
      "      --app 'python3 send_reset.py --smtp-port {{smtp.port}}' --sessions 2\n"
      "  # meanwhile: run your app against 127.0.0.1:2525, then\n"
      "  maildog-ci run recorded.yaml\n"
      "  maildog-ci record --probe mx.example.test:25 --rcpt ghost@example.test --rcpt ok@example.test -o inbound.yaml\n"
      "\nExit codes: 0 written, 1 nothing recorded, 2 usage, 3 the upstream failed (nothing written).");
  command->add_option("--listen", settings->listen, "Where the app connects (HOST:PORT; port 0: any free port)")
      ->capture_default_str();
  command->add_option("--upstream", settings->upstream, "The real server (HOST:PORT)");
  command
      ->add_option("--upstream-tls", settings->upstream_tls,
                   "TLS to the upstream: starttls (when the app asks), implicit (from the first byte), none")
      ->check(CLI::IsMember({"starttls", "implicit", "none"}))
      ->capture_default_str();
  auto* ca =
      command
          ->add_option("--upstream-ca", settings->upstream_ca,
                       "PEM file of the CA the upstream's certificate is checked against (default: the system's)")
          ->check(CLI::ExistingFile);
  command->add_flag("--insecure", settings->insecure, "Do not check the upstream's certificate")->excludes(ca);
  command->add_option("-o,--output", settings->output, "The scenario file to write")->required();
  command->add_option("--sessions", settings->sessions, "Stop after this many app sessions (default: at Ctrl-C)");
  command->add_flag("--keep-bodies", settings->keep_bodies, "Keep message bodies in the --transcript file");
  command->add_option("--app", settings->app, "The scenario's app.run (default: a placeholder to fill in)");
  command->add_option("--transcript", settings->transcript, "Also write the recorded transcript as JSON to this file");
  command->add_option("--ca-file", settings->ca_file,
                      "Where to write the proxy's CA certificate (default: OUTPUT.ca.pem)");
  command->add_option("--timeout", settings->timeout_seconds, "Seconds each read, write and connect may take")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_flag("--force", settings->force, "Replace the output file if it exists");
  command->add_option("--probe", settings->probe,
                      "Instead of proxying: probe this inbound server (HOST:PORT) and write a client.target scenario");
  command->add_option("--rcpt", settings->rcpts, "A recipient the probe asks about (repeatable)");
  command->add_option("--mail-from", settings->mail_from, "The probe's sender")->capture_default_str();
  command->add_option("--tls", settings->tls, "The probe's TLS: starttls (when offered), implicit, none")
      ->check(CLI::IsMember({"starttls", "implicit", "none"}))
      ->capture_default_str();
  return [command, settings] {
    if (!command->parsed()) {
      return -1;
    }
    return run_record(*settings);
  };
}

}  // namespace maildog::cli
