// ldap_directory.cpp - Directory over OpenLDAP libldap: user certificate
// look-up, certification path discovery through the CA entries, and path
// validation with OpenSSL, revocation included (see directory.h).
#include <ldap.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ossl.h"
#include "base/text.h"
#include "base/result.h"
#include "core/scope.h"
#include "ldap/directory.h"
#include "ldap/ldap_cache.h"
#include "ldap/ldap_directory_impl.h"
#include "ldap/ldap_handles.h"
#include "ldap/ldap_pair.h"
#include "ldap/ldap_policy.h"
#include "ldap/ldap_revocation.h"

namespace x400::ldap {

namespace detail {

namespace {




std::string name_text(const X509_NAME* name)
{
    auto dn = ldap_dn_from_name(name);
    return dn ? *dn : std::string("(unprintable name)");
}

bool self_issued(X509* cert)
{
    return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

bool contains(const std::vector<X509*>& path, X509* cert)
{
    for (X509* c : path) {
        if (X509_cmp(c, cert) == 0) {
            return true;
        }
    }
    return false;
}

// has_purpose tells whether the certificate's extended key usage lists
// the OID (RFC 5280 section 4.2.1.12).  anyExtendedKeyUsage does not count:
// a key certified for every purpose is not one certified for this scope.
bool has_purpose(X509* cert, const char* oid)
{
    const ExtendedKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
    if (!eku) {
        ERR_clear_error();
        return false;
    }
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
        char text[128];
        const int n = OBJ_obj2txt(text, sizeof text, sk_ASN1_OBJECT_value(eku.get(), i), 1);
        if (n > 0 && n < static_cast<int>(sizeof text) && std::strcmp(text, oid) == 0) {
            return true;
        }
    }
    return false;
}

// add_step appends cert to a trace and returns its index; -1 without one.
int add_step(PathTrace* trace, X509* cert, std::string source, int certifies)
{
    if (trace == nullptr) {
        return -1;
    }
    PathStep step;
    step.subject = name_text(X509_get_subject_name(cert));
    step.issuer = name_text(X509_get_issuer_name(cert));
    const BIGNUM* serial_bn = nullptr;
    BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    serial_bn = bn.get();
    if (serial_bn != nullptr) {
        char* hex = BN_bn2hex(serial_bn);
        if (hex != nullptr) {
            step.serial = hex;
            OPENSSL_free(hex);
        }
    }
    step.source = std::move(source);
    step.certifies = certifies;
    trace->steps.push_back(std::move(step));
    return static_cast<int>(trace->steps.size()) - 1;
}

void note_step(PathTrace* trace, int index, std::string note)
{
    if (trace != nullptr && index >= 0) {
        trace->steps[static_cast<std::size_t>(index)].note = std::move(note);
    }
}



}  // namespace

X509* LdapDirectory::anchor_for(X509* cert) const
{
    for (const X509Ptr& a : m_anchors) {
        if (X509_check_issued(a.get(), cert) == X509_V_OK) {
            return a.get();
        }
    }
    return nullptr;
}

// issuers_named gives, once per validation, the certificates the
// directory holds for a CA name (see fetch_entry), and puts the entry's
// CRLs and other certificates into d.crls and d.signers.  The entry comes
// from the cache when it is fresh there.
Result<const std::vector<X509Ptr>*> LdapDirectory::issuers_named(Discovery& d,
                                                                 const X509_NAME* name)
{
    auto dn = ldap_dn_from_name(name);
    if (!dn) {
        return dn.error();
    }
    auto it = d.by_name.find(*dn);
    if (it != d.by_name.end()) {
        return &it->second;
    }
    std::vector<X509Ptr>& found = d.by_name[*dn];
    if (dn->empty() || d.by_name.size() > k_max_lookups) {
        return &found;
    }
    auto material = entry_material(*d.budget, *dn, name);
    if (!material) {
        return material.error();
    }
    for (const X509Ptr& c : (*material)->certificates) {
        found.push_back(up_ref(c.get()));
    }
    for (const X509Ptr& c : (*material)->signers) {
        d.signers[*dn].push_back(up_ref(c.get()));
    }
    std::vector<X509CrlPtr>& crls = d.crls[*dn];
    for (const X509CrlPtr& crl : (*material)->crls) {
        crls.push_back(up_ref(crl.get()));
    }
    return &found;
}

// entry_material returns a CA entry's material from the cache, or fetches
// it and caches it: an absent entry under the negative time-to-live.  If
// the directory is down, a copy fetched less than cache_max_stale_s ago
// stands in.
Result<std::shared_ptr<const EntryMaterial>> LdapDirectory::entry_material(
    Budget& budget, const std::string& dn, const X509_NAME* name)
{
    if (m_entries) {
        if (auto hit = m_entries->fresh(dn)) {
            return hit->value;
        }
    }
    bool absent = false;
    auto fetched = fetch_entry(budget, dn, name, &absent);
    if (!fetched) {
        if (m_entries && fetched.error().code == Errc::directory_unavailable) {
            if (auto old = m_entries->stale(dn)) {
                return old;
            }
        }
        return fetched.error();
    }
    std::shared_ptr<const EntryMaterial> material = std::move(*fetched);
    if (m_entries) {
        m_entries->put(dn, material, absent);
    }
    return material;
}

// fetch_entry searches the CA entry dn: cACertificate and both halves of
// every crossCertificatePair (RFC 4523 section 5.2), keeping those whose
// subject is name; the entry's CRLs, ARLs and delta CRLs; and its
// userCertificate values of that subject as possible CRL signers.  An
// absent entry gives no material and sets *absent.
Result<std::shared_ptr<EntryMaterial>> LdapDirectory::fetch_entry(Budget& budget,
                                                                  const std::string& dn,
                                                                  const X509_NAME* name,
                                                                  bool* absent)
{
    auto material = std::make_shared<EntryMaterial>();
    auto entries = search(budget, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
                          {"cACertificate;binary", "crossCertificatePair;binary",
                           "certificateRevocationList;binary",
                           "authorityRevocationList;binary", "deltaRevocationList;binary",
                           "userCertificate;binary"});
    if (!entries) {
        if (entries.error().code == Errc::decode) {
            *absent = true;  // a name the server cannot parse has no entry
            return material;
        }
        return entries.error();
    }
    *absent = entries->empty();
    // The same certificate may sit in the entry more than once (as
    // cACertificate and in a pair, or in two pairs): once is enough for
    // path discovery, where each copy would be another branch.
    auto keep = [&](X509Ptr cert) {
        if (!cert || X509_NAME_cmp(X509_get_subject_name(cert.get()), name) != 0) {
            return;
        }
        for (const X509Ptr& have : material->certificates) {
            if (X509_cmp(have.get(), cert.get()) == 0) {
                return;
            }
        }
        material->certificates.push_back(std::move(cert));
    };
    for (Attributes& entry : *entries) {
        for (const Bytes& v : entry["cacertificate"]) {
            const unsigned char* p = v.data();
            keep(X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(v.size()))));
        }
        for (const Bytes& v : entry["crosscertificatepair"]) {
            auto pair = decode_certificate_pair(v.data(), v.size());
            if (pair) {
                keep(std::move(pair->forward));
                keep(std::move(pair->reverse));
            }
        }
        // A CA's other keys (a CRL signing key, RFC 5280 section 6.3.3
        // (f)) may sit in its entry as userCertificate: CRL signers only,
        // never path candidates.
        for (const Bytes& v : entry["usercertificate"]) {
            const unsigned char* p = v.data();
            X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(v.size())));
            if (cert && X509_NAME_cmp(X509_get_subject_name(cert.get()), name) == 0) {
                material->signers.push_back(std::move(cert));
            }
        }
        for (const char* type :
             {"certificaterevocationlist", "authorityrevocationlist", "deltarevocationlist"}) {
            for (X509CrlPtr& crl : decode_crls(entry[type])) {
                material->crls.push_back(std::move(crl));
            }
        }
    }
    ERR_clear_error();  // undecodable values are skipped, not reported
    return material;
}

// collect_crls gathers the CRLs that may cover the path's certificates
// and the anchor (RFC 5280 section 6.3: each certificate's issuer entry
// and distribution points, see ldap_revocation.h), and the certificates of
// each CRL's issuer that are not on the path: a CA may sign its CRLs with
// another key than its certificates (section 6.3.3 (f)).
Status LdapDirectory::collect_crls(Discovery& d, X509* anchor, std::vector<X509_CRL*>& crls,
                                   std::vector<X509*>& signers)
{
    std::vector<X509*> chain = d.path;
    if (anchor != nullptr) {
        chain.push_back(anchor);
    }

    // A worklist: the path's certificates, then each CRL signer found,
    // whose own revocation OpenSSL checks as well; bounded by the lookup
    // limit of issuers_named.
    std::vector<X509*> todo = chain;
    for (std::size_t i = 0; i < todo.size() && i < k_max_lookups; ++i) {
        for (const X509NamePtr& where : crl_locations(todo[i])) {
            X400_TRY(issuers_named(d, where.get()));
            auto dn = ldap_dn_from_name(where.get());
            if (!dn) {
                continue;
            }
            for (const X509CrlPtr& crl : d.crls[*dn]) {
                if (std::find(crls.begin(), crls.end(), crl.get()) != crls.end()) {
                    continue;
                }
                crls.push_back(crl.get());
                auto named = issuers_named(d, X509_CRL_get_issuer(crl.get()));
                auto issuer_dn = ldap_dn_from_name(X509_CRL_get_issuer(crl.get()));
                if (!named) {
                    return named.error();
                }
                std::vector<X509*> found;
                for (const X509Ptr& c : **named) {
                    found.push_back(c.get());
                }
                if (issuer_dn) {
                    for (const X509Ptr& c : d.signers[*issuer_dn]) {
                        found.push_back(c.get());
                    }
                }
                for (X509* c : found) {
                    if (!contains(chain, c) && !contains(signers, c)) {
                        signers.push_back(c);
                        todo.push_back(c);
                    }
                }
            }
        }
    }
    return {};
}

// try_path hands one candidate path to OpenSSL: the end-entity first, the
// rest as the first untrusted certificates, so that OpenSSL cannot wander
// into a sibling (it takes the first fitting issuer and does not go back);
// CRL signers not on the path come after them.
Result<bool> LdapDirectory::try_path(Discovery& d, ValidatedCertificate* out)
{
    ++d.attempts;
    const PathOptions& options = *d.options;
    std::vector<X509_CRL*> crls;
    std::vector<X509*> signers;
    if (options.check_revocation) {
        X400_TRY(collect_crls(d, anchor_for(d.path.back()), crls, signers));
    }
    std::vector<X509*> rest(d.path.begin() + 1, d.path.end());
    rest.insert(rest.end(), signers.begin(), signers.end());
    X509StackPtr untrusted(sk_X509_new_null());
    X509CrlStackPtr crl_set = crl_stack(crls);
    if (!untrusted || !crl_set) {
        return ossl_error(Errc::internal, "cannot allocate a certificate stack");
    }
    for (X509* c : rest) {
        X509Ptr ref = up_ref(c);
        if (sk_X509_push(untrusted.get(), ref.get()) <= 0) {
            return ossl_error(Errc::internal, "cannot grow a certificate stack");
        }
        ref.release();
    }

    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), m_store.get(), d.path[0], untrusted.get()) != 1) {
        return ossl_error(Errc::internal, "cannot set up path validation");
    }
    X400_TRY(apply_path_options(ctx.get(), options, m_config.max_path_length + 1));
    X509_STORE_CTX_set0_crls(ctx.get(), crl_set.get());
    VerifyNotes notes;
    notes.stale_crl = m_config.stale_crl;
    notes.missing_crl = m_config.missing_crl;
    install_notes(ctx.get(), &notes);
    const int ok = X509_verify_cert(ctx.get());
    PathTrace::Attempt* attempt = nullptr;
    if (options.trace != nullptr) {
        PathTrace::Attempt a;
        a.steps = d.step_of;
        X509* anchor = anchor_for(d.path.back());
        if (anchor != nullptr) {
            a.steps.push_back(add_step(options.trace, anchor, "(trust anchor)",
                                       d.step_of.empty() ? -1 : d.step_of.back()));
        }
        options.trace->attempts.push_back(std::move(a));
        attempt = &options.trace->attempts.back();
        attempt->verdict = "valid";
    }
    if (ok == 1) {
        X509StackPtr chain(X509_STORE_CTX_get1_chain(ctx.get()));
        out->certificate = up_ref(d.path[0]);
        out->warnings = std::move(notes.warnings);
        out->path.clear();
        for (int i = 0; chain && i < sk_X509_num(chain.get()); ++i) {
            out->path.push_back(up_ref(sk_X509_value(chain.get(), i)));
        }
        return true;
    }
    Error e = path_error(ctx.get(), m_config.stale_crl);
    if (e.code == Errc::directory_unavailable) {
        d.budget->stale_crl = true;  // the only temporary failure path_error gives
    }
    if (attempt != nullptr) {
        attempt->verdict = e.detail;
    }
    if (!d.have_error) {
        d.have_error = true;
        d.first_error = std::move(e);
    }
    return false;
}

// extend grows the path at its top certificate, depth first: stop at a
// trust anchor's subject (try the path), else fetch the issuer's
// certificates from the directory and follow each that did issue the top
// one, unless it is already on the path (a loop of cross
// certificates).  max_path_length bounds the certificates above the user;
// k_max_candidates and the budget's deadline bound the whole search: past
// the first it fails with untrusted "path search gave up after N
// candidates" (the directory answered; what it holds is the problem),
// past the second with directory_unavailable (see Budget).
Result<bool> LdapDirectory::extend(Discovery& d, ValidatedCertificate* out)
{
    if (d.budget->left_ms() <= 0) {
        return d.budget->exceeded();
    }
    X509* top = d.path.back();
    if (d.attempts < k_max_attempts && anchor_for(top) != nullptr) {
        auto r = try_path(d, out);
        if (!r || *r) {
            return r;
        }
    }
    // A self-signed certificate ends the path; a self-issued one with
    // another key (a key rollover, RFC 5280 section 6.1 and PKITS 4.5) is
    // an intermediate like any other, whose issuer has the same name.
    const bool self_signed = self_issued(top) && X509_check_issued(top, top) == X509_V_OK;
    if (self_signed || d.path.size() > static_cast<std::size_t>(m_config.max_path_length)) {
        if (d.options->trace != nullptr && d.step_of.size() > 1) {
            if (!self_signed) {
                note_step(d.options->trace, d.step_of.back(), "path length limit reached here");
            } else if (anchor_for(top) == nullptr) {
                note_step(d.options->trace, d.step_of.back(),
                          "self-signed but not a trust anchor (a dead end)");
            }
        }
        return false;
    }
    auto issuers = issuers_named(d, X509_get_issuer_name(top));
    if (!issuers) {
        return issuers.error();
    }
    PathTrace* trace = d.options->trace;
    const std::string source = name_text(X509_get_issuer_name(top));
    for (const X509Ptr& c : **issuers) {
        if (d.attempts >= k_max_attempts) {
            break;
        }
        if (++d.candidates > k_max_candidates) {
            return make_error(Errc::untrusted, "path search gave up after " +
                                                   std::to_string(k_max_candidates) +
                                                   " candidates");
        }
        const int step = add_step(trace, c.get(), source, trace ? d.step_of.back() : -1);
        if (contains(d.path, c.get())) {
            note_step(trace, step, "already on the path (a loop)");
            continue;
        }
        const int issued = X509_check_issued(c.get(), top);
        if (issued != X509_V_OK) {
            note_step(trace, step,
                      std::string("not the issuer: ") + X509_verify_cert_error_string(issued));
            continue;
        }
        note_step(trace, step, "followed");
        d.path.push_back(c.get());
        d.step_of.push_back(step);
        auto r = extend(d, out);
        d.path.pop_back();
        d.step_of.pop_back();
        if (!r || *r) {
            return r;
        }
    }
    return false;
}

Result<ValidatedCertificate> LdapDirectory::validate(X509* certificate, KeyScope scope)
{
    PathOptions options;
    options.scope = scope;
    return validate_path(certificate, options);
}

Result<ValidatedCertificate> LdapDirectory::validate_path(X509* certificate,
                                                          const PathOptions& options)
{
    Budget budget(m_config);
    return validate_within(budget, certificate, options);
}

// validate_within is validate_path within the given budget.
Result<ValidatedCertificate> LdapDirectory::validate_within(Budget& budget, X509* certificate,
                                                            const PathOptions& options)
{
    if (certificate == nullptr) {
        return make_error(Errc::no_certificate, "no certificate to validate");
    }

    // The scope of use (the paper's section 5.2): the end-entity must name
    // the scope's purpose, and a CA key never stands in for a user's.
    const std::string subject = name_text(X509_get_subject_name(certificate));
    if (options.scope && (X509_get_extension_flags(certificate) & EXFLAG_CA) != 0) {
        return make_error(Errc::untrusted, subject + ": certificate is a CA certificate");
    }
    if (options.scope && !has_purpose(certificate, scope_eku_oid(*options.scope))) {
        return make_error(Errc::untrusted,
                          subject + ": certificate lacks the " +
                              std::string(scope_name(*options.scope)) + " key purpose");
    }

    Discovery d;
    d.options = &options;
    d.budget = &budget;
    d.path.push_back(certificate);
    if (options.trace != nullptr) {
        d.step_of.push_back(
            add_step(options.trace, certificate, options.trace->end_entity_source, -1));
    }
    ValidatedCertificate out;
    auto found = extend(d, &out);
    if (!found) {
        return found.error();
    }
    if (*found) {
        return out;
    }

    // No candidate reached an anchor: let OpenSSL say why, from the
    // certificate alone (typically "unable to get local issuer
    // certificate").
    if (!d.have_error) {
        d.path.resize(1);
        d.step_of.resize(std::min<std::size_t>(d.step_of.size(), 1));
        auto r = try_path(d, &out);
        if (!r) {
            return r.error();
        }
        if (*r) {
            return out;
        }
    }
    Error e = d.first_error;
    e.detail = subject + ": " + e.detail;
    return e;
}

// certificate_for answers from the cache when it can.  Only definite
// answers are cached (a valid certificate; no certificate, or none that
// validates); a directory failure is never cached, but a real outage (a
// search that failed for want of the server) may be bridged by a positive
// answer fetched less than cache_max_stale_s ago.  A stale CRL is not an
// outage: it stays a temporary failure (directory_unavailable, so the MTA
// retries), never answered from the cache.
Result<ValidatedCertificate> LdapDirectory::certificate_for(std::string_view mail,
                                                            KeyScope scope)
{
    Budget budget(m_config);
    if (!m_results) {
        return lookup(budget, mail, scope, nullptr);
    }
    std::string key = ascii_lower(mail) + "\n" + scope_name(scope);
    if (auto hit = m_results->fresh(key)) {
        const Result<ValidatedCertificate>& r = *hit->value;
        if (r.ok()) {
            return copy_validated(*r);
        }
        return r.error();
    }
    auto r = lookup(budget, mail, scope, nullptr);
    if (r.ok()) {
        m_results->put(key,
                       std::make_shared<const Result<ValidatedCertificate>>(copy_validated(*r)),
                       false);
    } else if (r.error().code == Errc::untrusted || r.error().code == Errc::no_certificate) {
        m_results->put(key, std::make_shared<const Result<ValidatedCertificate>>(r.error()),
                       true);
    } else if (r.error().code == Errc::directory_unavailable && budget.outage &&
               !budget.stale_crl) {
        if (auto old = m_results->stale(key)) {
            ValidatedCertificate v = copy_validated(**old);
            v.warnings.push_back("directory unavailable (" + r.error().detail +
                                 "): served a cached result");
            return v;
        }
    }
    return r;
}

Result<ValidatedCertificate> LdapDirectory::trace_certificate(std::string_view mail,
                                                              KeyScope scope, PathTrace& trace)
{
    Budget budget(m_config);
    return lookup(budget, mail, scope, &trace);
}

// lookup finds the address's entries and validates their certificates.
Result<ValidatedCertificate> LdapDirectory::lookup(Budget& budget, std::string_view mail,
                                                   KeyScope scope, PathTrace* trace)
{
    const std::string shown(mail.substr(0, 100));
    if (mail.empty()) {
        return make_error(Errc::no_certificate, "empty address");
    }

    // The filter template takes the address RFC 4515-escaped, so that an
    // address cannot widen the search ("*)(mail=*").
    const std::string value = ldap_filter_escape(mail);
    std::string filter;
    const std::string& tmpl = m_config.user_filter;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl.compare(i, 2, "%s") == 0) {
            filter += value;
            ++i;
        } else {
            filter += tmpl[i];
        }
    }

    auto entries =
        search(budget, m_config.base, LDAP_SCOPE_SUBTREE, filter, {"userCertificate;binary"});
    if (!entries) {
        return entries.error();
    }

    // Every certificate of every matching entry is a candidate; the first
    // that validates wins.
    bool any = false;
    Error last = make_error(Errc::no_certificate, "<" + shown + ">: no certificate in directory");
    for (Attributes& entry : *entries) {
        for (const Bytes& v : entry["usercertificate"]) {
            any = true;
            const unsigned char* p = v.data();
            X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(v.size())));
            if (!cert || p != v.data() + v.size()) {
                last = ossl_error(Errc::untrusted, "<" + shown + ">: undecodable certificate");
                continue;
            }
            // The directory is not trusted to say whose key this is: the
            // certificate itself must name the address (RFC 5280 section
            // 4.2.1.6, an rfc822Name in subjectAltName, or emailAddress).
            const std::string lower_mail = ascii_lower(mail);
            if (X509_check_email(cert.get(), mail.data(), mail.size(), 0) != 1 &&
                X509_check_email(cert.get(), lower_mail.data(), lower_mail.size(), 0) != 1) {
                last = make_error(Errc::untrusted, "<" + shown +
                                                       ">: certificate in the entry is not for "
                                                       "this address");
                continue;
            }
            PathOptions options;
            options.scope = scope;
            options.trace = trace;
            if (trace != nullptr) {
                const Values& dn = entry[k_dn_key];
                trace->end_entity_source =
                    dn.empty() ? std::string() : std::string(dn[0].begin(), dn[0].end());
            }
            auto r = validate_within(budget, cert.get(), options);
            if (r.ok() || r.error().code != Errc::untrusted) {
                return r;
            }
            last = r.error();
            last.detail = "<" + shown + ">: " + last.detail;
        }
    }
    if (!any && entries->empty()) {
        last.detail = "<" + shown + ">: no directory entry";
    }
    return last;
}

// load_anchors reads every certificate of a PEM file.
Result<std::vector<X509Ptr>> load_anchors(const std::string& file)
{
    BioPtr bio(BIO_new_file(file.c_str(), "r"));
    if (!bio) {
        return ossl_error(Errc::config, "cannot read trust anchors " + file);
    }
    std::vector<X509Ptr> anchors;
    for (;;) {
        X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) {
            break;
        }
        anchors.push_back(std::move(cert));
    }

    // The loop ends at end of file with PEM_R_NO_START_LINE; anything else
    // is a broken file.
    const unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
    }
    if (ERR_peek_error() != 0) {
        return ossl_error(Errc::config, "bad trust anchors file " + file);
    }
    if (anchors.empty()) {
        return make_error(Errc::config, "no certificate in trust anchors file " + file);
    }
    return anchors;
}

}  // namespace detail

using detail::LdapDirectory;
using detail::load_anchors;


Result<std::unique_ptr<Directory>> Directory::open(const DirectoryConfig& config)
{
    if (config.uris.empty()) {
        return make_error(Errc::config, "ldap: no server URI");
    }
    for (const std::string& uri : config.uris) {
        if (ldap_is_ldap_url(uri.c_str()) == 0) {
            return make_error(Errc::config, "ldap: not an LDAP URI: " + uri);
        }
    }
    if (config.user_filter.find("%s") == std::string::npos) {
        return make_error(Errc::config, "ldap: user filter lacks %s: " + config.user_filter);
    }
    if (config.timeout_ms <= 0 || config.max_path_length < 1) {
        return make_error(Errc::config, "ldap: timeout and path length must be positive");
    }
    if (config.lookup_timeout_ms < 0) {
        return make_error(Errc::config, "ldap: lookup timeout must not be negative");
    }
    if (config.bind_method == BindMethod::simple &&
        (config.bind_dn.empty() || config.bind_password.empty())) {
        // RFC 4513 section 5.1.2: a name without a password is an
        // "unauthenticated" bind, which would pass for a real one.
        return make_error(Errc::config, "ldap: a simple bind needs a DN and a password");
    }
    if (config.bind_method != BindMethod::simple && !config.bind_dn.empty()) {
        return make_error(Errc::config, "ldap: bind DN given, but the bind method is not simple");
    }
    if (config.cache_ttl_s < 0 || config.cache_negative_ttl_s < 0 ||
        config.cache_max_stale_s < 0) {
        return make_error(Errc::config, "ldap: cache times must not be negative");
    }

    // The trust store is built once and only read afterwards, which
    // OpenSSL allows from several threads at once.
    auto anchors = load_anchors(config.trust_anchors_file);
    if (!anchors) {
        return anchors.error();
    }
    X509StorePtr store(X509_STORE_new());
    if (!store) {
        return ossl_error(Errc::internal, "cannot allocate a trust store");
    }
    for (const X509Ptr& a : *anchors) {
        if (X509_STORE_add_cert(store.get(), a.get()) != 1) {
            return ossl_error(Errc::config, "cannot add trust anchor from " +
                                                config.trust_anchors_file);
        }
    }
    return std::unique_ptr<Directory>(
        new LdapDirectory(config, std::move(store), std::move(*anchors)));
}

}  // namespace x400::ldap
