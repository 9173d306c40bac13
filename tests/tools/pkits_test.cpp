// pkits_test.cpp - NIST PKITS through our own directory path discovery.
//
// Usage: pkits_test LDAP_URI CASES CERT_DIR ANCHOR_PEM FLOOR_FILE
//
// CASES is what tests/tools/pkits_cases.py made of expected/pkits.json.
// For each case the end-entity certificate is read from CERT_DIR and
// handed to Directory::validate_path with the case's initial inputs
// (RFC 5280 section 6.1.1); intermediates, cross-certificates and CRLs
// come only from the directory at LDAP_URI, never from the fixture.  The
// trust anchor is the PKITS TrustAnchorRootCertificate (ANCHOR_PEM).  A
// case is as expected when a fixture with an error fails and one without
// passes.  The program prints the figure and each mismatch, and exits 1
// when fewer cases than FLOOR_FILE's number came out as expected, so the
// conformance cannot drop silently.
#include <openssl/x509.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "ldap/directory.h"

namespace {

using x400::ldap::Directory;
using x400::ldap::DirectoryConfig;
using x400::ldap::PathOptions;

struct Case {
    std::string id;
    std::string name;
    std::string cert;
    bool want_pass = false;
    std::string want_class;  // the fixture's error class, when it must fail
    PathOptions options;
};

std::vector<std::string> split(const std::string& line, char sep)
{
    std::vector<std::string> out;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, sep)) {
        out.push_back(field);
    }
    return out;
}

// parse_case reads one line of pkits_cases.py's output; false if malformed.
bool parse_case(const std::string& line, Case& c)
{
    const auto f = split(line, '\t');
    if (f.size() != 9) {
        return false;
    }
    c.id = f[0];
    c.name = f[1];
    c.cert = f[2];
    c.want_pass = f[3] == "pass";
    if (!c.want_pass) {
        c.want_class = f[3].substr(f[3].find(':') + 1);
    }
    c.options.check_revocation = f[4] == "1";
    if (f[5] != "-") {
        c.options.initial_policy_set = split(f[5], ',');
    }
    c.options.explicit_policy = f[6] == "1";
    c.options.inhibit_policy_mapping = f[7] == "1";
    c.options.inhibit_any_policy = f[8] == "1";

    // The PKITS 2011 certificates and CRLs are good from 2010 to 2030;
    // a fixed time inside that keeps the result the same on any day.
    c.options.at_time = std::time_t{1590969600};  // 2020-06-01T00:00:00Z
    return (f[3] == "pass" || f[3].rfind("fail:", 0) == 0) && !c.id.empty() && !c.cert.empty();
}

// fails_as_expected tells whether a refusal is the kind of refusal the
// fixture asks for: a path judged invalid (Errc::untrusted), "revoked" for a
// RevokedError, and for a stale CRL also our default policy's temporary
// failure.  A directory outage or a configuration error is never a pass.
bool fails_as_expected(const Case& c, const x400::Error& e)
{
    using x400::Errc;
    if (c.want_class == "StaleRevinfoError" || c.want_class == "InsufficientRevinfoError") {
        // A CRL past its nextUpdate: the default stale_crl policy refuses
        // with a temporary failure, which is a refusal all the same.
        if (e.code == Errc::directory_unavailable) {
            return e.detail.find("stale") != std::string::npos;
        }
    }
    if (e.code != Errc::untrusted) {
        return false;
    }
    if (c.want_class == "RevokedError") {
        return e.detail.find("revoked") != std::string::npos;
    }
    return true;
}

x400::X509Ptr read_der(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    const std::string der((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    return x400::X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 6) {
        std::cerr << "usage: pkits_test LDAP_URI CASES CERT_DIR ANCHOR_PEM FLOOR_FILE\n";
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    const std::string cert_dir = argv[3];

    DirectoryConfig config;
    config.uris = {argv[1]};
    config.base = "O=Test Certificates 2011,C=US";
    config.trust_anchors_file = argv[4];
    config.timeout_ms = 5000;
    config.max_path_length = 12;  // PKITS 4.6 builds paths of up to 9
    auto dir = Directory::open(config);
    if (!dir) {
        std::cerr << "pkits_test: " << dir.error().text() << "\n";
        return 2;
    }

    int floor = -1;
    std::ifstream(argv[5]) >> floor;
    if (floor < 0) {
        std::cerr << "pkits_test: no pass-count floor in " << argv[5] << "\n";
        return 2;
    }

    std::ifstream cases(argv[2]);
    std::string line;
    int total = 0;
    int as_expected = 0;
    std::vector<std::string> mismatches;
    while (std::getline(cases, line)) {
        if (line.empty()) {
            continue;
        }
        Case c;
        if (!parse_case(line, c)) {
            std::cerr << "pkits_test: bad case line: " << line << "\n";
            return 2;
        }
        ++total;
        const x400::X509Ptr cert = read_der(cert_dir + "/" + c.cert);
        if (!cert) {
            mismatches.push_back(c.id + " " + c.name + ": cannot read " + c.cert);
            continue;
        }
        auto r = (*dir)->validate_path(cert.get(), c.options);
        if (r.ok() ? c.want_pass : (!c.want_pass && fails_as_expected(c, r.error()))) {
            ++as_expected;
            std::cout << "ok   " << c.id << " " << c.name
                      << (r.ok() ? "" : " -- " + r.error().text()) << "\n";
            continue;
        }
        const std::string got = r.ok() ? "validated" : r.error().text();
        mismatches.push_back(c.id + " " + c.name + ": want " +
                             (c.want_pass ? "pass" : "fail (" + c.want_class + ")") + ", got " +
                             got);
    }
    if (total == 0) {
        std::cerr << "pkits_test: no cases in " << argv[2] << "\n";
        return 2;
    }

    for (const std::string& m : mismatches) {
        std::cout << "MISMATCH " << m << "\n";
    }
    std::cout << "PKITS: " << as_expected << " of " << total
              << " applicable cases as expected (floor " << floor << ")\n";
    if (as_expected < floor) {
        std::cout << "PKITS: below the committed floor of " << floor << "\n";
        return 1;
    }
    if (as_expected > floor) {
        std::cout << "PKITS: above the floor; raise tests/data/pkits/expected-pass-count to "
                  << as_expected << "\n";
    }
    return 0;
}
