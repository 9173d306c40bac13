// test_x411_der.cpp - AlgorithmIdentifier helpers and the CIC prefix.
#include <boost/test/unit_test.hpp>

#include "asn1_test_util.h"

namespace x400::asn1::test {

BOOST_AUTO_TEST_SUITE(x411_der)

BOOST_AUTO_TEST_CASE(algorithm_id_without_parameters_has_no_null)
{
    auto a = make_algorithm_id("2.16.840.1.101.3.4.1.46", {});
    BOOST_TEST_REQUIRE(a.ok(), why(a));
    const Bytes want = unhex("30 0b 06 09 60 86 48 01 65 03 04 01 2e");
    BOOST_TEST(a->der == want, "got " << hex(a->der) << ", want " << hex(want));
    auto oid = algorithm_oid(*a);
    BOOST_TEST_REQUIRE(oid.ok());
    BOOST_TEST(*oid == "2.16.840.1.101.3.4.1.46");
    auto params = algorithm_params(*a);
    BOOST_TEST_REQUIRE(params.ok());
    BOOST_TEST(params->empty(), "got " << hex(*params) << ", want no parameters");
}

BOOST_AUTO_TEST_CASE(algorithm_id_keeps_parameters)
{
    auto a = make_algorithm_id("1.2.840.113549.1.1.10", pss_sha256_params());
    BOOST_TEST_REQUIRE(a.ok(), why(a));
    auto params = algorithm_params(*a);
    BOOST_TEST_REQUIRE(params.ok());
    BOOST_TEST(*params == pss_sha256_params(), "got " << hex(*params));
    auto null = make_algorithm_id("1.2.840.113549.1.1.11", unhex("05 00"));
    BOOST_TEST_REQUIRE(null.ok());
    BOOST_TEST(null->der == unhex("30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00"),
               "got " << hex(null->der));
}

BOOST_AUTO_TEST_CASE(algorithm_id_refuses_bad_input)
{
    BOOST_TEST(!make_algorithm_id("sha256", {}).ok(), "names are not dotted OIDs");
    BOOST_TEST(!make_algorithm_id("1.2.3", unhex("05 00 00")).ok(), "trailing params byte");
    BOOST_TEST(!make_algorithm_id("1.2.3", unhex("05")).ok(), "truncated params");
    BOOST_TEST(!algorithm_oid(AlgorithmId{unhex("30 03 06 01")}).ok(), "truncated AlgId");
    BOOST_TEST(!algorithm_oid(AlgorithmId{}).ok(), "empty AlgId");
}

BOOST_AUTO_TEST_CASE(cic_prefix_plus_content_is_the_argument_der)
{
    const AlgorithmId a = alg("2.16.840.1.101.3.4.2.1");  // SHA-256, no params
    struct Case {
        std::size_t len;
        const char* os_header;
    };
    // X.690 8.1.3: short form below 128, then 81 nn, 82 nnnn, 83 nnnnnn.
    const Case cases[] = {{0, "04 00"},          {5, "04 05"},          {127, "04 7f"},
                          {128, "04 81 80"},     {255, "04 81 ff"},     {256, "04 82 01 00"},
                          {65535, "04 82 ff ff"}, {65536, "04 83 01 00 00"}};
    for (const auto& c : cases) {
        auto prefix = cic_argument_prefix(a, c.len);
        BOOST_TEST_REQUIRE(prefix.ok(), why(prefix));
        const Bytes os = unhex(c.os_header);
        const Bytes inner = cat({a.der, os, Bytes(c.len, 0x41)});
        const Bytes whole = tlv(0x30, inner);
        Bytes got = *prefix;
        got.insert(got.end(), c.len, 0x41);
        // tlv() stops at two length octets; compare headers for big sizes.
        if (inner.size() < 65536) {
            BOOST_TEST(got == whole, "len " << c.len << ": prefix " << hex(*prefix));
        } else {
            const Bytes want_head = cat({unhex("30 83"),
                                         Bytes{static_cast<std::uint8_t>(inner.size() >> 16),
                                               static_cast<std::uint8_t>(inner.size() >> 8),
                                               static_cast<std::uint8_t>(inner.size())},
                                         a.der, os});
            BOOST_TEST(*prefix == want_head, "len " << c.len << ": got " << hex(*prefix)
                                                    << ", want " << hex(want_head));
        }
    }
}

BOOST_AUTO_TEST_CASE(cic_prefix_refuses_a_malformed_algorithm)
{
    BOOST_TEST(!cic_argument_prefix(AlgorithmId{unhex("30 00 00")}, 3).ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace x400::asn1::test
