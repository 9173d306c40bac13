// test_ldap_filter.cpp - RFC 4515 filter escaping (and the test module).
#define BOOST_TEST_MODULE ldap
#include <boost/test/unit_test.hpp>

#include <string>

#include "ldap/directory.h"

using x400::ldap::ldap_filter_escape;

BOOST_AUTO_TEST_SUITE(ldap_filter)

// The values behind the escaped examples of RFC 4515 section 4.  We write
// hex digits in lower case; the RFC mixes cases, which is equivalent.
BOOST_AUTO_TEST_CASE(escapes_rfc4515_section4_examples)
{
    BOOST_TEST(ldap_filter_escape("Parens R Us (for all your parenthetical needs)") ==
               "Parens R Us \\28for all your parenthetical needs\\29");
    BOOST_TEST(ldap_filter_escape("*") == "\\2a");
    BOOST_TEST(ldap_filter_escape("C:\\MyFile") == "C:\\5cMyFile");
    BOOST_TEST(ldap_filter_escape(std::string("\0\0\0\4", 4)) == "\\00\\00\\00\\04");
    BOOST_TEST(ldap_filter_escape("Lu\xc4\x8d\x69\xc4\x87") == "Lu\\c4\\8di\\c4\\87");

    // Section 4's last example escapes two control octets and leaves "Hi";
    // we escape control octets too, so this one comes out the same.
    BOOST_TEST(ldap_filter_escape("\x04\x02Hi") == "\\04\\02Hi");
}

BOOST_AUTO_TEST_CASE(leaves_plain_addresses_alone)
{
    BOOST_TEST(ldap_filter_escape("alice@a.example") == "alice@a.example");
    BOOST_TEST(ldap_filter_escape("first.last+tag@b-c.example") == "first.last+tag@b-c.example");
    BOOST_TEST(ldap_filter_escape("") == "");
}

BOOST_AUTO_TEST_CASE(defuses_filter_injection)
{
    const std::string got = ldap_filter_escape("*)(mail=*");
    BOOST_TEST(got == "\\2a\\29\\28mail=\\2a");
    BOOST_TEST(got.find_first_of("*()") == std::string::npos);
    BOOST_TEST(ldap_filter_escape("x)(|(objectClass=*)") ==
               "x\\29\\28|\\28objectClass=\\2a\\29");
    BOOST_TEST(ldap_filter_escape("\\2a") == "\\5c2a");
    BOOST_TEST(ldap_filter_escape("a\x7f") == "a\\7f");
}

BOOST_AUTO_TEST_SUITE_END()
