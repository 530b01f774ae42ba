#include "http/health_probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstdio>
#include <exception>

namespace maildog::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

// Beast rather than a hand-written socket loop: its tcp_stream gives one deadline over every step
// (expires_after covers connect, write and read alike) and its parser reads any valid status line
// and header section, so a probe cannot be fooled by how the bytes are split. It is already what
// the server side speaks.
constexpr auto k_use_tuple = asio::as_tuple(asio::use_awaitable);

bool starts_with_no_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != prefix[i]) {
      return false;
    }
  }
  return true;
}

std::optional<ProbeUrl> refuse(std::string* error, std::string reason) {
  if (error != nullptr) {
    *error = std::move(reason);
  }
  return std::nullopt;
}

// "3 s", "0.5 s": how long a probe waited, for its one-line reason.
std::string seconds_text(std::chrono::milliseconds timeout) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(timeout.count()) / 1000.0);
  return text;
}

asio::awaitable<ProbeResult> exchange(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints,
                                      const ProbeUrl& url, const std::string& token,
                                      std::chrono::milliseconds timeout) {
  ProbeResult result;
  const std::string where = url.describe();
  // One deadline for the whole exchange: set once, never renewed between steps.
  stream.expires_after(timeout);
  auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, k_use_tuple);
  if (connect_error) {
    result.reason = connect_error == beast::error::timeout
                        ? "no connection to " + url.host_header() + " within " + seconds_text(timeout)
                        : "cannot connect to " + url.host_header() + ": " + connect_error.message();
    co_return result;
  }
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, url.health_path(), 11};
  request.set(bhttp::field::host, url.host_header());
  request.set(bhttp::field::user_agent, "maildog-ci healthcheck");
  request.set(bhttp::field::connection, "close");
  if (!token.empty()) {
    request.set(bhttp::field::authorization, "Bearer " + token);
  }
  auto [write_error, written] = co_await bhttp::async_write(stream, request, k_use_tuple);
  if (write_error) {
    result.reason = "cannot send the request to " + where + ": " + write_error.message();
    co_return result;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(false);
  auto [read_error, read] = co_await bhttp::async_read_header(stream, buffer, parser, k_use_tuple);
  if (read_error) {
    result.reason = read_error == beast::error::timeout
                        ? "no answer from " + where + " within " + seconds_text(timeout)
                        : "no valid HTTP answer from " + where + ": " + read_error.message();
    co_return result;
  }
  const auto& response = parser.get();
  result.status = response.result_int();
  result.healthy = result.status >= 200 && result.status < 300;
  result.reason = where + " answered " + std::to_string(result.status) +
                  (response.reason().empty() ? std::string() : " " + std::string(response.reason()));
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return result;
}

}  // namespace

std::string ProbeUrl::host_header() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ProbeUrl::describe() const { return "http://" + host_header() + health_path(); }

std::optional<ProbeUrl> parse_probe_url(std::string_view text, std::string* error) {
  constexpr std::string_view k_scheme = "http://";
  if (starts_with_no_case(text, "https://")) {
    return refuse(error, "https is not supported: serve's API speaks plain HTTP (use http://)");
  }
  if (!starts_with_no_case(text, k_scheme)) {
    return refuse(error, "the URL must start with http:// (for example http://127.0.0.1:8025)");
  }
  std::string_view rest = text.substr(k_scheme.size());
  const std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return refuse(error, "user information (user@host) is not supported; a token goes in --api-token");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return refuse(error, "the URL must not have a query or a fragment: the probe asks for PREFIX/healthz");
  }
  ProbeUrl url;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return refuse(error, "an IPv6 address in the URL lacks its closing ]");
    }
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return refuse(error, "unexpected text after the IPv6 address in the URL");
    }
    port_text = after.empty() ? std::string_view() : after.substr(1);
    if (after == ":") {
      return refuse(error, "the URL has a ':' but no port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        return refuse(error, "the URL has a ':' but no port");
      }
    }
  }
  if (url.host.empty()) {
    return refuse(error, "the URL has no host");
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, status] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (status != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return refuse(error,
                    "the port in the URL must be a number from 1 to 65535, not '" + std::string(port_text) + "'");
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  while (path.ends_with('/')) {
    path.remove_suffix(1);
  }
  url.prefix = std::string(path);
  return url;
}

ProbeResult probe_health(const ProbeUrl& url, const std::string& token, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::error_code resolve_error;
  // An address is used as it is; only a name asks the system resolver.
  beast::error_code not_address;
  asio::ip::make_address(url.host, not_address);
  const auto flags = not_address ? tcp::resolver::flags() : tcp::resolver::numeric_host;
  const auto endpoints =
      resolver.resolve(url.host, std::to_string(url.port), flags | tcp::resolver::numeric_service, resolve_error);
  if (resolve_error) {
    return ProbeResult{false, 0, "cannot resolve " + url.host + ": " + resolve_error.message()};
  }
  beast::tcp_stream stream(io);
  ProbeResult result;
  asio::co_spawn(io, exchange(stream, endpoints, url, token, timeout),
                 [&result](std::exception_ptr failure, ProbeResult answer) {
                   if (failure) {
                     try {
                       std::rethrow_exception(failure);
                     } catch (const std::exception& error) {
                       result.reason = std::string("the probe failed: ") + error.what();
                     }
                     return;
                   }
                   result = std::move(answer);
                 });
  io.run();
  return result;
}

}  // namespace maildog::http
