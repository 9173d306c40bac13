// cli_directory.h - the LDAP connection options that several x400sec
// commands share (--uri, --bind-dn, --password-file, --sasl-external,
// --starttls, --tls-cacert, --timeout), read once into a DirectoryConfig.
#pragma once

#include "ldap/directory.h"
#include "tools/x400sec_cli.h"

namespace x400::tools {

// apply_connection_options fills the connection part of c from o: URIs,
// bind method and credentials, TLS and the time limit.  Fails with
// Errc::config on a bad value or when no --uri was given.
Status apply_connection_options(const ParsedOptions& o, ldap::DirectoryConfig& c);

}  // namespace x400::tools
