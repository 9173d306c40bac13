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
#include "ldap/ldap_handles.h"
#include "ldap/ldap_pair.h"
#include "ldap/ldap_policy.h"
#include "ldap/ldap_revocation.h"

namespace x400::ldap {

namespace {

// Bounds on one validation, beyond max_path_length: the distinct issuer
// names looked up and the candidate paths handed to OpenSSL.
constexpr std::size_t k_max_lookups = 64;
constexpr int k_max_attempts = 16;

// k_max_candidates bounds the work of one discovery: the candidate issuer
// certificates extend may look at in all.  k_max_attempts counts only the
// paths that reach an anchor, and X509_check_issued compares names and key
// identifiers, not signatures, so a mesh of cross-certificates that reaches
// no anchor would otherwise be walked through every ordering of its
// certificates (exponential in max_path_length).
constexpr int k_max_candidates = 2000;
constexpr int k_max_entries = 64;

// Attributes is what one search returned: the values of each requested
// attribute, keyed by the attribute type without options (RFC 4522
// section 6: slapd answers "userCertificate;binary").
using Values = std::vector<Bytes>;
using Attributes = std::map<std::string, Values>;

// k_dn_key holds the entry's DN in Attributes; no attribute type has this
// name (RFC 4512 section 2.5: types start with a letter).
constexpr const char* k_dn_key = ":dn";

// base_type strips the options (";binary") off an attribute description.
std::string base_type(std::string_view description)
{
    return ascii_lower(description.substr(0, description.find(';')));
}

timeval to_timeval(int ms)
{
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
    return tv;
}

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

// check_values decodes every value of a Publication as its attribute's
// syntax (RFC 4523 section 2): Certificate, CertificatePair,
// CertificateList; each must be one complete DER value.
Status check_values(const Publication& p)
{
    auto whole_cert = [](const Bytes& v) {
        const unsigned char* q = v.data();
        X509Ptr c(d2i_X509(nullptr, &q, static_cast<long>(v.size())));
        return c && q == v.data() + v.size();
    };
    auto whole_crl = [](const Bytes& v) {
        const unsigned char* q = v.data();
        X509CrlPtr c(d2i_X509_CRL(nullptr, &q, static_cast<long>(v.size())));
        return c && q == v.data() + v.size();
    };
    for (const auto* list : {&p.user_certificates, &p.ca_certificates}) {
        for (const Bytes& v : *list) {
            if (!whole_cert(v)) {
                ERR_clear_error();
                return make_error(Errc::decode, "a certificate to publish is not DER");
            }
        }
    }
    for (const Bytes& v : p.cross_pairs) {
        auto pair = decode_certificate_pair(v.data(), v.size());
        if (!pair) {
            return pair.error();
        }
    }
    for (const auto* list : {&p.crls, &p.arls}) {
        for (const Bytes& v : *list) {
            if (!whole_crl(v)) {
                ERR_clear_error();
                return make_error(Errc::decode, "a CRL to publish is not DER");
            }
        }
    }
    return {};
}

// EntryMaterial is what a CA entry holds for path discovery: the
// certificates whose subject is the entry's CA (cACertificate, both
// halves of crossCertificatePair), its CRLs, and its other certificates
// that may sign CRLs.  Shared read-only between validations once cached.
struct EntryMaterial {
    std::vector<X509Ptr> certificates;
    std::vector<X509CrlPtr> crls;
    std::vector<X509Ptr> signers;
};

// Budget is what one certificate_for or validate_path call may still
// spend: its deadline (lookup_timeout_ms from the start), checked before
// each search and in path discovery.  outage records that a search failed
// for want of the server (no connection, a timeout, the deadline);
// stale_crl that a path failed on a stale CRL under StaleCrlPolicy::tempfail.
// Both give directory_unavailable, but only an outage lets certificate_for
// serve a cached answer: a stale CRL comes from a directory that is up, and
// may revoke the very certificate cached (RFC 5280 section 6.3.3).
struct Budget {
    std::chrono::steady_clock::time_point deadline;
    bool outage = false;
    bool stale_crl = false;

    explicit Budget(const DirectoryConfig& c)
        : deadline(std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(c.lookup_timeout_ms > 0 ? c.lookup_timeout_ms
                                                                     : 2 * c.timeout_ms))
    {
    }

    // left_ms is the time left, at least 0.
    int left_ms() const
    {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        return left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }

    Error exceeded()
    {
        outage = true;
        return make_error(Errc::directory_unavailable, "lookup exceeded its time limit");
    }
};

class LdapDirectory final : public Directory {
public:
    LdapDirectory(DirectoryConfig config, X509StorePtr store, std::vector<X509Ptr> anchors)
        : m_config(std::move(config)), m_store(std::move(store)), m_anchors(std::move(anchors))
    {
        if (m_config.cache_ttl_s > 0) {
            const CachePolicy policy = cache_policy_from(m_config);
            m_results = std::make_unique<TtlCache<Result<ValidatedCertificate>>>(policy);
            m_entries = std::make_unique<TtlCache<EntryMaterial>>(policy);
        }
    }

    DirectoryStats stats() const override
    {
        DirectoryStats s;
        if (m_results) {
            s.lookups = m_results->stats();
            s.ca_entries = m_entries->stats();
        }
        return s;
    }

    // publish writes p into its entry (see directory.h).
    Status publish(const Publication& p);

    Result<ValidatedCertificate> certificate_for(std::string_view mail, KeyScope scope) override;
    Result<ValidatedCertificate> validate(X509* certificate, KeyScope scope) override;
    Result<ValidatedCertificate> validate_path(X509* certificate,
                                               const PathOptions& options) override;

private:
    // One validation's state: the certificates and CRLs fetched per entry.
    struct Discovery {
        const PathOptions* options = nullptr;
        Budget* budget = nullptr;
        std::map<std::string, std::vector<X509Ptr>> by_name;
        std::map<std::string, std::vector<X509CrlPtr>> crls;
        std::map<std::string, std::vector<X509Ptr>> signers;  // userCertificate
        std::vector<X509*> path;
        std::vector<int> step_of;  // with a trace: each path element's step
        int attempts = 0;
        int candidates = 0;  // looked at by extend, against k_max_candidates
        bool have_error = false;
        Error first_error;
    };

    Status connect_locked();
    int open_session(const std::string& uri, LdapPtr& out);
    int start_tls(LDAP* ld);
    int bind(LDAP* ld);
    void quiet_locked(const std::string& reason);
    Result<std::vector<Attributes>> search(Budget& budget, const std::string& base, int scope,
                                           const std::string& filter,
                                           const std::vector<std::string>& attrs);
    Result<std::vector<Attributes>> search_locked(const std::string& base, int scope,
                                                  const std::string& filter,
                                                  const std::vector<std::string>& attrs,
                                                  int timeout_ms, int* rc_out);
    Result<const std::vector<X509Ptr>*> issuers_named(Discovery& d, const X509_NAME* name);
    Result<std::shared_ptr<const EntryMaterial>> entry_material(Budget& budget,
                                                                const std::string& dn,
                                                                const X509_NAME* name);
    Result<std::shared_ptr<EntryMaterial>> fetch_entry(Budget& budget, const std::string& dn,
                                                       const X509_NAME* name, bool* absent);
    Result<ValidatedCertificate> lookup(Budget& budget, std::string_view mail, KeyScope scope,
                                        PathTrace* trace);
    Result<ValidatedCertificate> validate_within(Budget& budget, X509* certificate,
                                                 const PathOptions& options);
    Result<ValidatedCertificate> trace_certificate(std::string_view mail, KeyScope scope,
                                                   PathTrace& trace) override;
    Result<bool> extend(Discovery& d, ValidatedCertificate* out);
    Result<bool> try_path(Discovery& d, ValidatedCertificate* out);
    Status collect_crls(Discovery& d, X509* anchor, std::vector<X509_CRL*>& crls,
                        std::vector<X509*>& signers);
    X509* anchor_for(X509* cert) const;

    const DirectoryConfig m_config;
    const X509StorePtr m_store;
    const std::vector<X509Ptr> m_anchors;

    // The caches (null when cache_ttl_s is 0): certificate_for results by
    // "address\nscope", CA entries by DN.
    std::unique_ptr<TtlCache<Result<ValidatedCertificate>>> m_results;
    std::unique_ptr<TtlCache<EntryMaterial>> m_entries;

    // m_mutex guards the session and the quiet period.  It is timed: a
    // thread never waits for the session longer than timeout_ms.
    std::timed_mutex m_mutex;
    LdapPtr m_ld;
    std::string m_uri;
    bool m_tls_failed = false;  // the last open_session failed in TLS
    // After a server timed out, calls fail at once until m_quiet_until
    // with m_quiet_reason, so that a silent server costs one timeout per
    // quiet period, not one per waiting thread.
    std::chrono::steady_clock::time_point m_quiet_until{};
    std::string m_quiet_reason;
};

// wait_result waits at most ms for the complete answer to msgid and
// returns its resultCode (RFC 4511 section 4.1.9), LDAP_TIMEOUT when the
// server said nothing in time, or libldap's own code for a broken session
// or an undecodable answer.  A server that accepts the connection and then
// stays silent therefore costs one timeout, never a hung thread.
int wait_result(LDAP* ld, int msgid, int ms, LdapMessagePtr& out)
{
    timeval tv = to_timeval(ms);
    LDAPMessage* raw = nullptr;
    const int n = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &raw);
    out.reset(raw);
    if (n == 0) {
        return LDAP_TIMEOUT;
    }
    if (n < 0 || raw == nullptr) {
        int err = LDAP_OTHER;
        ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err);
        return err == LDAP_SUCCESS ? LDAP_OTHER : err;
    }
    int err = LDAP_OTHER;
    const int prc = ldap_parse_result(ld, raw, &err, nullptr, nullptr, nullptr, nullptr, 0);
    return prc == LDAP_SUCCESS ? err : prc;
}

// connect_locked opens a session to the first URI that accepts a bind.
// libldap connects lazily, so the bind is what proves the server is there.
// A refused bind is a configuration error and ends the search at once: the
// next server would refuse the same credentials.
Status LdapDirectory::connect_locked()
{
    std::string failures;
    bool timed_out = false;
    for (const std::string& uri : m_config.uris) {
        LdapPtr ld;
        int rc = open_session(uri, ld);
        if (rc == LDAP_SUCCESS) {
            rc = bind(ld.get());
        }
        if (rc == LDAP_SUCCESS) {
            m_ld = std::move(ld);
            m_uri = uri;
            return {};
        }
        if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH ||
            rc == LDAP_UNWILLING_TO_PERFORM || rc == LDAP_AUTH_METHOD_NOT_SUPPORTED ||
            rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED) {
            const std::string who = m_config.bind_method == BindMethod::sasl_external
                                        ? std::string("SASL EXTERNAL")
                                        : "\"" + m_config.bind_dn + "\"";
            return make_error(Errc::config,
                              uri + ": bind as " + who + " refused: " + ldap_err2string(rc),
                              static_cast<unsigned long>(rc));
        }
        std::string why = ldap_err2string(rc);
        if (rc == LDAP_TIMEOUT) {
            timed_out = true;
            why = "no answer to bind within " + std::to_string(m_config.timeout_ms) + " ms";
        } else if (rc == LDAP_CONNECT_ERROR && m_tls_failed) {
            why = "TLS refused or failed";
        }
        failures += (failures.empty() ? "" : "; ") + uri + ": " + why;
    }
    if (timed_out) {
        quiet_locked(failures);
    }
    return make_error(Errc::directory_unavailable, failures);
}

// open_session makes a session for uri with our options and, on an
// ldap:// URI, StartTLS as configured.  Returns an LDAP result code.
int LdapDirectory::open_session(const std::string& uri, LdapPtr& out)
{
    m_tls_failed = false;
    LDAP* raw = nullptr;
    int rc = ldap_initialize(&raw, uri.c_str());
    LdapPtr ld(raw);
    if (rc != LDAP_SUCCESS || !ld) {
        return rc != LDAP_SUCCESS ? rc : LDAP_NO_MEMORY;
    }

    // LDAPv3 (RFC 4511), bounded connect and synchronous calls, and no
    // referral chasing unless asked: a referral (RFC 4511 section 4.1.10)
    // could lead to a server we did not choose.
    const timeval tv = to_timeval(m_config.timeout_ms);
    const int version = LDAP_VERSION3;
    ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(ld.get(), LDAP_OPT_REFERRALS,
                    m_config.referrals ? LDAP_OPT_ON : LDAP_OPT_OFF);

    // TLS (ldaps:// or StartTLS): the server's certificate must verify
    // against the configured CA file, or the system's, and match the host
    // of the URI (RFC 4513 section 3.1.3); the settings take effect in a
    // new TLS context of this session.
    const bool tls_uri = ldap_is_ldaps_url(uri.c_str()) != 0;
    const bool plain_uri = !tls_uri && ldap_is_ldapi_url(uri.c_str()) == 0;
    if (tls_uri || (plain_uri && m_config.starttls != StartTls::no)) {
        const int demand = LDAP_OPT_X_TLS_DEMAND;
        ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        if (!m_config.tls_cacert.empty()) {
            ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, m_config.tls_cacert.c_str());
        }
        const int is_server = 0;
        rc = ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server);
        if (rc != LDAP_OPT_SUCCESS) {
            m_tls_failed = true;
            return LDAP_CONNECT_ERROR;
        }
    }
    if (plain_uri && m_config.starttls != StartTls::no) {
        rc = start_tls(ld.get());
        if (rc != LDAP_SUCCESS && m_config.starttls == StartTls::demand) {
            m_tls_failed = rc != LDAP_TIMEOUT && rc != LDAP_SERVER_DOWN;
            return rc == LDAP_TIMEOUT || rc == LDAP_SERVER_DOWN ? rc : LDAP_CONNECT_ERROR;
        }
        if (rc != LDAP_SUCCESS) {
            // "yes": the server declined or the handshake failed; a
            // session after a failed handshake is unusable, so start a
            // clear one (RFC 4513 section 3.1.1 leaves this to local
            // policy).
            if (rc == LDAP_TIMEOUT || rc == LDAP_SERVER_DOWN) {
                return rc;
            }
            raw = nullptr;
            rc = ldap_initialize(&raw, uri.c_str());
            ld.reset(raw);
            if (rc != LDAP_SUCCESS || !ld) {
                return rc != LDAP_SUCCESS ? rc : LDAP_NO_MEMORY;
            }
            ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
            ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv);
            ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &tv);
            ldap_set_option(ld.get(), LDAP_OPT_REFERRALS,
                            m_config.referrals ? LDAP_OPT_ON : LDAP_OPT_OFF);
        }
    }
    out = std::move(ld);
    return LDAP_SUCCESS;
}

// start_tls sends the StartTLS extended request (RFC 4511 section 4.14.1)
// and, once the server agrees, runs the TLS handshake (libldap bounds it by
// the network timeout).  The wait for the answer is ours, so a silent
// server cannot hold us.
int LdapDirectory::start_tls(LDAP* ld)
{
    int msgid = -1;
    int rc = ldap_extended_operation(ld, LDAP_EXOP_START_TLS, nullptr, nullptr, nullptr,
                                     &msgid);
    if (rc != LDAP_SUCCESS) {
        return rc;
    }
    LdapMessagePtr answer;
    rc = wait_result(ld, msgid, m_config.timeout_ms, answer);
    if (rc != LDAP_SUCCESS) {
        return rc;
    }
    return ldap_install_tls(ld);
}

// bind authenticates the session (RFC 4513) and waits for the
// BindResponse at most timeout_ms.  Anonymous is a simple bind with empty
// name and password (section 5.1.1); simple carries bind_dn and the
// password (section 5.1.3), which libldap refuses to send empty; SASL
// EXTERNAL (section 5.2.1.8) sends no credentials and asks for no
// authorization identity other than the one the transport proves (the
// peer's uid on ldapi://, a client certificate under TLS), so it is a
// single round trip like the others.
int LdapDirectory::bind(LDAP* ld)
{
    int msgid = -1;
    int rc = LDAP_SUCCESS;
    if (m_config.bind_method == BindMethod::sasl_external) {
        berval none{};
        none.bv_val = const_cast<char*>("");
        rc = ldap_sasl_bind(ld, nullptr, "EXTERNAL", &none, nullptr, nullptr, &msgid);
    } else {
        const bool simple = m_config.bind_method == BindMethod::simple;
        const std::string& dn = simple ? m_config.bind_dn : std::string();
        berval cred{};
        if (simple) {
            cred.bv_val = const_cast<char*>(m_config.bind_password.c_str());
            cred.bv_len = m_config.bind_password.size();
        }
        rc = ldap_sasl_bind(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, &msgid);
    }
    if (rc != LDAP_SUCCESS) {
        return rc;
    }
    LdapMessagePtr answer;
    return wait_result(ld, msgid, m_config.timeout_ms, answer);
}

// quiet_locked starts a quiet period of timeout_ms after a server let us
// wait in vain.
void LdapDirectory::quiet_locked(const std::string& reason)
{
    m_quiet_until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(m_config.timeout_ms);
    m_quiet_reason = reason;
}

// search runs one search within what is left of the budget: each wait
// (for the session, for the answer) is the shorter of timeout_ms and the
// time left.  A failure for want of the server marks the budget's outage.
Result<std::vector<Attributes>> LdapDirectory::search(Budget& budget, const std::string& base,
                                                      int scope, const std::string& filter,
                                                      const std::vector<std::string>& attrs)
{
    auto r = [&]() -> Result<std::vector<Attributes>> {
        if (budget.left_ms() <= 0) {
            return budget.exceeded();
        }
        // Waiting for the session counts against the time limit too: with
        // a slow server, the threads behind the one talking to it give up.
        const int wait_ms = std::min(m_config.timeout_ms, budget.left_ms());
        std::unique_lock<std::timed_mutex> lock(m_mutex, std::defer_lock);
        if (!lock.try_lock_for(std::chrono::milliseconds(wait_ms))) {
            if (wait_ms < m_config.timeout_ms) {
                return budget.exceeded();
            }
            return make_error(Errc::directory_unavailable,
                              "directory busy: no session free within " +
                                  std::to_string(m_config.timeout_ms) + " ms");
        }
        if (std::chrono::steady_clock::now() < m_quiet_until) {
            return make_error(Errc::directory_unavailable,
                              m_quiet_reason + " (not retried yet)");
        }

        // A session that the server dropped (restart, idle timeout) shows
        // up as LDAP_SERVER_DOWN on its next use: reconnect once and ask
        // again.
        for (int attempt = 0;; ++attempt) {
            if (!m_ld) {
                X400_TRY(connect_locked());
            }
            const int left = budget.left_ms();
            if (left <= 0) {
                return budget.exceeded();
            }
            int rc = LDAP_SUCCESS;
            auto found = search_locked(base, scope, filter, attrs,
                                       std::min(m_config.timeout_ms, left), &rc);
            if (found.ok() || attempt > 0 ||
                (rc != LDAP_SERVER_DOWN && rc != LDAP_CONNECT_ERROR)) {
                if (!found.ok() && (rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED) &&
                    left < m_config.timeout_ms) {
                    return budget.exceeded();
                }
                return found;
            }
            m_ld.reset();
        }
    }();
    if (!r && r.error().code == Errc::directory_unavailable) {
        budget.outage = true;
    }
    return r;
}

Result<std::vector<Attributes>> LdapDirectory::search_locked(
    const std::string& base, int scope, const std::string& filter,
    const std::vector<std::string>& attrs, int timeout_ms, int* rc_out)
{
    std::vector<char*> attr_ptrs;
    for (const std::string& a : attrs) {
        attr_ptrs.push_back(const_cast<char*>(a.c_str()));
    }
    attr_ptrs.push_back(nullptr);

    // The timeout bounds both our wait and, as timeLimit, the server's
    // work (RFC 4511 section 4.5.1.5).  libldap refuses a zero timeout.
    timeval tv = to_timeval(std::max(timeout_ms, 1));
    LDAPMessage* raw = nullptr;
    const int rc =
        ldap_search_ext_s(m_ld.get(), base.c_str(), scope, filter.c_str(), attr_ptrs.data(), 0,
                          nullptr, nullptr, &tv, k_max_entries, &raw);
    LdapMessagePtr res(raw);
    *rc_out = rc;

    std::vector<Attributes> entries;
    if (rc == LDAP_NO_SUCH_OBJECT) {
        return entries;
    }
    if (rc == LDAP_REFERRAL && !m_config.referrals) {
        // RFC 4511 section 4.1.10: the server does not hold the entry and
        // names another that might.  Not chasing referrals, we take it as
        // "no such entry here"; the session is sound, so it is kept.
        return entries;
    }
    if (rc == LDAP_FILTER_ERROR) {
        return make_error(Errc::config, "bad search filter \"" + filter + "\"",
                          static_cast<unsigned long>(rc));
    }
    if (rc == LDAP_INVALID_DN_SYNTAX) {
        return make_error(Errc::decode, "directory refused the name \"" + base + "\"",
                          static_cast<unsigned long>(rc));
    }
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        // A timed-out or broken session may hold half a response: start
        // afresh next time.
        std::string detail = m_uri + ": search of \"" + base + "\" failed: " + ldap_err2string(rc);
        m_ld.reset();
        // A wait cut short by the caller's deadline is not the server's
        // silence: no quiet period for the other threads then.
        if ((rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED) &&
            timeout_ms >= m_config.timeout_ms) {
            quiet_locked(detail);
        }
        return make_error(Errc::directory_unavailable, std::move(detail),
                          static_cast<unsigned long>(rc));
    }

    for (LDAPMessage* e = ldap_first_entry(m_ld.get(), res.get()); e != nullptr;
         e = ldap_next_entry(m_ld.get(), e)) {
        Attributes entry;
        const LdapString dn(ldap_get_dn(m_ld.get(), e));
        if (dn) {
            const std::string_view text(dn.get());
            entry[k_dn_key].emplace_back(text.begin(), text.end());
        }
        BerElement* ber_raw = nullptr;
        LdapString a(ldap_first_attribute(m_ld.get(), e, &ber_raw));
        const BerElementPtr ber(ber_raw);
        for (; a; a.reset(ldap_next_attribute(m_ld.get(), e, ber.get()))) {
            const LdapValuesPtr vals(ldap_get_values_len(m_ld.get(), e, a.get()));
            Values& out = entry[base_type(a.get())];
            for (berval** v = vals.get(); v != nullptr && *v != nullptr; ++v) {
                const auto* p = reinterpret_cast<const std::uint8_t*>((*v)->bv_val);
                out.emplace_back(p, p + (*v)->bv_len);
            }
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

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

// publish writes one Publication with a single ModifyRequest, so that an
// entry never holds half of it.
Status LdapDirectory::publish(const Publication& p)
{
    X400_TRY(check_values(p));
    std::unique_lock<std::timed_mutex> lock(m_mutex);
    if (!m_ld) {
        X400_TRY(connect_locked());
    }
    int rc = LDAP_SUCCESS;
    auto entries = search_locked(p.entry_dn, LDAP_SCOPE_BASE, "(objectClass=*)",
                                 {"objectClass"}, m_config.timeout_ms, &rc);
    if (!entries) {
        return entries.error();
    }
    if (entries->empty()) {
        return make_error(Errc::config, "no entry \"" + p.entry_dn +
                                            "\" (publish does not create entries)");
    }
    bool has_pki_user = false;
    bool has_pki_ca = false;
    for (const Bytes& v : (*entries)[0]["objectclass"]) {
        const std::string oc = ascii_lower(std::string_view(
            reinterpret_cast<const char*>(v.data()), v.size()));
        has_pki_user = has_pki_user || oc == "pkiuser";
        has_pki_ca = has_pki_ca || oc == "pkica";
    }

    // One LDAPMod per attribute.  The berval arrays point into the values
    // given (p's, or the static class names), which outlive the call.
    struct Mod {
        std::string type;
        std::vector<berval> values;
        std::vector<berval*> pointers;
        LDAPMod mod{};
    };
    std::vector<std::unique_ptr<Mod>> mods;
    auto add_mod = [&](int op, const char* type, const std::vector<Bytes>& values) {
        auto m = std::make_unique<Mod>();
        m->type = type;
        for (const Bytes& v : values) {
            berval b{};
            b.bv_len = static_cast<ber_len_t>(v.size());
            b.bv_val = reinterpret_cast<char*>(const_cast<std::uint8_t*>(v.data()));
            m->values.push_back(b);
        }
        for (berval& b : m->values) {
            m->pointers.push_back(&b);
        }
        m->pointers.push_back(nullptr);
        m->mod.mod_op = op | LDAP_MOD_BVALUES;
        m->mod.mod_type = m->type.data();
        m->mod.mod_bvalues = m->pointers.data();
        mods.push_back(std::move(m));
    };
    // The values must outlive the modify: no temporaries here.
    static const std::vector<Bytes> k_pki_user = {{'p', 'k', 'i', 'U', 's', 'e', 'r'}};
    static const std::vector<Bytes> k_pki_ca = {{'p', 'k', 'i', 'C', 'A'}};
    const bool ca_material = !p.ca_certificates.empty() || !p.cross_pairs.empty() ||
                             !p.crls.empty() || !p.arls.empty();
    if (!p.user_certificates.empty() && !has_pki_user) {
        add_mod(LDAP_MOD_ADD, "objectClass", k_pki_user);
    }
    if (ca_material && !has_pki_ca) {
        add_mod(LDAP_MOD_ADD, "objectClass", k_pki_ca);
    }
    const int op = p.replace ? LDAP_MOD_REPLACE : LDAP_MOD_ADD;
    const std::pair<const char*, const std::vector<Bytes>*> attributes[] = {
        {"userCertificate;binary", &p.user_certificates},
        {"cACertificate;binary", &p.ca_certificates},
        {"crossCertificatePair;binary", &p.cross_pairs},
        {"certificateRevocationList;binary", &p.crls},
        {"authorityRevocationList;binary", &p.arls},
    };
    for (const auto& [type, values] : attributes) {
        if (!values->empty()) {
            add_mod(op, type, *values);
        }
    }
    if (mods.empty() || (!ca_material && p.user_certificates.empty())) {
        return make_error(Errc::config, "nothing to publish");
    }
    std::vector<LDAPMod*> list;
    for (auto& m : mods) {
        list.push_back(&m->mod);
    }
    list.push_back(nullptr);

    int msgid = -1;
    rc = ldap_modify_ext(m_ld.get(), p.entry_dn.c_str(), list.data(), nullptr, nullptr, &msgid);
    if (rc == LDAP_SUCCESS) {
        LdapMessagePtr answer;
        rc = wait_result(m_ld.get(), msgid, m_config.timeout_ms, answer);
    }
    if (rc == LDAP_SUCCESS) {
        return {};
    }
    std::string detail = m_uri + ": modify of \"" + p.entry_dn + "\" refused: " +
                         ldap_err2string(rc);
    if (rc == LDAP_TYPE_OR_VALUE_EXISTS) {
        detail += " (already published; replace to overwrite)";
    }
    if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
        rc == LDAP_BUSY || rc == LDAP_UNAVAILABLE) {
        m_ld.reset();
        return make_error(Errc::directory_unavailable, std::move(detail),
                          static_cast<unsigned long>(rc));
    }
    return make_error(Errc::config, std::move(detail), static_cast<unsigned long>(rc));
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

}  // namespace

Status publish(const DirectoryConfig& config, const Publication& p)
{
    if (config.uris.empty() || p.entry_dn.empty()) {
        return make_error(Errc::config, "ldap: publish needs a server URI and an entry");
    }
    if (config.timeout_ms <= 0) {
        return make_error(Errc::config, "ldap: timeout must be positive");
    }
    X509StorePtr store(X509_STORE_new());
    if (!store) {
        return ossl_error(Errc::internal, "cannot allocate a trust store");
    }
    DirectoryConfig c = config;
    c.cache_ttl_s = 0;
    LdapDirectory dir(std::move(c), std::move(store), {});
    return dir.publish(p);
}

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
