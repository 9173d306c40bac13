// x411_internal.h - shared insides of the X.411 codec (not a public header).
//
// The C structures that OpenSSL's ASN.1 templates (asn1t.h) fill, one per
// X.411 type we use, and the strict DER helpers the codec files share.
// The templates themselves live in x411.cpp and x411_orname.cpp; the
// module they implement is asn1/X400SEC.asn.  Only asn1/*.cpp include this.
#pragma once

#include <openssl/asn1t.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "asn1/x411.h"
#include "base/ossl.h"
#include "base/result.h"

namespace x400::asn1::detail {

// BuiltInDomainDefinedAttribute ::= SEQUENCE { type, value PrintableString }
struct X400_DDA {
    ASN1_PRINTABLESTRING* type;
    ASN1_PRINTABLESTRING* value;
};
DEFINE_STACK_OF(X400_DDA)

// OpenSSL 3.0 declares no stack of PrintableString; organizational-unit-
// names needs one.
DEFINE_STACK_OF(ASN1_PRINTABLESTRING)

// PersonalName ::= SET { surname [0], given-name [1] OPTIONAL, ... }.
// Under its implicit [5] tag a SET and a SEQUENCE encode alike, and DER
// (X.690 10.3) orders SET components by tag, which is declaration order
// here; so a SEQUENCE template gives exactly the DER of the SET.
struct X400_PERSONAL_NAME {
    ASN1_PRINTABLESTRING* surname;
    ASN1_PRINTABLESTRING* given_name;
    ASN1_PRINTABLESTRING* initials;
    ASN1_PRINTABLESTRING* generation;
};

// BuiltInStandardAttributes, with the fields our profile carries.
struct X400_BISA {
    ASN1_STRING* country;                      // [APPLICATION 1] CHOICE
    ASN1_STRING* admd;                         // [APPLICATION 2] CHOICE
    ASN1_STRING* prmd;                         // [2] CHOICE
    ASN1_PRINTABLESTRING* organization;        // [3]
    X400_PERSONAL_NAME* personal_name;         // [5]
    STACK_OF(ASN1_PRINTABLESTRING)* org_units; // [6]
};

// ORName ::= [APPLICATION 0] SEQUENCE { COMPONENTS OF ORAddress, ... }
struct X400_ORNAME {
    X400_BISA* standard;
    STACK_OF(X400_DDA)* ddas;
};

DECLARE_ASN1_ITEM(X400_ORNAME)

// der_decode parses der as one value of item: at most limits.max_size
// bytes, nothing after it, and its re-encoding equal to der (X.690 10:
// DER has exactly one encoding per value).  what names the value in
// errors.  The result is owned; cast it to the item's C type.
Result<Asn1ItemPtr<ASN1_VALUE>> der_decode(std::span<const std::uint8_t> der,
                                           const ASN1_ITEM* item, const DecodeLimits& limits,
                                           std::string_view what);

// der_encode returns the DER of value, described by item.
Result<Bytes> der_encode(const void* value, const ASN1_ITEM* item, std::string_view what);

// Field conversions.  The "from" functions validate what they read and
// name the field in their errors; the "to" functions allocate.
bool is_printable(std::string_view s);
Result<std::string> printable_from(const ASN1_STRING* s, std::string_view field,
                                   std::size_t min_len, std::size_t max_len);
Result<Asn1StringPtr> printable_to(std::string_view s, std::string_view field,
                                   std::size_t min_len, std::size_t max_len);
Result<std::uint64_t> uint_from(const ASN1_INTEGER* i, std::string_view field);
Result<Asn1StringPtr> uint_to(std::uint64_t v);
Result<Bytes> bits_from(const ASN1_BIT_STRING* b, std::string_view field);
Result<Asn1StringPtr> bits_to(const Bytes& bytes);
Result<std::int64_t> utc_time_from(const ASN1_UTCTIME* t, std::string_view field);
Result<Asn1StringPtr> utc_time_to(std::int64_t epoch_seconds);
Result<X509AlgorPtr> algorithm_to(const AlgorithmId& alg, std::string_view field);
Result<AlgorithmId> algorithm_from(const X509_ALGOR* alg, std::string_view field);

// ORName conversions, for the token codec (x411_orname.cpp).
Result<Asn1ItemPtr<X400_ORNAME>> or_name_to(const ORName& name);
Result<ORName> or_name_from(const X400_ORNAME* name);

}  // namespace x400::asn1::detail
