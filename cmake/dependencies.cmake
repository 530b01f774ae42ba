# Every dependency comes from a Debian 12 package (ci/install-deps.sh); nothing is downloaded.
find_package(Boost 1.81 REQUIRED CONFIG)
find_package(OpenSSL 3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(Threads REQUIRED)
# `serve`'s durable message store (WAL).
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)
# DMARC organisational domains (RFC 7489 3.2) from the Public Suffix List.
pkg_check_modules(PSL REQUIRED IMPORTED_TARGET libpsl)
# MIME parsing for expect.delivered[].mime and the inspector (RFC 2045-2049, 2047, 2231).
pkg_check_modules(GMIME REQUIRED IMPORTED_TARGET gmime-3.0)
find_path(VALIJSON_INCLUDE_DIR valijson/validator.hpp REQUIRED)
add_library(valijson INTERFACE)
target_include_directories(valijson SYSTEM INTERFACE "${VALIJSON_INCLUDE_DIR}")
