// x411.h - the X.411 structures x400sec uses, and their strict DER codec.
//
// The ASN.1 module these types follow is asn1/X400SEC.asn; its companion
// text asn1/README.md records every choice made where X.411 allows one.
// Tags follow X.411 (MTSAbstractService, DEFINITIONS IMPLICIT TAGS): a
// CHOICE or an open type is tagged explicitly, anything else implicitly.
//
// Decoding is strict DER: a definite length everywhere, no bytes after the
// outermost value, input no longer than DecodeLimits::max_size, and the
// value must re-encode to exactly the input (so any non-canonical BER, such
// as a long-form length that fits the short form, is refused).  Nothing
// here does cryptography: signatures and encrypted data are carried as
// bytes and checked by core/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"

namespace x400::asn1 {

// DecodeLimits bounds what a decoder accepts before it looks deeper.
struct DecodeLimits {
    std::size_t max_size = 64 * 1024;  // whole encoding, in bytes
};

// AlgorithmId is the complete DER of an X.509 AlgorithmIdentifier
// (SEQUENCE { algorithm OID, parameters ANY OPTIONAL }).
struct AlgorithmId {
    Bytes der;
    bool operator==(const AlgorithmId&) const = default;
};

// make_algorithm_id builds an AlgorithmIdentifier from a dotted OID and the
// DER of its parameters (empty: parameters absent).
Result<AlgorithmId> make_algorithm_id(const std::string& dotted_oid, const Bytes& params_der);

// algorithm_oid returns the dotted OID of an AlgorithmIdentifier.
Result<std::string> algorithm_oid(const AlgorithmId& alg);

// algorithm_params returns the DER of the parameters, empty when absent.
Result<Bytes> algorithm_params(const AlgorithmId& alg);

// Signature is what X.411's SIGNATURE{} leaves on the wire:
// SEQUENCE { algorithmIdentifier AlgorithmIdentifier, encrypted BIT STRING }.
struct Signature {
    AlgorithmId algorithm;
    Bytes bits;  // the signature octets (BIT STRING, no unused bits)
    bool operator==(const Signature&) const = default;
};

// ORName, profile for Internet mail: an O/R address with empty built-in
// standard attributes and the RFC 2156 section 4.3.2 "RFC-822" built-in
// domain-defined attribute holding the address (continued in RFC822C1..3
// past 128 characters).  Other standard attributes are kept as given so a
// gateway can fill them; directory-name is not used.
struct ORName {
    std::string country;                  // [APPLICATION 1] printable, or empty
    std::string admd;                     // [APPLICATION 2] printable, or empty
    std::string prmd;                     // [2] printable, or empty
    std::string organization;             // [3], or empty
    std::string surname;                  // personal-name [5] surname, or empty
    std::string given_name;               // personal-name given-name, or empty
    std::vector<std::string> org_units;   // [6], at most 4
    std::string rfc822;                   // the Internet address, decoded
    bool operator==(const ORName&) const = default;
};

// rfc822_to_printable encodes an address for the RFC-822 DDA as RFC 2156
// section 3.4 says: (a) for @, (p) %, (b) !, (q) ", (u) _, (l) (, (r) ),
// (ddd) for anything PrintableString lacks.  printable_to_rfc822 reverses it
// (any case accepted) and fails on a malformed escape.
std::string rfc822_to_printable(std::string_view address);
Result<std::string> printable_to_rfc822(std::string_view printable);

// MessageTokenSignedData (X.411), the sgnData of the paper.
struct MessageTokenSignedData {
    std::optional<AlgorithmId> content_confidentiality_algorithm;  // [0]
    std::optional<Signature> content_integrity_check;              // [1]
    bool proof_of_delivery_requested = false;                      // [3], absent if false
    std::optional<std::uint64_t> message_sequence_number;          // [4]
    bool operator==(const MessageTokenSignedData&) const = default;
};

// MessageTokenEncryptedData (X.411), the encData of the paper, before
// encryption.
struct MessageTokenEncryptedData {
    std::optional<Bytes> content_confidentiality_key;      // [0] BIT STRING
    std::optional<std::uint64_t> message_sequence_number;  // [4]
    bool operator==(const MessageTokenEncryptedData&) const = default;
};

// AsymmetricTokenData, the part of the token the originator signs.
struct AsymmetricTokenData {
    AlgorithmId signature_algorithm;
    ORName recipient_name;
    std::int64_t time = 0;  // seconds since the epoch, UTCTime on the wire
    std::optional<MessageTokenSignedData> signed_data;  // [0] TokenData type 2
    std::optional<AlgorithmId> encryption_algorithm;    // [1]
    std::optional<Bytes> encrypted_data;                // [2] BIT STRING
    bool operator==(const AsymmetricTokenData&) const = default;
};

// MessageToken: Token { [0] id-tok-asymmetricToken, [1] AsymmetricToken }
// with AsymmetricToken = SIGNED { AsymmetricTokenData }.
struct MessageToken {
    AsymmetricTokenData data;
    Bytes data_der;  // exact DER of AsymmetricTokenData: what was signed
    AlgorithmId signature_algorithm;
    Bytes signature;
};

// encode_token_data returns the DER of AsymmetricTokenData; the caller signs
// exactly these bytes.
Result<Bytes> encode_token_data(const AsymmetricTokenData& data);

// encode_message_token wraps signed token data into a Token.  data_der must
// be the output of encode_token_data.
Result<Bytes> encode_message_token(const Bytes& data_der, const AlgorithmId& sig_alg,
                                   const Bytes& signature);

// decode_message_token parses a Token strictly (see the file comment).  It
// checks the token-type-identifier is id-tok-asymmetricToken (2.6.3.6.0)
// and that signed-data, when present, is TokenData of type 2.
Result<MessageToken> decode_message_token(std::span<const std::uint8_t> der,
                                          const DecodeLimits& limits = {});

// encode_encrypted_data returns the DER of TokenData { type 3,
// MessageTokenEncryptedData }: the plaintext that core encrypts into
// encrypted-data.  decode_encrypted_data reverses it, strictly.
Result<Bytes> encode_encrypted_data(const MessageTokenEncryptedData& enc);
Result<MessageTokenEncryptedData> decode_encrypted_data(std::span<const std::uint8_t> der,
                                                        const DecodeLimits& limits = {});

// encode_or_name / decode_or_name: ORName alone ([APPLICATION 0]).
Result<Bytes> encode_or_name(const ORName& name);
Result<ORName> decode_or_name(std::span<const std::uint8_t> der, const DecodeLimits& limits = {});

// encode_signature / decode_signature: the Signature SEQUENCE alone.
Result<Bytes> encode_signature(const Signature& sig);
Result<Signature> decode_signature(std::span<const std::uint8_t> der,
                                   const DecodeLimits& limits = {});

// cic_argument_prefix returns the DER header bytes of the CIC's signed
// argument, SEQUENCE { algorithm-identifier AlgorithmIdentifier, content
// OCTET STRING }, up to and including the OCTET STRING's tag and length, for
// content_len bytes of content.  Appending the content gives the complete
// DER, so a signer can stream the content through a digest.
Result<Bytes> cic_argument_prefix(const AlgorithmId& alg, std::size_t content_len);

// Object identifiers used by the module.
inline constexpr const char* k_id_tok_asymmetric_token = "2.6.3.6.0";

}  // namespace x400::asn1
