#include "smtp/server_config.hpp"

#include "core/name_table.hpp"

namespace maildog::smtp {

namespace {
constexpr NameTable<TlsMode, 4> k_tls_modes{{
    {TlsMode::none, "none"},
    {TlsMode::starttls, "starttls"},
    {TlsMode::required, "required"},
    {TlsMode::implicit, "implicit"},
}};
constexpr NameTable<AuthMechanism, 3> k_mechanisms{{
    {AuthMechanism::plain, "PLAIN"},
    {AuthMechanism::login, "LOGIN"},
    {AuthMechanism::cram_md5, "CRAM-MD5"},
}};

}  // namespace

std::string_view to_string(TlsMode mode) { return name_of(k_tls_modes, mode); }
std::optional<TlsMode> parse_tls_mode(std::string_view text) { return lookup_name(k_tls_modes, text); }
std::string_view to_string(AuthMechanism mechanism) { return name_of(k_mechanisms, mechanism); }
std::optional<AuthMechanism> parse_auth_mechanism(std::string_view text) { return lookup_name(k_mechanisms, text); }

}  // namespace maildog::smtp
