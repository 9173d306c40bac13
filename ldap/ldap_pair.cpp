// ldap_pair.cpp - decoding of the CertificatePair (see ldap_pair.h).
#include "ldap/ldap_pair.h"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <string>

namespace x400::ldap {

namespace {

// Tlv is one BER header read by ASN1_get_object, with its content.
struct Tlv {
    const unsigned char* content = nullptr;
    long length = 0;
    int tag = 0;
    int cls = 0;
    bool constructed = false;
};

// read_tlv reads the header at *p, within end, and moves *p past the whole
// element.  Indefinite lengths are refused: DER has none.
bool read_tlv(const unsigned char** p, const unsigned char* end, Tlv* out)
{
    const unsigned char* q = *p;
    const int rc = ASN1_get_object(&q, &out->length, &out->tag, &out->cls, end - *p);
    if ((rc & 0x80) != 0 || (rc & 0x01) != 0 || out->length < 0 || out->length > end - q) {
        ERR_clear_error();
        return false;
    }
    out->constructed = (rc & V_ASN1_CONSTRUCTED) != 0;
    out->content = q;
    *p = q + out->length;
    return true;
}

}  // namespace

Result<CertificatePair> decode_certificate_pair(const std::uint8_t* der, std::size_t len)
{
    if (der == nullptr || len == 0 || len > 1024 * 1024) {
        return make_error(Errc::decode, "CertificatePair: empty or oversized value");
    }
    const unsigned char* p = der;
    const unsigned char* const end = der + len;

    // The outer SEQUENCE must span the whole value.
    Tlv seq;
    if (!read_tlv(&p, end, &seq) || seq.cls != V_ASN1_UNIVERSAL || seq.tag != V_ASN1_SEQUENCE ||
        !seq.constructed) {
        return make_error(Errc::decode, "CertificatePair: not a SEQUENCE");
    }
    if (p != end) {
        return make_error(Errc::decode, "CertificatePair: bytes after the SEQUENCE");
    }

    // Then [0] and [1], in that order, each EXPLICIT around exactly one
    // Certificate.
    CertificatePair pair;
    const unsigned char* q = seq.content;
    const unsigned char* const seq_end = seq.content + seq.length;
    int next_tag = 0;
    while (q < seq_end) {
        Tlv element;
        if (!read_tlv(&q, seq_end, &element) || element.cls != V_ASN1_CONTEXT_SPECIFIC ||
            !element.constructed || element.tag < next_tag || element.tag > 1) {
            return make_error(Errc::decode, "CertificatePair: unexpected element");
        }
        const unsigned char* c = element.content;
        X509Ptr cert(d2i_X509(nullptr, &c, element.length));
        if (!cert || c != element.content + element.length) {
            return ossl_error(Errc::decode, "CertificatePair: bad certificate in [" +
                                                std::to_string(element.tag) + "]");
        }
        (element.tag == 0 ? pair.forward : pair.reverse) = std::move(cert);
        next_tag = element.tag + 1;
    }
    if (!pair.forward && !pair.reverse) {
        return make_error(Errc::decode, "CertificatePair: neither forward nor reverse");
    }
    return pair;
}

}  // namespace x400::ldap
