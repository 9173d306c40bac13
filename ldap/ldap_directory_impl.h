// ldap_directory_impl.h - private to ldap/: the libldap Directory class,
// shared by its three source files.
//
// ldap_directory.cpp  user look-up, path discovery and validation
// ldap_session.cpp    the LDAP session: connect, StartTLS, bind, search
// ldap_publish.cpp    writing certificates, pairs and CRLs into an entry
#pragma once

#include <ldap.h>
#include <sys/time.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "core/scope.h"
#include "ldap/directory.h"
#include "ldap/ldap_cache.h"
#include "ldap/ldap_handles.h"

namespace x400::ldap::detail {

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
std::string base_type(std::string_view description);

// to_timeval turns milliseconds into libldap's timeval.
timeval to_timeval(int ms);

// wait_result: see ldap_session.cpp.
int wait_result(LDAP* ld, int msgid, int ms, LdapMessagePtr& out);

// check_values: see ldap_publish.cpp.
Status check_values(const Publication& p);

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

// load_anchors reads every certificate of a PEM file.
Result<std::vector<X509Ptr>> load_anchors(const std::string& file);

}  // namespace x400::ldap::detail
