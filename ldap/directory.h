// directory.h - certificates from an X.500-style directory over LDAP.
//
// Directory looks up a user's certificate by Internet mail address
// (userCertificate;binary, RFC 4523), discovers a certification path
// through the issuers' entries (cACertificate;binary and both halves of
// crossCertificatePair;binary), and validates it with OpenSSL up to the
// configured trust anchors, requiring the extended key usage purpose of the
// requested KeyScope.  It does not chase referrals.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "core/scope.h"

namespace x400::ldap {

struct DirectoryConfig {
    std::vector<std::string> uris;         // tried in order, e.g. ldap://127.0.0.1:3890
    std::string base;                      // search base for users, e.g. dc=example
    std::string user_filter = "(mail=%s)"; // %s: the RFC 4515-escaped address
    std::string bind_dn;                   // empty: anonymous
    std::string bind_password;
    int timeout_ms = 5000;                 // connect and search limit
    int max_path_length = 8;               // certificates between user and anchor
    std::string trust_anchors_file;        // PEM file of trusted CA certificates
};

// ValidatedCertificate is a certificate whose path was validated just now.
struct ValidatedCertificate {
    X509Ptr certificate;
    std::vector<X509Ptr> path;  // from the certificate up to the anchor, inclusive
};

class Directory {
public:
    // open connects lazily: it checks the configuration and loads the trust
    // anchors, and fails only on those.  Thread-safe after open.
    static Result<std::unique_ptr<Directory>> open(const DirectoryConfig& config);

    virtual ~Directory() = default;

    // certificate_for returns the first of the address's certificates
    // whose path validates with the given scope.  Errors:
    // directory_unavailable (server down, timeout, garbage), no_certificate
    // (no entry or no certificate), untrusted (every candidate failed path
    // validation; detail says why for the last one).
    virtual Result<ValidatedCertificate> certificate_for(std::string_view mail,
                                                         KeyScope scope) = 0;

    // validate checks an already held certificate the same way, fetching
    // only the issuers' material from the directory.
    virtual Result<ValidatedCertificate> validate(X509* certificate, KeyScope scope) = 0;
};

// ldap_filter_escape escapes a value for an LDAP search filter (RFC 4515
// section 3: '*', '(', ')', '\\' and NUL as \XX, and any non-ASCII byte).
std::string ldap_filter_escape(std::string_view value);

// ldap_dn_from_name returns the LDAP string form of a distinguished name
// (RFC 4514: last RDN first, RFC 4514 escaping, unknown attribute types as
// dotted OIDs with #hex values), e.g. "CN=CA,DC=a,DC=example".  Fails with
// Errc::decode if OpenSSL cannot print the name.
Result<std::string> ldap_dn_from_name(const X509_NAME* name);

}  // namespace x400::ldap
