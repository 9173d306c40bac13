// x411.cpp - X.411 message token, token data and Signature codec.
//
// Templates for Token, AsymmetricToken, AsymmetricTokenData, TokenData,
// MessageTokenSignedData and MessageTokenEncryptedData (X.411 section 9,
// MTSAbstractService, IMPLICIT TAGS), and the conversions between them
// and the plain structs of x411.h.  Decoding is strict (x411_der.cpp).
#include <openssl/objects.h>

#include <type_traits>
#include <utility>

#include "asn1/x411_internal.h"

namespace x400::asn1 {

using detail::algorithm_from;
using detail::algorithm_to;
using detail::bits_from;
using detail::bits_to;
using detail::der_decode;
using detail::der_encode;
using detail::or_name_from;
using detail::or_name_to;
using detail::uint_from;
using detail::uint_to;
using detail::utc_time_from;
using detail::utc_time_to;
using detail::X400_ORNAME;
using detail::X400_ORNAME_it;

namespace {

// Signature ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }, what X.411
// SIGNATURE{} leaves on the wire.
struct X400_SIGNATURE {
    X509_ALGOR* algorithm;
    ASN1_BIT_STRING* bits;
};

// MessageTokenSignedData.  [0] and [1] are SEQUENCE types and so tagged
// implicitly; [2] message-security-label is not in our profile and a
// token carrying one fails to decode.  ProofOfDeliveryRequest is an
// ENUMERATED whose absence means not-requested.
struct X400_MTSD {
    X509_ALGOR* confidentiality_algorithm;  // [0]
    X400_SIGNATURE* integrity_check;        // [1]
    ASN1_ENUMERATED* proof_of_delivery;     // [3]
    ASN1_INTEGER* sequence_number;          // [4]
};

// MessageTokenEncryptedData: content-confidentiality-key [0] and
// message-sequence-number [4]; [1]..[3] are not in our profile.
struct X400_MTED {
    ASN1_BIT_STRING* confidentiality_key;  // [0] EncryptionKey
    ASN1_INTEGER* sequence_number;         // [4]
};

// TokenData ::= SEQUENCE { type [0] INTEGER, value [1] TOKEN-DATA.&Type }.
// value is an open type, hence explicitly tagged.  One C type per kind.
struct X400_TD_SIGNED {
    ASN1_INTEGER* type;
    X400_MTSD* value;
};

struct X400_TD_ENCRYPTED {
    ASN1_INTEGER* type;
    X400_MTED* value;
};

struct X400_ATD {
    X509_ALGOR* signature_algorithm;
    X400_ORNAME* recipient_name;
    ASN1_UTCTIME* time;
    X400_TD_SIGNED* signed_data;     // [0] implicit
    X509_ALGOR* encryption_algorithm; // [1] implicit
    ASN1_BIT_STRING* encrypted_data; // [2] implicit
};

// AsymmetricToken ::= SIGNED { AsymmetricTokenData }, expanded.
struct X400_ASYM {
    X400_ATD* data;
    X509_ALGOR* algorithm;
    ASN1_BIT_STRING* signature;
};

struct X400_TOKEN {
    ASN1_OBJECT* type;  // [0] implicit
    X400_ASYM* token;   // [1] explicit (open type)
};

ASN1_SEQUENCE(X400_SIGNATURE) = {
    ASN1_SIMPLE(X400_SIGNATURE, algorithm, X509_ALGOR),
    ASN1_SIMPLE(X400_SIGNATURE, bits, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(X400_SIGNATURE)

ASN1_SEQUENCE(X400_MTSD) = {
    ASN1_IMP_OPT(X400_MTSD, confidentiality_algorithm, X509_ALGOR, 0),
    ASN1_IMP_OPT(X400_MTSD, integrity_check, X400_SIGNATURE, 1),
    ASN1_IMP_OPT(X400_MTSD, proof_of_delivery, ASN1_ENUMERATED, 3),
    ASN1_IMP_OPT(X400_MTSD, sequence_number, ASN1_INTEGER, 4),
} ASN1_SEQUENCE_END(X400_MTSD)

ASN1_SEQUENCE(X400_MTED) = {
    ASN1_IMP_OPT(X400_MTED, confidentiality_key, ASN1_BIT_STRING, 0),
    ASN1_IMP_OPT(X400_MTED, sequence_number, ASN1_INTEGER, 4),
} ASN1_SEQUENCE_END(X400_MTED)

ASN1_SEQUENCE(X400_TD_SIGNED) = {
    ASN1_IMP(X400_TD_SIGNED, type, ASN1_INTEGER, 0),
    ASN1_EXP(X400_TD_SIGNED, value, X400_MTSD, 1),
} ASN1_SEQUENCE_END(X400_TD_SIGNED)

ASN1_SEQUENCE(X400_TD_ENCRYPTED) = {
    ASN1_IMP(X400_TD_ENCRYPTED, type, ASN1_INTEGER, 0),
    ASN1_EXP(X400_TD_ENCRYPTED, value, X400_MTED, 1),
} ASN1_SEQUENCE_END(X400_TD_ENCRYPTED)

// The name CHOICE of AsymmetricTokenData is reduced to recipient-name:
// its [APPLICATION 0] tag is the ORName's own, so no extra tag appears.
ASN1_SEQUENCE(X400_ATD) = {
    ASN1_SIMPLE(X400_ATD, signature_algorithm, X509_ALGOR),
    ASN1_SIMPLE(X400_ATD, recipient_name, X400_ORNAME),
    ASN1_SIMPLE(X400_ATD, time, ASN1_UTCTIME),
    ASN1_IMP_OPT(X400_ATD, signed_data, X400_TD_SIGNED, 0),
    ASN1_IMP_OPT(X400_ATD, encryption_algorithm, X509_ALGOR, 1),
    ASN1_IMP_OPT(X400_ATD, encrypted_data, ASN1_BIT_STRING, 2),
} ASN1_SEQUENCE_END(X400_ATD)

ASN1_SEQUENCE(X400_ASYM) = {
    ASN1_SIMPLE(X400_ASYM, data, X400_ATD),
    ASN1_SIMPLE(X400_ASYM, algorithm, X509_ALGOR),
    ASN1_SIMPLE(X400_ASYM, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(X400_ASYM)

ASN1_SEQUENCE(X400_TOKEN) = {
    ASN1_IMP(X400_TOKEN, type, ASN1_OBJECT, 0),
    ASN1_EXP(X400_TOKEN, token, X400_ASYM, 1),
} ASN1_SEQUENCE_END(X400_TOKEN)

// TokenDataType values (X.411 TokenDataType).
constexpr long k_td_message_signed = 2;
constexpr long k_td_message_encrypted = 3;

// replace puts a newly made value into a field the structure owns; the
// value it held before (a default made by ASN1_item_new) is freed.
template <class Field, class Ptr>
void replace(Field*& slot, Ptr&& made)
{
    std::remove_reference_t<Ptr> old(std::exchange(slot, made.release()), made.get_deleter());
}

template <class Field>
Status put_string(Field*& slot, Result<Asn1StringPtr> made)
{
    if (!made.ok()) {
        return made.error();
    }
    replace(slot, std::move(made.value()));
    return {};
}

Status put_algorithm(X509_ALGOR*& slot, const AlgorithmId& alg, std::string_view field)
{
    auto a = algorithm_to(alg, field);
    if (!a.ok()) {
        return a.error();
    }
    replace(slot, std::move(a.value()));
    return {};
}

Status put_small_int(ASN1_INTEGER*& slot, long v)
{
    if (slot == nullptr) {
        slot = ASN1_INTEGER_new();
    }
    if (slot == nullptr || !ASN1_INTEGER_set(slot, v)) {
        return ossl_error(Errc::internal, "out of memory");
    }
    return {};
}

Result<Asn1ItemPtr<X400_SIGNATURE>> signature_to(const Signature& sig, std::string_view field)
{
    auto s = asn1_item_new<X400_SIGNATURE>(ASN1_ITEM_rptr(X400_SIGNATURE));
    if (!s) {
        return ossl_error(Errc::internal, "out of memory");
    }
    X400_TRY(put_algorithm(s->algorithm, sig.algorithm, field));
    X400_TRY(put_string(s->bits, bits_to(sig.bits)));
    return s;
}

Result<Signature> signature_from(const X400_SIGNATURE* s, std::string_view field)
{
    auto alg = algorithm_from(s->algorithm, field);
    if (!alg.ok()) {
        return alg.error();
    }
    auto bits = bits_from(s->bits, field);
    if (!bits.ok()) {
        return bits.error();
    }
    return Signature{std::move(alg.value()), std::move(bits.value())};
}

// token_data_type checks TokenData.type against the kind we expect.
Status token_data_type(const ASN1_INTEGER* type, long want, std::string_view field)
{
    auto got = uint_from(type, field);
    if (!got.ok()) {
        return got.error();
    }
    if (got.value() != static_cast<std::uint64_t>(want)) {
        return make_error(Errc::decode, std::string(field) + ": TokenData type is " +
                                            std::to_string(got.value()) + ", want " +
                                            std::to_string(want));
    }
    return {};
}

Result<Asn1ItemPtr<X400_TD_SIGNED>> signed_data_to(const MessageTokenSignedData& sd)
{
    auto td = asn1_item_new<X400_TD_SIGNED>(ASN1_ITEM_rptr(X400_TD_SIGNED));
    if (!td) {
        return ossl_error(Errc::internal, "out of memory");
    }
    X400_TRY(put_small_int(td->type, k_td_message_signed));
    X400_MTSD* v = td->value;
    if (sd.content_confidentiality_algorithm) {
        X400_TRY(put_algorithm(v->confidentiality_algorithm,
                               *sd.content_confidentiality_algorithm,
                               "content-confidentiality-algorithm-identifier"));
    }
    if (sd.content_integrity_check) {
        auto cic = signature_to(*sd.content_integrity_check, "content-integrity-check");
        if (!cic.ok()) {
            return cic.error();
        }
        replace(v->integrity_check, std::move(cic.value()));
    }
    if (sd.proof_of_delivery_requested) {
        Asn1StringPtr pod(ASN1_ENUMERATED_new());
        if (!pod || !ASN1_ENUMERATED_set(pod.get(), 1)) {
            return ossl_error(Errc::internal, "out of memory");
        }
        replace(v->proof_of_delivery, std::move(pod));
    }
    if (sd.message_sequence_number) {
        X400_TRY(put_string(v->sequence_number, uint_to(*sd.message_sequence_number)));
    }
    return td;
}

Result<MessageTokenSignedData> signed_data_from(const X400_TD_SIGNED* td)
{
    X400_TRY(token_data_type(td->type, k_td_message_signed, "signed-data"));
    const X400_MTSD* v = td->value;
    MessageTokenSignedData out;
    if (v->confidentiality_algorithm != nullptr) {
        auto a = algorithm_from(v->confidentiality_algorithm,
                                "content-confidentiality-algorithm-identifier");
        if (!a.ok()) {
            return a.error();
        }
        out.content_confidentiality_algorithm = std::move(a.value());
    }
    if (v->integrity_check != nullptr) {
        auto cic = signature_from(v->integrity_check, "content-integrity-check");
        if (!cic.ok()) {
            return cic.error();
        }
        out.content_integrity_check = std::move(cic.value());
    }
    if (v->proof_of_delivery != nullptr) {
        std::int64_t pod = -1;
        if (!ASN1_ENUMERATED_get_int64(&pod, v->proof_of_delivery) || pod < 0 || pod > 1) {
            ERR_clear_error();
            return make_error(Errc::decode, "proof-of-delivery-request: value is not 0 or 1");
        }
        out.proof_of_delivery_requested = pod == 1;
    }
    if (v->sequence_number != nullptr) {
        auto n = uint_from(v->sequence_number, "message-sequence-number");
        if (!n.ok()) {
            return n.error();
        }
        out.message_sequence_number = n.value();
    }
    return out;
}

Result<Asn1ItemPtr<X400_ATD>> token_data_to(const AsymmetricTokenData& data)
{
    auto atd = asn1_item_new<X400_ATD>(ASN1_ITEM_rptr(X400_ATD));
    if (!atd) {
        return ossl_error(Errc::internal, "out of memory");
    }
    X400_TRY(put_algorithm(atd->signature_algorithm, data.signature_algorithm,
                           "signature-algorithm-identifier"));
    auto name = or_name_to(data.recipient_name);
    if (!name.ok()) {
        return name.error();
    }
    replace(atd->recipient_name, std::move(name.value()));
    X400_TRY(put_string(atd->time, utc_time_to(data.time)));
    if (data.signed_data) {
        auto sd = signed_data_to(*data.signed_data);
        if (!sd.ok()) {
            return sd.error();
        }
        replace(atd->signed_data, std::move(sd.value()));
    }
    if (data.encryption_algorithm) {
        X400_TRY(put_algorithm(atd->encryption_algorithm, *data.encryption_algorithm,
                               "encryption-algorithm-identifier"));
    }
    if (data.encrypted_data) {
        X400_TRY(put_string(atd->encrypted_data, bits_to(*data.encrypted_data)));
    }
    return atd;
}

Result<AsymmetricTokenData> token_data_from(const X400_ATD* atd)
{
    AsymmetricTokenData out;
    auto sig_alg = algorithm_from(atd->signature_algorithm, "signature-algorithm-identifier");
    if (!sig_alg.ok()) {
        return sig_alg.error();
    }
    out.signature_algorithm = std::move(sig_alg.value());
    auto name = or_name_from(atd->recipient_name);
    if (!name.ok()) {
        return name.error();
    }
    out.recipient_name = std::move(name.value());
    auto time = utc_time_from(atd->time, "time");
    if (!time.ok()) {
        return time.error();
    }
    out.time = time.value();
    if (atd->signed_data != nullptr) {
        auto sd = signed_data_from(atd->signed_data);
        if (!sd.ok()) {
            return sd.error();
        }
        out.signed_data = std::move(sd.value());
    }
    if (atd->encryption_algorithm != nullptr) {
        auto a = algorithm_from(atd->encryption_algorithm, "encryption-algorithm-identifier");
        if (!a.ok()) {
            return a.error();
        }
        out.encryption_algorithm = std::move(a.value());
    }
    if (atd->encrypted_data != nullptr) {
        auto bits = bits_from(atd->encrypted_data, "encrypted-data");
        if (!bits.ok()) {
            return bits.error();
        }
        out.encrypted_data = std::move(bits.value());
    }
    return out;
}

}  // namespace

// encode_token_data: see x411.h.
Result<Bytes> encode_token_data(const AsymmetricTokenData& data)
{
    auto atd = token_data_to(data);
    if (!atd.ok()) {
        return atd.error();
    }
    return der_encode(atd->get(), ASN1_ITEM_rptr(X400_ATD), "AsymmetricTokenData");
}

// encode_message_token: see x411.h.  data_der is parsed strictly first, so
// the token carries exactly those bytes (DER has one encoding per value).
Result<Bytes> encode_message_token(const Bytes& data_der, const AlgorithmId& sig_alg,
                                   const Bytes& signature)
{
    DecodeLimits unlimited;
    unlimited.max_size = data_der.size();
    auto data = der_decode(data_der, ASN1_ITEM_rptr(X400_ATD), unlimited, "AsymmetricTokenData");
    if (!data.ok()) {
        return data.error();
    }
    auto tok = asn1_item_new<X400_TOKEN>(ASN1_ITEM_rptr(X400_TOKEN));
    if (!tok) {
        return ossl_error(Errc::internal, "out of memory");
    }
    Asn1ObjectPtr oid(OBJ_txt2obj(k_id_tok_asymmetric_token, 1));
    if (!oid) {
        return ossl_error(Errc::internal, "token-type-identifier");
    }
    replace(tok->type, std::move(oid));
    X400_ASYM* asym = tok->token;
    Asn1ItemPtr<X400_ATD> atd(reinterpret_cast<X400_ATD*>(data->release()),
                              Asn1ItemDeleter{ASN1_ITEM_rptr(X400_ATD)});
    replace(asym->data, std::move(atd));
    X400_TRY(put_algorithm(asym->algorithm, sig_alg, "signature algorithm"));
    X400_TRY(put_string(asym->signature, bits_to(signature)));
    return der_encode(tok.get(), ASN1_ITEM_rptr(X400_TOKEN), "MessageToken");
}

// decode_message_token: see x411.h.
Result<MessageToken> decode_message_token(std::span<const std::uint8_t> der,
                                          const DecodeLimits& limits)
{
    auto v = der_decode(der, ASN1_ITEM_rptr(X400_TOKEN), limits, "MessageToken");
    if (!v.ok()) {
        return v.error();
    }
    const auto* tok = reinterpret_cast<const X400_TOKEN*>(v->get());

    /* X.411 Token: the type identifier selects the token syntax; only the
     * asymmetric token (id-tok-asymmetricToken) is defined. */
    char oid[128];
    const int n = OBJ_obj2txt(oid, sizeof oid, tok->type, 1);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof oid ||
        std::string_view(oid) != k_id_tok_asymmetric_token) {
        return make_error(Errc::decode, std::string("token-type-identifier: got ") +
                                            (n > 0 ? oid : "?") + ", want " +
                                            k_id_tok_asymmetric_token);
    }

    MessageToken out;
    const X400_ASYM* asym = tok->token;
    auto data = token_data_from(asym->data);
    if (!data.ok()) {
        return data.error();
    }
    out.data = std::move(data.value());

    /* The whole input re-encoded to itself, so re-encoding the part gives
     * the exact bytes received: those the originator signed. */
    auto data_der = der_encode(asym->data, ASN1_ITEM_rptr(X400_ATD), "AsymmetricTokenData");
    if (!data_der.ok()) {
        return data_der.error();
    }
    out.data_der = std::move(data_der.value());
    auto alg = algorithm_from(asym->algorithm, "signature algorithm");
    if (!alg.ok()) {
        return alg.error();
    }
    out.signature_algorithm = std::move(alg.value());
    auto sig = bits_from(asym->signature, "signature");
    if (!sig.ok()) {
        return sig.error();
    }
    out.signature = std::move(sig.value());
    return out;
}

// encode_encrypted_data: see x411.h.  The result is a complete TokenData
// (universal SEQUENCE tag), because it is encrypted on its own.
Result<Bytes> encode_encrypted_data(const MessageTokenEncryptedData& enc)
{
    auto td = asn1_item_new<X400_TD_ENCRYPTED>(ASN1_ITEM_rptr(X400_TD_ENCRYPTED));
    if (!td) {
        return ossl_error(Errc::internal, "out of memory");
    }
    X400_TRY(put_small_int(td->type, k_td_message_encrypted));
    if (enc.content_confidentiality_key) {
        X400_TRY(put_string(td->value->confidentiality_key,
                            bits_to(*enc.content_confidentiality_key)));
    }
    if (enc.message_sequence_number) {
        X400_TRY(put_string(td->value->sequence_number, uint_to(*enc.message_sequence_number)));
    }
    return der_encode(td.get(), ASN1_ITEM_rptr(X400_TD_ENCRYPTED), "encrypted TokenData");
}

Result<MessageTokenEncryptedData> decode_encrypted_data(std::span<const std::uint8_t> der,
                                                        const DecodeLimits& limits)
{
    auto v = der_decode(der, ASN1_ITEM_rptr(X400_TD_ENCRYPTED), limits, "encrypted TokenData");
    if (!v.ok()) {
        return v.error();
    }
    const auto* td = reinterpret_cast<const X400_TD_ENCRYPTED*>(v->get());
    X400_TRY(token_data_type(td->type, k_td_message_encrypted, "encrypted-data"));
    MessageTokenEncryptedData out;
    if (td->value->confidentiality_key != nullptr) {
        auto key = bits_from(td->value->confidentiality_key, "content-confidentiality-key");
        if (!key.ok()) {
            return key.error();
        }
        out.content_confidentiality_key = std::move(key.value());
    }
    if (td->value->sequence_number != nullptr) {
        auto n = uint_from(td->value->sequence_number, "message-sequence-number");
        if (!n.ok()) {
            return n.error();
        }
        out.message_sequence_number = n.value();
    }
    return out;
}

// encode_signature / decode_signature: see x411.h.
Result<Bytes> encode_signature(const Signature& sig)
{
    auto s = signature_to(sig, "Signature");
    if (!s.ok()) {
        return s.error();
    }
    return der_encode(s->get(), ASN1_ITEM_rptr(X400_SIGNATURE), "Signature");
}

Result<Signature> decode_signature(std::span<const std::uint8_t> der, const DecodeLimits& limits)
{
    auto v = der_decode(der, ASN1_ITEM_rptr(X400_SIGNATURE), limits, "Signature");
    if (!v.ok()) {
        return v.error();
    }
    return signature_from(reinterpret_cast<const X400_SIGNATURE*>(v->get()), "Signature");
}

}  // namespace x400::asn1
