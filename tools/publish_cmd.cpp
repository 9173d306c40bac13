// publish_cmd.cpp - x400sec publish (see publish_cmd.h).
#include "tools/publish_cmd.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/ossl.h"
#include "tools/cli_directory.h"
#include "ldap/directory.h"
#include "tools/pki_ldif.h"

namespace x400::tools {

namespace {

constexpr OptionSpec k_specs[] = {
    {"--uri", OptKind::multi},          {"--entry", OptKind::single},
    {"--bind-dn", OptKind::single},     {"--password-file", OptKind::single},
    {"--sasl-external", OptKind::flag}, {"--starttls", OptKind::single},
    {"--tls-cacert", OptKind::single},  {"--timeout", OptKind::single},
    {"--user-cert", OptKind::multi},    {"--ca-cert", OptKind::multi},
    {"--cross-pair", OptKind::multi},   {"--crl", OptKind::multi},
    {"--arl", OptKind::multi},          {"--replace", OptKind::flag},
};

constexpr char k_usage[] =
    "usage: x400sec publish --uri URI --entry DN\n"
    "           [--bind-dn DN --password-file FILE | --sasl-external]\n"
    "           [--starttls no|yes|demand] [--tls-cacert PEM] [--timeout MS]\n"
    "           [--user-cert FILE]... [--ca-cert FILE]...\n"
    "           [--cross-pair FORWARD:REVERSE]... [--crl FILE]... [--arl FILE]...\n"
    "           [--replace]\n"
    "Writes certificates and CRLs (PEM or DER files) into an existing entry with\n"
    "one LDAP modify, as userCertificate;binary, cACertificate;binary,\n"
    "crossCertificatePair;binary (FORWARD is issued to the entry's CA, REVERSE\n"
    "by it; '-' for an absent half), certificateRevocationList;binary and\n"
    "authorityRevocationList;binary.  Values are added; --replace replaces all\n"
    "values of each attribute given.\n";

Result<Bytes> read_bytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(Errc::io, "cannot read " + path);
    }
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool is_pem(const Bytes& b)
{
    static const std::string k_begin = "-----BEGIN";
    const std::string head(b.begin(), b.begin() + std::min(b.size(), std::size_t{4096}));
    return head.find(k_begin) != std::string::npos;
}

// read_certificate reads one certificate, PEM or DER.
Result<X509Ptr> read_certificate(const std::string& path)
{
    auto bytes = read_bytes(path);
    if (!bytes) {
        return bytes.error();
    }
    X509Ptr cert;
    if (is_pem(*bytes)) {
        BioPtr bio(BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
        cert.reset(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    } else {
        const unsigned char* p = bytes->data();
        cert.reset(d2i_X509(nullptr, &p, static_cast<long>(bytes->size())));
    }
    if (!cert) {
        ERR_clear_error();
        return make_error(Errc::decode, path + ": not a certificate (PEM or DER)");
    }
    return cert;
}

Result<Bytes> certificate_der(const std::string& path)
{
    auto cert = read_certificate(path);
    if (!cert) {
        return cert.error();
    }
    unsigned char* out = nullptr;
    const int n = i2d_X509(cert->get(), &out);
    if (n <= 0) {
        return make_error(Errc::internal, path + ": cannot encode");
    }
    Bytes der(out, out + n);
    OPENSSL_free(out);
    return der;
}

Result<Bytes> crl_der(const std::string& path)
{
    auto bytes = read_bytes(path);
    if (!bytes) {
        return bytes.error();
    }
    X509CrlPtr crl;
    if (is_pem(*bytes)) {
        BioPtr bio(BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
        crl.reset(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    } else {
        const unsigned char* p = bytes->data();
        crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes->size())));
    }
    if (!crl) {
        ERR_clear_error();
        return make_error(Errc::decode, path + ": not a CRL (PEM or DER)");
    }
    unsigned char* out = nullptr;
    const int n = i2d_X509_CRL(crl.get(), &out);
    if (n <= 0) {
        return make_error(Errc::internal, path + ": cannot encode");
    }
    Bytes der(out, out + n);
    OPENSSL_free(out);
    return der;
}

// pair_der builds a CertificatePair from "FORWARD:REVERSE".
Result<Bytes> pair_der(const std::string& spec)
{
    const auto colon = spec.find(':');
    if (colon == std::string::npos) {
        return make_error(Errc::config, "--cross-pair wants FORWARD:REVERSE, got " + spec);
    }
    const std::string halves[2] = {spec.substr(0, colon), spec.substr(colon + 1)};
    X509Ptr certs[2];
    for (int i = 0; i < 2; ++i) {
        if (halves[i] == "-" || halves[i].empty()) {
            continue;
        }
        auto c = read_certificate(halves[i]);
        if (!c) {
            return c.error();
        }
        certs[i] = std::move(*c);
    }
    if (!certs[0] && !certs[1]) {
        return make_error(Errc::config, "--cross-pair " + spec + " has neither half");
    }
    return cert_pair_der(certs[0].get(), certs[1].get());
}

// collect reads every file of an option into out with read.
template <class F>
Status collect(const ParsedOptions& o, std::string_view name, F read, std::vector<Bytes>& out)
{
    for (const std::string& v : o.all(name)) {
        auto der = read(v);
        if (!der) {
            return der.error();
        }
        out.push_back(std::move(*der));
    }
    return {};
}

Result<ldap::DirectoryConfig> config_from(const ParsedOptions& o)
{
    ldap::DirectoryConfig c;
    X400_TRY(apply_connection_options(o, c));
    return c;
}

}  // namespace

int publish_main(const Args& args)
{
    auto o = parse_options(args, k_specs);
    if (!o) {
        print_error("publish", o.error());
        return k_exit_usage;
    }
    if (o->help) {
        std::fputs(k_usage, stdout);
        return k_exit_ok;
    }
    if (!o->positional.empty() || !o->has("--entry")) {
        std::fputs(k_usage, stderr);
        return k_exit_usage;
    }
    auto config = config_from(*o);
    if (!config) {
        print_error("publish", config.error());
        return k_exit_usage;
    }
    ldap::Publication p;
    p.entry_dn = o->get("--entry");
    p.replace = o->has("--replace");
    for (Status s : {collect(*o, "--user-cert", certificate_der, p.user_certificates),
                     collect(*o, "--ca-cert", certificate_der, p.ca_certificates),
                     collect(*o, "--cross-pair", pair_der, p.cross_pairs),
                     collect(*o, "--crl", crl_der, p.crls),
                     collect(*o, "--arl", crl_der, p.arls)}) {
        if (!s) {
            print_error("publish", s.error());
            return k_exit_failure;
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    Status s = ldap::publish(*config, p);
    if (!s) {
        print_error("publish", s.error());
        return k_exit_failure;
    }
    std::printf("published into %s: %zu user, %zu CA certificate(s), %zu pair(s), "
                "%zu CRL(s), %zu ARL(s)%s\n",
                p.entry_dn.c_str(), p.user_certificates.size(), p.ca_certificates.size(),
                p.cross_pairs.size(), p.crls.size(), p.arls.size(),
                p.replace ? " (replaced)" : "");
    return k_exit_ok;
}

}  // namespace x400::tools
