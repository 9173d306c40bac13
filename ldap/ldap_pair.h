// ldap_pair.h - the CertificatePair of a crossCertificatePair value
// (internal to ldap/ and its tests).
//
// X.509 (1997) section 11.2.3 and RFC 4523 section 2.3:
//
//   CertificatePair ::= SEQUENCE {
//       forward [0] Certificate OPTIONAL,  -- issued to this CA
//       reverse [1] Certificate OPTIONAL } -- issued by this CA
//
// Both tags are EXPLICIT, at least one element is present.  Later editions
// call the two issuedToThisCA and issuedByThisCA; Wireshark swaps those
// names, so trust the tag numbers, never a dissector's labels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/ossl.h"
#include "base/result.h"

namespace x400::ldap {

struct CertificatePair {
    X509Ptr forward;  // [0]: a certificate issued to the CA of the entry
    X509Ptr reverse;  // [1]: a certificate issued by the CA of the entry
};

// decode_certificate_pair decodes one DER CertificatePair.  It fails with
// Errc::decode on anything else: bad tags, a reversed or repeated element,
// an empty pair, indefinite lengths, bytes after the value.
Result<CertificatePair> decode_certificate_pair(const std::uint8_t* der, std::size_t len);

}  // namespace x400::ldap
