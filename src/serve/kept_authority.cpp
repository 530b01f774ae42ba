#include "serve/kept_authority.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace maildog::serve {

namespace {

constexpr const char* k_certificate_name = "ca.pem";
constexpr const char* k_key_name = "ca.key";

[[noreturn]] void throw_errno(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  return text.str();
}

// Written with `mode` from the first byte (a key is never readable by others, not even briefly).
void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    throw_errno("cannot write " + path.string());
  }
  // An older file keeps its mode through O_CREAT: set it again.
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    written += ok ? static_cast<std::size_t>(n) : 0;
  }
  ok = ::fsync(fd) == 0 && ok;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) {
    throw_errno("cannot write " + path.string());
  }
}

std::filesystem::path make_private_folder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "maildog-ci-serve-ca-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw_errno("cannot make a temporary folder for the CA");
  }
  return pattern;
}

smtp::CertificateAuthority load_or_make(const std::filesystem::path& folder, bool* reused) {
  const auto certificate = folder / k_certificate_name;
  const auto key = folder / k_key_name;
  if (std::filesystem::exists(certificate) && std::filesystem::exists(key)) {
    *reused = true;
    try {
      return smtp::CertificateAuthority::from_pem(read_file(certificate), read_file(key));
    } catch (const std::exception& error) {
      throw std::runtime_error(std::string(error.what()) + " (" + certificate.string() + ", " + key.string() +
                               "; remove both to make a new CA)");
    }
  }
  auto made = smtp::CertificateAuthority::generate("maildog-ci serve CA");
  // The key first: a certificate alone on disk is never taken for a usable CA.
  write_file(key, made.private_key_pem(), 0600);
  write_file(certificate, made.certificate_pem(), 0644);
  return made;
}

smtp::CertificateAuthority open_authority(const std::filesystem::path& data_dir, std::filesystem::path* temporary,
                                          std::filesystem::path* ca_file, bool* reused) {
  std::filesystem::path folder = data_dir;
  if (folder.empty()) {
    *temporary = make_private_folder();
    folder = *temporary;
  } else {
    std::filesystem::create_directories(folder);
  }
  *ca_file = std::filesystem::absolute(folder / k_certificate_name);
  try {
    return load_or_make(folder, reused);
  } catch (...) {
    if (!temporary->empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(*temporary, ignored);
    }
    throw;
  }
}

}  // namespace

KeptAuthority::KeptAuthority(const std::filesystem::path& data_dir)
    : m_authority(open_authority(data_dir, &m_temporary_folder, &m_ca_file, &m_reused)) {}

KeptAuthority::~KeptAuthority() {
  if (!m_temporary_folder.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(m_temporary_folder, ignored);
  }
}

}  // namespace maildog::serve
