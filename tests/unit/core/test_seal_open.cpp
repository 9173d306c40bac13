// test_seal_open.cpp - tokens, sealing and opening, and the bad inputs of
// issue #2: malformed, truncated and forged tokens, a token for someone
// else, and the paper's section 5.1 attack.
#include <boost/test/unit_test.hpp>

#include "asn1/x411.h"
#include "core/base64.h"
#include "core/canon.h"
#include "core/open.h"
#include "core/seal.h"
#include "core/token.h"
#include "core_fixture.h"

using namespace x400;
using namespace x400::core;

namespace {

EVP_PKEY* alice()
{
    return test::rsa_key(0);
}

EVP_PKEY* bob()
{
    return test::rsa_key(1);
}

EVP_PKEY* carol()
{
    return test::rsa_key(2);
}

EVP_PKEY* mallory()
{
    return test::rsa_key(3);
}

Message sample()
{
    Message m;
    m.headers = {{"Received", " from client by mx.a.example"},
                 {"From", " Alice <alice@a.example>"},
                 {"To", " bob@b.example, carol@b.example"},
                 {"Subject", " quarterly figures"},
                 {"MIME-Version", " 1.0"},
                 {"Content-Type", " text/plain; charset=utf-8"}};
    m.body = "Figures attached.\r\nRegards\r\n";
    return m;
}

// apply plays HeaderEdits on a Message the way the MTA would.
Message apply(Message m, const std::vector<HeaderEdit>& edits,
              const std::optional<std::string>& body)
{
    for (const auto& e : edits) {
        if (e.kind == HeaderEdit::Kind::append) {
            m.headers.push_back({e.name, e.value});
            continue;
        }
        int n = 0;
        for (auto it = m.headers.begin(); it != m.headers.end(); ++it) {
            if (iequals(it->name, e.name) && ++n == e.occurrence) {
                if (e.kind == HeaderEdit::Kind::remove) {
                    m.headers.erase(it);
                } else {
                    it->value = e.value;
                }
                break;
            }
        }
    }
    if (body) m.body = *body;
    return m;
}

OriginatorKeys directory_of(std::map<std::string, EVP_PKEY*> keys)
{
    return [keys](const std::string& address) -> Result<EvpPkeyPtr> {
        auto it = keys.find(address);
        if (it == keys.end()) return make_error(Errc::no_certificate, "no entry");
        return up_ref(it->second);
    };
}

Message seal(const Message& m, EVP_PKEY* originator, bool confidential)
{
    std::vector<SealRecipient> r = {{"bob@b.example", bob(), 7, false},
                                    {"carol@b.example", carol(), 9, true}};
    SealOptions opt;
    opt.confidentiality = confidential;
    opt.now = 1700000000;
    auto sealed = seal_message(m, originator, r, opt);
    BOOST_REQUIRE(sealed.ok());
    return apply(m, sealed->edits, sealed->new_body);
}

std::string results_of(const Message& m)
{
    std::string out;
    for (const auto& h : m.headers) {
        if (h.name == k_results_field) out += h.value + "\n";
    }
    return out;
}

std::vector<OpenRecipient> both()
{
    return {{"bob@b.example", bob()}, {"carol@b.example", carol()}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(seal_open)

BOOST_AUTO_TEST_CASE(token_round_trip_verifies_and_names_its_recipient)
{
    TokenRequest req;
    req.recipient = "bob@b.example";
    req.time = 1700000000;
    req.sequence_number = 42;
    req.proof_of_delivery = true;
    auto der = build_message_token(alice(), req);
    BOOST_REQUIRE(der.ok());
    auto vt = verify_message_token(*der, alice(), "Bob@B.EXAMPLE");
    BOOST_REQUIRE(vt.ok());
    BOOST_TEST(*vt->token.data.signed_data->message_sequence_number == 42u);
    BOOST_TEST(vt->token.data.signed_data->proof_of_delivery_requested);
    BOOST_TEST(vt->token.data.time == 1700000000);
}

BOOST_AUTO_TEST_CASE(token_for_someone_else_is_not_for_us)
{
    TokenRequest req;
    req.recipient = "bob@b.example";
    auto der = build_message_token(alice(), req);
    BOOST_REQUIRE(der.ok());
    auto vt = verify_message_token(*der, alice(), "carol@b.example");
    BOOST_REQUIRE(!vt.ok());
    BOOST_TEST(vt.error().code == Errc::not_for_us);
}

BOOST_AUTO_TEST_CASE(every_flipped_bit_in_signed_token_data_is_caught)
{
    TokenRequest req;
    req.recipient = "bob@b.example";
    req.sequence_number = 5;
    auto der = build_message_token(alice(), req);
    BOOST_REQUIRE(der.ok());
    std::size_t caught = 0;
    for (std::size_t i = 0; i < der->size(); ++i) {
        Bytes bad = *der;
        bad[i] ^= 0x01;
        if (!verify_message_token(bad, alice(), "bob@b.example").ok()) ++caught;
    }
    BOOST_TEST(caught == der->size(), "got " << caught << " caught, want " << der->size());
}

BOOST_AUTO_TEST_CASE(truncated_tokens_are_refused_at_every_length)
{
    TokenRequest req;
    req.recipient = "bob@b.example";
    auto der = build_message_token(alice(), req);
    BOOST_REQUIRE(der.ok());
    for (std::size_t n = 0; n < der->size(); ++n) {
        auto r = verify_message_token(std::span(der->data(), n), alice(), "bob@b.example");
        BOOST_TEST(!r.ok());
    }
}

BOOST_AUTO_TEST_CASE(sealed_and_opened_content_is_the_original_byte_for_byte)
{
    const Message m = sample();
    Message sealed = seal(m, alice(), true);
    BOOST_TEST(sealed.body.find("Figures") == std::string::npos, "plaintext leaked");
    BOOST_TEST(find_header(sealed, "Subject")->find("quarterly") == std::string::npos);
    OpenResult r = open_message(sealed, "alice@a.example", both(),
                                directory_of({{"alice@a.example", alice()}}), "mx.b.example");
    BOOST_TEST(r.restored);
    Message opened = apply(sealed, r.edits, r.new_body);
    BOOST_TEST(opened.body == m.body);
    BOOST_TEST(content_entity(opened) == content_entity(m));
    const std::string res = results_of(opened);
    BOOST_TEST(res.find("rcpt=<bob@b.example>; token=pass; originator=<alice@a.example>; seq=7;"
                        " cic=pass; content=decrypted") != std::string::npos,
               res);
    BOOST_TEST(res.find("seq=9; pod=requested") != std::string::npos, res);
}

BOOST_AUTO_TEST_CASE(authentication_only_leaves_content_and_verifies)
{
    const Message m = sample();
    Message sealed = seal(m, alice(), false);
    BOOST_TEST(sealed.body == m.body);
    OpenResult r = open_message(sealed, "alice@a.example", both(),
                                directory_of({{"alice@a.example", alice()}}), "mx.b.example");
    for (const auto& o : r.outcomes) {
        BOOST_TEST(o.token == Verdict::pass);
        BOOST_TEST(o.cic == Verdict::pass);
    }
}

BOOST_AUTO_TEST_CASE(changed_content_fails_the_cic)
{
    Message sealed = seal(sample(), alice(), false);
    sealed.body = "Figures attached.\r\nPay Mallory\r\n";
    OpenResult r = open_message(sealed, "alice@a.example", both(),
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_TEST(r.outcomes[0].token == Verdict::pass);
    BOOST_TEST(r.outcomes[0].cic == Verdict::fail);
}

BOOST_AUTO_TEST_CASE(token_signed_by_another_key_fails)
{
    // Mallory signs tokens but the From field names Alice: the token does
    // not verify under Alice's certificate.
    Message sealed = seal(sample(), mallory(), true);
    OpenResult r = open_message(sealed, "alice@a.example", both(),
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_TEST(r.outcomes[0].token == Verdict::fail);
    BOOST_TEST(!r.restored);
    BOOST_TEST(!r.new_body.has_value(), "content released without a valid token");
}

BOOST_AUTO_TEST_CASE(paper_section_5_1_resigned_copy_is_rejected)
{
    // Alice sends Bob a sealed message.  Carol copies the encrypted content
    // and Bob's encData into a token of her own, signed with her key, with
    // From: Carol.  Bob can decrypt, but the CIC inside is Alice's
    // signature and does not verify under Carol's key.
    Message from_alice = seal(sample(), alice(), true);
    Bytes alice_token;
    for (const auto& h : from_alice.headers) {
        if (h.name == k_token_field) {
            auto der = base64_decode(h.value);
            BOOST_REQUIRE(der.ok());
            if (*peek_token_recipient(*der) == "bob@b.example") alice_token = *der;
        }
    }
    auto original = asn1::decode_message_token(alice_token);
    BOOST_REQUIRE(original.ok());
    asn1::AsymmetricTokenData data = original->data;
    auto carol_alg = signature_algorithm(carol());
    BOOST_REQUIRE(carol_alg.ok());
    data.signature_algorithm = *carol_alg;
    auto data_der = asn1::encode_token_data(data);
    BOOST_REQUIRE(data_der.ok());
    auto sig = sign(carol(), *data_der);
    BOOST_REQUIRE(sig.ok());
    auto forged = asn1::encode_message_token(*data_der, *carol_alg, *sig);
    BOOST_REQUIRE(forged.ok());

    Message from_carol;
    from_carol.headers = {{"From", " carol@c.example"},
                          {"To", " bob@b.example"},
                          {"Subject", " Encrypted message"},
                          {"MIME-Version", " 1.0"},
                          {"Content-Type", std::string(" ") + k_encrypted_type},
                          {"Content-Transfer-Encoding", " base64"},
                          {k_token_field, " " + base64_encode(*forged)}};
    from_carol.body = from_alice.body;
    OpenResult r = open_message(from_carol, "carol@c.example", {{"bob@b.example", bob()}},
                                directory_of({{"carol@c.example", carol()}}), "mx");
    BOOST_REQUIRE(r.outcomes.size() == 1u);
    BOOST_TEST(r.outcomes[0].token == Verdict::pass);  // Carol did sign this token
    BOOST_TEST(r.outcomes[0].cic == Verdict::fail);    // but not this content
    BOOST_TEST(!r.restored, "content released under Carol's name");
    BOOST_TEST(results_value("mx", r, r.outcomes[0]).find("cic=fail") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_token_field_is_a_clear_failure)
{
    Message sealed = seal(sample(), alice(), false);
    for (auto& h : sealed.headers) {
        if (h.name == k_token_field) h.value = " MIIB!!not base64";
    }
    OpenResult r = open_message(sealed, "alice@a.example", both(),
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_TEST(r.outcomes[0].token == Verdict::fail);
    BOOST_TEST(r.outcomes[0].reason.find("malformed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(untrusted_originator_certificate_is_a_failure_with_reason)
{
    Message sealed = seal(sample(), alice(), true);
    auto untrusted = [](const std::string&) -> Result<EvpPkeyPtr> {
        return make_error(Errc::untrusted, "certificate has expired");
    };
    OpenResult r = open_message(sealed, "alice@a.example", both(), untrusted, "mx");
    BOOST_TEST(r.outcomes[0].token == Verdict::fail);
    BOOST_TEST(r.outcomes[0].reason.find("expired") != std::string::npos);
    BOOST_TEST(!r.new_body.has_value());
    auto down = [](const std::string&) -> Result<EvpPkeyPtr> {
        return make_error(Errc::directory_unavailable, "ldap://x: Can't contact LDAP server");
    };
    r = open_message(sealed, "alice@a.example", both(), down, "mx");
    BOOST_TEST(r.outcomes[0].token == Verdict::temperror);
}

BOOST_AUTO_TEST_CASE(recipient_without_token_and_incoming_results_are_handled)
{
    Message sealed = seal(sample(), alice(), false);
    sealed.headers.insert(sealed.headers.begin(),
                          {k_results_field, " evil; rcpt=<dave@b.example>; token=pass"});
    OpenResult r = open_message(sealed, "alice@a.example", {{"dave@b.example", nullptr}},
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_TEST(r.outcomes[0].token == Verdict::none);
    Message out = apply(sealed, r.edits, r.new_body);
    const std::string res = results_of(out);
    BOOST_TEST(res.find("evil") == std::string::npos, "incoming results field kept");
    BOOST_TEST(res.find("token=none") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(confidentiality_refuses_a_recipient_without_key)
{
    std::vector<SealRecipient> r = {{"bob@b.example", bob(), 1, false},
                                    {"nokey@b.example", nullptr, 2, false}};
    SealOptions opt;
    opt.confidentiality = true;
    auto sealed = seal_message(sample(), alice(), r, opt);
    BOOST_REQUIRE(!sealed.ok());
    BOOST_TEST(sealed.error().code == Errc::no_certificate);
    BOOST_TEST(sealed.error().detail.find("nokey@b.example") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ms_without_the_users_key_leaves_content_encrypted)
{
    Message sealed = seal(sample(), alice(), true);
    OpenResult r = open_message(sealed, "alice@a.example", {{"bob@b.example", nullptr}},
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_TEST(r.outcomes[0].token == Verdict::pass);
    BOOST_TEST(r.outcomes[0].cic == Verdict::none);
    BOOST_TEST(!r.new_body.has_value());
    BOOST_TEST(results_value("mx", r, r.outcomes[0]).find("content=encrypted") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(recipient_without_token_keeps_everyone_encrypted)
{
    // A sealed copy for bob and carol resubmitted with an extra envelope
    // recipient: one queue file serves all three, so nobody gets the
    // plaintext, and the results say why.
    Message sealed = seal(sample(), alice(), true);
    OpenResult r = open_message(sealed, "alice@a.example",
                                {{"bob@b.example", bob()}, {"eve@b.example", nullptr}},
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_TEST(!r.restored);
    BOOST_TEST(!r.new_body.has_value(), "plaintext released to a recipient without a token");
    BOOST_TEST(r.outcomes[0].token == Verdict::pass);
    BOOST_TEST(!r.outcomes[0].decrypted);
    BOOST_TEST(r.outcomes[1].token == Verdict::none);
}

BOOST_AUTO_TEST_CASE(results_field_inside_sealed_content_is_not_restored)
{
    Message m = sample();
    m.headers.push_back({k_results_field, " forged.example; rcpt=<bob@b.example>; token=pass"});
    Message sealed = seal(m, alice(), true);
    OpenResult r = open_message(sealed, "alice@a.example", both(),
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_REQUIRE(r.restored);
    Message out = apply(sealed, r.edits, r.new_body);
    int results = 0;
    for (const auto& h : out.headers) {
        results += h.name == k_results_field;
        BOOST_TEST(h.value.find("forged") == std::string::npos);
    }
    BOOST_TEST(results == 2, "got " << results << " results fields, want ours only (2)");
}

BOOST_AUTO_TEST_CASE(results_field_sealed_by_a_hostile_originator_is_not_restored)
{
    // An originator with its own sealing code puts a results field inside
    // the encrypted entity; the receiving side must not restore it.
    const std::string entity = "From: alice@a.example\r\n" + std::string(k_results_field) +
                               ": forged.example; rcpt=<bob@b.example>; token=pass\r\n"
                               "Subject: hi\r\n\r\nbody\r\n";
    auto parsed = parse_content_entity(entity);
    BOOST_REQUIRE(parsed.ok());
    auto ck = new_content_key();
    BOOST_REQUIRE(ck.ok());
    auto alg = content_algorithm(*ck);
    auto sealed_body = encrypt_content(*ck, as_bytes(entity));
    auto cic = compute_cic(alice(), canonical_content(*parsed));
    BOOST_REQUIRE(alg.ok() && sealed_body.ok() && cic.ok());
    TokenRequest req;
    req.recipient = "bob@b.example";
    req.content_algorithm = *alg;
    req.cic = *cic;
    req.content_key = &ck->key;
    req.recipient_key = bob();
    auto token = build_message_token(alice(), req);
    BOOST_REQUIRE(token.ok());
    Message wire;
    wire.headers = {{"From", " alice@a.example"},
                    {"Content-Type", std::string(" ") + k_encrypted_type},
                    {k_token_field, " " + base64_encode(*token)}};
    wire.body = base64_encode(*sealed_body);
    OpenResult r = open_message(wire, "alice@a.example", {{"bob@b.example", bob()}},
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_REQUIRE(r.restored);
    Message out = apply(wire, r.edits, r.new_body);
    for (const auto& h : out.headers) {
        BOOST_TEST(h.value.find("forged.example") == std::string::npos, "forged field restored");
    }
}

BOOST_AUTO_TEST_CASE(content_entity_with_bare_line_feed_in_a_field_is_refused)
{
    BOOST_TEST(!parse_content_entity("Subject: a\nX-Evil: b\r\n\r\nbody").ok());
    BOOST_TEST(!parse_content_entity(std::string("Sub\0ject: a\r\n\r\n", 17)).ok());
    BOOST_TEST(!parse_content_entity("Bad Name: a\r\n\r\n").ok());
    BOOST_TEST(parse_content_entity("Subject: a\r\n b\r\n\r\nbody").ok());
}

BOOST_AUTO_TEST_CASE(addresses_that_could_fake_results_properties_are_refused)
{
    BOOST_TEST(!header_address("a;token=pass@x.example").ok());
    BOOST_TEST(!header_address("\"a b\"@x.example").ok());
    BOOST_TEST(header_address("Alice <alice.o'neil+tag@a.example>").ok());
    RecipientOutcome o;
    o.recipient = "x;token=pass@b.example";
    OpenResult r;
    BOOST_TEST(results_value("mx", r, o).find("x?token=pass@b.example") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(from_field_other_than_originator_is_said)
{
    Message m = sample();
    m.headers[1].value = " The CEO <ceo@a.example>";
    Message sealed = seal(m, alice(), true);
    OpenResult r = open_message(sealed, "alice@a.example", both(),
                                directory_of({{"alice@a.example", alice()}}), "mx");
    BOOST_TEST(r.header_from == "ceo@a.example");
    BOOST_TEST(results_value("mx", r, r.outcomes[0]).find("header-from=<ceo@a.example>") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
