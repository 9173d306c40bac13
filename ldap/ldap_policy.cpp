// ldap_policy.cpp - PathOptions as OpenSSL verification parameters, the
// CRL policies, and OpenSSL's verdict as an Error (see ldap_policy.h).
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "ldap/directory.h"
#include "ldap/ldap_policy.h"

namespace x400::ldap {

namespace {

std::string dn_text(const X509_NAME* name)
{
    if (name == nullptr) {
        return "(no name)";
    }
    auto dn = ldap_dn_from_name(name);
    return dn ? *dn : std::string("(unprintable name)");
}

// crl_issuer_text names the CA whose CRL the callback is looking at: the
// CRL's issuer when OpenSSL has one in hand, else the issuer of the
// certificate being checked.
std::string crl_issuer_text(X509_STORE_CTX* ctx)
{
    X509_CRL* crl = X509_STORE_CTX_get0_current_crl(ctx);
    if (crl != nullptr) {
        return dn_text(X509_CRL_get_issuer(crl));
    }
    X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    return cert != nullptr ? dn_text(X509_get_issuer_name(cert)) : "(unknown CA)";
}

// verify_callback sees every error OpenSSL finds and may let it pass.
// Only the two CRL conditions that DirectoryConfig puts under local
// policy may: RFC 5280 section 6.3.3 (a) leaves to the relying party what
// to do without a current CRL, never whether to care.
int verify_callback(int ok, X509_STORE_CTX* ctx)
{
    if (ok == 1) {
        return 1;
    }
    // OpenSSL checks a CRL signer's own path in a context of its own,
    // whose parent is ours.
    auto* notes = static_cast<VerifyNotes*>(X509_STORE_CTX_get_app_data(ctx));
    X509_STORE_CTX* parent = X509_STORE_CTX_get0_parent_ctx(ctx);
    if (notes == nullptr && parent != nullptr) {
        notes = static_cast<VerifyNotes*>(X509_STORE_CTX_get_app_data(parent));
    }
    if (notes == nullptr) {
        return 0;
    }
    const int err = X509_STORE_CTX_get_error(ctx);
    if (err == X509_V_ERR_CRL_HAS_EXPIRED &&
        notes->stale_crl == StaleCrlPolicy::accept_with_warning) {
        notes->warnings.push_back("CRL of " + crl_issuer_text(ctx) +
                                  " is past its nextUpdate; accepted by policy");
        return 1;
    }
    if (err == X509_V_ERR_UNABLE_TO_GET_CRL &&
        notes->missing_crl == MissingCrlPolicy::accept_with_warning) {
        notes->warnings.push_back("no CRL for " + crl_issuer_text(ctx) +
                                  "; accepted by policy");
        return 1;
    }
    return 0;
}

}  // namespace

Status apply_path_options(X509_STORE_CTX* ctx, const PathOptions& options, int depth)
{
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_depth(param, depth);

    // RFC 5280 section 6.1: policy processing always runs, so that the
    // certificates' own policy constraints bind; the initial inputs only
    // tighten it.  An empty user-initial-policy-set means anyPolicy.
    unsigned long flags = X509_V_FLAG_POLICY_CHECK;
    if (options.explicit_policy) {
        flags |= X509_V_FLAG_EXPLICIT_POLICY;
    }
    if (options.inhibit_policy_mapping) {
        flags |= X509_V_FLAG_INHIBIT_MAP;
    }
    if (options.inhibit_any_policy) {
        flags |= X509_V_FLAG_INHIBIT_ANY;
    }

    // RFC 5280 section 6.3: every certificate of the path, CAs included,
    // against its issuer's CRLs; extended support for indirect CRLs,
    // distribution points and CRLs signed by another key of the CA, and
    // delta CRLs (section 5.2.4).
    if (options.check_revocation) {
        flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                 X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS;
    }
    X509_VERIFY_PARAM_set_flags(param, flags);

    // OpenSSL takes an empty user set as "no acceptable policy" when an
    // explicit policy is required, so the default set is written out as
    // anyPolicy (RFC 5280 section 4.2.1.4, 2.5.29.32.0).
    {
        static const std::vector<std::string> k_any_policy{"2.5.29.32.0"};
        const std::vector<std::string>& set =
            options.initial_policy_set.empty() ? k_any_policy : options.initial_policy_set;
        Asn1ObjectStackPtr policies(sk_ASN1_OBJECT_new_null());
        if (!policies) {
            return ossl_error(Errc::internal, "cannot allocate a policy set");
        }
        for (const std::string& oid : set) {
            Asn1ObjectPtr obj(OBJ_txt2obj(oid.c_str(), 1));
            if (!obj) {
                ERR_clear_error();
                return make_error(Errc::config, "initial policy \"" + oid +
                                                    "\" is not a dotted OID");
            }
            if (sk_ASN1_OBJECT_push(policies.get(), obj.get()) <= 0) {
                return ossl_error(Errc::internal, "cannot grow a policy set");
            }
            obj.release();
        }
        if (X509_VERIFY_PARAM_set1_policies(param, policies.get()) != 1) {
            return ossl_error(Errc::internal, "cannot set the initial policy set");
        }
    }
    if (options.at_time) {
        X509_VERIFY_PARAM_set_time(param, *options.at_time);
    }
    return {};
}

void install_notes(X509_STORE_CTX* ctx, VerifyNotes* notes)
{
    X509_STORE_CTX_set_app_data(ctx, notes);
    X509_STORE_CTX_set_verify_cb(ctx, verify_callback);
}

Error path_error(X509_STORE_CTX* ctx, StaleCrlPolicy stale_crl)
{
    const int err = X509_STORE_CTX_get_error(ctx);
    const auto code = static_cast<unsigned long>(err);
    const std::string what = X509_verify_cert_error_string(err);
    X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    const std::string whose = cert != nullptr ? dn_text(X509_get_subject_name(cert)) : "";
    ERR_clear_error();

    switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
        return make_error(Errc::untrusted, "no CRL for " + crl_issuer_text(ctx), code);
    case X509_V_ERR_CRL_HAS_EXPIRED:
        // A stale CRL is the CA's or the directory's lapse, which a retry
        // may outlive: by default a temporary failure.
        return make_error(stale_crl == StaleCrlPolicy::tempfail ? Errc::directory_unavailable
                                                                : Errc::untrusted,
                          "CRL of " + crl_issuer_text(ctx) + " is stale (" + what + ")", code);
    case X509_V_ERR_CERT_REVOKED:
        return make_error(Errc::untrusted, what + ": " + whose, code);
    default:
        return make_error(Errc::untrusted, what, code);
    }
}

Result<ValidatedCertificate> Directory::validate_path(X509* certificate,
                                                      const PathOptions& options)
{
    const bool plain = options.initial_policy_set.empty() && !options.explicit_policy &&
                       !options.inhibit_policy_mapping && !options.inhibit_any_policy &&
                       options.check_revocation && !options.at_time;
    if (options.scope && plain) {
        return validate(certificate, *options.scope);
    }
    return make_error(Errc::internal, "this directory cannot validate with path options");
}

Result<ValidatedCertificate> Directory::trace_certificate(std::string_view, KeyScope,
                                                          PathTrace&)
{
    return make_error(Errc::internal, "this directory cannot trace paths");
}

Result<StaleCrlPolicy> stale_crl_policy_from(std::string_view text)
{
    if (text == "fail") {
        return StaleCrlPolicy::fail;
    }
    if (text == "tempfail") {
        return StaleCrlPolicy::tempfail;
    }
    if (text == "accept-with-warning") {
        return StaleCrlPolicy::accept_with_warning;
    }
    return make_error(Errc::config, "stale CRL policy \"" + std::string(text.substr(0, 100)) +
                                        "\": want fail, tempfail or accept-with-warning");
}

Result<MissingCrlPolicy> missing_crl_policy_from(std::string_view text)
{
    if (text == "fail") {
        return MissingCrlPolicy::fail;
    }
    if (text == "accept-with-warning") {
        return MissingCrlPolicy::accept_with_warning;
    }
    return make_error(Errc::config, "missing CRL policy \"" + std::string(text.substr(0, 100)) +
                                        "\": want fail or accept-with-warning");
}

}  // namespace x400::ldap
