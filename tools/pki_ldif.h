// pki_ldif.h - `x400sec pki ldif`: the directory entries for a test PKI.
//
// Reads a tree written by `pki create` (layout in tools/pki_common.h) and
// renders LDIF (RFC 2849) for an X.500-style directory with the RFC 4523
// PKI schema: dc entries down to each domain, a pkiCA entry per domain CA
// holding cACertificate;binary and one crossCertificatePair;binary value
// per cross-certificate (forward [0] when issued to this CA, reverse [1]
// when issued by it; X.509 CertificatePair), and pkiUser entries for users
// and message stores with userCertificate;binary.  The rogue CA is left out
// on purpose; a user it certified is not.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "base/ossl.h"
#include "base/result.h"
#include "tools/x400sec_cli.h"

namespace x400::tools {

struct PkiLdifOptions {
    std::filesystem::path dir;
    std::string suffix;  // dc=example
};

// pki_ldif returns the LDIF text, entries in parent-before-child order.
// Fails with Errc::config on a bad suffix or a domain outside it, Errc::io
// or Errc::decode when the tree is missing or holds something unexpected.
Result<std::string> pki_ldif(const PkiLdifOptions& opts);

// cert_pair_der encodes an X.509 CertificatePair with either half absent
// (null).  The certificates are borrowed.
Result<Bytes> cert_pair_der(X509* forward, X509* reverse);

// pki_ldif_main runs the subcommand on the words after "pki ldif" and
// returns the exit status.
int pki_ldif_main(const Args& args);

// pki_ldif_usage prints the subcommand's help.
void pki_ldif_usage(std::FILE* out);

}  // namespace x400::tools
