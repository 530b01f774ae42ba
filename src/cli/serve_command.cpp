#include <arpa/inet.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "cli/build_info.hpp"
#include "cli/commands.hpp"
#include "cli/line_printer.hpp"
#include "cli/serve_ready.hpp"
#include "cli/serve_rules.hpp"
#include "core/ascii.hpp"
#include "core/time_text.hpp"
#include "http/api_server.hpp"
#include "http/sandbox_registry.hpp"
#include "runner/sender_checks.hpp"
#include "scenario/loader.hpp"
#include "scenario/rules_json.hpp"
#include "serve/attempt_keys.hpp"
#include "serve/kept_authority.hpp"
#include "serve/sandbox.hpp"
#include "smtp/io_threads.hpp"

namespace maildog::cli {

namespace {

// Without --config: a catch-all sandbox that accepts everything.
constexpr std::uint16_t k_default_smtp_port = 2525;
constexpr std::uint16_t k_default_http_port = 8025;
constexpr std::size_t k_default_keep = 10000;
// SIGTERM lets transactions in flight finish for this long; then the rest are closed.
constexpr std::chrono::seconds k_stop_grace{10};

struct ServeSettings {
  std::string config_path;
  std::uint16_t smtp_port = k_default_smtp_port;
  std::string data_dir;
  std::size_t keep = k_default_keep;
  std::optional<std::size_t> keep_refused;  // --keep-refused; default: as --keep
  std::string bind = "127.0.0.1";           // --bind: both, unless --smtp-bind / --http-bind say otherwise
  std::string smtp_bind;
  std::string http_bind;
  std::uint16_t http_port = k_default_http_port;
  std::string api_token;                   // --api-token, else MAILDOG_API_TOKEN; empty: no token
  std::vector<std::string> allowed_hosts;  // --allowed-host, and MAILDOG_ALLOWED_HOSTS (comma-separated)
  std::size_t max_sandboxes = http::k_max_sandboxes_default;  // --max-sandboxes: POST /api/v1/sandboxes beyond gets 429
  std::string ready_file;         // --ready-file: the ready document, once both listeners accept
  bool print_ready_json = false;  // --print-ready-json: the ready document as stdout's first line
  std::size_t http_max_connections = http::k_max_connections_default;
};

// MAILDOG_ALLOWED_HOSTS=a,b: the names, blanks around them and empty ones dropped.
std::vector<std::string> allowed_hosts_from_environment() {
  std::vector<std::string> names;
  const char* value = std::getenv("MAILDOG_ALLOWED_HOSTS");
  std::string_view rest = value == nullptr ? std::string_view() : std::string_view(value);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view name = ascii::trim(rest.substr(0, comma), " \t");
    if (!name.empty()) {
      names.emplace_back(name);
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return names;
}

// Where one listener binds: the literal address (a name such as localhost resolved, IPv4
// first), and whether it is reachable only from this machine.
struct BindAddress {
  std::string name;     // as given
  std::string address;  // a literal: 127.0.0.1, ::1, 0.0.0.0
  bool loopback = false;
  bool literal = true;  // false: `name` was resolved
};

bool parse_literal(const std::string& text, BindAddress* out) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out->address = text;
    out->loopback = (ntohl(v4.s_addr) >> 24) == 127;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    char canonical[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &v6, canonical, sizeof canonical);
    out->address = canonical;
    out->loopback = IN6_IS_ADDR_LOOPBACK(&v6);
    return true;
  }
  return false;
}

// A literal address as it is, "[::1]" without its brackets, a name through the resolver.
std::optional<BindAddress> resolve_bind(const std::string& option, std::string text) {
  BindAddress bind;
  bind.name = text;
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (parse_literal(text, &bind)) {
    return bind;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int error = text.empty() ? EAI_NONAME : getaddrinfo(text.c_str(), nullptr, &hints, &found);
  if (error != 0) {
    std::cerr << "serve: " << option << ' ' << (text.empty() ? "\"\"" : text)
              << ": not an address and cannot be resolved (" << gai_strerror(error) << ")\n";
    return std::nullopt;
  }
  const addrinfo* chosen = found;
  for (const addrinfo* each = found; each != nullptr; each = each->ai_next) {
    if (each->ai_family == AF_INET) {
      chosen = each;
      break;
    }
  }
  char literal[INET6_ADDRSTRLEN] = {};
  if (chosen->ai_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(chosen->ai_addr)->sin_addr, literal, sizeof literal);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(chosen->ai_addr)->sin6_addr, literal, sizeof literal);
  }
  freeaddrinfo(found);
  parse_literal(literal, &bind);
  bind.literal = false;
  return bind;
}

// "127.0.0.1:8025", "[::1]:8025": an address and port as they are written in a URL.
std::string host_port(const std::string& address, std::uint16_t port) {
  const bool ipv6 = address.find(':') != std::string::npos;
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

// The server: block of --config with its sender checks, or the defaults; nothing on error.
// `certificate`: what server.tls.certificate asks the sandbox to present.
std::optional<smtp::ServerConfig> server_config(const ServeSettings& settings, smtp::CertificateKind* certificate) {
  smtp::ServerConfig config;
  if (!settings.config_path.empty()) {
    auto loaded = scenario::load_serve_config(settings.config_path, scenario::Environment());
    for (const auto& warning : loaded.warnings) {
      std::cerr << warning.format() << '\n';
    }
    for (const auto& diagnostic : loaded.diagnostics) {
      std::cerr << diagnostic.format() << '\n';
    }
    if (!loaded.ok() || loaded.scenarios.empty()) {
      return std::nullopt;
    }
    const scenario::Scenario& scenario = loaded.scenarios.front();
    config = scenario.server;
    *certificate = scenario.server_extras.certificate;
    if (runner::any_check_on(scenario.server_extras.checks)) {
      config.sender_checks = runner::make_sender_checks(scenario);
    }
  }
  config.port = settings.smtp_port;
  config.bind_address = settings.smtp_bind.empty() ? settings.bind : settings.smtp_bind;
  // A long-lived sandbox serves several clients at once.
  config.threads = std::max(config.threads, 2U);
  return config;
}

// One line per stored message, for a person watching the terminal.
void print_stored(const serve::StoredMessage& message, LinePrinter& printer) {
  const auto& transaction = message.transaction;
  std::string line = "message " + std::to_string(message.id) + ": <" + transaction.mail_from + "> ->";
  for (const auto& recipient : transaction.accepted_recipients()) {
    line += " <" + recipient + ">";
  }
  line += ", " + std::to_string(transaction.message ? transaction.message->size() : 0) + " octets\n";
  printer.print(line);
}

// One line per refusal, as per stored message: when, who, what was refused, the reply, why.
// An attempt ended by a fault alone gets one line for it.
void print_refused(const serve::StoredAttempt& attempt, LinePrinter& printer) {
  const std::string head = time_text::local_clock(attempt.at) + " " + attempt.client_address + " ";
  const std::string tail = attempt.status == serve::AttemptStatus::partial
                               ? " (message " + std::to_string(attempt.message_id) + " kept for the others)"
                           : attempt.id != 0 ? " (attempt " + std::to_string(attempt.id) + ")"
                                             : std::string();
  std::string lines;
  for (const auto& refusal : attempt.refusals) {
    std::string what = refusal.command == "END_OF_DATA" ? std::string("end of DATA") : refusal.command;
    if (!refusal.argument.empty()) {
      what += " <" + refusal.argument + ">";
    } else if (refusal.command == "END_OF_DATA" && attempt.transaction) {
      what += " from <" + attempt.transaction->mail_from + ">";
    }
    std::string reply = std::to_string(refusal.reply.code);
    if (refusal.reply.enhanced) {
      reply += " " + refusal.reply.enhanced->str();
    }
    lines += "refused " + head + what + " " + reply + " " + refusal.reason + tail + "\n";
  }
  if (attempt.refusals.empty()) {
    const smtp::Reply* reply = serve::attempt_reply(attempt);
    lines += "refused " + head + (attempt.fault.empty() ? std::string("attempt") : "fault " + attempt.fault) +
             (reply != nullptr ? " " + std::to_string(reply->code) : std::string()) +
             (attempt.ended.empty() ? std::string() : " (" + attempt.ended + ")") + tail + "\n";
  }
  printer.print(lines);
}

// glibc serves blocks over 128 KiB with fresh mappings and hands large freed memory back to the
// kernel, so every message growing past that size writes to new pages. On a VM a page fault
// costs more than receiving the bytes (bench/RESULTS.md: about 3 ms per MiB of new memory, 1 MiB
// intake at 0.7x smtp-sink); serve keeps freed memory for the next messages instead.
void reuse_freed_memory() {
  // Bigger blocks keep their own mappings, so a huge message's growth leaves nothing behind.
  constexpr int k_mmap_threshold = 4 << 20;
  constexpr int k_trim_threshold = 8 << 20;  // free memory kept at the top of a heap
  mallopt(M_MMAP_THRESHOLD, k_mmap_threshold);
  mallopt(M_TRIM_THRESHOLD, k_trim_threshold);
}

// SIGTERM and SIGINT blocked for the scope, and so in every thread started in it: only
// wait() receives them. Blocked before the first thread (the store's writer, the line printer):
// a thread started earlier would let the default action end the process with work in flight.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&m_signals);
    sigaddset(&m_signals, SIGTERM);
    sigaddset(&m_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &m_signals, &m_previous);
  }
  ~StopSignals() { pthread_sigmask(SIG_SETMASK, &m_previous, nullptr); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  int wait() const {
    int received = 0;
    sigwait(&m_signals, &received);
    return received;
  }

 private:
  sigset_t m_signals;
  sigset_t m_previous;
};

int serve(ServeSettings settings) {
  const auto smtp_bind = resolve_bind(settings.smtp_bind.empty() ? "--bind" : "--smtp-bind",
                                      settings.smtp_bind.empty() ? settings.bind : settings.smtp_bind);
  const auto http_bind = resolve_bind(settings.http_bind.empty() ? "--bind" : "--http-bind",
                                      settings.http_bind.empty() ? settings.bind : settings.http_bind);
  if (!smtp_bind || !http_bind) {
    return k_exit_invalid;
  }
  settings.smtp_bind = smtp_bind->address;
  smtp::CertificateKind certificate = smtp::CertificateKind::trusted;
  auto config = server_config(settings, &certificate);
  if (!config) {
    return k_exit_invalid;
  }
  // A sandbox that makes its own certificate has it signed by a CA clients can trust.
  std::optional<serve::KeptAuthority> authority;
  if (config->tls != smtp::TlsMode::none && !config->tls_cert_file) {
    authority.emplace(settings.data_dir);
    config->tls_identity = smtp::sandbox_identity(authority->authority(), certificate, config->hostname);
  }
  reuse_freed_memory();
  const StopSignals stop_signals;
  // The main sandbox and every one POST /api/v1/sandboxes makes listen on these threads.
  const auto io = std::make_shared<smtp::IoThreads>(config->threads);
  // What a sandbox gets: serve's configuration (TLS identity included) on a free port.
  smtp::ServerConfig sandbox_config = *config;
  sandbox_config.port = 0;
  const std::optional<std::string> ca_file =
      authority ? std::optional<std::string>(std::filesystem::absolute(authority->ca_file()).string()) : std::nullopt;
  auto store = settings.data_dir.empty()
                   ? serve::make_memory_store(settings.keep, settings.keep_refused)
                   : serve::make_sqlite_store(settings.data_dir, settings.keep, settings.keep_refused);
  const std::string location = settings.data_dir.empty()
                                   ? std::string("memory (lost on exit; --data DIR keeps them)")
                                   : (std::filesystem::path(settings.data_dir) / "maildog.sqlite3").string();
  LinePrinter printer(std::cout);  // outlives the sandbox: the last messages' lines are written
  serve::ServeSandbox sandbox(
      std::move(*config), std::move(store),
      [&printer](const serve::StoredMessage& message) { print_stored(message, printer); },
      [&printer](const serve::StoredAttempt& attempt) { print_refused(attempt, printer); }, io);
  sandbox.start();
  // Sandboxes keep their mail in memory only, whatever --data says; --keep applies to each.
  // Their rules: the request's, else the config's.
  const std::string config_rules =
      settings.config_path.empty() ? std::string("[]") : scenario::server_rules_json(settings.config_path);
  http::SandboxRegistry sandboxes(
      [&settings, sandbox_config, io, ca_file, config_rules](
          const std::optional<std::string>& rules_json) -> std::variant<http::SandboxRegistry::Made, std::string> {
        http::SandboxRegistry::Made made;
        made.sandbox = std::make_unique<serve::ServeSandbox>(
            sandbox_config, serve::make_memory_store(settings.keep, settings.keep_refused),
            serve::ServeSandbox::Listener(), serve::ServeSandbox::AttemptListener(), io);
        try {
          made.rules = rules_access(*made.sandbox, rules_json.value_or(config_rules));
        } catch (const std::invalid_argument& error) {
          return std::string(error.what());
        }
        made.ca_file = ca_file;
        return made;
      },
      settings.max_sandboxes);
  http::ApiOptions api_options;
  api_options.bind = http_bind->address;
  api_options.port = settings.http_port;
  api_options.token = settings.api_token;
  api_options.allowed_hosts = settings.allowed_hosts;
  api_options.max_connections = settings.http_max_connections;
  for (auto& name : allowed_hosts_from_environment()) {
    api_options.allowed_hosts.push_back(std::move(name));
  }
  if (!http_bind->literal) {
    api_options.allowed_hosts.push_back(http_bind->name);  // --http-bind mail.lan: Host mail.lan is this server
  }
  http::RulesAccess rules;
  try {
    rules = rules_access(sandbox, settings.config_path.empty() ? std::string("[]")
                                                               : scenario::server_rules_json(settings.config_path));
  } catch (const std::invalid_argument& error) {
    std::cerr << "serve: " << settings.config_path << ": " << error.what() << '\n';
    sandbox.stop(k_stop_grace);
    return k_exit_invalid;
  }
  http::ApiServer api(sandbox.store(), std::move(rules), api_options, &sandboxes);
  try {
    api.start();
  } catch (...) {
    sandbox.stop(k_stop_grace);
    throw;
  }
  const std::string http_at = host_port(http_bind->address, api.port());
  if (!http_bind->loopback && settings.api_token.empty()) {
    std::cerr << "warning: the HTTP API on " << http_at << " has no token: anyone who can reach this address "
              << "from the network can read every message, delete them and replace the rules. Set "
              << "MAILDOG_API_TOKEN=<secret> (or --api-token) to require a bearer token, or listen on "
              << "127.0.0.1 with --http-bind 127.0.0.1.\n";
  }
  std::ostringstream started;
  started << "SMTP on " << host_port(sandbox.server().host(), sandbox.server().port()) << '\n'
          << "HTTP on " << http_at << " (API /api/v1/, inspector http://" << http_at << "/"
          << (settings.api_token.empty() ? "" : ", which asks for the token once") << ")\n"
          << "store: " << location << " (" << sandbox.store().size() << " messages)\n";
  if (authority) {
    const char* kept = authority->reused() ? " (kept in --data)" : " (made now, kept in --data)";
    started << "TLS certificate signed by the CA in " << authority->ca_file().string()
            << (settings.data_dir.empty() ? " (new at each start; --data DIR keeps it)" : kept);
    if (certificate != smtp::CertificateKind::trusted) {
      started << ", but deliberately bad: " << smtp::to_string(certificate) << " (server.tls.certificate)";
    }
    started << '\n';
  }
  started << "stop with Ctrl-C or SIGTERM\n";
  ReadyDocument ready;
  ready.smtp_host = reachable_address(sandbox.server().host());
  ready.smtp_port = sandbox.server().port();
  ready.http_host = reachable_address(http_bind->address);
  ready.http_port = api.port();
  if (authority) {
    ready.ca_file = std::filesystem::absolute(authority->ca_file());
  }
  ready.pid = static_cast<long>(::getpid());
  ready.version = std::string(version_line().substr(version_line().find(' ') + 1));  // without "maildog-ci "
  const std::string ready_line = ready_json(ready);
  if (settings.print_ready_json) {
    // Programs read the first stdout line; people still see the banner, on stderr.
    printer.print(ready_line);
    std::cerr << started.str() << std::flush;
  } else {
    printer.print(started.str());
  }
  if (!settings.ready_file.empty()) {
    try {
      write_ready_file(settings.ready_file, ready_line);
    } catch (const std::runtime_error& error) {
      std::cerr << "serve: --ready-file: " << error.what() << '\n';
      api.stop();
      sandbox.stop(k_stop_grace);
      return k_exit_environment;
    }
  }
  const int stop_signal = stop_signals.wait();
  // /readyz says "stopping" while SMTP transactions in flight finish; then the API closes.
  api.set_stopping();
  if (!settings.ready_file.empty()) {
    std::error_code ignored;
    std::filesystem::remove(settings.ready_file, ignored);
  }
  printer.print(std::string(stop_signal == SIGINT ? "SIGINT" : "SIGTERM") +
                ": finishing transactions in flight, then stopping\n");
  sandbox.stop(k_stop_grace);
  sandboxes.stop_all();
  api.stop();
  return k_exit_passed;
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto* command = app.add_subcommand("serve", "Run a long-lived SMTP sandbox that keeps every message it accepts");
  command->footer(
      "--config FILE is YAML with the `server:` block of a scenario (and `dns:` for its checks); a\n"
      "scenario file works as it is, its app, client and expect are ignored. Without it every\n"
      "recipient is accepted. With --data DIR messages go to DIR/maildog.sqlite3 and survive\n"
      "restarts; a message is on disk before its 250 is sent. --keep N keeps the newest N (0: all).\n"
      "With TLS in --config, the certificate is signed by a CA whose file is printed at start (kept\n"
      "as DIR/ca.pem with --data DIR, new at each start without it): clients verify with it.\n"
      "Refused attempts are kept too (/api/v1/attempts, and a console line each), --keep-refused N of them.\n"
      "Examples:\n"
      "  maildog-ci serve\n"
      "  maildog-ci serve --config scenarios/greylisting.yaml --smtp-port 2525 --data .maildog\n"
      "  maildog-ci serve --smtp-port 0 --data /tmp/mail --keep 100   # port 0: any free port, printed\n"
      "  swaks --server 127.0.0.1:2525 --to user@inbox.test            # then send it something\n"
      "  curl 'http://127.0.0.1:8025/api/v1/wait?to=user@inbox.test&timeout=30'   # assert it arrived\n"
      "The HTTP API (/api/v1/messages, /api/v1/wait, /api/v1/rules, ...; schemas/api.openapi.json)\n"
      "and the web inspector (http://127.0.0.1:8025/) listen on --http-port.\n"
      "Without a token, HTTP requests must name the server as localhost, 127.0.0.1, [::1] or the\n"
      "bound address in their Host (DNS rebinding protection); other names get 403 unless allowed\n"
      "with --allowed-host NAME or MAILDOG_ALLOWED_HOSTS (e.g. a compose service: maildog).\n"
      "A token: MAILDOG_API_TOKEN=<secret> maildog-ci serve (rather than --api-token, which `ps` shows);\n"
      "/healthz answers without it, but shows the message count only with it.\n"
      "For programs: --ready-file PATH (or --print-ready-json, stdout's first line) gives the ports, the\n"
      "API's URL and the CA file as JSON once both listeners accept; GET /readyz answers 200 then.\n"
      "Stops on SIGTERM or Ctrl-C after transactions in flight finish. Exit codes: 0 stopped, 2 an\n"
      "invalid config, 3 the port or the store could not be opened.");
  auto settings = std::make_shared<ServeSettings>();
  command->add_option("--config", settings->config_path, "YAML file with server: and dns: (a scenario file works too)")
      ->check(CLI::ExistingFile);
  command->add_option("--smtp-port", settings->smtp_port, "SMTP port; 0 picks a free one")->capture_default_str();
  command->add_option("--data", settings->data_dir, "Folder for the SQLite store; without it, memory only");
  command->add_option("--keep", settings->keep, "Keep the newest N messages (0: all)")->capture_default_str();
  command
      ->add_option("--keep-refused", settings->keep_refused,
                   "Keep the newest N refused attempts, apart from messages (0: all; default: as --keep)")
      ->type_name("N");
  command->add_option("--bind", settings->bind, "Address or name to listen on, for SMTP and HTTP")
      ->capture_default_str();
  command->add_option("--smtp-bind", settings->smtp_bind, "Address or name for SMTP only (default: --bind)")
      ->type_name("ADDRESS");
  command
      ->add_option("--http-bind", settings->http_bind,
                   "Address or name for the HTTP API and inspector only (default: --bind);\n"
                   "beyond loopback, set a token")
      ->type_name("ADDRESS");
  command->add_option("--http-port", settings->http_port, "HTTP API and inspector port; 0 picks a free one")
      ->capture_default_str();
  command
      ->add_option("--api-token", settings->api_token,
                   "Bearer token the HTTP API requires (default: none). Prefer the environment\n"
                   "variable MAILDOG_API_TOKEN: a command line is visible to every user in `ps`")
      ->envname("MAILDOG_API_TOKEN");
  command
      ->add_option("--allowed-host", settings->allowed_hosts,
                   "Without a token, also serve HTTP requests whose Host is NAME (repeatable; also\n"
                   "MAILDOG_ALLOWED_HOSTS=a,b), e.g. a compose service name")
      ->type_name("NAME");
  command
      ->add_option("--max-sandboxes", settings->max_sandboxes,
                   "Sandboxes POST /api/v1/sandboxes may have at once (memory only, each on its\n"
                   "own SMTP port); beyond, 429")
      ->capture_default_str();
  command
      ->add_option("--ready-file", settings->ready_file,
                   "Once SMTP and HTTP accept, write PATH atomically with one JSON line: {\"smtp\":\n"
                   "{\"host\",\"port\"}, \"http\": {\"url\"}, \"ca_file\", \"pid\", \"version\"}; removed on exit")
      ->type_name("PATH");
  command->add_flag("--print-ready-json", settings->print_ready_json,
                    "Print that JSON line as the first line on stdout (the start-up banner goes to stderr)");
  command
      ->add_option("--http-max-connections", settings->http_max_connections,
                   "Open HTTP connections at once; beyond, 503 and close (SMTP has its own limit,\n"
                   "server.limits.connections)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return [command, settings]() {
    if (!command->parsed()) {
      return -1;
    }
    return serve(*settings);
  };
}

}  // namespace maildog::cli
