// token.h - building and verifying one recipient's message-token.
//
// The token is X.411's asymmetric token, B{t, A, sgnData, Ap[encData]} in
// the paper's notation: the originator B signs the time t, the recipient
// name A, the signed-data (content-confidentiality algorithm, the CIC,
// proof-of-delivery request, sequence number) and the encrypted-data (the
// content key, under A's public key).  The signature covers all of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "asn1/x411.h"
#include "base/ossl.h"
#include "base/result.h"
#include "core/crypto.h"

namespace x400::core {

// TokenRequest is what one recipient's token says.
struct TokenRequest {
    std::string recipient;                               // the recipient's Internet address
    std::int64_t time = 0;                               // creation time, seconds since the epoch
    std::optional<asn1::AlgorithmId> content_algorithm;  // when content is encrypted
    std::optional<asn1::Signature> cic;                  // computed once per message
    bool proof_of_delivery = false;
    std::uint64_t sequence_number = 0;
    const SecretBytes* content_key = nullptr;  // null: no encrypted-data
    EVP_PKEY* recipient_key = nullptr;         // public key; needed with content_key
};

// build_message_token returns the DER of a signed message-token.
Result<Bytes> build_message_token(EVP_PKEY* originator_key, const TokenRequest& request);

// VerifiedToken is a token whose signature verified under the originator's
// key and whose recipient-name is the expected recipient.
struct VerifiedToken {
    asn1::MessageToken token;
    std::string recipient;
};

// peek_token_recipient decodes a token only far enough to name its
// recipient, so a recipient can find its own among several.
Result<std::string> peek_token_recipient(std::span<const std::uint8_t> der);

// verify_message_token decodes the token strictly, checks that its
// recipient-name is expected_recipient (Errc::not_for_us otherwise) and
// that the signature verifies under originator_key (Errc::verify).
Result<VerifiedToken> verify_message_token(std::span<const std::uint8_t> der,
                                           EVP_PKEY* originator_key,
                                           std::string_view expected_recipient);

// open_encrypted_data decrypts the token's encrypted-data with the
// recipient's private key and returns the content key.  The sequence number
// inside, when present, must equal the signed one.
Result<SecretBytes> open_encrypted_data(const asn1::MessageToken& token, EVP_PKEY* own_key);

// compute_cic signs the canonical content with the originator's key:
// X.411's ContentIntegrityCheck, SIGNATURE { algorithm-identifier, content }.
Result<asn1::Signature> compute_cic(EVP_PKEY* originator_key, std::string_view canonical);

// verify_cic checks a CIC over the canonical content under the
// originator's public key.
Status verify_cic(EVP_PKEY* originator_key, const asn1::Signature& cic, std::string_view canonical);

}  // namespace x400::core
