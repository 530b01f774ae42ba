#include "http/api_server.hpp"

#include <string.h>  // strerrordesc_np (glibc)

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

#include "http/api_routes.hpp"

namespace maildog::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// Two I/O threads move bytes and answer what is cheap (/healthz, the inspector's files); the
// API's routes, whose store queries and MIME parses may take long, run on a small worker pool,
// so two expensive requests never stall /healthz.
constexpr unsigned k_threads = 2;
constexpr unsigned k_workers = 2;
// A streamed body (BodyStream) is read from the store and written this much at a time: what a
// slow reader holds on the server, besides the kernel's socket buffer.
constexpr std::size_t k_stream_piece = 64 * 1024;
// After an error answer to a request not read to its end (413, 414, 431, a bad body), what the
// client still sends is read and dropped, this long and this much at most, before closing.
constexpr std::chrono::seconds k_linger_time{2};
constexpr std::size_t k_linger_bytes = 4 * 1024 * 1024;
using Workers = asio::thread_pool::executor_type;
constexpr auto k_use_tuple = asio::as_tuple(asio::use_awaitable);
// How long the accept loop pauses when accept() fails (EMFILE, ENFILE): connections that end
// give descriptors back meanwhile.
constexpr std::chrono::milliseconds k_accept_pause{250};
// accept()'s errno as text, without a virtual call: UBSan's vptr check needs a pipe to probe
// memory, and with no descriptor left it reports every unchecked virtual call (ec.message())
// as a bad vptr, ending a sanitizer build exactly when this line is printed.
std::string accept_error_text(const boost::system::error_code& ec) {
  const char* text = strerrordesc_np(ec.value());
  return text != nullptr ? text : "error " + std::to_string(ec.value());
}

// A connection over --http-max-connections: one short answer, written without waiting (it fits
// any socket buffer), and closed.
template <typename Socket>
void refuse_over_limit(Socket& socket) {
  static const std::string k_answer = [] {
    const std::string body = R"({"error": "too many HTTP connections; try again later"})";
    return "HTTP/1.1 503 Service Unavailable\r\nServer: maildog-ci\r\nContent-Type: application/json\r\n"
           "Cache-Control: no-store\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(k_answer), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// A header section too large: 414 when its request line alone is over the target limit. Beast
// consumes the request line from the buffer once it has parsed it, so a target it parsed is
// judged by its length; otherwise the buffer still starts with the request line.
unsigned header_limit_status(const beast::flat_buffer& buffer, std::string_view parsed_target) {
  if (!parsed_target.empty()) {
    return parsed_target.size() > k_max_target ? 414 : 431;
  }
  const std::string_view received(static_cast<const char*>(buffer.data().data()), buffer.size());
  const std::size_t line_end = received.find('\n');
  return line_end == std::string_view::npos || line_end > k_max_target ? 414 : 431;
}

ApiResponse parse_error_response(const beast::error_code& ec, const beast::flat_buffer& buffer,
                                 std::string_view parsed_target) {
  if (ec == bhttp::error::body_limit) {
    return json_error(413, "the request body is larger than the limit");
  }
  if (ec == bhttp::error::header_limit) {
    const unsigned status = header_limit_status(buffer, parsed_target);
    return json_error(status, status == 414 ? "the request target is too long" : "the request header is too large");
  }
  return json_error(400, "malformed HTTP request: " + ec.message());
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const ApiRoutes& routes, Workers workers)
      : m_stream(std::move(socket)), m_routes(routes), m_workers(workers), m_timer(m_stream.get_executor()) {}

  asio::awaitable<void> run();
  // On the connection's strand: ends a pending read, write or long-poll now.
  void close() {
    m_closing = true;
    m_timer.cancel();
    beast::error_code ignored;
    m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    m_stream.close();
  }
  auto executor() { return m_stream.get_executor(); }

 private:
  beast::tcp_stream m_stream;
  const ApiRoutes& m_routes;
  Workers m_workers;
  asio::steady_timer m_timer;
  beast::flat_buffer m_buffer;
  bool m_closing = false;
  bool m_store_changed = false;  // set by the store's change event while a long-poll waits

  // Runs `work` on the worker pool; the coroutine resumes on this connection's strand.
  template <typename Work>
  asio::awaitable<std::invoke_result_t<Work&>> off_io(Work work) {
    using Result = std::invoke_result_t<Work&>;
    co_return co_await asio::co_spawn(
        m_workers, [&work]() -> asio::awaitable<Result> { co_return work(); }, asio::use_awaitable);
  }
  asio::awaitable<std::optional<ApiResponse>> wait_for(const WaitPlan& plan);
  asio::awaitable<bool> send(ApiResponse response, unsigned version, bool keep_alive);
  asio::awaitable<bool> send_stream(bhttp::response<bhttp::empty_body>& header, const BodyStream& body);
  void close_after_send() {
    beast::error_code ignored;
    m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  asio::awaitable<void> linger();
};

// /healthz, /readyz and the inspector's page and files answer from memory: on the I/O thread.
bool answers_at_once(std::string_view target) { return !target.starts_with("/api/"); }

asio::awaitable<void> Connection::run() {
  const ApiOptions& options = m_routes.options();
  while (!m_closing) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(k_max_header));
    parser.body_limit(options.max_body);
    m_stream.expires_after(options.request_timeout);
    auto [header_error, header_bytes] = co_await bhttp::async_read_header(m_stream, m_buffer, parser, k_use_tuple);
    if (header_error) {
      if (is_parse_error(header_error) && !m_closing) {
        co_await send(parse_error_response(header_error, m_buffer, parser.get().target()), 11, false);
        co_await linger();
      }
      co_return;
    }
    const auto& header = parser.get();
    if (header.target().size() > k_max_target) {
      co_await send(json_error(414, "the request target is too long"), header.version(), false);
      co_await linger();
      co_return;
    }
    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, header.version()};
      auto [continue_error, continue_bytes] = co_await bhttp::async_write(m_stream, proceed, k_use_tuple);
      if (continue_error) {
        co_return;
      }
    }
    if (!parser.is_done()) {
      auto [body_error, body_bytes] = co_await bhttp::async_read(m_stream, m_buffer, parser, k_use_tuple);
      if (body_error) {
        if (is_parse_error(body_error) && !m_closing) {
          co_await send(parse_error_response(body_error, m_buffer, header.target()), header.version(), false);
          co_await linger();
        }
        co_return;
      }
    }
    auto request = parser.release();
    ApiRequest api_request;
    api_request.method = std::string(request.method_string());
    api_request.target = std::string(request.target());
    api_request.authorization = std::string(request[bhttp::field::authorization]);
    api_request.body = std::move(request.body());
    api_request.host_count = request.count(bhttp::field::host);
    api_request.host = std::string(request[bhttp::field::host]);
    api_request.content_type = std::string(request[bhttp::field::content_type]);
    api_request.origin = std::string(request[bhttp::field::origin]);
    // Statements, not a ?: around co_await: GCC 12 destroyed such a temporary twice.
    Routed routed;
    if (answers_at_once(api_request.target)) {
      routed = m_routes.handle(api_request);
    } else {
      routed = co_await off_io([this, &api_request] { return m_routes.handle(api_request); });
    }
    std::optional<ApiResponse> response;
    if (auto* plan = std::get_if<WaitPlan>(&routed)) {
      response = co_await wait_for(*plan);
      if (!response) {
        co_return;  // stopped while waiting
      }
    } else {
      response = std::move(std::get<ApiResponse>(routed));
    }
    if (!co_await send(std::move(*response), request.version(), request.keep_alive())) {
      co_return;
    }
  }
}

// The store is looked at once, then again only when it reports a stored message or attempt
// (its change event cancels the timer) or at the timeout: 500 idle long-polls cost nothing.
asio::awaitable<std::optional<ApiResponse>> Connection::wait_for(const WaitPlan& plan) {
  const serve::MessageStore& store = m_routes.store_of(plan);
  // The event runs on the storing thread: it only posts to this connection's strand.
  const std::uint64_t subscription = store.subscribe([weak = weak_from_this(), strand = m_stream.get_executor()] {
    asio::post(strand, [weak] {
      if (auto self = weak.lock()) {
        self->m_store_changed = true;
        self->m_timer.cancel();
      }
    });
  });
  struct Unsubscribe {
    const serve::MessageStore& store;
    std::uint64_t subscription;
    ~Unsubscribe() { store.unsubscribe(subscription); }
  } unsubscribe{store, subscription};
  const auto deadline = std::chrono::steady_clock::now() + plan.timeout;
  for (;;) {
    m_store_changed = false;
    std::optional<ApiResponse> found = co_await off_io([this, &plan] { return m_routes.poll(plan); });
    if (found) {
      co_return found;
    }
    if (m_closing) {
      co_return std::nullopt;
    }
    if (m_store_changed) {
      continue;  // stored while we looked: look again
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return m_routes.wait_timed_out(plan);
    }
    m_timer.expires_at(deadline);
    co_await m_timer.async_wait(k_use_tuple);
    if (m_closing) {
      co_return std::nullopt;
    }
  }
}

// RFC 9112 9.6: closing at once while the client is still sending (the rest of a body too large
// to read) makes its TCP answer the unread bytes with a reset, which may destroy our answer
// before the client reads it. Our side is already shut for sending; drain until it closes its.
asio::awaitable<void> Connection::linger() {
  std::array<char, 16 * 1024> scratch{};
  std::size_t dropped = 0;
  m_stream.expires_after(k_linger_time);
  while (dropped < k_linger_bytes && !m_closing) {
    auto [error, bytes] = co_await m_stream.async_read_some(asio::buffer(scratch), k_use_tuple);
    if (error) {
      co_return;
    }
    dropped += bytes;
  }
}

// False when the connection is to be closed afterwards.
asio::awaitable<bool> Connection::send(ApiResponse response, unsigned version, bool keep_alive) {
  m_routes.finish(response);
  if (response.stream) {
    bhttp::response<bhttp::empty_body> header{static_cast<bhttp::status>(response.status), version};
    header.set(bhttp::field::server, "maildog-ci");
    header.set(bhttp::field::content_type, response.content_type);
    header.set(bhttp::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) {
      header.set(name, value);
    }
    header.content_length(response.stream->size);
    header.keep_alive(keep_alive && !m_closing);
    co_return co_await send_stream(header, *response.stream);
  }
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  // RFC 9110 8.6 and 15.3.5: a 204 has no content, so neither a Content-Length nor a type.
  const bool no_content = response.status == 204;
  message.set(bhttp::field::server, "maildog-ci");
  if (!no_content) {
    message.set(bhttp::field::content_type, response.content_type);
  }
  message.set(bhttp::field::cache_control, "no-store");
  for (const auto& [name, value] : response.headers) {
    message.set(name, value);
  }
  message.keep_alive(keep_alive && !m_closing);
  if (!no_content) {
    message.body() = std::move(response.body);
    message.prepare_payload();
  }
  m_stream.expires_after(m_routes.options().request_timeout);
  auto [error, bytes] = co_await bhttp::async_write(m_stream, message, k_use_tuple);
  if (error || !message.keep_alive()) {
    close_after_send();
    co_return false;
  }
  co_return true;
}

// The header, then the body a piece at a time, each piece read (off the I/O threads) only once
// the client took the one before; a client that takes none for request_timeout is dropped.
asio::awaitable<bool> Connection::send_stream(bhttp::response<bhttp::empty_body>& header, const BodyStream& body) {
  const auto write_timeout = m_routes.options().request_timeout;
  bhttp::response_serializer<bhttp::empty_body> serializer(header);
  m_stream.expires_after(write_timeout);
  auto [header_error, header_bytes] = co_await bhttp::async_write_header(m_stream, serializer, k_use_tuple);
  if (header_error) {
    close_after_send();
    co_return false;
  }
  for (std::size_t offset = 0; offset < body.size;) {
    const std::size_t want = std::min(k_stream_piece, body.size - offset);
    auto piece = co_await off_io([&body, offset, want] { return body.read(offset, want); });
    if (!piece || piece->empty() || m_closing) {
      // Deleted while being sent: the client sees a short body and a closed connection.
      close_after_send();
      co_return false;
    }
    piece->resize(std::min(piece->size(), want));
    m_stream.expires_after(write_timeout);
    auto [write_error, written] = co_await asio::async_write(m_stream, asio::buffer(*piece), k_use_tuple);
    if (write_error) {
      close_after_send();
      co_return false;
    }
    offset += piece->size();
  }
  if (!header.keep_alive()) {
    close_after_send();
    co_return false;
  }
  co_return true;
}

}  // namespace

struct ApiServer::Impl {
  Impl(serve::MessageStore& store, RulesAccess rules, ApiOptions options, SandboxRegistry* sandboxes)
      : routes(store, std::move(rules), std::move(options), sandboxes),
        accept_strand(asio::make_strand(io)),
        acceptor(io) {}

  ApiRoutes routes;
  asio::io_context io;
  asio::thread_pool workers{k_workers};
  // The accept loop and stop()'s close of the acceptor run here: an acceptor is not thread-safe.
  Strand accept_strand;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  std::mutex mutex;
  bool closing = false;  // under `mutex`: no connection is taken on once stop() began
  std::condition_variable connections_done;
  std::list<std::weak_ptr<Connection>> connections;
  std::size_t open_connections = 0;  // under `mutex`: connections.size() without walking the list
  bool accept_failing = false;       // the accept loop's only: told once per run of failures

  asio::awaitable<void> accept_loop();
  void on_connection_end(std::list<std::weak_ptr<Connection>>::iterator where);
};

asio::awaitable<void> ApiServer::Impl::accept_loop() {
  for (;;) {
    auto strand = asio::make_strand(io);
    auto [ec, socket] = co_await acceptor.async_accept(strand, k_use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      // EMFILE and friends: keep serving the connections we have, pause accepting, try again
      // (as nginx does); said once until an accept succeeds again.
      if (!accept_failing) {
        accept_failing = true;
        std::cerr << "maildog-ci: HTTP cannot accept connections: " << accept_error_text(ec) << "; pausing accepts for "
                  << k_accept_pause.count() << " ms at a time until it can\n";
      }
      asio::steady_timer backoff(io, k_accept_pause);
      co_await backoff.async_wait(k_use_tuple);
      continue;
    }
    if (accept_failing) {
      accept_failing = false;
      std::cerr << "maildog-ci: HTTP accepts connections again\n";
    }
    std::list<std::weak_ptr<Connection>>::iterator where;
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(mutex);
      if (closing) {
        co_return;
      }
      if (open_connections >= routes.options().max_connections) {
        refuse_over_limit(socket);
        continue;
      }
      connection = std::make_shared<Connection>(std::move(socket), routes, workers.get_executor());
      where = connections.insert(connections.end(), connection);
      ++open_connections;
    }
    asio::co_spawn(strand, connection->run(),
                   [this, where, connection](std::exception_ptr) { on_connection_end(where); });
  }
}

void ApiServer::Impl::on_connection_end(std::list<std::weak_ptr<Connection>>::iterator where) {
  {
    std::lock_guard lock(mutex);
    connections.erase(where);
    --open_connections;
  }
  connections_done.notify_all();
}

ApiServer::ApiServer(serve::MessageStore& store, RulesAccess rules, ApiOptions options, SandboxRegistry* sandboxes)
    : m_impl(std::make_unique<Impl>(store, std::move(rules), std::move(options), sandboxes)) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
  auto& impl = *m_impl;
  if (impl.started) {
    return;
  }
  const ApiOptions& options = impl.routes.options();
  tcp::endpoint endpoint(asio::ip::make_address(options.bind), options.port);
  impl.acceptor.open(endpoint.protocol());
  impl.acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl.acceptor.bind(endpoint);
  impl.acceptor.listen(asio::socket_base::max_listen_connections);
  impl.port = impl.acceptor.local_endpoint().port();
  impl.started = true;
  asio::co_spawn(impl.accept_strand, impl.accept_loop(), [](std::exception_ptr) {});
  for (unsigned i = 0; i < k_threads; ++i) {
    // An exception out of a handler is told and the thread goes on serving, never std::terminate.
    impl.threads.emplace_back([&impl] {
      for (;;) {
        try {
          impl.io.run();
          return;
        } catch (const std::exception& error) {
          std::cerr << "maildog-ci: HTTP server thread: " << error.what() << '\n';
        }
      }
    });
  }
}

void ApiServer::stop() {
  auto& impl = *m_impl;
  if (!impl.started || impl.stopped) {
    return;
  }
  impl.stopped = true;
  asio::post(impl.accept_strand, [&impl] {
    boost::system::error_code ignored;
    impl.acceptor.close(ignored);
  });
  {
    std::lock_guard lock(impl.mutex);
    impl.closing = true;
    for (auto& weak : impl.connections) {
      if (auto connection = weak.lock()) {
        asio::post(connection->executor(), [connection] { connection->close(); });
      }
    }
  }
  {
    std::unique_lock lock(impl.mutex);
    impl.connections_done.wait(lock, [&impl] { return impl.connections.empty(); });
  }
  impl.io.stop();
  for (auto& thread : impl.threads) {
    thread.join();
  }
  impl.threads.clear();
  impl.workers.join();
}

std::uint16_t ApiServer::port() const { return m_impl->port; }

void ApiServer::set_stopping() { m_impl->routes.set_stopping(); }

}  // namespace maildog::http
