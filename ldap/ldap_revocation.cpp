// ldap_revocation.cpp - CRL locations of a certificate and CRL decoding
// (see ldap_revocation.h).
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <vector>

#include "base/ossl.h"
#include "ldap/ldap_revocation.h"

namespace x400::ldap {

namespace {

// add_directory_names appends every directoryName of a GeneralNames.
void add_directory_names(const GENERAL_NAMES* names, std::vector<X509NamePtr>& out)
{
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_DIRNAME && gn->d.directoryName != nullptr) {
            X509NamePtr copy(X509_NAME_dup(gn->d.directoryName));
            if (copy) {
                out.push_back(std::move(copy));
            }
        }
    }
}

// first_directory_name returns the first directoryName of a GeneralNames,
// or null (borrowed).
const X509_NAME* first_directory_name(const GENERAL_NAMES* names)
{
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_DIRNAME) {
            return gn->d.directoryName;
        }
    }
    return nullptr;
}

}  // namespace

std::vector<X509NamePtr> crl_locations(X509* cert)
{
    std::vector<X509NamePtr> out;
    X509NamePtr issuer(X509_NAME_dup(X509_get_issuer_name(cert)));
    if (issuer) {
        out.push_back(std::move(issuer));
    }

    // RFC 5280 section 4.2.1.13: a distribution point names its CRL by a
    // full name, or by an RDN relative to the CRL issuer (cRLIssuer if
    // present, else the certificate's issuer); cRLIssuer itself marks an
    // indirect CRL, which we look for in that issuer's entry as well.
    const CrlDistPointsPtr dps(static_cast<CRL_DIST_POINTS*>(
        X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr)));
    for (int i = 0; dps && i < sk_DIST_POINT_num(dps.get()); ++i) {
        DIST_POINT* dp = sk_DIST_POINT_value(dps.get(), i);
        const X509_NAME* crl_issuer = first_directory_name(dp->CRLissuer);
        if (dp->distpoint != nullptr && dp->distpoint->type == 0) {
            add_directory_names(dp->distpoint->name.fullname, out);
        } else if (dp->distpoint != nullptr && dp->distpoint->type == 1) {
            const X509_NAME* base =
                crl_issuer != nullptr ? crl_issuer : X509_get_issuer_name(cert);
            if (DIST_POINT_set_dpname(dp->distpoint, base) == 1 &&
                dp->distpoint->dpname != nullptr) {
                X509NamePtr copy(X509_NAME_dup(dp->distpoint->dpname));
                if (copy) {
                    out.push_back(std::move(copy));
                }
            }
        }
        add_directory_names(dp->CRLissuer, out);
    }
    ERR_clear_error();  // an undecodable extension gives the issuer's entry only
    return out;
}

std::vector<X509CrlPtr> decode_crls(const std::vector<Bytes>& values)
{
    std::vector<X509CrlPtr> out;
    for (const Bytes& v : values) {
        const unsigned char* p = v.data();
        X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(v.size())));
        if (crl && p == v.data() + v.size()) {
            out.push_back(std::move(crl));
        }
    }
    ERR_clear_error();
    return out;
}

X509CrlStackPtr crl_stack(const std::vector<X509_CRL*>& crls)
{
    X509CrlStackPtr stack(sk_X509_CRL_new_null());
    if (!stack) {
        return stack;
    }
    for (X509_CRL* c : crls) {
        X509CrlPtr ref = up_ref(c);
        if (sk_X509_CRL_push(stack.get(), ref.get()) <= 0) {
            return X509CrlStackPtr();
        }
        ref.release();
    }
    return stack;
}

}  // namespace x400::ldap
