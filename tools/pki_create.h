// pki_create.h - `x400sec pki create`: a test PKI of cross-certified CAs.
//
// For each mail domain a self-signed CA, cross-certificates between every
// ordered pair of those CAs, RSA user-agent certificates for the users, a
// message-store certificate per domain, and optionally an expired user and
// a user certified by a rogue CA that nobody trusts.  Certificates follow
// RFC 5280 (v3, SHA-256, random positive 16-byte serials); the key purposes
// are the extended key usages of core/scope.h.  It is a tool for tests and
// demonstrations: private keys are written unencrypted (mode 0600).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "tools/x400sec_cli.h"

namespace x400::tools {

struct PkiCreateOptions {
    std::filesystem::path dir;
    std::string suffix;                  // dc=example
    std::vector<std::string> domains;    // a.example, b.example
    std::vector<std::string> users;      // alice@a.example
    std::vector<std::string> expired;    // certificate expired yesterday
    std::vector<std::string> untrusted;  // certified by the rogue CA
    long days = 365;
    long bits = 2048;
    bool force = false;                  // replace the PKI in a non-empty dir
};

// pki_create writes the PKI under opts.dir (layout in tools/pki_common.h).
// Fails with Errc::config when the options are inconsistent (nothing is
// written then), Errc::io when dir is not empty and force is off or a file
// cannot be written, Errc::crypto or Errc::internal when OpenSSL fails.
Status pki_create(const PkiCreateOptions& opts);

// pki_create_main runs the subcommand on the words after "pki create" and
// returns the exit status.
int pki_create_main(const Args& args);

// pki_create_usage prints the subcommand's help.
void pki_create_usage(std::FILE* out);

}  // namespace x400::tools
