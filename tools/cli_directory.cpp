// cli_directory.cpp - shared LDAP connection options of the x400sec command.
#include "tools/cli_directory.h"

#include <utility>

namespace x400::tools {

Status apply_connection_options(const ParsedOptions& o, ldap::DirectoryConfig& c)
{
    c.uris = o.all("--uri");
    if (c.uris.empty()) {
        return make_error(Errc::config, "--uri is required");
    }
    if (o.has("--bind-dn") || o.has("--password-file")) {
        c.bind_method = ldap::BindMethod::simple;
        c.bind_dn = o.get("--bind-dn");
        auto pw = ldap::read_password_file(o.get("--password-file"));
        if (!pw) {
            return pw.error();
        }
        c.bind_password = std::move(*pw);
    }
    if (o.has("--sasl-external")) {
        c.bind_method = ldap::BindMethod::sasl_external;
    }
    if (o.has("--starttls")) {
        auto s = ldap::starttls_from(o.get("--starttls"));
        if (!s) {
            return s.error();
        }
        c.starttls = *s;
    }
    c.tls_cacert = o.get("--tls-cacert");
    if (o.has("--timeout")) {
        auto t = parse_count("--timeout", o.get("--timeout"), 100, 60000);
        if (!t) {
            return t.error();
        }
        c.timeout_ms = static_cast<int>(*t);
    }
    return {};
}

}  // namespace x400::tools
