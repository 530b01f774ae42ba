#include "record/probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "core/ascii.hpp"
#include "record/channel.hpp"

namespace maildog::record {

namespace asio = boost::asio;

namespace {
constexpr std::size_t k_reply_line_max = 4096;
constexpr std::size_t k_reply_lines_max = 200;

smtp::Reply read_reply(Channel& channel, std::chrono::milliseconds timeout) {
  std::string wire;
  for (std::size_t count = 0; count < k_reply_lines_max; ++count) {
    std::string line = channel.read_line(k_reply_line_max, timeout);
    wire += line + "\r\n";
    const bool shaped = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                        (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    if (!shaped) {
      throw ChannelError("the server sent something that is not an SMTP reply: \"" + line.substr(0, 80) + "\"");
    }
    if (line.size() == 3 || line[3] == ' ') {
      if (auto reply = smtp::Reply::parse(wire)) {
        return *reply;
      }
      break;
    }
  }
  throw ChannelError("the server sent a reply that does not parse");
}
}  // namespace

ProbeResult run_probe(const ProbeOptions& options) {
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  if (!options.ca.empty()) {
    context.load_verify_file(options.ca);
  } else {
    context.set_default_verify_paths();
  }
  auto channel = Channel::connect(io, options.host, options.port, options.timeout, {});
  ProbeResult result;
  if (options.tls == UpstreamTls::implicit) {
    channel.start_tls_client(context, options.host, !options.insecure, options.timeout);
    result.tls = true;
  }
  result.steps.push_back({"greeting", "", read_reply(channel, options.timeout)});
  auto send = [&](const std::string& kind, const std::string& command) {
    channel.write(command + "\r\n", options.timeout);
    result.steps.push_back({kind, command, read_reply(channel, options.timeout)});
    return result.steps.back().reply;
  };
  const std::string ehlo = "EHLO " + options.helo;
  smtp::Reply hello = send("send", ehlo);
  bool offers_starttls = false;
  for (std::size_t i = 1; i < hello.lines.size(); ++i) {
    offers_starttls = offers_starttls || ascii::upper(hello.lines[i]) == "STARTTLS";
  }
  if (options.tls == UpstreamTls::starttls && offers_starttls) {
    if (send("starttls", "STARTTLS").code == 220) {
      channel.start_tls_client(context, options.host, !options.insecure, options.timeout);
      result.tls = true;
      send("send", ehlo);
    }
  }
  send("send", "MAIL FROM:<" + options.mail_from + ">");
  for (const auto& rcpt : options.rcpts) {
    send("send", "RCPT TO:<" + rcpt + ">");
  }
  send("send", "RSET");
  send("quit", "QUIT");
  channel.close(std::chrono::seconds(1));
  return result;
}

}  // namespace maildog::record
