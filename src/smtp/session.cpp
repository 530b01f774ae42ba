#include "smtp/session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>

namespace maildog::smtp {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto k_use = asio::as_tuple(asio::use_awaitable);
// How long the server waits to deliver its own last words (421) before it just closes.
constexpr std::chrono::milliseconds k_goodbye_timeout{1000};
// Long enough for the first part of a split reply to leave as its own TCP segment.
constexpr std::chrono::milliseconds k_split_pause{100};
// Bytes of one read between commands: enough for a pipelined MAIL, RCPTs and DATA.
constexpr std::size_t k_command_read = 4096;
// A client that writes a message's end ("\r\n.\r\n") as a small segment of its own holds it
// under Nagle's algorithm until this side acknowledges the body, and Linux delays that ACK up to
// 40 ms while the server has nothing to send: nodemailer's sends took 58 ms, 48 of them here.
// Quick ACKs cost one setsockopt per read; Linux drops the mode on its own, so it is set again.
void acknowledge_promptly(tcp::socket& socket) {
#ifdef TCP_QUICKACK
  const int on = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
#endif
}
// Calls `when_kept` and completes once it gave its verdict, with the refusal (if any) in `refusal`.
auto verdict_of(const std::function<void(Acceptance::Verdict)>& when_kept, std::optional<Reply>& refusal) {
  return asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&when_kept, &refusal](auto handler) {
        auto resume = std::make_shared<decltype(handler)>(std::move(handler));
        when_kept([&refusal, resume](std::optional<Reply> verdict) {
          refusal = std::move(verdict);
          auto executor = asio::get_associated_executor(*resume);
          asio::post(executor, std::move(*resume));
        });
      },
      asio::use_awaitable);
}

capture::SessionRecord opened_record(capture::Capture& capture) {
  capture::SessionRecord record;
  record.id = capture.next_session_id();
  record.started = std::chrono::system_clock::now();
  return record;
}
}  // namespace

Session::Session(tcp::socket socket, SessionShared shared, bool over_connection_limit)
    : m_socket(std::move(socket)),
      m_shared(shared),
      m_over_limit(over_connection_limit),
      m_watchdog(m_socket.get_executor()),
      m_pause(m_socket.get_executor()),
      m_record(opened_record(shared.capture)),
      m_started(Clock::now()),
      // Seeded once (a seed fills 312 words): from the sandbox's seed and this session's id.
      m_random(shared.config.seed ^ (m_record.id * 0x9e3779b97f4a7c15ULL)),
      m_protocol(
          shared.config, shared.rules, shared.capture, m_record,
          [this] { return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - m_started); },
          [this] { return m_random(); }) {
  if (shared.current_rules) {
    m_protocol.follow_rules(shared.current_rules);
  }
  boost::system::error_code ec;
  auto remote = m_socket.remote_endpoint(ec);
  if (!ec) {
    m_record.client_address = remote.address().to_string();
    m_record.client_port = remote.port();
  }
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  m_session_deadline = Clock::now() + m_shared.config.limits.session_deadline;
  asio::co_spawn(
      m_socket.get_executor(), [self] { return self->watchdog(); }, asio::detached);
  try {
    co_await dialogue();
  } catch (const std::exception& error) {
    m_protocol.note(std::string("session error: ") + error.what());
    m_protocol.finish("server error");
  }
  note_server_close();
  if (m_tls_active) {
    // RFC 8446 6.1: TLS ends with close_notify (OpenSSL 3 peers report "unexpected eof" without
    // it); bounded like the last reply, the watchdog cancels a peer that never answers.
    m_idle_deadline = Clock::now() + k_goodbye_timeout;
    m_watchdog.cancel();
    co_await m_tls->async_shutdown(k_use);
  }
  m_finished = true;
  m_watchdog.cancel();
  close_socket();
  m_record.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - m_started);
  m_shared.capture.add_session(std::move(m_record));
}

// The transcript says who ended the session: the client's close is noted where it is seen
// (dialogue()); any other end is the server's, noted here. Not after QUIT: its 221 says so, and
// every transcript would end with the same line.
void Session::note_server_close() {
  const std::string& reason = m_record.close_reason;
  if (reason == "quit" || reason.starts_with("client closed")) {
    return;
  }
  m_protocol.note(reason == "closed by server" ? std::string("server closed the connection")
                                               : "server closed the connection (" + reason + ")");
}

void Session::request_stop() {
  m_stop_requested = true;
  if (m_waiting_for_command) {
    m_socket.cancel();
  }
}

void Session::force_close() {
  m_stop_requested = true;
  m_pause.cancel();
  close_socket();
}

std::chrono::milliseconds Session::idle_timeout() const {
  const auto configured = m_shared.config.limits.idle_timeout;
  if (m_shared.stressed != nullptr && m_shared.stressed->load(std::memory_order_relaxed)) {
    return std::min(configured, limits::k_stress_idle_timeout);
  }
  return configured;
}

void Session::tighten_idle_timeout() {
  if (!m_waiting_for_command || m_finished) {
    return;
  }
  const auto since = Clock::time_point(Clock::duration(m_idle_since.load(std::memory_order_relaxed)));
  const auto deadline = since + idle_timeout();  // in the past: the watchdog closes it at once
  if (deadline < m_idle_deadline) {
    m_idle_deadline = deadline;
    m_watchdog.cancel();
  }
}

void Session::close_if_idle() {
  if (!m_waiting_for_command || m_finished || m_stop_requested) {
    return;
  }
  if (m_timeout_reason.empty()) {
    m_timeout_reason = "idle timeout (closed under load to make room for a new connection)";
  }
  m_idle_deadline = Clock::time_point::max();
  boost::system::error_code ignored;
  m_socket.cancel(ignored);
}

void Session::close_socket() {
  boost::system::error_code ignored;
  m_socket.shutdown(tcp::socket::shutdown_both, ignored);
  m_socket.close(ignored);
}

// Asio's timeout_watchdog pattern: one timer per session, pushed forward by every read and
// write; when it fires past the deadline, the pending operation is cancelled.
asio::awaitable<void> Session::watchdog() {
  auto self = shared_from_this();
  while (!m_finished) {
    m_watchdog.expires_at(std::min(m_idle_deadline, m_session_deadline));
    co_await m_watchdog.async_wait(k_use);
    if (m_finished) {
      break;
    }
    auto now = Clock::now();
    if (now >= m_session_deadline || now >= m_idle_deadline) {
      if (m_timeout_reason.empty()) {
        m_timeout_reason = now >= m_session_deadline ? "session deadline" : "idle timeout";
      }
      m_idle_deadline = Clock::time_point::max();
      m_session_deadline = std::max(m_session_deadline, now + k_goodbye_timeout);
      boost::system::error_code ignored;
      m_socket.cancel(ignored);
    }
  }
}

void Session::arm(std::chrono::milliseconds timeout) {
  m_idle_deadline = Clock::now() + timeout;
  if (m_idle_deadline < m_watchdog.expiry()) {
    m_watchdog.cancel();
  }
}

asio::awaitable<std::size_t> Session::read_chunk() {
  arm(idle_timeout());
  if (!m_chunk) {
    m_chunk = std::make_unique_for_overwrite<char[]>(limits::k_read_chunk);
  }
  co_return co_await read_some(asio::buffer(m_chunk.get(), limits::k_read_chunk));
}

asio::awaitable<bool> Session::read_more() {
  const std::size_t n = co_await read_chunk();
  m_in.append(m_chunk.get(), n);
  co_return n > 0;
}

asio::awaitable<std::size_t> Session::read_some(asio::mutable_buffer buffer) {
  boost::system::error_code ec;
  std::size_t n = 0;
  if (m_tls_active) {
    std::tie(ec, n) = co_await m_tls->async_read_some(buffer, k_use);
  } else {
    std::tie(ec, n) = co_await m_socket.async_read_some(buffer, k_use);
  }
  if (!ec) {
    acknowledge_promptly(m_socket);
  }
  co_return ec ? 0 : n;
}

// Between commands a session reads a little, straight into m_in, and gives back the read chunk
// and a large m_in: an idle connection costs its state, not 64 KiB or more of buffers.
asio::awaitable<bool> Session::read_command() {
  m_chunk.reset();
  if (m_in.empty() && m_in.capacity() > k_command_read) {
    std::string().swap(m_in);
  }
  arm(idle_timeout());
  const std::size_t kept = m_in.size();
  m_in.resize(kept + k_command_read);
  const std::size_t n = co_await read_some(asio::buffer(m_in.data() + kept, k_command_read));
  m_in.resize(kept + n);
  co_return n > 0;
}

asio::awaitable<bool> Session::flush() {
  if (m_out.empty()) {
    co_return true;
  }
  arm(idle_timeout());
  boost::system::error_code ec;
  if (m_tls_active) {
    std::tie(ec, std::ignore) = co_await asio::async_write(*m_tls, asio::buffer(m_out), k_use);
  } else {
    std::tie(ec, std::ignore) = co_await asio::async_write(m_socket, asio::buffer(m_out), k_use);
  }
  m_out.clear();
  co_return !ec;
}

asio::awaitable<bool> Session::handshake() {
  arm(idle_timeout());
  m_tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(m_socket, m_shared.tls);
  auto [ec] = co_await m_tls->async_handshake(asio::ssl::stream_base::server, k_use);
  if (ec) {
    m_protocol.note("TLS handshake failed: " + ec.message());
    co_return false;
  }
  m_tls_active = true;
  const SSL* ssl = m_tls->native_handle();
  m_protocol.on_tls_established(SSL_get_version(ssl), SSL_get_cipher_name(ssl));
  co_return true;
}

asio::awaitable<void> Session::say_goodbye(const Reply& reply) {
  m_protocol.record_reply(reply);
  m_out += reply.wire();
  m_idle_deadline = Clock::now() + k_goodbye_timeout;
  m_watchdog.cancel();
  co_await flush();
}

asio::awaitable<bool> Session::pause(std::chrono::milliseconds duration) {
  m_pause.expires_after(duration);
  co_await m_pause.async_wait(k_use);
  co_return !m_stop_requested;
}

// A tarpit sends the answer a byte at a time, the bytes spread over the fault's duration; a
// split fault sends it in two writes with a pause between, so the client sees two segments.
asio::awaitable<bool> Session::send_shaped(std::string bytes, const Output& output) {
  if (!co_await flush()) {
    co_return false;
  }
  if (output.tarpit && !bytes.empty()) {
    const auto gap = std::max(std::chrono::milliseconds(1), *output.tarpit / static_cast<long>(bytes.size()));
    for (char c : bytes) {
      m_out.assign(1, c);
      if (!co_await flush() || !co_await pause(gap)) {
        co_return false;
      }
    }
    co_return true;
  }
  const std::size_t half = bytes.size() / 2;
  m_out = bytes.substr(0, half);
  if (!co_await flush() || !co_await pause(k_split_pause)) {
    co_return false;
  }
  m_out = bytes.substr(half);
  co_return co_await flush();
}

asio::awaitable<bool> Session::apply(const Output& output) {
  if (output.delay) {
    if (!co_await flush() || !co_await pause(*output.delay)) {
      co_return false;
    }
  }
  if (output.tarpit || output.split) {
    std::string bytes;
    for (const auto& reply : output.replies) {
      bytes += reply.wire();
    }
    if (!co_await send_shaped(std::move(bytes), output)) {
      co_return false;
    }
  } else {
    for (const auto& reply : output.replies) {
      m_out += reply.wire();
    }
  }
  if (output.next == Next::close) {
    co_await flush();
    co_return false;
  }
  if (output.flush) {
    co_return co_await flush();
  }
  co_return true;
}

// Nothing else of this session runs meanwhile (the watchdog only cancels the socket); the
// verdict may come from any thread, and is handed back on the session's own executor.
asio::awaitable<Output> Session::wait_until_kept(Output output) {
  if (!output.when_kept) {
    co_return output;
  }
  std::optional<Reply> refusal;
  const std::function<void(Acceptance::Verdict)> when_kept = std::move(output.when_kept);
  output.when_kept = nullptr;
  // Named, not a temporary of the co_await expression: gcc 12 destroys those twice.
  auto verdict = verdict_of(when_kept, refusal);
  co_await std::move(verdict);
  if (refusal) {
    co_return m_protocol.message_not_kept(std::move(output), std::move(*refusal));
  }
  co_return output;
}

asio::awaitable<bool> Session::wait_for_command() {
  // Everything answered so far goes out before we block: this batches pipelined replies
  // (RFC 2920 3.2) without ever holding one back while the client waits.
  if (!co_await flush()) {
    co_return false;
  }
  if (m_stop_requested) {
    co_await say_goodbye(m_protocol.shutdown_reply());
    m_protocol.finish("server shutting down");
    co_return false;
  }
  m_waiting_for_command = true;
  m_idle_since.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  bool got = co_await read_command();
  m_idle_since.store(0, std::memory_order_relaxed);
  m_waiting_for_command = false;
  if (!got && m_stop_requested && m_protocol.state() != State::closed) {
    // request_stop() cancelled this read: the client is idle between commands and gets 421 too.
    co_await say_goodbye(m_protocol.shutdown_reply());
    m_protocol.finish("server shutting down");
  }
  co_return got;
}

// The dialogue: the opening (implicit TLS, the connection limit, the greeting), then one read
// step at a time in the mode the protocol asked for last (a BDAT chunk, DATA, or command
// lines), then the note on how the session ended.
asio::awaitable<void> Session::dialogue() {
  if (m_shared.config.tls == TlsMode::implicit && !co_await handshake()) {
    m_protocol.finish("TLS handshake failed");
    co_return;
  }
  if (m_over_limit) {
    m_protocol.note("over the connection limit");
    co_await say_goodbye(reply::too_many_connections(m_shared.config.hostname));
    m_protocol.finish("too many connections");
    co_return;
  }
  if (!co_await apply(m_protocol.greeting())) {
    if (m_protocol.state() != State::closed && m_timeout_reason.empty() && !m_stop_requested) {
      // The greeting could not be sent: the client was gone before it.
      m_protocol.note("client closed the connection before the greeting");
      m_protocol.finish("client closed");
      co_return;
    }
    m_protocol.finish(m_record.close_reason.empty() ? "closed at connect" : m_record.close_reason);
    co_return;
  }
  for (;;) {
    Step step = Step::more;
    if (m_chunk_left) {
      step = co_await chunk_step();
    } else if (m_decoder) {
      step = co_await data_step();
    } else {
      step = co_await line_step();
    }
    if (step == Step::stop) {
      co_return;
    }
    if (step == Step::end) {
      break;
    }
  }
  co_await close_dialogue();
}

// BDAT (RFC 3030): the chunk's octets go to the protocol as they come; its end gets the reply.
asio::awaitable<Session::Step> Session::chunk_step() {
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(*m_chunk_left, m_in.size()));
  m_protocol.on_chunk_data(std::string_view(m_in.data(), take));
  m_in.erase(0, take);
  *m_chunk_left -= take;
  if (*m_chunk_left == 0) {
    m_chunk_left.reset();
    Output output = co_await wait_until_kept(m_protocol.on_chunk_end());
    const bool applied = co_await apply(output);
    co_return applied ? Step::more : Step::end;
  }
  if (!co_await flush() || !co_await read_more()) {
    co_return Step::end;
  }
  co_return Step::more;
}

// DATA: bytes through the decoder until the end of data, then the message's reply.
asio::awaitable<Session::Step> Session::data_step() {
  if (m_drop_in_data && !m_in.empty()) {
    m_protocol.note("fault: dropped the connection after " + std::to_string(m_decoder->size() + m_in.size()) +
                    " octets of the message");
    m_protocol.finish("dropped during DATA (fault)");
    co_return Step::end;
  }
  m_in.erase(0, m_decoder->feed(m_in));
  if (m_decoder->done()) {
    Output output = co_await wait_until_kept(m_protocol.on_message(*m_decoder));
    m_decoder.reset();
    const bool applied = co_await apply(output);
    co_return applied ? Step::more : Step::end;
  }
  if (!co_await flush()) {
    co_return Step::end;
  }
  // Message bytes go from the read chunk straight to the decoder; only what follows the
  // end of data (a pipelined command) is copied into m_in.
  const std::size_t n = co_await read_chunk();
  if (n == 0) {
    co_return Step::end;
  }
  if (m_drop_in_data) {
    m_in.assign(m_chunk.get(), n);
    co_return Step::more;
  }
  const std::size_t used = m_decoder->feed({m_chunk.get(), n});
  m_in.assign(m_chunk.get() + used, n - used);
  co_return Step::more;
}

// Command lines: one line to the protocol, within the line limit; its Output says which read
// mode comes next (DATA, a BDAT chunk, the TLS handshake, or another line).
asio::awaitable<Session::Step> Session::line_step() {
  const std::size_t line_limit = m_shared.config.limits.line_length;
  auto eol = m_in.find('\n');
  if (m_skipping_long_line) {
    // Postfix smtp_get(SKIP): the rest of an over-long line is dropped to stay in sync.
    m_in.erase(0, eol == std::string::npos ? m_in.size() : eol + 1);
    m_skipping_long_line = eol == std::string::npos;
    if (m_skipping_long_line && !co_await wait_for_command()) {
      co_return Step::end;
    }
    co_return Step::more;
  }
  if (eol == std::string::npos ? m_in.size() >= line_limit : eol + 1 > line_limit) {
    m_in.erase(0, eol == std::string::npos ? m_in.size() : eol + 1);
    m_skipping_long_line = eol == std::string::npos;
    const bool applied = co_await apply(m_protocol.on_line_too_long());
    co_return applied ? Step::more : Step::end;
  }
  if (eol == std::string::npos) {
    const bool got = co_await wait_for_command();
    co_return got ? Step::more : Step::end;
  }
  std::string_view line(m_in.data(), eol);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  Output output = m_protocol.on_line(line);
  m_in.erase(0, eol + 1);
  if (!co_await apply(output)) {
    co_return Step::end;
  }
  if (output.next == Next::read_data) {
    m_decoder.emplace(m_protocol.message_size_limit());
    m_drop_in_data = output.drop_data;
  } else if (output.next == Next::read_chunk) {
    m_chunk_left = output.chunk_size;
  } else if (output.next == Next::start_tls) {
    // RFC 3207 6 (and CVE-2011-0411): nothing pipelined before TLS may be acted on after it.
    if (!m_in.empty()) {
      m_protocol.note("discarded " + std::to_string(m_in.size()) + " octets pipelined after STARTTLS");
      m_in.clear();
    }
    if (!co_await flush() || !co_await handshake()) {
      m_protocol.finish("TLS handshake failed");
      co_return Step::stop;
    }
  }
  co_return Step::more;
}

asio::awaitable<void> Session::close_dialogue() {
  if (m_protocol.state() != State::closed) {
    if (!m_timeout_reason.empty() && !m_stop_requested) {
      m_protocol.note(m_timeout_reason);
      co_await say_goodbye(m_protocol.timeout_reply());
      m_protocol.finish(m_timeout_reason);
    } else if (m_stop_requested) {
      m_protocol.finish("server shutting down");
    } else {
      const bool in_message = m_decoder || m_chunk_left;
      // Only QUIT ends a session cleanly (RFC 5321 4.1.1.10); a bare close is worth seeing.
      m_protocol.note(in_message ? "client closed the connection during DATA"
                                 : "client closed the connection without QUIT");
      m_protocol.finish(in_message ? "client closed during DATA" : "client closed");
    }
  } else {
    // The protocol closed (QUIT, a 421, a disconnect fault): an open transaction is still recorded.
    m_protocol.finish(m_record.close_reason.empty() ? "closed by server" : m_record.close_reason);
  }
}

}  // namespace maildog::smtp
