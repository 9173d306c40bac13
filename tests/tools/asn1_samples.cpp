// asn1_samples.cpp - writes sample X.411 DER files made by our encoder, for
// an independent decoder (tshark, tests/integration/t-asn1-tshark.sh).
//
// Usage: asn1_samples DIR
// Writes DIR/token.ber (MessageToken), DIR/encdata.ber (TokenData type
// 3), DIR/mted.ber (the MessageTokenEncryptedData inside it, which is
// what Wireshark's p1.tokendata table decodes), DIR/orname.ber (ORName).
// The cryptographic values are fillers of the right size; only the
// encoding is under test.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "asn1/x411.h"

namespace {

using x400::Bytes;
using namespace std::string_literals;

Bytes from_hex(const std::string& text)
{
    Bytes out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 3) {
        out.push_back(static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
    }
    return out;
}

// Filler bytes that look like cipher output and never end in a pattern.
Bytes filler(std::size_t n, std::uint8_t seed)
{
    Bytes out(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : out) {
        x = x * 1103515245u + 12345u;
        b = static_cast<std::uint8_t>(x >> 16);
    }
    return out;
}

// token_data_value returns the value [1] of a short TokenData, checking
// the header bytes 30 L 80 01 03 A1 L that X.411 TokenData dictates.
Bytes token_data_value(const Bytes& td)
{
    if (td.size() < 8 || td[0] != 0x30 || td[1] != td.size() - 2 || td[2] != 0x80 ||
        td[3] != 0x01 || td[4] != 0x03 || td[5] != 0xa1 || td[6] != td.size() - 7) {
        std::cerr << "asn1_samples: encrypted TokenData does not have the expected header\n";
        std::exit(1);
    }
    return Bytes(td.begin() + 7, td.end());
}

template <class T>
T must(x400::Result<T> r, const char* what)
{
    if (!r.ok()) {
        std::cerr << "asn1_samples: " << what << ": " << r.error().text() << "\n";
        std::exit(1);
    }
    return std::move(r.value());
}

void write_file(const std::string& path, const Bytes& der)
{
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(der.data()), static_cast<std::streamsize>(der.size()));
    if (!f) {
        std::cerr << "asn1_samples: cannot write " << path << "\n";
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv)
{
    namespace a = x400::asn1;
    if (argc != 2) {
        std::cerr << "usage: asn1_samples DIR\n";
        return 2;
    }
    const std::string dir = argv[1];

    /* RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) and RSAES-OAEP
     * (SHA-256, MGF1-SHA-256) parameters as RFC 4055 writes them. */
    const std::string sha256 = "30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 ";
    const std::string mgf1 = "a1 1c 30 1a 06 09 2a 86 48 86 f7 0d 01 01 08 " + sha256;
    const Bytes pss_params = from_hex("30 34 a0 0f " + sha256 + mgf1 + "a2 03 02 01 20 ");
    const Bytes oaep_params = from_hex("30 2f a0 0f " + sha256 + mgf1);
    const auto pss = must(a::make_algorithm_id("1.2.840.113549.1.1.10", pss_params), "pss");
    const auto oaep = must(a::make_algorithm_id("1.2.840.113549.1.1.7", oaep_params), "oaep");
    const auto gcm = must(a::make_algorithm_id("2.16.840.1.101.3.4.1.46", {}), "aes-gcm");

    a::AsymmetricTokenData data;
    data.signature_algorithm = pss;
    data.recipient_name.rfc822 = "Jimmy_Walker@widget-labs.example";
    data.time = 1700000000;
    a::MessageTokenSignedData sd;
    sd.content_confidentiality_algorithm = gcm;
    sd.content_integrity_check = a::Signature{pss, filler(256, 1)};
    sd.proof_of_delivery_requested = true;
    sd.message_sequence_number = 42;
    data.signed_data = sd;
    data.encryption_algorithm = oaep;
    data.encrypted_data = filler(256, 2);

    const Bytes data_der = must(a::encode_token_data(data), "token data");
    write_file(dir + "/token.ber",
               must(a::encode_message_token(data_der, pss, filler(256, 3)), "token"));

    a::MessageTokenEncryptedData enc;
    enc.content_confidentiality_key = filler(32, 4);
    enc.message_sequence_number = 42;
    const Bytes td = must(a::encode_encrypted_data(enc), "encrypted data");
    write_file(dir + "/encdata.ber", td);
    write_file(dir + "/mted.ber", token_data_value(td));

    a::ORName name;
    name.country = "GB";
    name.admd = " ";
    name.prmd = "UK.AC";
    name.organization = "UCL";
    name.org_units = {"CS"};
    name.surname = "Walker";
    name.given_name = "Jimmy";
    name.rfc822 = "Jimmy_Walker@widget-labs.example";
    write_file(dir + "/orname.ber", must(a::encode_or_name(name), "ORName"));
    return 0;
}
