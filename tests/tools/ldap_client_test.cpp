// ldap_client_test.cpp - the LDAP client options of Directory against a
// real slapd that lets anonymous clients only bind (issue #3, item 1), set
// up by tests/integration/t-ldap-client.sh, which passes:
//
//   X400_LDAP_URI   ldap://127.0.0.1:PORT/ (StartTLS offered)
//   X400_LDAPI_URI  ldapi:// with the percent-encoded socket path
//   X400_LDAPS_URI  ldaps://127.0.0.1:PORT/
//   X400_LDAP_BASE  the user search base
//   X400_BIND_DN    a DN that may read, with the password in
//   X400_PASSWORD_FILE (mode 600); X400_WRONG_PASSWORD_FILE has a wrong
//   one, X400_OPEN_PASSWORD_FILE the right one with mode 640
//   X400_PKI        ca.pem (trust anchor and the server's CA), other-ca.pem
#define BOOST_TEST_MODULE ldap_client
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>

#include "ldap/directory.h"
#include "ldap_test_env.h"

using x400::Errc;
using x400::KeyScope;
using x400::ldap::BindMethod;
using x400::ldap::Directory;
using x400::ldap::DirectoryConfig;
using x400::ldap::MissingCrlPolicy;
using x400::ldap::StartTls;

namespace {

using x400::test::env;
using x400::test::pki;
using x400::test::why;

// base_config reads nothing but anonymous; callers set the bind.
DirectoryConfig base_config(const std::string& uri)
{
    DirectoryConfig c;
    c.uris = {uri};
    c.base = env("X400_LDAP_BASE");
    c.timeout_ms = 3000;
    c.trust_anchors_file = pki("ca.pem");
    c.missing_crl = MissingCrlPolicy::accept_with_warning;
    return c;
}

DirectoryConfig simple_config(const std::string& uri)
{
    DirectoryConfig c = base_config(uri);
    c.bind_method = BindMethod::simple;
    c.bind_dn = env("X400_BIND_DN");
    auto pw = x400::ldap::read_password_file(env("X400_PASSWORD_FILE"));
    BOOST_REQUIRE_MESSAGE(pw.ok(), why(pw));
    c.bind_password = *pw;
    return c;
}

// lookup opens a Directory with c and asks for alice's key.
x400::Result<x400::ldap::ValidatedCertificate> lookup(const DirectoryConfig& c)
{
    auto d = Directory::open(c);
    BOOST_REQUIRE_MESSAGE(d.ok(), "open: " << why(d));
    return (*d)->certificate_for("alice@example", KeyScope::user_agent);
}

template <class R>
void expect_error(const R& r, Errc code, const std::string& what)
{
    BOOST_REQUIRE_MESSAGE(!r.ok(), "got success, want " << x400::errc_name(code));
    BOOST_TEST_MESSAGE("error: " << r.error().text());
    BOOST_TEST(x400::errc_name(r.error().code) == x400::errc_name(code));
    BOOST_TEST(r.error().detail.find(what) != std::string::npos,
               "got \"" << r.error().detail << "\", want it to mention \"" << what << "\"");
}

struct IgnoreSigpipe {
    IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);

}  // namespace

BOOST_AUTO_TEST_SUITE(ldap_client)

// The server's ACL lets an anonymous client search nothing: the premise of
// the other cases.  A refused search is a temporary failure, so that mail
// waits while the operator mends the directory's access rules.
BOOST_AUTO_TEST_CASE(anonymous_sees_nothing)
{
    expect_error(lookup(base_config(env("X400_LDAP_URI"))), Errc::directory_unavailable,
                 "Insufficient access");
}

BOOST_AUTO_TEST_CASE(simple_bind_with_password_file)
{
    auto r = lookup(simple_config(env("X400_LDAP_URI")));
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_TEST(r->path.size() == 2u);
}

BOOST_AUTO_TEST_CASE(wrong_password_is_a_configuration_error)
{
    DirectoryConfig c = simple_config(env("X400_LDAP_URI"));
    c.bind_password = *x400::ldap::read_password_file(env("X400_WRONG_PASSWORD_FILE"));
    expect_error(lookup(c), Errc::config, "Invalid credentials");
}

BOOST_AUTO_TEST_CASE(password_file_open_to_others_refused)
{
    expect_error(x400::ldap::read_password_file(env("X400_OPEN_PASSWORD_FILE")), Errc::config,
                 "group or others");
    expect_error(x400::ldap::read_password_file(env("X400_PASSWORD_FILE") + ".none"),
                 Errc::config, "cannot open");
}

// RFC 4513 section 5.2.1.8: over ldapi:// the server takes our identity
// from the socket's peer credentials.
BOOST_AUTO_TEST_CASE(sasl_external_over_ldapi)
{
    DirectoryConfig c = base_config(env("X400_LDAPI_URI"));
    c.bind_method = BindMethod::sasl_external;
    auto r = lookup(c);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    // Without the bind, the same socket shows nothing.
    expect_error(lookup(base_config(env("X400_LDAPI_URI"))), Errc::directory_unavailable,
                 "Insufficient access");
}

// Over TCP without a client certificate there is no external identity.
BOOST_AUTO_TEST_CASE(sasl_external_over_tcp_refused)
{
    DirectoryConfig c = base_config(env("X400_LDAP_URI"));
    c.bind_method = BindMethod::sasl_external;
    expect_error(lookup(c), Errc::config, "SASL EXTERNAL refused");
}

// RFC 4511 section 4.14 and RFC 4513 section 3: StartTLS, the server's
// certificate checked against the configured CA.
BOOST_AUTO_TEST_CASE(starttls_demand_with_test_ca)
{
    DirectoryConfig c = simple_config(env("X400_LDAP_URI"));
    c.starttls = StartTls::demand;
    c.tls_cacert = pki("ca.pem");
    auto r = lookup(c);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));

    // A CA that did not issue the server's certificate: demand fails,
    // yes falls back to clear text.
    c.tls_cacert = pki("other-ca.pem");
    expect_error(lookup(c), Errc::directory_unavailable, "TLS");
    c.starttls = StartTls::yes;
    r = lookup(c);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
}

BOOST_AUTO_TEST_CASE(ldaps_with_test_ca)
{
    DirectoryConfig c = simple_config(env("X400_LDAPS_URI"));
    c.tls_cacert = pki("ca.pem");
    auto r = lookup(c);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    c.tls_cacert = pki("other-ca.pem");
    expect_error(lookup(c), Errc::directory_unavailable, env("X400_LDAPS_URI"));
}

BOOST_AUTO_TEST_CASE(open_checks_bind_settings)
{
    DirectoryConfig c = base_config(env("X400_LDAP_URI"));
    c.bind_method = BindMethod::simple;
    c.bind_dn = env("X400_BIND_DN");
    expect_error(Directory::open(c), Errc::config, "needs a DN and a password");
    c.bind_method = BindMethod::anonymous;
    expect_error(Directory::open(c), Errc::config, "not simple");
    BOOST_TEST((*x400::ldap::bind_method_from("sasl-external") == BindMethod::sasl_external));
    BOOST_TEST((*x400::ldap::starttls_from("demand") == StartTls::demand));
    expect_error(x400::ldap::bind_method_from("kerberos"), Errc::config, "kerberos");
    expect_error(x400::ldap::starttls_from("maybe"), Errc::config, "maybe");
}

BOOST_AUTO_TEST_SUITE_END()
