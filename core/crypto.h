// crypto.h - the cryptographic primitives of the default profile.
//
// DESIGN.md section 4.4: signatures RSA-PSS with SHA-256 (MGF1-SHA-256,
// salt length 32), key transport RSA-OAEP with SHA-256 (MGF1-SHA-256), and
// content confidentiality AES-256-GCM with a 96-bit nonce and a 128-bit tag.
// Everything runs through OpenSSL's EVP interface; nothing here keeps state
// between calls except what the caller holds.  Keys are parsed once by the
// caller (load_private_key) and reused: parsing costs as much as signing.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "asn1/x411.h"
#include "base/ossl.h"
#include "base/result.h"

namespace x400::core {

using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s)
{
    return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// load_private_key reads a PEM private key.  It refuses a file that group
// or others may read (DESIGN.md section 5), naming the file.
Result<EvpPkeyPtr> load_private_key(const std::string& path);

// load_certificate reads one PEM certificate.
Result<X509Ptr> load_certificate(const std::string& path);

// signature_algorithm returns the AlgorithmIdentifier that sign() produces
// with this key: RSASSA-PSS (1.2.840.113549.1.1.10) with its parameters.
Result<asn1::AlgorithmId> signature_algorithm(EVP_PKEY* key);

// Signer computes one signature over data given in pieces, so a large
// content never needs a second copy.
class Signer {
public:
    static Result<Signer> create(EVP_PKEY* key);
    Status update(ByteView data);
    Result<Bytes> finish();

private:
    explicit Signer(EvpMdCtxPtr ctx) : m_ctx(std::move(ctx))
    {
    }

    EvpMdCtxPtr m_ctx;
};

// sign signs data with the profile's algorithm for the key.
Result<Bytes> sign(EVP_PKEY* key, ByteView data);

// Verifier checks one signature over data given in pieces.  create fails
// with Errc::verify if alg is not an algorithm of the profile.
class Verifier {
public:
    static Result<Verifier> create(EVP_PKEY* key, const asn1::AlgorithmId& alg);
    Status update(ByteView data);
    // finish returns success only if the signature verifies.
    Status finish(ByteView signature);

private:
    explicit Verifier(EvpMdCtxPtr ctx) : m_ctx(std::move(ctx))
    {
    }

    EvpMdCtxPtr m_ctx;
};

Status verify(EVP_PKEY* key, const asn1::AlgorithmId& alg, ByteView data, ByteView signature);

// key_transport_algorithm is the AlgorithmIdentifier of RSAES-OAEP with
// SHA-256 and MGF1-SHA-256 (RFC 4055 section 4.1).
Result<asn1::AlgorithmId> key_transport_algorithm();

// wrap_key encrypts a short plaintext to a recipient's public key with
// RSA-OAEP; unwrap_key reverses it with the private key.
Result<Bytes> wrap_key(EVP_PKEY* recipient, ByteView plaintext);
Result<SecretBytes> unwrap_key(EVP_PKEY* own_key, const asn1::AlgorithmId& alg, ByteView wrapped);

// ContentKey is a fresh AES-256 key and GCM nonce for one message.
struct ContentKey {
    SecretBytes key;  // 32 bytes
    Bytes nonce;      // 12 bytes
};

Result<ContentKey> new_content_key();

// content_algorithm returns aes256-GCM (2.16.840.1.101.3.4.1.46) with
// GCMParameters { aes-nonce, aes-ICVlen 16 } (RFC 5084 section 3.2);
// content_nonce reads the nonce back and checks the ICV length.
Result<asn1::AlgorithmId> content_algorithm(const ContentKey& ck);
Result<Bytes> content_nonce(const asn1::AlgorithmId& alg);

// encrypt_content returns ciphertext followed by the 16-byte GCM tag;
// decrypt_content checks the tag and fails with Errc::verify on mismatch.
Result<Bytes> encrypt_content(const ContentKey& ck, ByteView plaintext);
Result<Bytes> decrypt_content(ByteView key, ByteView nonce, ByteView sealed);

// sha256 of data.
Result<Bytes> sha256(ByteView data);

}  // namespace x400::core
