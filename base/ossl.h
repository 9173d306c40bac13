// ossl.h - RAII for OpenSSL handles, and draining OpenSSL's error queue.
//
// One std::unique_ptr alias per OpenSSL type, with its free function as the
// deleter.  This header is the only place in the tree that names those free
// functions.  A get1/new result is wrapped at once; a get0 result is
// borrowed and never wrapped.  Secret bytes live in SecretBytes, which
// clears itself.
#pragma once

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace x400 {

template <class T, void (*F)(T*)>
struct OsslDeleter {
    void operator()(T* p) const { F(p); }
};

#define X400_OSSL_PTR(name, type, fn) \
    using name = std::unique_ptr<type, OsslDeleter<type, fn>>

X400_OSSL_PTR(EvpPkeyPtr, EVP_PKEY, EVP_PKEY_free);
X400_OSSL_PTR(EvpPkeyCtxPtr, EVP_PKEY_CTX, EVP_PKEY_CTX_free);
X400_OSSL_PTR(EvpMdCtxPtr, EVP_MD_CTX, EVP_MD_CTX_free);
X400_OSSL_PTR(EvpCipherCtxPtr, EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
X400_OSSL_PTR(X509Ptr, X509, X509_free);
X400_OSSL_PTR(X509NamePtr, X509_NAME, X509_NAME_free);
X400_OSSL_PTR(X509StorePtr, X509_STORE, X509_STORE_free);
X400_OSSL_PTR(X509StoreCtxPtr, X509_STORE_CTX, X509_STORE_CTX_free);
X400_OSSL_PTR(X509CrlPtr, X509_CRL, X509_CRL_free);
X400_OSSL_PTR(X509AlgorPtr, X509_ALGOR, X509_ALGOR_free);
X400_OSSL_PTR(X509ExtensionPtr, X509_EXTENSION, X509_EXTENSION_free);
X400_OSSL_PTR(ExtendedKeyUsagePtr, EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free);
X400_OSSL_PTR(BioPtr, BIO, BIO_free_all);
X400_OSSL_PTR(BignumPtr, BIGNUM, BN_free);
X400_OSSL_PTR(Asn1IntegerPtr, ASN1_INTEGER, ASN1_INTEGER_free);
X400_OSSL_PTR(Asn1ObjectPtr, ASN1_OBJECT, ASN1_OBJECT_free);
X400_OSSL_PTR(Asn1TimePtr, ASN1_TIME, ASN1_TIME_free);
X400_OSSL_PTR(Asn1StringPtr, ASN1_STRING, ASN1_STRING_free);
X400_OSSL_PTR(CrlDistPointsPtr, CRL_DIST_POINTS, CRL_DIST_POINTS_free);

#undef X400_OSSL_PTR

// X509StackPtr owns a STACK_OF(X509) and the certificates in it.
struct X509StackDeleter {
    void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// X509CrlStackPtr owns a STACK_OF(X509_CRL) and the CRLs in it.
struct X509CrlStackDeleter {
    void operator()(STACK_OF(X509_CRL)* s) const { sk_X509_CRL_pop_free(s, X509_CRL_free); }
};
using X509CrlStackPtr = std::unique_ptr<STACK_OF(X509_CRL), X509CrlStackDeleter>;

// Asn1ObjectStackPtr owns a STACK_OF(ASN1_OBJECT) and the objects in it.
struct Asn1ObjectStackDeleter {
    void operator()(STACK_OF(ASN1_OBJECT)* s) const
    {
        sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free);
    }
};
using Asn1ObjectStackPtr = std::unique_ptr<STACK_OF(ASN1_OBJECT), Asn1ObjectStackDeleter>;

// Asn1ItemPtr<T> owns a value of a type built with OpenSSL's ASN.1
// templates (asn1t.h); the ASN1_ITEM that describes T frees it, with
// everything it points to.  asn1_item_new makes an empty one (null on
// allocation failure).
struct Asn1ItemDeleter {
    const ASN1_ITEM* item = nullptr;
    void operator()(void* p) const { ASN1_item_free(static_cast<ASN1_VALUE*>(p), item); }
};
template <class T>
using Asn1ItemPtr = std::unique_ptr<T, Asn1ItemDeleter>;

template <class T>
Asn1ItemPtr<T> asn1_item_new(const ASN1_ITEM* item)
{
    return Asn1ItemPtr<T>(reinterpret_cast<T*>(ASN1_item_new(item)), Asn1ItemDeleter{item});
}

// OsslBytes frees memory that OpenSSL allocated (i2d output, strings).
struct OsslFree {
    void operator()(void* p) const { OPENSSL_free(p); }
};
using OsslBytes = std::unique_ptr<unsigned char, OsslFree>;
using OsslString = std::unique_ptr<char, OsslFree>;

// up_ref returns a new owning pointer to a refcounted object.
inline X509Ptr up_ref(X509* x)
{
    X509_up_ref(x);
    return X509Ptr(x);
}

inline X509CrlPtr up_ref(X509_CRL* c)
{
    X509_CRL_up_ref(c);
    return X509CrlPtr(c);
}

inline EvpPkeyPtr up_ref(EVP_PKEY* k)
{
    EVP_PKEY_up_ref(k);
    return EvpPkeyPtr(k);
}

using Bytes = std::vector<std::uint8_t>;

// SecretBytes is a byte buffer that is cleansed when it goes away.
class SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(std::size_t n) : m_b(n) {}
    SecretBytes(const std::uint8_t* p, std::size_t n) : m_b(p, p + n) {}
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&& o) noexcept : m_b(std::move(o.m_b)) {}
    SecretBytes& operator=(SecretBytes&& o) noexcept
    {
        wipe();
        m_b = std::move(o.m_b);
        return *this;
    }
    ~SecretBytes() { wipe(); }

    std::uint8_t* data() { return m_b.data(); }
    const std::uint8_t* data() const { return m_b.data(); }
    std::size_t size() const { return m_b.size(); }
    void resize(std::size_t n) { m_b.resize(n); }

private:
    void wipe()
    {
        if (!m_b.empty()) OPENSSL_cleanse(m_b.data(), m_b.size());
    }
    std::vector<std::uint8_t> m_b;
};

// ossl_error empties OpenSSL's thread-local error queue into an Error whose
// detail is "what: reason[; reason...]".
inline Error ossl_error(Errc code, std::string_view what)
{
    std::string detail(what);
    unsigned long first = 0;
    unsigned long e;
    int n = 0;
    while ((e = ERR_get_error()) != 0) {
        if (first == 0) first = e;
        if (n++ < 4) {
            char buf[256];
            ERR_error_string_n(e, buf, sizeof buf);
            detail += n == 1 ? ": " : "; ";
            detail += buf;
        }
    }
    return make_error(code, std::move(detail), first);
}

// i2d_bytes DER-encodes an OpenSSL object with its i2d function.
template <class T>
Result<Bytes> i2d_bytes(int (*i2d)(const T*, unsigned char**), const T* obj)
{
    unsigned char* out = nullptr;
    int len = i2d(obj, &out);
    if (len <= 0) return ossl_error(Errc::internal, "DER encoding failed");
    OsslBytes guard(out);
    return Bytes(out, out + len);
}

}  // namespace x400
