// ldap_revocation.h - where a certificate's CRLs live in the directory, and
// decoding them (internal to ldap/).
//
// RFC 5280 section 6.3 checks each certificate of a path against a CRL of
// its issuer.  In an X.500-style directory the CRL sits in the issuer's
// entry (certificateRevocationList, authorityRevocationList for CA
// certificates, deltaRevocationList; RFC 4523 sections 4.4-4.6), or in
// the entry a distribution point names (RFC 5280 section 4.2.1.13: a
// directoryName fullName, a name relative to the CRL issuer, or cRLIssuer
// for an indirect CRL).  Fetching is the caller's; this file only says
// where to look and turns attribute values into X509_CRL objects.
#pragma once

#include <vector>

#include "base/ossl.h"

namespace x400::ldap {

// crl_locations returns the directory names that may hold CRLs covering
// cert: its issuer first, then each distribution point's directory name
// and each cRLIssuer.  Duplicates are left in; names that are not
// directory names (URIs) are skipped.
std::vector<X509NamePtr> crl_locations(X509* cert);

// decode_crls decodes DER CertificateList values, skipping (and clearing
// OpenSSL's error queue for) any that do not decode completely.
std::vector<X509CrlPtr> decode_crls(const std::vector<Bytes>& values);

// crl_stack makes the STACK_OF(X509_CRL) that X509_STORE_CTX_set0_crls
// borrows, holding a reference to each CRL; null on allocation failure.
X509CrlStackPtr crl_stack(const std::vector<X509_CRL*>& crls);

}  // namespace x400::ldap
