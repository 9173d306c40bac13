// crypto.cpp - RSA-PSS, RSA-OAEP and AES-256-GCM through OpenSSL EVP.
#include "core/crypto.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

namespace x400::core {

namespace {

constexpr int k_pss_salt_len = 32;
constexpr std::size_t k_gcm_tag_len = 16;
constexpr std::size_t k_gcm_nonce_len = 12;
constexpr const char* k_oid_rsassa_pss = "1.2.840.113549.1.1.10";
constexpr const char* k_oid_rsaes_oaep = "1.2.840.113549.1.1.7";
constexpr const char* k_oid_aes256_gcm = "2.16.840.1.101.3.4.1.46";

// RSAES-OAEP-params for SHA-256 and MGF1-SHA-256, pSourceFunc left at its
// default (RFC 4055 section 4.1).  The hash AlgorithmIdentifiers are written
// without parameters, as OpenSSL's CMS does; the form with NULL parameters
// (RFC 4055's own rSAES-OAEP-SHA256-Params) is accepted as well.
const std::uint8_t k_oaep_sha256_params[] = {
    0x30, 0x2b, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x01, 0xa1, 0x1a, 0x30, 0x18, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
};
const std::uint8_t k_oaep_sha256_null_params[] = {
    0x30, 0x2f, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a,
    0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60,
    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
};

bool is_rsa(EVP_PKEY* key)
{
    return EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS");
}

// set_pss configures a signature context for the profile's RSA-PSS.
bool set_pss(EVP_PKEY_CTX* pctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, k_pss_salt_len) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

bool set_oaep(EVP_PKEY_CTX* pctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

}  // namespace

Result<EvpPkeyPtr> load_private_key(const std::string& path)
{
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        return make_error(Errc::io, "cannot read key file '" + path + "'");
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        return make_error(Errc::config,
                          "key file '" + path + "' is accessible by group or others; chmod 600 it");
    }
    std::unique_ptr<FILE, int (*)(FILE*)> fp(std::fopen(path.c_str(), "r"), std::fclose);
    if (!fp) return make_error(Errc::io, "cannot open key file '" + path + "'");
    EvpPkeyPtr key(PEM_read_PrivateKey(fp.get(), nullptr, nullptr, nullptr));
    if (!key) return ossl_error(Errc::config, "cannot parse key file '" + path + "'");
    return key;
}

Result<X509Ptr> load_certificate(const std::string& path)
{
    std::unique_ptr<FILE, int (*)(FILE*)> fp(std::fopen(path.c_str(), "r"), std::fclose);
    if (!fp) return make_error(Errc::io, "cannot open certificate file '" + path + "'");
    X509Ptr cert(PEM_read_X509(fp.get(), nullptr, nullptr, nullptr));
    if (!cert) return ossl_error(Errc::config, "cannot parse certificate '" + path + "'");
    return cert;
}

namespace {

// pss_sign_context sets up a digest-and-sign context for the profile's
// RSA-PSS; *pctx is borrowed from the returned context.
Result<EvpMdCtxPtr> pss_sign_context(EVP_PKEY* key, EVP_PKEY_CTX** pctx)
{
    if (!is_rsa(key)) {
        return make_error(Errc::config, "only RSA keys are supported by this profile");
    }
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), pctx, EVP_sha256(), nullptr, key) != 1 ||
        !set_pss(*pctx)) {
        return ossl_error(Errc::crypto, "cannot set up RSA-PSS signing");
    }
    return ctx;
}

}  // namespace

Result<asn1::AlgorithmId> signature_algorithm(EVP_PKEY* key)
{
    // OpenSSL states the AlgorithmIdentifier of a configured signature
    // context itself, PSS parameters included.
    EVP_PKEY_CTX* pctx = nullptr;
    auto ctx = pss_sign_context(key, &pctx);
    if (!ctx) return ctx.error();
    std::uint8_t buf[128];
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, buf, sizeof buf),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_PKEY_CTX_get_params(pctx, params) != 1 || params[0].return_size == 0) {
        return ossl_error(Errc::crypto, "cannot get the RSA-PSS algorithm identifier");
    }
    return asn1::AlgorithmId{Bytes(buf, buf + params[0].return_size)};
}

Result<Signer> Signer::create(EVP_PKEY* key)
{
    EVP_PKEY_CTX* pctx = nullptr;
    auto ctx = pss_sign_context(key, &pctx);
    if (!ctx) return ctx.error();
    return Signer(std::move(*ctx));
}

Status Signer::update(ByteView data)
{
    if (EVP_DigestSignUpdate(m_ctx.get(), data.data(), data.size()) != 1) {
        return ossl_error(Errc::crypto, "signing failed");
    }
    return {};
}

Result<Bytes> Signer::finish()
{
    std::size_t len = 0;
    if (EVP_DigestSignFinal(m_ctx.get(), nullptr, &len) != 1) {
        return ossl_error(Errc::crypto, "signing failed");
    }
    Bytes sig(len);
    if (EVP_DigestSignFinal(m_ctx.get(), sig.data(), &len) != 1) {
        return ossl_error(Errc::crypto, "signing failed");
    }
    sig.resize(len);
    return sig;
}

Result<Bytes> sign(EVP_PKEY* key, ByteView data)
{
    auto signer = Signer::create(key);
    if (!signer) return signer.error();
    X400_TRY(signer->update(data));
    return signer->finish();
}

Result<Verifier> Verifier::create(EVP_PKEY* key, const asn1::AlgorithmId& alg)
{
    // Only the profile's algorithm is accepted, with exactly the
    // parameters this key would produce: no negotiation of weaker ones.
    auto oid = asn1::algorithm_oid(alg);
    if (!oid) return oid.error();
    if (*oid != k_oid_rsassa_pss || !is_rsa(key)) {
        return make_error(Errc::verify, "signature algorithm " + *oid + " is not accepted");
    }
    auto expected = signature_algorithm(key);
    if (!expected) return expected.error();
    if (!(*expected == alg)) {
        return make_error(Errc::verify, "RSA-PSS parameters other than SHA-256/MGF1-SHA-256/32");
    }
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1 ||
        !set_pss(pctx)) {
        return ossl_error(Errc::crypto, "cannot set up RSA-PSS verification");
    }
    return Verifier(std::move(ctx));
}

Status Verifier::update(ByteView data)
{
    if (EVP_DigestVerifyUpdate(m_ctx.get(), data.data(), data.size()) != 1) {
        return ossl_error(Errc::crypto, "verification failed to run");
    }
    return {};
}

Status Verifier::finish(ByteView signature)
{
    int rc = EVP_DigestVerifyFinal(m_ctx.get(), signature.data(), signature.size());
    if (rc != 1) {
        ERR_clear_error();
        return make_error(Errc::verify, "signature does not verify");
    }
    return {};
}

Status verify(EVP_PKEY* key, const asn1::AlgorithmId& alg, ByteView data, ByteView signature)
{
    auto v = Verifier::create(key, alg);
    if (!v) return v.error();
    X400_TRY(v->update(data));
    return v->finish(signature);
}

Result<asn1::AlgorithmId> key_transport_algorithm()
{
    return asn1::make_algorithm_id(
        k_oid_rsaes_oaep, Bytes(std::begin(k_oaep_sha256_params), std::end(k_oaep_sha256_params)));
}

Result<Bytes> wrap_key(EVP_PKEY* recipient, ByteView plaintext)
{
    if (!is_rsa(recipient)) {
        return make_error(Errc::config, "recipient key is not RSA; key transport needs RSA-OAEP");
    }
    EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, recipient, nullptr));
    if (!pctx || EVP_PKEY_encrypt_init(pctx.get()) != 1 || !set_oaep(pctx.get())) {
        return ossl_error(Errc::crypto, "cannot set up RSA-OAEP");
    }
    std::size_t len = 0;
    if (EVP_PKEY_encrypt(pctx.get(), nullptr, &len, plaintext.data(), plaintext.size()) != 1) {
        return ossl_error(Errc::crypto, "RSA-OAEP encryption failed");
    }
    Bytes out(len);
    if (EVP_PKEY_encrypt(pctx.get(), out.data(), &len, plaintext.data(), plaintext.size()) != 1) {
        return ossl_error(Errc::crypto, "RSA-OAEP encryption failed");
    }
    out.resize(len);
    return out;
}

Result<SecretBytes> unwrap_key(EVP_PKEY* own_key, const asn1::AlgorithmId& alg, ByteView wrapped)
{
    auto expected = key_transport_algorithm();
    if (!expected) return expected.error();
    auto with_null = asn1::make_algorithm_id(
        k_oid_rsaes_oaep,
        Bytes(std::begin(k_oaep_sha256_null_params), std::end(k_oaep_sha256_null_params)));
    if (!with_null) return with_null.error();
    if (!(alg == *expected) && !(alg == *with_null)) {
        return make_error(Errc::verify, "key transport algorithm is not RSAES-OAEP-SHA256");
    }
    EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own_key, nullptr));
    if (!pctx || EVP_PKEY_decrypt_init(pctx.get()) != 1 || !set_oaep(pctx.get())) {
        return ossl_error(Errc::crypto, "cannot set up RSA-OAEP");
    }
    std::size_t len = 0;
    if (EVP_PKEY_decrypt(pctx.get(), nullptr, &len, wrapped.data(), wrapped.size()) != 1) {
        ERR_clear_error();
        return make_error(Errc::verify, "encrypted-data does not decrypt with our key");
    }
    SecretBytes out(len);
    if (EVP_PKEY_decrypt(pctx.get(), out.data(), &len, wrapped.data(), wrapped.size()) != 1) {
        ERR_clear_error();
        return make_error(Errc::verify, "encrypted-data does not decrypt with our key");
    }
    out.resize(len);
    return out;
}

Result<ContentKey> new_content_key()
{
    ContentKey ck{SecretBytes(32), Bytes(k_gcm_nonce_len)};
    if (RAND_bytes(ck.key.data(), static_cast<int>(ck.key.size())) != 1 ||
        RAND_bytes(ck.nonce.data(), static_cast<int>(ck.nonce.size())) != 1) {
        return ossl_error(Errc::crypto, "random number generator failed");
    }
    return ck;
}

Result<asn1::AlgorithmId> content_algorithm(const ContentKey& ck)
{
    // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen
    // INTEGER DEFAULT 12 }: 16 differs from the default, so it is encoded.
    const auto n = static_cast<std::uint8_t>(ck.nonce.size());
    Bytes p;
    p.reserve(4u + n + 3u);
    for (std::uint8_t b :
         {std::uint8_t{0x30}, static_cast<std::uint8_t>(2 + n + 3), std::uint8_t{0x04}, n}) {
        p.push_back(b);
    }
    for (std::uint8_t b : ck.nonce) p.push_back(b);
    for (std::uint8_t b :
         {std::uint8_t{0x02}, std::uint8_t{0x01}, static_cast<std::uint8_t>(k_gcm_tag_len)}) {
        p.push_back(b);
    }
    return asn1::make_algorithm_id(k_oid_aes256_gcm, p);
}

Result<Bytes> content_nonce(const asn1::AlgorithmId& alg)
{
    auto oid = asn1::algorithm_oid(alg);
    if (!oid) return oid.error();
    if (*oid != k_oid_aes256_gcm) {
        return make_error(Errc::verify, "content algorithm " + *oid + " is not accepted");
    }
    auto p = asn1::algorithm_params(alg);
    if (!p) return p.error();
    const Bytes& b = *p;
    const std::size_t n = k_gcm_nonce_len;
    if (b.size() != 2 + 2 + n + 3 || b[0] != 0x30 || b[1] != b.size() - 2 || b[2] != 0x04 ||
        b[3] != n || b[4 + n] != 0x02 || b[5 + n] != 0x01 || b[6 + n] != k_gcm_tag_len) {
        return make_error(Errc::decode, "GCM parameters are not a 12-byte nonce and 16-byte tag");
    }
    return Bytes(b.begin() + 4, b.begin() + 4 + static_cast<std::ptrdiff_t>(n));
}

Result<Bytes> encrypt_content(const ContentKey& ck, ByteView plaintext)
{
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    Bytes out(plaintext.size() + k_gcm_tag_len);
    if (!ctx ||
        EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), ck.key.data(), ck.nonce.data(),
                            nullptr) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, k_gcm_tag_len,
                            out.data() + plaintext.size()) != 1) {
        return ossl_error(Errc::crypto, "AES-256-GCM encryption failed");
    }
    return out;
}

Result<Bytes> decrypt_content(ByteView key, ByteView nonce, ByteView sealed)
{
    if (key.size() != 32 || nonce.size() != k_gcm_nonce_len || sealed.size() < k_gcm_tag_len) {
        return make_error(Errc::decode, "encrypted content or its key has the wrong size");
    }
    const std::size_t n = sealed.size() - k_gcm_tag_len;
    Bytes tag(sealed.begin() + static_cast<std::ptrdiff_t>(n), sealed.end());
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    Bytes out(n);
    int len = 0;
    if (!ctx ||
        EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.data(), nonce.data(), nullptr) != 1 ||
        EVP_DecryptUpdate(ctx.get(), out.data(), &len, sealed.data(), static_cast<int>(n)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, k_gcm_tag_len, tag.data()) != 1) {
        return ossl_error(Errc::crypto, "AES-256-GCM decryption failed to run");
    }
    if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) != 1) {
        ERR_clear_error();
        OPENSSL_cleanse(out.data(), out.size());
        return make_error(Errc::verify, "encrypted content fails its GCM integrity check");
    }
    return out;
}

Result<Bytes> sha256(ByteView data)
{
    Bytes out(32);
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
        return ossl_error(Errc::crypto, "SHA-256 failed");
    }
    return out;
}

}  // namespace x400::core
