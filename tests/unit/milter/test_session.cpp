// test_session.cpp - the roles of a Session, driven without libmilter and
// with a fake Directory (the project's own seam; the real one is tested
// against slapd in tests/integration).
#include <boost/test/unit_test.hpp>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "core/seal.h"
#include "milter/milter_session.h"

using namespace x400;
using namespace x400::milter;

namespace {

struct FakeDirectory : ldap::Directory {
    std::map<std::string, X509*> certs;
    bool down = false;

    Result<ldap::ValidatedCertificate> certificate_for(std::string_view mail, KeyScope) override
    {
        if (down) return make_error(Errc::directory_unavailable, "ldap://x/: down");
        auto it = certs.find(std::string(mail));
        if (it == certs.end()) return make_error(Errc::no_certificate, "no directory entry");
        return ldap::ValidatedCertificate{up_ref(it->second), {}};
    }
    Result<ldap::ValidatedCertificate> validate(X509* c, KeyScope) override
    {
        return ldap::ValidatedCertificate{up_ref(c), {}};
    }
};

// World: keys for alice, bob and carol, self-signed certificates in a
// fake directory, and a key directory on disk.
struct World {
    std::string dir;
    std::map<std::string, EvpPkeyPtr> keys;
    std::map<std::string, X509Ptr> certs;

    World()
    {
        char tmpl[] = "/tmp/x400sec-milter-test-XXXXXX";
        dir = mkdtemp(tmpl);
        for (const char* who : {"alice@a.example", "bob@b.example", "carol@b.example"}) {
            EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", 2048));
            X509Ptr c(X509_new());
            X509_set_version(c.get(), 2);
            X509_gmtime_adj(X509_getm_notBefore(c.get()), 0);
            X509_gmtime_adj(X509_getm_notAfter(c.get()), 3600);
            X509_set_pubkey(c.get(), k.get());
            X509_sign(c.get(), k.get(), EVP_sha256());
            std::string path = dir + "/" + who + ".key";
            BioPtr bio(BIO_new_file(path.c_str(), "w"));
            PEM_write_bio_PrivateKey(bio.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr);
            bio.reset();
            chmod(path.c_str(), 0600);
            keys[who] = std::move(k);
            certs[who] = std::move(c);
        }
    }
    ~World() { std::system(("rm -rf '" + dir + "'").c_str()); }

    // shared gives a Shared with its own fresh state store; conf_text may
    // name a state_dir to share one.
    std::unique_ptr<Shared> shared(const std::string& conf_text)
    {
        static int stores = 0;
        const std::string state = dir + "/state" + std::to_string(++stores);
        auto conf = parse_config("state_dir = " + state + "\n" + conf_text + "\nkey_dir = " +
                                     dir + "\n",
                                 "test");
        BOOST_REQUIRE(conf.ok());
        auto d = std::make_unique<FakeDirectory>();
        for (auto& [who, c] : certs) d->certs[who] = c.get();
        auto st = open_state(**conf);
        BOOST_REQUIRE_MESSAGE(st.ok(), (st.ok() ? std::string() : st.error().text()));
        return std::make_unique<Shared>(*conf, std::move(d), std::move(*st));
    }
};

World& world()
{
    static World w;
    return w;
}

void feed(Session& s, const core::Message& m, const std::string& from,
          const std::vector<std::string>& rcpts)
{
    s.reset();
    s.set_queue_id("TESTQ");
    s.set_sender(from);
    for (const auto& r : rcpts) s.add_recipient(r);
    for (const auto& h : m.headers) s.add_header(h.name, h.value);
    s.add_body(m.body);
}

core::Message apply(core::Message m, const Outcome& o)
{
    for (const auto& e : o.edits) {
        if (e.kind == core::HeaderEdit::Kind::append) {
            m.headers.push_back({e.name, e.value});
            continue;
        }
        int n = 0;
        for (auto it = m.headers.begin(); it != m.headers.end(); ++it) {
            if (core::iequals(it->name, e.name) && ++n == e.occurrence) {
                if (e.kind == core::HeaderEdit::Kind::remove) m.headers.erase(it);
                else it->value = e.value;
                break;
            }
        }
    }
    if (o.new_body) m.body = *o.new_body;
    return m;
}

core::Message letter()
{
    core::Message m;
    m.headers = {{"From", " alice@a.example"}, {"To", " bob@b.example"},
                 {"Subject", " minutes"}, {"Content-Type", " text/plain"}};
    m.body = "The minutes of the meeting.\r\n";
    return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE(originate_then_receive_restores_the_letter)
{
    auto a = world().shared("role = originate\nconfidentiality = required\nsign_for = any\n");
    auto b = world().shared("role = receive\nlocal_domains = b.example\nauthserv_id = mx.b\n");
    Session out(*a);
    feed(out, letter(), "alice@a.example", {"bob@b.example", "carol@b.example"});
    Outcome sealed = out.end_of_message(1700000000);
    BOOST_REQUIRE((sealed.action == Outcome::Action::accept));
    core::Message wire = apply(letter(), sealed);
    BOOST_TEST(wire.body.find("minutes") == std::string::npos, "plaintext in transit");

    Session in(*b);
    feed(in, wire, "alice@a.example", {"bob@b.example", "carol@b.example"});
    Outcome opened = in.end_of_message(1700000000);
    core::Message got = apply(wire, opened);
    BOOST_TEST(got.body == letter().body);
    BOOST_TEST(core::content_digest(got) == core::content_digest(letter()));
    int passes = 0;
    for (const auto& h : got.headers) {
        if (h.name == core::k_results_field && h.value.find("token=pass") != std::string::npos &&
            h.value.find("cic=pass") != std::string::npos) {
            ++passes;
        }
    }
    BOOST_TEST(passes == 2);
}

BOOST_AUTO_TEST_CASE(missing_certificate_with_confidentiality_rejects_naming_recipient)
{
    auto a = world().shared("role = originate\nconfidentiality = required\nsign_for = any\n");
    Session s(*a);
    feed(s, letter(), "alice@a.example", {"bob@b.example", "zoe@b.example"});
    Outcome o = s.end_of_message(0);
    BOOST_TEST((o.action == Outcome::Action::reject));
    BOOST_TEST(o.smtp_code == "550");
    BOOST_TEST(o.status == "5.7.1");
    BOOST_TEST(o.reply.find("zoe@b.example") != std::string::npos, o.reply);
}

BOOST_AUTO_TEST_CASE(directory_down_is_a_temporary_failure)
{
    auto a = world().shared("role = originate\nsign_for = any\n");
    static_cast<FakeDirectory&>(*a->directory).down = true;
    Session s(*a);
    feed(s, letter(), "alice@a.example", {"bob@b.example"});
    Outcome o = s.end_of_message(0);
    BOOST_TEST((o.action == Outcome::Action::tempfail));
    BOOST_TEST(o.status == "4.4.3");
}

BOOST_AUTO_TEST_CASE(originator_without_key_is_refused_only_with_confidentiality)
{
    auto strict = world().shared("role = originate\nconfidentiality = required\nsign_for = any\n");
    Session s(*strict);
    feed(s, letter(), "nokey@a.example", {"bob@b.example"});
    BOOST_TEST((s.end_of_message(0).action == Outcome::Action::reject));
    auto lax = world().shared("role = originate\nsign_for = any\n");
    Session t(*lax);
    feed(t, letter(), "nokey@a.example", {"bob@b.example"});
    Outcome o = t.end_of_message(0);
    BOOST_TEST((o.action == Outcome::Action::accept));
    BOOST_TEST(o.edits.empty());
}

BOOST_AUTO_TEST_CASE(a_recipient_given_twice_gets_one_token)
{
    auto a = world().shared("role = originate\nsign_for = any\n");
    Session s(*a);
    feed(s, letter(), "alice@a.example", {"bob@b.example", "Bob@B.example"});
    Outcome o = s.end_of_message(0);
    int tokens = 0;
    for (const auto& e : o.edits) tokens += e.name == core::k_token_field;
    BOOST_TEST(tokens == 1);
}

BOOST_AUTO_TEST_CASE(only_the_authenticated_user_gets_mail_signed)
{
    auto a = world().shared("role = originate\n");
    Session s(*a);
    feed(s, letter(), "alice@a.example", {"bob@b.example"});
    Outcome o = s.end_of_message(0);
    BOOST_TEST((o.action == Outcome::Action::accept));
    BOOST_TEST(o.edits.empty(), "sealed for an unauthenticated client");

    feed(s, letter(), "alice@a.example", {"bob@b.example"});
    s.set_auth("mallory");
    BOOST_TEST(s.end_of_message(0).edits.empty(), "sealed for another user");

    feed(s, letter(), "alice@a.example", {"bob@b.example"});
    s.set_auth("alice");
    BOOST_TEST(!s.end_of_message(0).edits.empty(), "not sealed for the user herself");

    auto strict = world().shared("role = originate\nconfidentiality = required\n");
    Session t(*strict);
    feed(t, letter(), "alice@a.example", {"bob@b.example"});
    Outcome r = t.end_of_message(0);
    BOOST_TEST((r.action == Outcome::Action::reject));
    BOOST_TEST(r.status == "5.7.1");
}

BOOST_AUTO_TEST_CASE(sequence_numbers_grow_per_pair_in_the_store)
{
    auto a = world().shared("role = originate\nsign_for = any\n");
    for (int i = 0; i < 2; ++i) {
        Session s(*a);
        feed(s, letter(), "alice@a.example", {"bob@b.example"});
        BOOST_REQUIRE((s.end_of_message(1700000000).action == Outcome::Action::accept));
    }
    auto state = a->state->show("alice@a.example", "bob@b.example");
    BOOST_REQUIRE(state.ok());
    BOOST_TEST(state->last_issued.value_or(0) == 2u);
}

namespace {

// results_of returns the results fields the outcome adds, joined.
std::string results_of(const Outcome& o)
{
    std::string out;
    for (const auto& e : o.edits) {
        if (e.name == core::k_results_field) out += e.value + "\n";
    }
    return out;
}

// sealed_letter seals letter() from alice to bob at time now.
core::Message sealed_letter(Shared& a, std::int64_t now)
{
    Session out(a);
    feed(out, letter(), "alice@a.example", {"bob@b.example"});
    Outcome sealed = out.end_of_message(now);
    BOOST_REQUIRE((sealed.action == Outcome::Action::accept));
    return apply(letter(), sealed);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_replay_is_rejected_and_a_late_message_accepted)
{
    const std::int64_t now = 1700000000;
    auto a = world().shared("role = originate\nsign_for = any\n");
    auto b = world().shared("role = receive\nlocal_domains = b.example\n");
    core::Message first = sealed_letter(*a, now);
    core::Message second = sealed_letter(*a, now);

    Session in(*b);
    feed(in, second, "alice@a.example", {"bob@b.example"});
    Outcome o = in.end_of_message(now);
    BOOST_TEST((o.action == Outcome::Action::accept));
    BOOST_TEST(results_of(o).find("replay=pass") != std::string::npos, results_of(o));

    feed(in, first, "alice@a.example", {"bob@b.example"});
    o = in.end_of_message(now);
    BOOST_TEST((o.action == Outcome::Action::accept), "a late message is not a replay");
    BOOST_TEST(results_of(o).find("replay=pass (late)") != std::string::npos, results_of(o));

    feed(in, first, "alice@a.example", {"bob@b.example"});
    o = in.end_of_message(now);
    BOOST_TEST((o.action == Outcome::Action::reject));
    BOOST_TEST(o.smtp_code == "550");
    BOOST_TEST(o.status == "5.7.1");
    BOOST_TEST(o.reply.find("replayed") != std::string::npos, o.reply);
}

BOOST_AUTO_TEST_CASE(on_replay_mark_and_quarantine_deliver_with_the_verdict)
{
    const std::int64_t now = 1700000000;
    auto a = world().shared("role = originate\nsign_for = any\n");
    core::Message m = sealed_letter(*a, now);
    for (const char* mode : {"mark", "quarantine"}) {
        auto b = world().shared(std::string("role = receive\non_replay = ") + mode + "\n");
        Session in(*b);
        feed(in, m, "alice@a.example", {"bob@b.example"});
        BOOST_TEST(!in.end_of_message(now).quarantine.has_value());
        feed(in, m, "alice@a.example", {"bob@b.example"});
        Outcome o = in.end_of_message(now);
        BOOST_TEST((o.action == Outcome::Action::accept), mode);
        BOOST_TEST(results_of(o).find("replay=fail (seen before)") != std::string::npos,
                   results_of(o));
        BOOST_TEST(o.quarantine.has_value() == (std::string(mode) == "quarantine"), mode);
    }
}

BOOST_AUTO_TEST_CASE(stale_and_future_tokens_count_as_replays)
{
    const std::int64_t now = 1700000000;
    auto a = world().shared("role = originate\nsign_for = any\n");
    auto b = world().shared(
        "role = receive\non_replay = mark\nmax_token_age = 3600\nmax_clock_skew = 60\n");
    Session in(*b);
    feed(in, sealed_letter(*a, now - 3601), "alice@a.example", {"bob@b.example"});
    BOOST_TEST(results_of(in.end_of_message(now)).find("replay=fail (token too old)") !=
               std::string::npos);
    feed(in, sealed_letter(*a, now + 61), "alice@a.example", {"bob@b.example"});
    BOOST_TEST(results_of(in.end_of_message(now)).find("(token time in the future)") !=
               std::string::npos);
    feed(in, sealed_letter(*a, now + 59), "alice@a.example", {"bob@b.example"});
    BOOST_TEST(results_of(in.end_of_message(now)).find("replay=pass") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(abandon_lets_the_retry_of_a_refused_message_through)
{
    const std::int64_t now = 1700000000;
    auto a = world().shared("role = originate\nsign_for = any\n");
    auto b = world().shared("role = receive\n");
    core::Message m = sealed_letter(*a, now);
    Session in(*b);
    feed(in, m, "alice@a.example", {"bob@b.example"});
    BOOST_TEST((in.end_of_message(now).action == Outcome::Action::accept));
    in.abandon();  // the MTA refused our edits: the client will retry
    feed(in, m, "alice@a.example", {"bob@b.example"});
    BOOST_TEST((in.end_of_message(now).action == Outcome::Action::accept));
}

BOOST_AUTO_TEST_SUITE_END()
