// test_ldap_pair.cpp - what the CertificatePair decoder refuses.  The
// accepting cases run against openssl-built pairs in the live test
// (tests/integration/t-ldap-directory.sh).
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "ldap/ldap_pair.h"

using x400::Errc;
using x400::ldap::decode_certificate_pair;

namespace {

Errc code_of(const std::vector<std::uint8_t>& der)
{
    const auto r = decode_certificate_pair(der.data(), der.size());
    BOOST_REQUIRE(!r.ok());
    return r.error().code;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ldap_pair)

BOOST_AUTO_TEST_CASE(rejects_empty_and_non_sequence)
{
    BOOST_TEST(!decode_certificate_pair(nullptr, 0).ok());
    BOOST_TEST((code_of({0x30, 0x00}) == Errc::decode));        // neither element
    BOOST_TEST((code_of({0x31, 0x00}) == Errc::decode));        // a SET
    BOOST_TEST((code_of({0x04, 0x01, 0x00}) == Errc::decode));  // OCTET STRING
}

BOOST_AUTO_TEST_CASE(rejects_bad_lengths_and_trailing_bytes)
{
    BOOST_TEST((code_of({0x30, 0x05, 0xa0, 0x00}) == Errc::decode));
    BOOST_TEST((code_of({0x30, 0x80, 0x00, 0x00}) == Errc::decode));
    BOOST_TEST((code_of({0x30, 0x00, 0x00}) == Errc::decode));
}

BOOST_AUTO_TEST_CASE(rejects_wrong_tags_and_non_certificates)
{
    BOOST_TEST((code_of({0x30, 0x02, 0xa2, 0x00}) == Errc::decode));  // [2]
    BOOST_TEST((code_of({0x30, 0x02, 0x80, 0x00}) == Errc::decode));  // primitive [0]
    BOOST_TEST((code_of({0x30, 0x04, 0xa0, 0x02, 0x05, 0x00}) == Errc::decode));  // NULL
    BOOST_TEST((code_of({0x30, 0x02, 0xa0, 0x00}) == Errc::decode));  // empty [0]
}

BOOST_AUTO_TEST_SUITE_END()
