// ldap_policy.h - the settable inputs of one path validation, and what
// OpenSSL's verdict means for us (internal to ldap/).
//
// apply_path_options turns PathOptions into X509_VERIFY_PARAM settings:
// the initial inputs of RFC 5280 section 6.1.1 (user-initial-policy-set,
// initial-explicit-policy, initial-policy-mapping-inhibit,
// initial-any-policy-inhibit), the validation time and the CRL checks of
// section 6.3.  OpenSSL then does the basic constraints, key usage, name
// constraints and policy processing itself.  The verify callback applies
// the stale and missing CRL policies of DirectoryConfig; path_error maps
// OpenSSL's error to an Errc.
#pragma once

#include <string>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "ldap/directory.h"

namespace x400::ldap {

// VerifyNotes is one validation's state for the verify callback: the CRL
// policies to apply and the warnings that accepting under them produced.
struct VerifyNotes {
    StaleCrlPolicy stale_crl = StaleCrlPolicy::tempfail;
    MissingCrlPolicy missing_crl = MissingCrlPolicy::fail;
    std::vector<std::string> warnings;
};

// apply_path_options sets ctx's verification parameters from options,
// with depth as the longest chain.  Fails with Errc::config on a policy
// that is not a dotted OID.
Status apply_path_options(X509_STORE_CTX* ctx, const PathOptions& options, int depth);

// install_notes makes ctx apply notes' CRL policies; notes must outlive
// the X509_verify_cert call.
void install_notes(X509_STORE_CTX* ctx, VerifyNotes* notes);

// path_error describes why X509_verify_cert refused ctx's path: untrusted,
// or directory_unavailable for a stale CRL under StaleCrlPolicy::tempfail.
Error path_error(X509_STORE_CTX* ctx, StaleCrlPolicy stale_crl);

}  // namespace x400::ldap
