// test_ldap_dn.cpp - X509_NAME to LDAP DN string (RFC 4514).
#include <boost/test/unit_test.hpp>

#include <openssl/x509.h>

#include <string>

#include "base/ossl.h"
#include "ldap/directory.h"

using x400::X509NamePtr;
using x400::ldap::ldap_dn_from_name;

namespace {

// make_name builds a name from (type, value) pairs, most significant RDN
// first, as X.501 orders them.
X509NamePtr make_name(std::initializer_list<std::pair<const char*, const char*>> rdns)
{
    X509NamePtr name(X509_NAME_new());
    for (const auto& [type, value] : rdns) {
        const auto* v = reinterpret_cast<const unsigned char*>(value);
        BOOST_REQUIRE(X509_NAME_add_entry_by_txt(name.get(), type, MBSTRING_UTF8, v, -1, -1,
                                                 0) == 1);
    }
    return name;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ldap_dn)

BOOST_AUTO_TEST_CASE(prints_last_rdn_first)
{
    const auto name = make_name({{"DC", "example"}, {"DC", "a"}, {"CN", "CA"}});
    const auto dn = ldap_dn_from_name(name.get());
    BOOST_REQUIRE(dn.ok());
    BOOST_TEST(*dn == "CN=CA,DC=a,DC=example");
}

BOOST_AUTO_TEST_CASE(escapes_rfc4514_specials)
{
    const auto name = make_name({{"O", "Smith, Jones & Co"}, {"CN", "#1 \"CA\"+more "}});
    const auto dn = ldap_dn_from_name(name.get());
    BOOST_REQUIRE(dn.ok());
    BOOST_TEST(*dn == "CN=\\#1 \\\"CA\\\"\\+more\\ ,O=Smith\\, Jones & Co");
}

BOOST_AUTO_TEST_CASE(escapes_non_ascii_as_hex_pairs)
{
    const auto name = make_name({{"C", "HR"}, {"CN", "Lu\xc4\x8di\xc4\x87"}});
    const auto dn = ldap_dn_from_name(name.get());
    BOOST_REQUIRE(dn.ok());
    BOOST_TEST(*dn == "CN=Lu\\C4\\8Di\\C4\\87,C=HR");
}

BOOST_AUTO_TEST_CASE(prints_unknown_types_as_oid_and_hex)
{
    const auto name = make_name({{"1.2.3.4", "x"}});
    const auto dn = ldap_dn_from_name(name.get());
    BOOST_REQUIRE(dn.ok());
    BOOST_TEST(*dn == "1.2.3.4=#0C0178");
}

BOOST_AUTO_TEST_CASE(empty_name_gives_empty_dn_and_null_fails)
{
    const X509NamePtr name(X509_NAME_new());
    const auto dn = ldap_dn_from_name(name.get());
    BOOST_REQUIRE(dn.ok());
    BOOST_TEST(dn->empty());
    BOOST_TEST(!ldap_dn_from_name(nullptr).ok());
}

BOOST_AUTO_TEST_SUITE_END()
