// token.cpp - message-token construction and verification.
#include "core/token.h"

#include "core/message.h"

namespace x400::core {

namespace {

asn1::ORName internet_or_name(std::string_view address)
{
    asn1::ORName name;
    name.rfc822 = normalize_address(address);
    return name;
}

}  // namespace

Result<Bytes> build_message_token(EVP_PKEY* originator_key, const TokenRequest& request)
{
    auto sig_alg = signature_algorithm(originator_key);
    if (!sig_alg) return sig_alg.error();

    asn1::AsymmetricTokenData data;
    data.signature_algorithm = *sig_alg;
    data.recipient_name = internet_or_name(request.recipient);
    data.time = request.time;

    asn1::MessageTokenSignedData sd;
    sd.content_confidentiality_algorithm = request.content_algorithm;
    sd.content_integrity_check = request.cic;
    sd.proof_of_delivery_requested = request.proof_of_delivery;
    sd.message_sequence_number = request.sequence_number;
    data.signed_data = sd;

    // encData = Ap[TokenData{3, {key, sequence number}}]: only the
    // recipient can read the content key (X.411, the paper's section 4).
    if (request.content_key != nullptr) {
        if (request.recipient_key == nullptr) {
            return make_error(Errc::internal, "content key without a recipient key");
        }
        asn1::MessageTokenEncryptedData ed;
        ed.content_confidentiality_key = Bytes(
            request.content_key->data(), request.content_key->data() + request.content_key->size());
        ed.message_sequence_number = request.sequence_number;
        auto plain = asn1::encode_encrypted_data(ed);
        OPENSSL_cleanse(ed.content_confidentiality_key->data(),
                        ed.content_confidentiality_key->size());
        if (!plain) return plain.error();
        auto wrapped = wrap_key(request.recipient_key, *plain);
        OPENSSL_cleanse(plain->data(), plain->size());
        if (!wrapped) return wrapped.error();
        auto kt_alg = key_transport_algorithm();
        if (!kt_alg) return kt_alg.error();
        data.encryption_algorithm = *kt_alg;
        data.encrypted_data = std::move(*wrapped);
    }

    auto data_der = asn1::encode_token_data(data);
    if (!data_der) return data_der.error();
    auto sig = sign(originator_key, *data_der);
    if (!sig) return sig.error();
    return asn1::encode_message_token(*data_der, *sig_alg, *sig);
}

Result<std::string> peek_token_recipient(std::span<const std::uint8_t> der)
{
    auto token = asn1::decode_message_token(der);
    if (!token) return token.error();
    return token->data.recipient_name.rfc822;
}

Result<VerifiedToken> verify_message_token(std::span<const std::uint8_t> der,
                                           EVP_PKEY* originator_key,
                                           std::string_view expected_recipient)
{
    auto token = asn1::decode_message_token(der);
    if (!token) return token.error();
    const std::string& rcpt = token->data.recipient_name.rfc822;
    if (rcpt.empty() || !same_address(rcpt, expected_recipient)) {
        return make_error(Errc::not_for_us, "token is for '" + rcpt + "'");
    }
    // The outer algorithm must be the one inside the signed data, or an
    // attacker could change the outer one freely (X.509 SIGNED rule).
    if (!(token->signature_algorithm == token->data.signature_algorithm)) {
        return make_error(Errc::verify, "signature algorithm differs inside and outside");
    }
    X400_TRY(verify(originator_key, token->signature_algorithm, token->data_der, token->signature));
    if (!token->data.signed_data) {
        return make_error(Errc::decode, "token has no signed-data");
    }
    std::string recipient = normalize_address(rcpt);
    return VerifiedToken{std::move(*token), std::move(recipient)};
}

Result<SecretBytes> open_encrypted_data(const asn1::MessageToken& token, EVP_PKEY* own_key)
{
    if (!token.data.encrypted_data || !token.data.encryption_algorithm) {
        return make_error(Errc::decode, "token has no encrypted-data");
    }
    auto plain = unwrap_key(own_key, *token.data.encryption_algorithm, *token.data.encrypted_data);
    if (!plain) return plain.error();
    auto ed = asn1::decode_encrypted_data(std::span(plain->data(), plain->size()));
    if (!ed) return ed.error();
    if (!ed->content_confidentiality_key) {
        return make_error(Errc::decode, "encrypted-data carries no content key");
    }
    const auto& signed_data = token.data.signed_data;
    if (ed->message_sequence_number && signed_data &&
        ed->message_sequence_number != signed_data->message_sequence_number) {
        return make_error(Errc::verify, "sequence numbers in signed and encrypted data differ");
    }
    Bytes& k = *ed->content_confidentiality_key;
    SecretBytes key(k.data(), k.size());
    OPENSSL_cleanse(k.data(), k.size());
    return key;
}

Result<asn1::Signature> compute_cic(EVP_PKEY* originator_key, std::string_view canonical)
{
    auto alg = signature_algorithm(originator_key);
    if (!alg) return alg.error();
    auto prefix = asn1::cic_argument_prefix(*alg, canonical.size());
    if (!prefix) return prefix.error();
    auto signer = Signer::create(originator_key);
    if (!signer) return signer.error();
    X400_TRY(signer->update(*prefix));
    X400_TRY(signer->update(as_bytes(canonical)));
    auto bits = signer->finish();
    if (!bits) return bits.error();
    return asn1::Signature{*alg, std::move(*bits)};
}

Status verify_cic(EVP_PKEY* originator_key, const asn1::Signature& cic, std::string_view canonical)
{
    auto prefix = asn1::cic_argument_prefix(cic.algorithm, canonical.size());
    if (!prefix) return prefix.error();
    auto v = Verifier::create(originator_key, cic.algorithm);
    if (!v) return v.error();
    X400_TRY(v->update(*prefix));
    X400_TRY(v->update(as_bytes(canonical)));
    return v->finish(cic.bits);
}

}  // namespace x400::core
