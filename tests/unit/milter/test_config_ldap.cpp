// test_config_ldap.cpp - the LDAP client keys of the configuration
// (issue #3): binds, StartTLS, cache and CRL policies.
#include <boost/test/unit_test.hpp>

#include <string>

#include "milter/config.h"

using x400::milter::parse_config;

namespace {

// refused_because parses text and checks that it fails mentioning what.
void refused_because(const std::string& text, const std::string& what)
{
    auto c = parse_config(text, "t.conf");
    BOOST_REQUIRE_MESSAGE(!c.ok(), "got success for \"" << text << "\", want an error");
    BOOST_TEST(c.error().detail.find(what) != std::string::npos,
               "got \"" << c.error().detail << "\", want it to mention \"" << what << "\"");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_ldap)

BOOST_AUTO_TEST_CASE(ldap_client_keys_parse)
{
    auto c = parse_config("ldap_bind_method = simple\n"
                          "ldap_bind_dn = cn=x,dc=example\n"
                          "ldap_bind_password_file = /etc/x400sec/ldap.secret\n"
                          "ldap_starttls = demand\nldap_tls_cacert = /etc/ssl/ca.pem\n"
                          "ldap_referrals = yes\nldap_cache_ttl = 0\n"
                          "ldap_cache_max_stale = 60\nldap_stale_crl = accept-with-warning\n"
                          "ldap_missing_crl = accept-with-warning\n",
                          "t.conf");
    BOOST_REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().detail));
    BOOST_TEST((*c)->ldap_bind_method == "simple");
    BOOST_TEST((*c)->ldap_starttls == "demand");
    BOOST_TEST((*c)->ldap_referrals);
    BOOST_TEST((*c)->ldap_cache_ttl == 0);
    BOOST_TEST((*c)->ldap_cache_max_stale == 60);
    BOOST_TEST((*c)->ldap_stale_crl == "accept-with-warning");
}

BOOST_AUTO_TEST_CASE(ldap_client_keys_refuse_bad_values)
{
    refused_because("ldap_bind_method = kerberos\n", "ldap_bind_method");
    refused_because("ldap_starttls = maybe\n", "ldap_starttls");
    refused_because("ldap_stale_crl = ignore\n", "ldap_stale_crl");
    refused_because("ldap_missing_crl = tempfail\n", "ldap_missing_crl");
    refused_because("ldap_cache_ttl = -1\n", "ldap_cache_ttl");
    refused_because("ldap_referrals = perhaps\n", "ldap_referrals");
}

// A bind DN only makes sense for a simple bind, and a simple bind needs
// both the DN and the password file.
BOOST_AUTO_TEST_CASE(simple_bind_needs_dn_and_password_file)
{
    refused_because("ldap_bind_method = simple\nldap_bind_dn = cn=x\n", "password_file");
    refused_because("ldap_bind_dn = cn=x\n", "ldap_bind_method = simple");
    refused_because("ldap_bind_method = sasl-external\nldap_bind_password_file = /x\n",
                    "ldap_bind_method = simple");
}

BOOST_AUTO_TEST_SUITE_END()
