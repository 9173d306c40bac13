// asn1_test_util.h - helpers shared by the asn1 unit tests: hex, a tiny
// hand TLV builder (independent of the codec under test), sample values.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "asn1/x411.h"

namespace x400::asn1::test {

// why gives a failed Result's error text, or "" (Boost.Test builds its
// message even when the check passes, so error() must not be called then).
template <class T>
std::string why(const Result<T>& r)
{
    return r.ok() ? std::string() : r.error().text();
}

// hex renders bytes as "30 0b 06 ..." for messages.
inline std::string hex(const Bytes& b)
{
    std::ostringstream s;
    for (std::size_t i = 0; i < b.size(); ++i) {
        static const char k_digits[] = "0123456789abcdef";
        s << (i ? " " : "") << k_digits[b[i] >> 4] << k_digits[b[i] & 15];
    }
    return s.str();
}

// unhex parses "30 0b 06" (spaces ignored).
inline Bytes unhex(std::string_view text)
{
    Bytes out;
    int hi = -1;
    for (const char c : text) {
        int v = -1;
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v = c - 'A' + 10;
        } else {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    return out;
}

inline Bytes ascii(std::string_view s)
{
    return Bytes(s.begin(), s.end());
}

inline Bytes cat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

// tlv writes tag, a minimal DER length (X.690 8.1.3) and the content.
inline Bytes tlv(std::uint8_t tag, const Bytes& content)
{
    Bytes out{tag};
    const std::size_t n = content.size();
    if (n < 128) {
        out.push_back(static_cast<std::uint8_t>(n));
    } else if (n < 256) {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(n));
    } else {
        out.push_back(0x82);
        out.push_back(static_cast<std::uint8_t>(n >> 8));
        out.push_back(static_cast<std::uint8_t>(n & 0xff));
    }
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32 (RFC 4055), as OpenSSL
// writes it; the parameters SEQUENCE only.
inline Bytes pss_sha256_params()
{
    return unhex("30 34 a0 0f 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00"
                 " a1 1c 30 1a 06 09 2a 86 48 86 f7 0d 01 01 08 30 0d 06 09"
                 " 60 86 48 01 65 03 04 02 01 05 00 a2 03 02 01 20");
}

// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 4055), default label.
inline Bytes oaep_sha256_params()
{
    return unhex("30 2f a0 0f 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00"
                 " a1 1c 30 1a 06 09 2a 86 48 86 f7 0d 01 01 08 30 0d 06 09"
                 " 60 86 48 01 65 03 04 02 01 05 00");
}

inline AlgorithmId alg(const char* oid, const Bytes& params = {})
{
    return make_algorithm_id(oid, params).value();
}

// sample_token_data is a realistic AsymmetricTokenData.
inline AsymmetricTokenData sample_token_data()
{
    AsymmetricTokenData d;
    d.signature_algorithm = alg("1.2.840.113549.1.1.10", pss_sha256_params());
    d.recipient_name.rfc822 = "Walker_J@example.org";
    d.time = 1700000000;  // 2023-11-14T22:13:20Z
    MessageTokenSignedData sd;
    sd.content_confidentiality_algorithm = alg("2.16.840.1.101.3.4.1.46");
    Signature cic;
    cic.algorithm = alg("1.2.840.113549.1.1.10", pss_sha256_params());
    cic.bits = Bytes(256, 0x5a);
    cic.bits.back() = 0x00;  // a trailing zero octet must survive
    sd.content_integrity_check = cic;
    sd.proof_of_delivery_requested = true;
    sd.message_sequence_number = 42;
    d.signed_data = sd;
    d.encryption_algorithm = alg("1.2.840.113549.1.1.7", oaep_sha256_params());
    d.encrypted_data = Bytes(256, 0xc3);
    return d;
}

}  // namespace x400::asn1::test
