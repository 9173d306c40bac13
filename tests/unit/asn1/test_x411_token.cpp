// test_x411_token.cpp - MessageToken, TokenData and Signature: round trips,
// tag bytes, and strict-DER rejections.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "asn1_test_util.h"

namespace x400::asn1::test {

namespace {

// contains reports whether needle occurs in hay.
bool contains(const Bytes& hay, const Bytes& needle)
{
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// replace_first swaps the first occurrence of from with to (same size).
Bytes replace_first(Bytes b, const Bytes& from, const Bytes& to)
{
    auto it = std::search(b.begin(), b.end(), from.begin(), from.end());
    BOOST_TEST_REQUIRE((it != b.end()), "pattern " << hex(from) << " not found");
    std::copy(to.begin(), to.end(), it);
    return b;
}

Bytes sample_token()
{
    auto data_der = encode_token_data(sample_token_data());
    BOOST_TEST_REQUIRE(data_der.ok(), why(data_der));
    auto tok = encode_message_token(*data_der, alg("1.2.840.113549.1.1.10", pss_sha256_params()),
                                    Bytes(256, 0x11));
    BOOST_TEST_REQUIRE(tok.ok(), why(tok));
    return *tok;
}

// token_around wraps hand-made AsymmetricTokenData bytes in a Token.
Bytes token_around(const Bytes& atd, const Bytes& oid = unhex("56 03 06 00"))
{
    const Bytes sig_alg = unhex("30 0b 06 09 2a 86 48 86 f7 0d 01 01 0a");
    const Bytes asym = tlv(0x30, cat({atd, sig_alg, tlv(0x03, unhex("00 aa bb"))}));
    return tlv(0x30, cat({tlv(0x80, oid), tlv(0xa1, asym)}));
}

const Bytes k_rsa_pss = unhex("30 0b 06 09 2a 86 48 86 f7 0d 01 01 0a");
const Bytes k_or_name = unhex("60 18 30 00 30 14 30 12 13 07 52 46 43 2d 38 32 32"
                              " 13 07 61 28 61 29 62 2e 63");
const Bytes k_time = cat({unhex("17 0d"), ascii("700101000000Z")});

}  // namespace

BOOST_AUTO_TEST_SUITE(x411_token)

BOOST_AUTO_TEST_CASE(full_token_round_trips)
{
    const Bytes der = sample_token();
    auto tok = decode_message_token(der);
    BOOST_TEST_REQUIRE(tok.ok(), why(tok));
    const AsymmetricTokenData want = sample_token_data();
    BOOST_TEST((tok->data == want), "decoded token data differs from what was encoded");
    BOOST_TEST(tok->signature == Bytes(256, 0x11));
    BOOST_TEST((tok->signature_algorithm == want.signature_algorithm));
    auto data_der = encode_token_data(want);
    BOOST_TEST_REQUIRE(data_der.ok());
    BOOST_TEST((tok->data_der == *data_der), "data_der is not the signed bytes");
    BOOST_TEST(contains(der, tok->data_der), "data_der does not occur in the token");
}

BOOST_AUTO_TEST_CASE(token_starts_with_type_identifier_and_explicit_token_tag)
{
    const Bytes der = sample_token();
    // 30 82 LL LL, 80 04 56 03 06 00 (2.6.3.6.0), a1 82 ...
    BOOST_TEST_REQUIRE(der.size() > 12);
    const Bytes head(der.begin() + 4, der.begin() + 11);
    BOOST_TEST(head == unhex("80 04 56 03 06 00 a1"), "got " << hex(head));
}

BOOST_AUTO_TEST_CASE(minimal_token_data_has_hand_verified_bytes)
{
    AsymmetricTokenData d;
    d.signature_algorithm = alg("1.2.840.113549.1.1.10");
    d.recipient_name.rfc822 = "a@b.c";
    d.time = 0;
    MessageTokenSignedData sd;
    sd.proof_of_delivery_requested = true;
    sd.message_sequence_number = 42;
    d.signed_data = sd;
    auto der = encode_token_data(d);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    // signed-data [0] { [0] 2, [1] { SEQUENCE { [3] 1, [4] 42 } } }
    const Bytes signed_data = unhex("a0 0d 80 01 02 a1 08 30 06 83 01 01 84 01 2a");
    const Bytes want = tlv(0x30, cat({k_rsa_pss, k_or_name, k_time, signed_data}));
    BOOST_TEST(*der == want, "got " << hex(*der) << ", want " << hex(want));
    BOOST_TEST(contains(*der, unhex("83 01 01 84 01 2a")));
}

BOOST_AUTO_TEST_CASE(proof_of_delivery_not_requested_is_absent)
{
    AsymmetricTokenData d;
    d.signature_algorithm = alg("1.2.840.113549.1.1.10");
    MessageTokenSignedData sd;
    sd.message_sequence_number = 7;
    d.signed_data = sd;
    auto der = encode_token_data(d);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    BOOST_TEST(contains(*der, unhex("a0 0a 80 01 02 a1 05 30 03 84 01 07")), "got " << hex(*der));
}

BOOST_AUTO_TEST_CASE(encrypted_data_is_token_data_type_3)
{
    MessageTokenEncryptedData enc;
    enc.content_confidentiality_key = Bytes(16, 0x01);
    enc.message_sequence_number = 42;
    auto der = encode_encrypted_data(enc);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    const Bytes want = cat({unhex("30 1d 80 01 03 a1 18 30 16 80 11 00"), Bytes(16, 0x01),
                            unhex("84 01 2a")});
    BOOST_TEST(*der == want, "got " << hex(*der) << ", want " << hex(want));
    auto back = decode_encrypted_data(*der);
    BOOST_TEST_REQUIRE(back.ok(), why(back));
    BOOST_TEST((*back == enc));
}

BOOST_AUTO_TEST_CASE(encrypted_data_with_wrong_type_is_refused)
{
    const Bytes bad = unhex("30 0a 80 01 02 a1 05 30 03 84 01 2a");
    auto got = decode_encrypted_data(bad);
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of TokenData type 2");
    BOOST_TEST(got.error().detail.find("type is 2, want 3") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(signature_round_trips_and_keeps_trailing_zero_octets)
{
    Signature s{alg("1.3.101.112"), Bytes{0x01, 0x00, 0x00}};
    auto der = encode_signature(s);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    BOOST_TEST(*der == unhex("30 0d 30 05 06 03 2b 65 70 03 04 00 01 00 00"),
               "got " << hex(*der));
    auto back = decode_signature(*der);
    BOOST_TEST_REQUIRE(back.ok(), why(back));
    BOOST_TEST((*back == s));
}

BOOST_AUTO_TEST_CASE(bit_string_with_unused_bits_is_refused)
{
    auto got = decode_signature(unhex("30 0b 30 05 06 03 2b 65 70 03 02 01 80"));
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of 1 unused bit");
    BOOST_TEST(got.error().detail.find("unused bits") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(hand_built_token_decodes)
{
    const Bytes sd = unhex("a0 0d 80 01 02 a1 08 30 06 83 01 01 84 01 2a");
    auto tok = decode_message_token(token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, k_time,
                                                                 sd}))));
    BOOST_TEST_REQUIRE(tok.ok(), why(tok));
    BOOST_TEST(tok->data.recipient_name.rfc822 == "a@b.c");
    BOOST_TEST(tok->data.time == 0);
    BOOST_TEST_REQUIRE(tok->data.signed_data.has_value());
    BOOST_TEST(tok->data.signed_data->proof_of_delivery_requested);
    BOOST_TEST(tok->data.signed_data->message_sequence_number.value_or(0) == 42u);
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_refused)
{
    Bytes der = sample_token();
    der.push_back(0x00);
    auto got = decode_message_token(der);
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of a trailing byte");
    BOOST_TEST(got.error().detail.find("trailing") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused)
{
    const Bytes der = sample_token();
    for (std::size_t n = 0; n < der.size(); ++n) {
        auto got = decode_message_token(std::span(der.data(), n));
        BOOST_TEST(!got.ok(), "length " << n << " of " << der.size() << ": got success");
        if (!got.ok()) {
            BOOST_TEST((got.error().code == Errc::decode));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_single_byte_corruption_fails_cleanly)
{
    // Not all corruptions are detectable (the signature bits are opaque);
    // the point is no crash, and errors are decode errors.
    const Bytes der = sample_token();
    for (std::size_t i = 0; i < der.size(); ++i) {
        Bytes bad = der;
        bad[i] ^= 0xff;
        auto got = decode_message_token(bad);
        if (!got.ok()) {
            BOOST_TEST((got.error().code == Errc::decode), "byte " << i << ": "
                                                              << why(got));
        }
    }
}

BOOST_AUTO_TEST_CASE(indefinite_length_is_refused)
{
    const Bytes der = sample_token();
    // Outer header is 30 82 LL LL; rewrite as 30 80 ... 00 00.
    BOOST_TEST_REQUIRE(der[1] == 0x82);
    Bytes bad = {0x30, 0x80};
    bad.insert(bad.end(), der.begin() + 4, der.end());
    bad.push_back(0x00);
    bad.push_back(0x00);
    auto got = decode_message_token(bad);
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of indefinite length");
    BOOST_TEST((got.error().code == Errc::decode));
}

BOOST_AUTO_TEST_CASE(long_form_length_that_fits_short_form_is_refused)
{
    const Bytes sd = unhex("a0 0d 80 01 02 a1 08 30 06 83 01 01 84 01 2a");
    const Bytes good = token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, k_time, sd})));
    BOOST_TEST_REQUIRE(decode_message_token(good).ok());
    // The sequence-number INTEGER written 84 81 01 2a, with every
    // enclosing length grown by one.
    const Bytes sd_bad = unhex("a0 0e 80 01 02 a1 09 30 07 83 01 01 84 81 01 2a");
    const Bytes bad = token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, k_time, sd_bad})));
    auto got = decode_message_token(bad);
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of a non-minimal length");
    BOOST_TEST(got.error().detail.find("not DER") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(wrong_token_type_identifier_is_refused)
{
    const Bytes der = replace_first(sample_token(), unhex("80 04 56 03 06 00"),
                                    unhex("80 04 56 03 06 01"));
    auto got = decode_message_token(der);
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of OID 2.6.3.6.1");
    BOOST_TEST(got.error().detail.find("got 2.6.3.6.1, want 2.6.3.6.0") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(wrong_token_data_type_is_refused)
{
    const Bytes sd = unhex("a0 0d 80 01 05 a1 08 30 06 83 01 01 84 01 2a");
    auto got = decode_message_token(token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, k_time,
                                                                 sd}))));
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of TokenData type 5");
    BOOST_TEST(got.error().detail.find("signed-data: TokenData type is 5, want 2") !=
                   std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(oversize_input_is_refused)
{
    const Bytes der = sample_token();
    DecodeLimits limits;
    limits.max_size = der.size() - 1;
    auto got = decode_message_token(der, limits);
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal above max_size");
    BOOST_TEST(got.error().detail.find("limit") != std::string::npos,
               "got '" << why(got) << "'");
    limits.max_size = der.size();
    BOOST_TEST(decode_message_token(der, limits).ok(), "exactly max_size must be accepted");
}

BOOST_AUTO_TEST_CASE(negative_sequence_number_is_refused)
{
    const Bytes sd = unhex("a0 0a 80 01 02 a1 05 30 03 84 01 ff");
    auto got = decode_message_token(token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, k_time,
                                                                 sd}))));
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of sequence number -1");
    BOOST_TEST(got.error().detail.find("message-sequence-number") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(sequence_number_beyond_64_bits_is_refused)
{
    const Bytes sd = unhex("a0 12 80 01 02 a1 0d 30 0b 84 09 01 00 00 00 00 00 00 00 00");
    auto got = decode_message_token(token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, k_time,
                                                                 sd}))));
    BOOST_TEST(!got.ok(), "got success, want refusal of 2^64");
}

BOOST_AUTO_TEST_CASE(generalized_time_is_refused)
{
    const Bytes gt = cat({unhex("18 0f"), ascii("19700101000000Z")});
    auto got = decode_message_token(token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, gt}))));
    BOOST_TEST(!got.ok(), "got success, want refusal of GeneralizedTime");
}

BOOST_AUTO_TEST_CASE(utc_time_without_seconds_is_refused)
{
    const Bytes t = cat({unhex("17 0b"), ascii("7001010000Z")});
    auto got = decode_message_token(token_around(tlv(0x30, cat({k_rsa_pss, k_or_name, t}))));
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of YYMMDDHHMMZ");
    BOOST_TEST(got.error().detail.find("time") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(time_round_trips_across_the_utc_window)
{
    for (const std::int64_t t : {-631152000LL, 0LL, 951782400LL, 1700000000LL, 2524607999LL}) {
        AsymmetricTokenData d;
        d.signature_algorithm = alg("1.2.840.113549.1.1.10");
        d.time = t;
        auto der = encode_token_data(d);
        BOOST_TEST_REQUIRE(der.ok(), why(der));
        auto tok = decode_message_token(token_around(*der));
        BOOST_TEST_REQUIRE(tok.ok(), why(tok));
        BOOST_TEST(tok->data.time == t, "got " << tok->data.time << ", want " << t);
    }
    AsymmetricTokenData d;
    d.signature_algorithm = alg("1.2.840.113549.1.1.10");
    d.time = 2524608000LL;  // 2050-01-01
    BOOST_TEST(!encode_token_data(d).ok(), "got success, want refusal of year 2050");
}

BOOST_AUTO_TEST_CASE(time_is_written_as_utc_time)
{
    AsymmetricTokenData d;
    d.signature_algorithm = alg("1.2.840.113549.1.1.10");
    d.time = 951782400;  // 2000-02-29T00:00:00Z
    auto der = encode_token_data(d);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    const Bytes want = cat({unhex("17 0d"), ascii("000229000000Z")});
    BOOST_TEST(contains(*der, want), "got " << hex(*der));
}

BOOST_AUTO_TEST_CASE(message_token_refuses_non_der_token_data)
{
    const Bytes atd = tlv(0x30, cat({k_rsa_pss, k_or_name, k_time}));
    Bytes bad = atd;
    bad.push_back(0x00);
    auto got = encode_message_token(bad, alg("1.2.840.113549.1.1.10"), Bytes{1});
    BOOST_TEST(!got.ok(), "got success, want refusal of trailing bytes in data_der");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace x400::asn1::test
