#include "cli/serve_ready.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace maildog::cli {

std::string reachable_address(const std::string& bound) {
  if (bound == "0.0.0.0") {
    return "127.0.0.1";
  }
  if (bound == "::") {
    return "::1";
  }
  return bound;
}

std::string ready_json(const ReadyDocument& document) {
  const bool ipv6 = document.http_host.find(':') != std::string::npos;
  const std::string url = "http://" + (ipv6 ? "[" + document.http_host + "]" : document.http_host) + ":" +
                          std::to_string(document.http_port) + "/";
  nlohmann::json ready = {
      {"smtp", {{"host", document.smtp_host}, {"port", document.smtp_port}}},
      {"http", {{"url", url}}},
      {"ca_file", document.ca_file ? nlohmann::json(document.ca_file->string()) : nlohmann::json(nullptr)},
      {"pid", document.pid},
      {"version", document.version},
  };
  return ready.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_ready_file(const std::filesystem::path& path, const std::string& text) {
  // Beside the target, so the rename stays on one file system and so is atomic.
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      throw std::runtime_error("cannot write " + temporary.string() + ": " + std::strerror(errno));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    const std::string why = error.message();
    std::filesystem::remove(temporary, error);
    throw std::runtime_error("cannot write " + path.string() + ": " + why);
  }
}

}  // namespace maildog::cli
