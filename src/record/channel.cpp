#include "record/channel.hpp"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

namespace maildog::record {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// One read's worth: a pipelined command burst or a reply fits.
constexpr std::size_t k_read_size = 4096;
// How often a wait looks at the stop flag (SIGINT is handled on the same io_context, so the
// flag is set between handlers; this only bounds the loop).
constexpr std::chrono::milliseconds k_stop_poll{200};
}  // namespace

Channel::Channel(asio::io_context& io, tcp::socket socket, std::string name, std::function<bool()> stop_requested)
    : m_io(&io), m_socket(std::move(socket)), m_name(std::move(name)), m_stop_requested(std::move(stop_requested)) {}

void Channel::wait(const bool& done, Clock::time_point deadline, const char* doing) {
  while (!done) {
    const bool stopping = m_stop_requested && m_stop_requested();
    if (stopping || Clock::now() >= deadline) {
      boost::system::error_code ignored;
      m_socket.cancel(ignored);
      m_socket.close(ignored);
      // The cancelled handler still runs (with operation_aborted); let it, so nothing dangles.
      m_io->restart();
      while (!done) {
        m_io->run_one_for(k_stop_poll);
      }
      throw ChannelError(m_name + (stopping ? ": stopped while " : ": timed out while ") + doing);
    }
    m_io->restart();
    m_io->run_one_until(std::min(deadline, Clock::now() + k_stop_poll));
  }
}

Channel Channel::connect(asio::io_context& io, const std::string& host, const std::string& port,
                         std::chrono::milliseconds timeout, std::function<bool()> stop_requested) {
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) {
    throw ChannelError("upstream: cannot resolve " + host + ": " + ec.message());
  }
  Channel channel(io, tcp::socket(io), "upstream " + host + ":" + port, std::move(stop_requested));
  bool done = false;
  asio::async_connect(channel.m_socket, endpoints, [&](const boost::system::error_code& error, const tcp::endpoint&) {
    ec = error;
    done = true;
  });
  channel.wait(done, Clock::now() + timeout, "connecting");
  if (ec) {
    throw ChannelError(channel.m_name + ": cannot connect: " + ec.message());
  }
  return channel;
}

void Channel::fill(std::chrono::milliseconds timeout) {
  char chunk[k_read_size];
  bool done = false;
  boost::system::error_code ec;
  std::size_t got = 0;
  auto handler = [&](const boost::system::error_code& error, std::size_t n) {
    ec = error;
    got = n;
    done = true;
  };
  if (m_tls) {
    m_tls->async_read_some(asio::buffer(chunk), handler);
  } else {
    m_socket.async_read_some(asio::buffer(chunk), handler);
  }
  wait(done, Clock::now() + timeout, "reading");
  m_buffer.append(chunk, got);
  if (ec) {
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      throw ChannelClosed(m_name + ": connection closed");
    }
    throw ChannelError(m_name + ": read failed: " + ec.message());
  }
}

std::string Channel::read_line(std::size_t limit, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto end = m_buffer.find('\n');
    if (end != std::string::npos) {
      if (end > limit) {
        throw ChannelError(m_name + ": line longer than " + std::to_string(limit) + " octets");
      }
      std::string line = m_buffer.substr(0, end);
      m_buffer.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      return line;
    }
    if (m_buffer.size() > limit) {
      throw ChannelError(m_name + ": line longer than " + std::to_string(limit) + " octets");
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) {
      throw ChannelError(m_name + ": timed out while reading");
    }
    fill(left);
  }
}

std::string Channel::read_exact(std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (m_buffer.size() < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) {
      throw ChannelError(m_name + ": timed out while reading");
    }
    fill(left);
  }
  std::string bytes = m_buffer.substr(0, count);
  m_buffer.erase(0, count);
  return bytes;
}

void Channel::write(const std::string& bytes, std::chrono::milliseconds timeout) {
  bool done = false;
  boost::system::error_code ec;
  auto handler = [&](const boost::system::error_code& error, std::size_t) {
    ec = error;
    done = true;
  };
  if (m_tls) {
    asio::async_write(*m_tls, asio::buffer(bytes), handler);
  } else {
    asio::async_write(m_socket, asio::buffer(bytes), handler);
  }
  wait(done, Clock::now() + timeout, "writing");
  if (ec) {
    throw ChannelError(m_name + ": write failed: " + ec.message());
  }
}

void Channel::start_tls_client(asio::ssl::context& context, const std::string& server_name, bool verify,
                               std::chrono::milliseconds timeout) {
  if (!m_buffer.empty()) {
    throw ChannelError(m_name + ": sent data after its STARTTLS reply, before the TLS handshake");
  }
  m_tls = std::make_unique<TlsStream>(m_socket, context);
  // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
  if (SSL_ctrl(m_tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(server_name.c_str())) != 1) {
    throw ChannelError(m_name + ": cannot set the TLS server name");
  }
  if (verify) {
    m_tls->set_verify_mode(asio::ssl::verify_peer);
    m_tls->set_verify_callback(asio::ssl::host_name_verification(server_name));
  } else {
    m_tls->set_verify_mode(asio::ssl::verify_none);
  }
  bool done = false;
  boost::system::error_code ec;
  m_tls->async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& error) {
    ec = error;
    done = true;
  });
  wait(done, Clock::now() + timeout, "starting TLS");
  if (ec) {
    throw ChannelError(m_name + ": TLS handshake failed: " + ec.message());
  }
}

void Channel::start_tls_server(asio::ssl::context& context, std::chrono::milliseconds timeout) {
  if (!m_buffer.empty()) {
    throw ChannelError(m_name + ": sent data after STARTTLS, before the TLS handshake");
  }
  m_tls = std::make_unique<TlsStream>(m_socket, context);
  bool done = false;
  boost::system::error_code ec;
  m_tls->async_handshake(asio::ssl::stream_base::server, [&](const boost::system::error_code& error) {
    ec = error;
    done = true;
  });
  wait(done, Clock::now() + timeout, "starting TLS");
  if (ec) {
    throw ChannelError(m_name + ": TLS handshake failed: " + ec.message());
  }
}

void Channel::close(std::chrono::milliseconds timeout) {
  if (m_tls && m_socket.is_open()) {
    bool done = false;
    m_tls->async_shutdown([&](const boost::system::error_code&) { done = true; });
    try {
      wait(done, Clock::now() + timeout, "closing");
    } catch (const ChannelError&) {
      // A peer that does not answer close_notify is closed anyway.
    }
  }
  boost::system::error_code ignored;
  m_socket.close(ignored);
}

}  // namespace maildog::record
