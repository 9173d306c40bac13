// test_crypto.cpp - the primitives, checked against independent
// implementations: the openssl command and Python's cryptography package.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "core/crypto.h"
#include "core_fixture.h"

using namespace x400;
using namespace x400::core;

BOOST_AUTO_TEST_SUITE(crypto)

BOOST_AUTO_TEST_CASE(pss_signature_verifies_with_openssl_cli)
{
    test::TempDir dir;
    const std::string data = "the content integrity check";
    auto sig = sign(test::rsa_key(0), as_bytes(data));
    BOOST_REQUIRE(sig.ok());
    test::write_file(dir.file("data"), data.data(), data.size());
    test::write_file(dir.file("sig"), sig->data(), sig->size());
    test::write_public_pem(dir.file("pub.pem"), test::rsa_key(0));
    const std::string cmd =
        "openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
        "-sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 -verify " +
        dir.file("pub.pem") + " -signature " + dir.file("sig") + " " + dir.file("data");
    BOOST_TEST(test::run(cmd) == 0, "openssl rejects our RSA-PSS signature");
    // And the check can fail: a different salt length is refused.
    const std::string wrong =
        "openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
        "-sigopt rsa_pss_saltlen:20 -verify " +
        dir.file("pub.pem") + " -signature " + dir.file("sig") + " " + dir.file("data");
    BOOST_TEST(test::run(wrong) != 0);
}

BOOST_AUTO_TEST_CASE(openssl_cli_pss_signature_verifies_with_us)
{
    test::TempDir dir;
    const std::string data = "signed by the openssl command";
    test::write_file(dir.file("data"), data.data(), data.size());
    test::write_private_pem(dir.file("key.pem"), test::rsa_key(1));
    const std::string cmd =
        "openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
        "-sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 -sign " +
        dir.file("key.pem") + " -out " + dir.file("sig") + " " + dir.file("data");
    BOOST_REQUIRE(test::run(cmd) == 0);
    std::string sig = test::read_file(dir.file("sig"));
    auto alg = signature_algorithm(test::rsa_key(1));
    BOOST_REQUIRE(alg.ok());
    BOOST_TEST(verify(test::rsa_key(1), *alg, as_bytes(data), as_bytes(sig)).ok());
    BOOST_TEST(!verify(test::rsa_key(1), *alg, as_bytes(data + "x"), as_bytes(sig)).ok());
}

BOOST_AUTO_TEST_CASE(pss_algorithm_identifier_matches_openssl_cli)
{
    // A certificate signed by the openssl command with the same PSS
    // options carries the AlgorithmIdentifier an independent encoder makes.
    test::TempDir dir;
    test::write_private_pem(dir.file("key.pem"), test::rsa_key(0));
    const std::string cmd = "openssl req -x509 -new -key " + dir.file("key.pem") +
                            " -subj /CN=t -days 1 -sha256 -sigopt rsa_padding_mode:pss "
                            "-sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 "
                            "-outform DER -out " +
                            dir.file("c.der");
    BOOST_REQUIRE(test::run(cmd) == 0);
    std::string der = test::read_file(dir.file("c.der"));
    auto alg = signature_algorithm(test::rsa_key(0));
    BOOST_REQUIRE(alg.ok());
    std::string want(alg->der.begin(), alg->der.end());
    // The certificate's outer signatureAlgorithm sits right before the
    // signature BIT STRING at its end.
    BOOST_TEST(der.find(want) != std::string::npos, "PSS AlgorithmIdentifier differs");
}

BOOST_AUTO_TEST_CASE(oaep_wrapped_key_decrypts_with_openssl_cli)
{
    test::TempDir dir;
    const std::string secret = "0123456789abcdef0123456789abcdef";
    auto wrapped = wrap_key(test::rsa_key(2), as_bytes(secret));
    BOOST_REQUIRE(wrapped.ok());
    test::write_file(dir.file("wrapped"), wrapped->data(), wrapped->size());
    test::write_private_pem(dir.file("key.pem"), test::rsa_key(2));
    const std::string cmd = "openssl pkeyutl -decrypt -inkey " + dir.file("key.pem") +
                            " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 "
                            "-pkeyopt rsa_mgf1_md:sha256 -in " +
                            dir.file("wrapped") + " -out " + dir.file("plain");
    BOOST_REQUIRE(test::run(cmd) == 0);
    BOOST_TEST(test::read_file(dir.file("plain")) == secret);
}

BOOST_AUTO_TEST_CASE(oaep_algorithm_identifier_matches_openssl_cms)
{
    // openssl cms writes RSAES-OAEP parameters for SHA-256 in its
    // KeyTransRecipientInfo: they must be the bytes we announce.
    test::TempDir dir;
    test::write_private_pem(dir.file("key.pem"), test::rsa_key(2));
    BOOST_REQUIRE(test::run("openssl req -x509 -new -key " + dir.file("key.pem") +
                            " -subj /CN=r -days 1 -out " + dir.file("r.pem")) == 0);
    BOOST_REQUIRE(test::run("echo hi | openssl cms -encrypt -aes256 -recip " + dir.file("r.pem") +
                            " -keyopt rsa_padding_mode:oaep "
                            "-keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256 "
                            "-outform DER -out " +
                            dir.file("m.der")) == 0);
    std::string der = test::read_file(dir.file("m.der"));
    auto alg = key_transport_algorithm();
    BOOST_REQUIRE(alg.ok());
    BOOST_TEST(der.find(std::string(alg->der.begin(), alg->der.end())) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(gcm_content_decrypts_with_python_cryptography)
{
    test::TempDir dir;
    auto ck = new_content_key();
    BOOST_REQUIRE(ck.ok());
    const std::string plain = "Subject: hello\r\n\r\nbody line\r\n";
    auto sealed = encrypt_content(*ck, as_bytes(plain));
    BOOST_REQUIRE(sealed.ok());
    test::write_file(dir.file("key"), ck->key.data(), ck->key.size());
    test::write_file(dir.file("nonce"), ck->nonce.data(), ck->nonce.size());
    test::write_file(dir.file("sealed"), sealed->data(), sealed->size());
    const std::string py =
        "python3 -c \"import sys;from cryptography.hazmat.primitives.ciphers.aead import AESGCM;"
        "d=sys.argv[1];r=lambda n:open(d+'/'+n,'rb').read();"
        "open(d+'/plain','wb').write(AESGCM(r('key')).decrypt(r('nonce'),r('sealed'),None))\" " +
        dir.path;
    BOOST_REQUIRE(test::run(py) == 0);
    BOOST_TEST(test::read_file(dir.file("plain")) == plain);
}

BOOST_AUTO_TEST_CASE(gcm_rejects_a_changed_ciphertext)
{
    auto ck = new_content_key();
    BOOST_REQUIRE(ck.ok());
    auto sealed = encrypt_content(*ck, as_bytes(std::string("secret text")));
    BOOST_REQUIRE(sealed.ok());
    (*sealed)[3] ^= 1;
    auto plain = decrypt_content(std::span(ck->key.data(), ck->key.size()), ck->nonce, *sealed);
    BOOST_REQUIRE(!plain.ok());
    BOOST_TEST(plain.error().code == Errc::verify);
}

BOOST_AUTO_TEST_CASE(gcm_parameters_round_trip_and_reject_other_tag_length)
{
    auto ck = new_content_key();
    BOOST_REQUIRE(ck.ok());
    auto alg = content_algorithm(*ck);
    BOOST_REQUIRE(alg.ok());
    auto nonce = content_nonce(*alg);
    BOOST_REQUIRE(nonce.ok());
    BOOST_TEST(*nonce == ck->nonce);
    asn1::AlgorithmId bad = *alg;
    bad.der.back() = 12;  // aes-ICVlen 12
    BOOST_TEST(!content_nonce(bad).ok());
}

BOOST_AUTO_TEST_CASE(key_file_readable_by_others_is_refused)
{
    test::TempDir dir;
    test::write_private_pem(dir.file("k.key"), test::rsa_key(0));
    chmod(dir.file("k.key").c_str(), 0644);
    auto k = load_private_key(dir.file("k.key"));
    BOOST_REQUIRE(!k.ok());
    BOOST_TEST(k.error().detail.find("group or others") != std::string::npos);
    chmod(dir.file("k.key").c_str(), 0600);
    BOOST_TEST(load_private_key(dir.file("k.key")).ok());
}

BOOST_AUTO_TEST_SUITE_END()
