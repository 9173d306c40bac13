// ldap_live_test.cpp - Directory against a real slapd and an openssl-made
// PKI, both set up by tests/integration/t-ldap-directory.sh, which passes:
//
//   X400_LDAP_URI      the slapd, e.g. ldap://127.0.0.1:3890/
//   X400_LDAP_DEAD_URI a URI where nothing listens
//   X400_LDAP_BASE     the user search base
//   X400_PKI           directory of PEM files: ca-a, ca-b, ca-other, bob
//   X400_SLAPD_STOP    shell command that stops the slapd
//   X400_SLAPD_START   shell command that starts it again, same data
#define BOOST_TEST_MODULE ldap_live
#include <boost/test/unit_test.hpp>

#include <openssl/pem.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/ossl.h"
#include "ldap/directory.h"

using x400::Errc;
using x400::KeyScope;
using x400::ldap::Directory;
using x400::ldap::DirectoryConfig;

namespace {

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    BOOST_REQUIRE_MESSAGE(v != nullptr && *v != '\0', "environment lacks " << name);
    return v;
}

// why is the text of a failed Result, for a message: Boost.Test builds
// messages even when the check passes.
template <class R>
std::string why(const R& r)
{
    return r.ok() ? std::string() : r.error().text();
}

std::string pki(const std::string& file)
{
    return env("X400_PKI") + "/" + file;
}

DirectoryConfig config_with_anchor(const std::string& anchor_pem)
{
    DirectoryConfig c;
    c.uris = {env("X400_LDAP_URI")};
    c.base = env("X400_LDAP_BASE");
    c.timeout_ms = 3000;
    c.trust_anchors_file = pki(anchor_pem);
    return c;
}

std::unique_ptr<Directory> open_with(const DirectoryConfig& c)
{
    auto d = Directory::open(c);
    BOOST_REQUIRE_MESSAGE(d.ok(), "open: " << why(d));
    return std::move(*d);
}

std::string subject_of(X509* cert)
{
    auto dn = x400::ldap::ldap_dn_from_name(X509_get_subject_name(cert));
    return dn ? *dn : "?";
}

std::string issuer_of(X509* cert)
{
    auto dn = x400::ldap::ldap_dn_from_name(X509_get_issuer_name(cert));
    return dn ? *dn : "?";
}

// expect_error checks the error class and that the detail mentions what.
template <class R>
void expect_error(const R& r, Errc code, const std::string& what)
{
    BOOST_REQUIRE_MESSAGE(!r.ok(), "got success, want " << x400::errc_name(code));
    BOOST_TEST_MESSAGE("error: " << r.error().text());
    BOOST_TEST(x400::errc_name(r.error().code) == x400::errc_name(code));
    BOOST_TEST(r.error().detail.find(what) != std::string::npos,
               "got \"" << r.error().detail << "\", want it to mention \"" << what << "\"");
}

// Ignoring SIGPIPE is the program's duty, not the library's: writing to a
// session whose server went away must give an error, not kill us.
struct IgnoreSigpipe {
    IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);

}  // namespace

BOOST_AUTO_TEST_SUITE(ldap_live)

// The paper's case: two CAs that cross-certify, a user under each.  With
// only CA B trusted, alice's path runs through CA B's certificate for CA
// A's key, found in CA A's entry as the forward half of a pair.
BOOST_AUTO_TEST_CASE(alice_validates_through_cross_certificate)
{
    auto dir = open_with(config_with_anchor("ca-b.pem"));
    auto r = dir->certificate_for("alice@a.example", KeyScope::user_agent);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_TEST(subject_of(r->certificate.get()) == "CN=alice,DC=a,DC=example");
    BOOST_REQUIRE(r->path.size() == 3u);
    BOOST_TEST(subject_of(r->path[1].get()) == "CN=CA,DC=a,DC=example");
    BOOST_TEST(issuer_of(r->path[1].get()) == "CN=CA,DC=b,DC=example");
    BOOST_TEST(subject_of(r->path[2].get()) == "CN=CA,DC=b,DC=example");
    BOOST_TEST(issuer_of(r->path[2].get()) == "CN=CA,DC=b,DC=example");
}

// The other way round: CA A's certificate for CA B's key sits in CA B's
// entry and, as a reverse half, in CA A's.
BOOST_AUTO_TEST_CASE(bob_validates_through_cross_certificate)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    auto r = dir->certificate_for("bob@b.example", KeyScope::user_agent);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_REQUIRE(r->path.size() == 3u);
    BOOST_TEST(subject_of(r->path[1].get()) == "CN=CA,DC=b,DC=example");
    BOOST_TEST(issuer_of(r->path[1].get()) == "CN=CA,DC=a,DC=example");
}

BOOST_AUTO_TEST_CASE(alice_validates_directly_under_own_ca)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    auto r = dir->certificate_for("alice@a.example", KeyScope::user_agent);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_TEST(r->path.size() == 2u);
}

BOOST_AUTO_TEST_CASE(validate_held_certificate)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    x400::BioPtr bio(BIO_new_file(pki("bob.pem").c_str(), "r"));
    BOOST_REQUIRE(bio);
    x400::X509Ptr bob(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    BOOST_REQUIRE(bob);
    auto r = dir->validate(bob.get(), KeyScope::user_agent);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_TEST(r->path.size() == 3u);
}

BOOST_AUTO_TEST_CASE(user_key_refused_for_message_store)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    expect_error(dir->certificate_for("alice@a.example", KeyScope::message_store),
                 Errc::untrusted, "lacks the message-store key purpose");
}

BOOST_AUTO_TEST_CASE(message_store_key_only_for_message_store)
{
    auto dir = open_with(config_with_anchor("ca-b.pem"));
    auto r = dir->certificate_for("ms@a.example", KeyScope::message_store);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    expect_error(dir->certificate_for("ms@a.example", KeyScope::user_agent), Errc::untrusted,
                 "lacks the user-agent key purpose");
}

BOOST_AUTO_TEST_CASE(expired_user_refused)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    expect_error(dir->certificate_for("expired@a.example", KeyScope::user_agent),
                 Errc::untrusted, "expired");
}

BOOST_AUTO_TEST_CASE(user_of_unknown_ca_refused)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    expect_error(dir->certificate_for("stranger@a.example", KeyScope::user_agent),
                 Errc::untrusted, "unable to get local issuer certificate");
}

// With a trust anchor that no path reaches, discovery walks the loop A -> B
// -> A of the cross-certificates and must stop.
BOOST_AUTO_TEST_CASE(cross_certificate_loop_ends)
{
    auto dir = open_with(config_with_anchor("ca-other.pem"));
    expect_error(dir->certificate_for("alice@a.example", KeyScope::user_agent),
                 Errc::untrusted, "certificate");
}

BOOST_AUTO_TEST_CASE(unknown_address_has_no_certificate)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    expect_error(dir->certificate_for("nobody@a.example", KeyScope::user_agent),
                 Errc::no_certificate, "nobody@a.example");
    expect_error(dir->certificate_for("", KeyScope::user_agent), Errc::no_certificate, "");
}

// RFC 4515 escaping keeps the address one assertion value: unescaped,
// this would be (mail=*)(mail=*) and match every user.
BOOST_AUTO_TEST_CASE(filter_injection_matches_nobody)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    expect_error(dir->certificate_for("*)(mail=*", KeyScope::user_agent), Errc::no_certificate,
                 "no directory entry");
    expect_error(dir->certificate_for("*", KeyScope::user_agent), Errc::no_certificate,
                 "no directory entry");
}

BOOST_AUTO_TEST_CASE(uris_tried_in_order)
{
    auto c = config_with_anchor("ca-a.pem");
    c.uris.insert(c.uris.begin(), env("X400_LDAP_DEAD_URI"));
    auto dir = open_with(c);
    auto r = dir->certificate_for("alice@a.example", KeyScope::user_agent);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
}

BOOST_AUTO_TEST_CASE(open_checks_configuration)
{
    auto c = config_with_anchor("ca-a.pem");
    c.trust_anchors_file = pki("no-such-file.pem");
    expect_error(Directory::open(c), Errc::config, "no-such-file.pem");
    c = config_with_anchor("ca-a.pem");
    c.uris.clear();
    expect_error(Directory::open(c), Errc::config, "URI");
    c = config_with_anchor("ca-a.pem");
    c.user_filter = "(mail=alice)";
    expect_error(Directory::open(c), Errc::config, "%s");
}

BOOST_AUTO_TEST_CASE(concurrent_lookups)
{
    auto dir = open_with(config_with_anchor("ca-b.pem"));
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                const char* who = (i + t) % 2 == 0 ? "alice@a.example" : "bob@b.example";
                if (!dir->certificate_for(who, KeyScope::user_agent).ok()) {
                    ++failures[t];
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    for (int f : failures) {
        BOOST_TEST(f == 0);
    }
}

// Last, because it stops and restarts the server: a session that worked,
// then a dead server (a clear temporary failure naming the URI), then the
// same Directory reconnecting by itself.
BOOST_AUTO_TEST_CASE(directory_down_then_back)
{
    auto dir = open_with(config_with_anchor("ca-a.pem"));
    auto r = dir->certificate_for("alice@a.example", KeyScope::user_agent);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));

    BOOST_REQUIRE(std::system(env("X400_SLAPD_STOP").c_str()) == 0);
    expect_error(dir->certificate_for("alice@a.example", KeyScope::user_agent),
                 Errc::directory_unavailable, env("X400_LDAP_URI"));
    expect_error(dir->certificate_for("alice@a.example", KeyScope::user_agent),
                 Errc::directory_unavailable, "Can't contact LDAP server");

    BOOST_REQUIRE(std::system(env("X400_SLAPD_START").c_str()) == 0);
    r = dir->certificate_for("alice@a.example", KeyScope::user_agent);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
}

BOOST_AUTO_TEST_SUITE_END()
