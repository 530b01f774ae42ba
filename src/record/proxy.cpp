#include "record/proxy.hpp"

#include <signal.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <fstream>
#include <memory>
#include <optional>

#include "core/ascii.hpp"
#include "core/limits.hpp"
#include "record/channel.hpp"
#include "record/redact.hpp"
#include "smtp/certificate_authority.hpp"
#include "smtp/tls.hpp"

namespace maildog::record {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// RFC 5321 4.5.3.1.5 allows 512 octets a reply line; real servers stay far below this.
constexpr std::size_t k_reply_line_max = 4096;
// A multi-line reply longer than this is not a server talking SMTP.
constexpr std::size_t k_reply_lines_max = 200;
// RFC 5321 4.5.3.1.6 allows 1000 octets a text line; generous for apps that break it.
constexpr std::size_t k_data_line_max = 64 * 1024;
// Data goes upstream in pieces of about this size, not line by line.
constexpr std::size_t k_data_flush = 64 * 1024;
constexpr std::chrono::milliseconds k_goodbye{1000};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct RawReply {
  std::string wire;  // as received, each line ending in CRLF
  smtp::Reply reply;
};

// Reads one reply; anything that is not one (garbage, mixed codes, too long) is the upstream's failure.
RawReply read_reply(Channel& upstream, std::chrono::milliseconds timeout) {
  RawReply raw;
  int code = 0;
  for (std::size_t count = 0;; ++count) {
    if (count == k_reply_lines_max) {
      throw ChannelError("upstream: a reply of more than " + std::to_string(k_reply_lines_max) + " lines");
    }
    std::string line = upstream.read_line(k_reply_line_max, timeout);
    const bool shaped = line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]) &&
                        (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    if (!shaped) {
      throw ChannelError("upstream: sent something that is not an SMTP reply: \"" + line.substr(0, 80) + "\"");
    }
    const int this_code = std::stoi(line.substr(0, 3));
    if (code != 0 && this_code != code) {
      throw ChannelError("upstream: a multi-line reply changed its code from " + std::to_string(code) + " to " +
                         std::to_string(this_code));
    }
    code = this_code;
    raw.wire += line + "\r\n";
    if (line.size() == 3 || line[3] == ' ') {
      break;
    }
  }
  auto parsed = smtp::Reply::parse(raw.wire);
  if (!parsed) {
    throw ChannelError("upstream: a reply that does not parse: \"" + raw.wire.substr(0, 80) + "\"");
  }
  raw.reply = std::move(*parsed);
  return raw;
}

bool is_upstream_error(const ChannelError& error) { return std::string_view(error.what()).starts_with("upstream"); }

// The header names of a message's head, in order (continuation lines skipped).
std::vector<std::string> header_names_of(const std::string& head) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < head.size()) {
    auto end = head.find('\n', start);
    std::string_view line(head.data() + start, (end == std::string::npos ? head.size() : end) - start);
    if (!line.empty() && line.front() != ' ' && line.front() != '\t') {
      auto colon = line.find(':');
      if (colon != std::string_view::npos && colon > 0) {
        names.emplace_back(line.substr(0, colon));
      }
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return names;
}

class Proxy {
 public:
  explicit Proxy(const ProxyOptions& options) : m_options(options), m_signals(m_io, SIGINT, SIGTERM) {
    m_signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) {
        m_stop = true;
      }
    });
    make_certificates();
    m_upstream_tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                               asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                               asio::ssl::context::no_tlsv1_1);
    if (!options.upstream_ca.empty()) {
      boost::system::error_code ec;
      m_upstream_tls.load_verify_file(options.upstream_ca, ec);
      if (ec) {
        throw std::runtime_error("cannot load --upstream-ca " + options.upstream_ca + ": " + ec.message());
      }
    } else {
      m_upstream_tls.set_default_verify_paths();
    }
  }

  Recording run() {
    tcp::resolver resolver(m_io);
    auto endpoint = *resolver.resolve(m_options.listen_host, m_options.listen_port).begin();
    tcp::acceptor acceptor(m_io, endpoint.endpoint());
    say("listening on " + m_options.listen_host + ":" + std::to_string(acceptor.local_endpoint().port()) +
        ", relaying to " + m_options.upstream_host + ":" + m_options.upstream_port);
    say("the app trusts the proxy's STARTTLS certificate with MAILDOG_SMTP_CA_FILE=" + m_options.ca_file.string());
    Recording recording;
    recording.upstream = m_options.upstream_host + ":" + m_options.upstream_port;
    while (!m_stop && (m_options.sessions == 0 || recording.sessions.size() < m_options.sessions)) {
      auto socket = accept(acceptor);
      if (!socket) {
        break;
      }
      Channel app(m_io, std::move(*socket), "app", [this] { return m_stop; });
      RecordedSession session = relay(app);
      say("session " + std::to_string(recording.sessions.size() + 1) + ": " + std::to_string(session.exchanges.size()) +
          " replies, " + std::to_string(session.messages.size()) + " messages, ended: " + session.end);
      if (session.end == "stopped") {
        say("the unfinished session is left out of the recording");
        break;
      }
      recording.sessions.push_back(std::move(session));
    }
    return recording;
  }

 private:
  void say(const std::string& line) {
    if (m_options.say) {
      m_options.say(line);
    }
  }

  void make_certificates() {
    auto authority = smtp::CertificateAuthority::generate("maildog-ci record CA");
    {
      std::ofstream out(m_options.ca_file, std::ios::binary | std::ios::trunc);
      out << authority.certificate_pem();
      if (!out.flush()) {
        throw std::runtime_error("cannot write the CA file " + m_options.ca_file.string());
      }
    }
    smtp::ServerConfig config;
    config.tls = smtp::TlsMode::starttls;
    config.tls_identity = authority.issue(smtp::sandbox_leaf("localhost"));
    m_app_tls.emplace(smtp::make_server_tls_context(config));
  }

  std::optional<tcp::socket> accept(tcp::acceptor& acceptor) {
    tcp::socket socket(m_io);
    bool done = false;
    boost::system::error_code ec;
    acceptor.async_accept(socket, [&](const boost::system::error_code& error) {
      ec = error;
      done = true;
    });
    while (!done) {
      if (m_stop) {
        acceptor.cancel();
        while (!done) {
          m_io.restart();
          m_io.run_one();
        }
        return std::nullopt;
      }
      m_io.restart();
      m_io.run_one_for(std::chrono::milliseconds(200));
    }
    if (ec) {
      throw std::runtime_error("accept failed: " + ec.message());
    }
    return socket;
  }

  std::chrono::milliseconds since(Clock::time_point start) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }

  // One app session. Upstream failures are thrown as UpstreamFailed after the app got its 421.
  RecordedSession relay(Channel& app) {
    RecordedSession session;
    const auto start = Clock::now();
    std::unique_ptr<Channel> upstream;
    try {
      upstream = std::make_unique<Channel>(Channel::connect(m_io, m_options.upstream_host, m_options.upstream_port,
                                                            m_options.connect_timeout, [this] { return m_stop; }));
      if (m_options.upstream_tls == UpstreamTls::implicit) {
        upstream->start_tls_client(m_upstream_tls, m_options.upstream_host, !m_options.insecure, m_options.timeout);
      }
      auto greeting = read_reply(*upstream, m_options.timeout);
      session.exchanges.push_back({"connect", "", "", greeting.reply, greeting.wire, Origin::upstream, since(start)});
      app.write(greeting.wire, m_options.timeout);
      dialogue(app, *upstream, session, start);
    } catch (const ChannelClosed& closed) {
      if (is_upstream_error(closed)) {
        fail(app, session, closed.what());
      }
      session.end = "app closed";
    } catch (const ChannelError& error) {
      if (m_stop) {
        goodbye(app, smtp::Reply{421, smtp::EnhancedCode{4, 3, 2}, {"maildog-ci record: recording stopped"}});
        session.end = "stopped";
      } else if (is_upstream_error(error)) {
        fail(app, session, error.what());
      } else {
        session.end = std::string("app failed: ") + error.what();
      }
    }
    if (upstream) {
      upstream->close(k_goodbye);
    }
    app.close(k_goodbye);
    return session;
  }

  [[noreturn]] void fail(Channel& app, RecordedSession&, const std::string& reason) {
    goodbye(app, smtp::Reply{421, smtp::EnhancedCode{4, 4, 2}, {"maildog-ci record: the upstream failed: " + reason}});
    app.close(k_goodbye);
    throw UpstreamFailed(reason);
  }

  void goodbye(Channel& app, const smtp::Reply& reply) {
    try {
      app.write(reply.wire(), k_goodbye);
    } catch (const ChannelError&) {
      // The app may be gone already.
    }
  }

  void dialogue(Channel& app, Channel& upstream, RecordedSession& session, Clock::time_point start) {
    while (true) {
      std::string line = app.read_line(limits::k_command_line_max, m_options.timeout);
      const std::string stage = stage_of_command(line);
      Exchange exchange{stage, line, "", {}, "", Origin::upstream, {}};
      if (stage == "mail" || stage == "rcpt") {
        exchange.argument = path_argument(line);
      }
      if (stage == "auth") {
        exchange.command = redacted_auth_command(line);
      }
      if (stage == "starttls" && m_options.upstream_tls == UpstreamTls::none) {
        // The upstream stays in clear; the app's TLS ends here (the upstream never sees STARTTLS).
        exchange.reply = smtp::reply::ready_to_start_tls();
        exchange.wire = exchange.reply.wire();
        exchange.origin = Origin::proxy;
        exchange.at = since(start);
        session.exchanges.push_back(exchange);
        app.write(exchange.reply.wire(), m_options.timeout);
        app.start_tls_server(*m_app_tls, m_options.timeout);
        session.tls = true;
        continue;
      }
      if (stage == "bdat") {
        relay_chunk(app, upstream, line, exchange, session);
      } else {
        upstream.write(line + "\r\n", m_options.timeout);
      }
      auto reply = read_reply(upstream, m_options.timeout);
      exchange.reply = reply.reply;
      exchange.wire = reply.wire;
      exchange.at = since(start);
      session.exchanges.push_back(exchange);
      app.write(reply.wire, m_options.timeout);
      if (stage == "starttls" && reply.reply.code == 220) {
        upstream.start_tls_client(m_upstream_tls, m_options.upstream_host, !m_options.insecure, m_options.timeout);
        app.start_tls_server(*m_app_tls, m_options.timeout);
        session.tls = true;
      } else if (stage == "auth") {
        relay_sasl(app, upstream, reply.reply, session, start);
      } else if (stage == "data" && reply.reply.code == 354) {
        relay_message(app, upstream, session);
        auto final_reply = read_reply(upstream, m_options.timeout);
        session.exchanges.push_back(
            {"end_of_data", "", "", final_reply.reply, final_reply.wire, Origin::upstream, since(start)});
        app.write(final_reply.wire, m_options.timeout);
      } else if (stage == "quit") {
        session.end = "quit";
        return;
      }
    }
  }

  // RFC 4954 4: while the server says 334, the app's next line is a SASL response: relayed, and
  // recorded as ***.
  void relay_sasl(Channel& app, Channel& upstream, smtp::Reply reply, RecordedSession& session,
                  Clock::time_point start) {
    while (reply.code == 334) {
      std::string line = app.read_line(limits::k_command_line_max, m_options.timeout);
      upstream.write(line + "\r\n", m_options.timeout);
      auto next = read_reply(upstream, m_options.timeout);
      session.exchanges.push_back(
          {"auth", redacted_sasl_line(line), "", next.reply, next.wire, Origin::upstream, since(start)});
      app.write(next.wire, m_options.timeout);
      reply = next.reply;
    }
  }

  // DATA's text, line by line up to the final dot, relayed as sent (dot-stuffing kept): the
  // recording keeps its size and header names (the body with --keep-bodies).
  void relay_message(Channel& app, Channel& upstream, RecordedSession& session) {
    RecordedMessage message;
    std::string pending;
    std::string head;
    bool in_head = true;
    std::string body;
    while (true) {
      std::string line = app.read_line(k_data_line_max, m_options.timeout);
      pending += line + "\r\n";
      if (line == ".") {
        break;
      }
      std::string_view text = line;
      if (text.starts_with('.')) {
        text.remove_prefix(1);  // RFC 5321 4.5.2: the sender doubled it
      }
      message.size += text.size() + 2;
      if (message.size > m_options.message_size_limit) {
        throw ChannelError("app: a message over " + std::to_string(m_options.message_size_limit) + " octets");
      }
      if (in_head) {
        if (text.empty()) {
          in_head = false;
        } else {
          head.append(text).append("\n");
        }
      }
      if (m_options.keep_bodies) {
        body.append(text).append("\r\n");
      }
      if (pending.size() >= k_data_flush) {
        upstream.write(pending, m_options.timeout);
        pending.clear();
      }
    }
    upstream.write(pending, m_options.timeout);
    message.header_names = header_names_of(head);
    if (m_options.keep_bodies) {
      message.body = std::move(body);
    }
    session.messages.push_back(std::move(message));
  }

  // BDAT is relayed exactly as the app sends it (command line, then the chunk's octets), rather
  // than CHUNKING taken out of the EHLO reply: the app sees the upstream's keywords unchanged,
  // which the replayed scenario must reproduce, and the sandbox speaks BDAT too.
  void relay_chunk(Channel& app, Channel& upstream, const std::string& line, Exchange& exchange,
                   RecordedSession& session) {
    std::size_t size = 0;
    bool last = false;
    {
      std::string argument = line.size() > 5 ? line.substr(5) : "";
      try {
        std::size_t used = 0;
        size = std::stoull(argument, &used);
        last = ascii::upper(argument.substr(used)).find("LAST") != std::string::npos;
      } catch (const std::exception&) {
        upstream.write(line + "\r\n", m_options.timeout);  // malformed: the upstream answers it
        return;
      }
    }
    if (size > m_options.message_size_limit) {
      throw ChannelError("app: a BDAT chunk over " + std::to_string(m_options.message_size_limit) + " octets");
    }
    std::string chunk = app.read_exact(size, m_options.timeout);
    upstream.write(line + "\r\n" + chunk, m_options.timeout);
    if (session.messages.empty() || m_chunk_done) {
      session.messages.emplace_back();
      m_chunk_head.clear();
    }
    auto& message = session.messages.back();
    message.size += size;
    if (m_chunk_head.size() < k_data_line_max) {
      m_chunk_head += chunk;
    }
    m_chunk_done = last;
    if (last) {
      auto end = m_chunk_head.find("\r\n\r\n");
      std::string head = m_chunk_head.substr(0, end);
      std::erase(head, '\r');
      message.header_names = header_names_of(head);
    }
    if (m_options.keep_bodies) {
      message.body = message.body.value_or("") + chunk;
    }
    exchange.command = line;
  }

  const ProxyOptions& m_options;
  asio::io_context m_io;
  asio::signal_set m_signals;
  bool m_stop = false;
  std::optional<asio::ssl::context> m_app_tls;
  asio::ssl::context m_upstream_tls{asio::ssl::context::tls_client};
  std::string m_chunk_head;
  bool m_chunk_done = true;
};

}  // namespace

Recording run_proxy(const ProxyOptions& options) {
  Proxy proxy(options);
  return proxy.run();
}

}  // namespace maildog::record
