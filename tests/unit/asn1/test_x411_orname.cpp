// test_x411_orname.cpp - ORName DER and the RFC 2156 3.4 address encoding.
#include <boost/test/unit_test.hpp>

#include "asn1_test_util.h"

namespace x400::asn1::test {

BOOST_AUTO_TEST_SUITE(x411_orname)

BOOST_AUTO_TEST_CASE(rfc2156_escapes_match_published_examples)
{
    // RFC 2156 4.3.2 and 4.3.4 examples, in the lower case we generate.
    struct Case {
        const char* in;
        const char* want;
    };
    const Case cases[] = {
        {"Jimmy@WIDGET-LABS.CO.UK", "Jimmy(a)WIDGET-LABS.CO.UK"},
        {"Tom_Harris@cs.widget.com", "Tom(u)Harris(a)cs.widget.com"},
        {"a%b!c\"d(e)f", "a(p)b(b)c(q)d(l)e(r)f"},
        {"x&y#z", "x(038)y(035)z"},
        {"plain.name", "plain.name"},
    };
    for (const auto& c : cases) {
        const std::string got = rfc822_to_printable(c.in);
        BOOST_TEST(got == c.want, "encode " << c.in << ": got " << got << ", want " << c.want);
        auto back = printable_to_rfc822(got);
        BOOST_TEST_REQUIRE(back.ok(), why(back));
        BOOST_TEST(*back == c.in, "decode " << got << ": got " << *back << ", want " << c.in);
    }
}

BOOST_AUTO_TEST_CASE(rfc2156_decoding_accepts_any_case)
{
    auto got = printable_to_rfc822("Tom(U)Harris(A)cs(P)x(B)y(Q)(L)(R)");
    BOOST_TEST_REQUIRE(got.ok(), why(got));
    BOOST_TEST(*got == "Tom_Harris@cs%x!y\"()", "got " << *got);
}

BOOST_AUTO_TEST_CASE(rfc2156_decoding_rejects_malformed_escapes)
{
    for (const char* bad : {"a(x)b", "a(12)b", "a(256)b", "a(a", "a)b", "a(abc)b", "a@b"}) {
        auto got = printable_to_rfc822(bad);
        BOOST_TEST(!got.ok(), "'" << bad << "': got success, want a decode error");
        if (!got.ok()) {
            BOOST_TEST((got.error().code == Errc::decode));
        }
    }
}

BOOST_AUTO_TEST_CASE(rfc822_orname_has_hand_verified_bytes)
{
    ORName n;
    n.rfc822 = "a@b.c";
    auto der = encode_or_name(n);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    // 60 [APPLICATION 0] { 30 00 empty standard attributes,
    //   30 { 30 { 13 "RFC-822", 13 "a(a)b.c" } } }
    const Bytes want = unhex("60 18 30 00 30 14 30 12 13 07 52 46 43 2d 38 32 32"
                             " 13 07 61 28 61 29 62 2e 63");
    BOOST_TEST(*der == want, "got " << hex(*der) << ", want " << hex(want));
    auto back = decode_or_name(*der);
    BOOST_TEST_REQUIRE(back.ok(), why(back));
    BOOST_TEST((*back == n));
}

BOOST_AUTO_TEST_CASE(standard_attributes_use_x411_tags)
{
    ORName n;
    n.country = "GB";
    n.admd = " ";
    n.prmd = "UK.AC";
    n.organization = "UCL";
    n.surname = "Walker";
    n.given_name = "J";
    n.org_units = {"CS"};
    auto der = encode_or_name(n);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    const Bytes want = unhex("60 2e 30 2c"
                             " 61 04 13 02 47 42"              // [APPLICATION 1] { "GB" }
                             " 62 03 13 01 20"                 // [APPLICATION 2] { " " }
                             " a2 07 13 05 55 4b 2e 41 43"     // [2] { "UK.AC" }
                             " 83 03 55 43 4c"                 // [3] "UCL"
                             " a5 0b 80 06 57 61 6c 6b 65 72 81 01 4a"  // [5] SET
                             " a6 04 13 02 43 53");            // [6] { "CS" }
    BOOST_TEST(*der == want, "got " << hex(*der) << ", want " << hex(want));
    auto back = decode_or_name(*der);
    BOOST_TEST_REQUIRE(back.ok(), why(back));
    BOOST_TEST((*back == n));
}

BOOST_AUTO_TEST_CASE(long_address_continues_in_rfc822c_attributes)
{
    ORName n;
    n.rfc822 = std::string(300, 'x') + "@example.org";
    auto der = encode_or_name(n);
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    const std::string text(der->begin(), der->end());
    BOOST_TEST(text.find("RFC822C1") != std::string::npos, "want an RFC822C1 attribute");
    BOOST_TEST(text.find("RFC822C2") != std::string::npos, "want an RFC822C2 attribute");
    BOOST_TEST(text.find("RFC822C3") == std::string::npos, "want no RFC822C3 attribute");
    auto back = decode_or_name(*der);
    BOOST_TEST_REQUIRE(back.ok(), why(back));
    BOOST_TEST(back->rfc822 == n.rfc822);
}

BOOST_AUTO_TEST_CASE(address_longer_than_512_encoded_characters_is_refused)
{
    ORName n;
    n.rfc822 = std::string(510, 'x') + "@y";
    auto der = encode_or_name(n);
    BOOST_TEST(!der.ok(), "got success, want an error for 514 characters");
}

BOOST_AUTO_TEST_CASE(bad_printable_string_is_refused_both_ways)
{
    ORName n;
    n.organization = "Widget_Labs";
    auto der = encode_or_name(n);
    BOOST_TEST(!der.ok(), "encode: got success, want error for '_' in organization-name");

    // A DDA value with a raw '@', which PrintableString lacks.
    const Bytes bad = unhex("60 18 30 00 30 14 30 12 13 07 52 46 43 2d 38 32 32"
                            " 13 07 61 40 62 2e 63 2e 64");
    auto got = decode_or_name(bad);
    BOOST_TEST_REQUIRE(!got.ok(), "decode: got success, want a decode error");
    BOOST_TEST((got.error().code == Errc::decode));
    BOOST_TEST(got.error().detail.find("PrintableString") != std::string::npos,
               "got '" << why(got) << "', want it to name PrintableString");
}

BOOST_AUTO_TEST_CASE(unknown_domain_defined_attribute_is_refused)
{
    const Bytes dda = unhex("60 13 30 00 30 0f 30 0d 13 04 58 2d 49 44 13 05 61 62 63 64 65");
    auto got = decode_or_name(dda);
    BOOST_TEST(!got.ok(), "got success, want refusal of DDA type X-ID");
}

BOOST_AUTO_TEST_CASE(non_minimal_length_is_refused)
{
    // The RFC-822 name above with its outer length in long form (81 18).
    const Bytes bad = unhex("60 81 18 30 00 30 14 30 12 13 07 52 46 43 2d 38 32 32"
                            " 13 07 61 28 61 29 62 2e 63");
    auto got = decode_or_name(bad);
    BOOST_TEST_REQUIRE(!got.ok(), "got success, want refusal of a non-minimal length");
    BOOST_TEST(got.error().detail.find("not DER") != std::string::npos,
               "got '" << why(got) << "'");
}

BOOST_AUTO_TEST_CASE(empty_name_is_an_empty_standard_attributes_sequence)
{
    auto der = encode_or_name(ORName{});
    BOOST_TEST_REQUIRE(der.ok(), why(der));
    BOOST_TEST(*der == unhex("60 02 30 00"), "got " << hex(*der) << ", want 60 02 30 00");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace x400::asn1::test
