// directory.h - certificates from an X.500-style directory over LDAP.
//
// Directory looks up a user's certificate by Internet mail address
// (userCertificate;binary, RFC 4523), discovers a certification path
// through the issuers' entries (cACertificate;binary and both halves of
// crossCertificatePair;binary), and validates it with OpenSSL up to the
// configured trust anchors, requiring the extended key usage purpose of the
// requested KeyScope.  It checks revocation with the CRLs (and ARLs and
// delta CRLs) published in the issuers' entries, RFC 5280 section 6.3, and
// runs the policy processing of section 6.1 with settable initial inputs
// (PathOptions).  Results and CA entries are cached (DirectoryConfig
// cache_*, stats()).  Referrals are not chased unless configured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "core/scope.h"

namespace x400::ldap {

// StaleCrlPolicy says what a CRL past its nextUpdate means (RFC 5280
// section 6.3.3 (a)(2) leaves it to local policy; it is never ignored):
// fail refuses the certificate (Errc::untrusted), tempfail refuses it as a
// temporary failure (Errc::directory_unavailable, "CRL ... is stale", so that
// the MTA retries once the CA has published a fresh one), and
// accept_with_warning accepts and puts a warning in
// ValidatedCertificate::warnings.
enum class StaleCrlPolicy { fail, tempfail, accept_with_warning };

// MissingCrlPolicy says what a CA without any CRL in the directory means:
// fail ("no CRL for <CA>", Errc::untrusted) or accept_with_warning.
enum class MissingCrlPolicy { fail, accept_with_warning };

// BindMethod is how a session authenticates (RFC 4513): anonymous (section
// 5.1.1), simple with bind_dn and bind_password (section 5.1.3), or SASL
// EXTERNAL (section 5.2.1.8 and appendix B), where the server takes the
// identity from the transport: the peer credentials of an ldapi:// socket
// or a TLS client certificate.
enum class BindMethod { anonymous, simple, sasl_external };

// StartTls says whether to ask for TLS on an ldap:// session (RFC 4511
// section 4.14, RFC 4513 section 3): never, when the server offers it (a
// failure falls back to clear text), or demanded (a failure is an error).
// ldaps:// URIs are TLS from the start whatever this says.
enum class StartTls { no, yes, demand };

struct DirectoryConfig {
    std::vector<std::string> uris;         // tried in order, e.g. ldap://127.0.0.1:3890
    std::string base;                      // search base for users, e.g. dc=example
    std::string user_filter = "(mail=%s)"; // %s: the RFC 4515-escaped address
    BindMethod bind_method = BindMethod::anonymous;
    std::string bind_dn;                   // simple bind only
    std::string bind_password;
    StartTls starttls = StartTls::no;
    std::string tls_cacert;                // PEM CA file for TLS; empty: the system's
    bool referrals = false;                // chase referrals (RFC 4511 section 4.1.10)
    int timeout_ms = 5000;                 // connect, bind, search and lock wait, each
    int lookup_timeout_ms = 0;             // one whole look-up; 0: 2 * timeout_ms
    int cache_ttl_s = 300;                 // positive results; 0 turns the cache off
    int cache_negative_ttl_s = 60;         // "no certificate", "untrusted"
    int cache_max_stale_s = 900;           // served while the directory is down
    std::size_t cache_max_entries = 10000; // per cache (results, CA entries)
    int max_path_length = 8;               // certificates between user and anchor
    std::string trust_anchors_file;        // PEM file of trusted CA certificates
    StaleCrlPolicy stale_crl = StaleCrlPolicy::tempfail;   // ldap_stale_crl
    MissingCrlPolicy missing_crl = MissingCrlPolicy::fail; // ldap_missing_crl
};

// PathStep is one certificate that path discovery looked at, for
// `x400sec path`: its names, the directory entry it came from, the step it
// would certify (an index into PathTrace::steps, -1 for the end-entity)
// and what became of it.
struct PathStep {
    std::string subject;   // RFC 4514
    std::string issuer;
    std::string serial;    // hex
    std::string source;    // DN of the entry it came from, or "(trust anchor)"
    int certifies = -1;
    std::string note;      // "on the path", or why it was not followed
};

// PathTrace records a discovery: every step considered and, per candidate
// path handed to OpenSSL, its step indices (end-entity first) and verdict
// ("valid" or the reason for refusal).
struct PathTrace {
    struct Attempt {
        std::vector<int> steps;
        std::string verdict;
    };
    std::vector<PathStep> steps;
    std::vector<Attempt> attempts;
    std::string end_entity_source;  // set by the caller: where the certificate came from
};

// PathOptions are the initial inputs of RFC 5280 section 6.1.1 that a
// caller may set, and what else one validation should check.  The
// defaults are those of validate(): any policy, no explicit policy, policy
// mapping and anyPolicy allowed, revocation checked, at the present time.
struct PathOptions {
    std::optional<KeyScope> scope;               // none: no key purpose required
    std::vector<std::string> initial_policy_set; // dotted OIDs; empty: anyPolicy
    bool explicit_policy = false;                // initial-explicit-policy
    bool inhibit_policy_mapping = false;         // initial-policy-mapping-inhibit
    bool inhibit_any_policy = false;             // initial-any-policy-inhibit
    bool check_revocation = true;                // CRLs from the directory
    std::optional<std::time_t> at_time;          // none: now
    PathTrace* trace = nullptr;                  // if set, filled with the discovery
};

// CacheStats counts one cache's work: fresh positive and negative hits,
// misses (a directory look-up followed), stale entries served during an
// outage, evictions by the size bound, and the entries held now.
struct CacheStats {
    std::uint64_t hits = 0;
    std::uint64_t negative_hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t stale_served = 0;
    std::uint64_t evictions = 0;
    std::size_t entries = 0;
};

// DirectoryStats are the figures an operator may read: the cache of
// certificate_for results per (address, scope), and that of CA entries
// (certificates, cross-certificates and CRLs per entry DN).
struct DirectoryStats {
    CacheStats lookups;
    CacheStats ca_entries;
};

// ValidatedCertificate is a certificate whose path was validated just now.
struct ValidatedCertificate {
    X509Ptr certificate;
    std::vector<X509Ptr> path;  // from the certificate up to the anchor, inclusive
    std::vector<std::string> warnings; // what an accept_with_warning policy let pass
};

class Directory {
public:
    // open connects lazily: it checks the configuration and loads the trust
    // anchors, and fails only on those.  Thread-safe after open.
    static Result<std::unique_ptr<Directory>> open(const DirectoryConfig& config);

    virtual ~Directory() = default;

    // certificate_for returns the first of the address's certificates
    // whose path validates with the given scope.  The whole call, every
    // search included, is bounded by lookup_timeout_ms (validate_path
    // likewise): past it, no further search is made and the call fails
    // with directory_unavailable "lookup exceeded its time limit" (a
    // connect under way may overrun it by up to timeout_ms).  Errors:
    // directory_unavailable (server down, timeout, garbage), no_certificate
    // (no entry or no certificate), untrusted (every candidate failed path
    // validation; detail says why for the last one).
    virtual Result<ValidatedCertificate> certificate_for(std::string_view mail,
                                                         KeyScope scope) = 0;

    // validate checks an already held certificate the same way, fetching
    // only the issuers' material from the directory.
    virtual Result<ValidatedCertificate> validate(X509* certificate, KeyScope scope) = 0;

    // validate_path checks an already held certificate with the given
    // initial inputs; validate(c, s) is validate_path(c, {s}).  Errors as
    // for certificate_for, plus untrusted "revoked" or "no CRL for <CA>",
    // and directory_unavailable for a stale CRL under the default policy.
    // The base version, for test doubles that only implement validate,
    // passes plain options with a scope on to validate and refuses others
    // with Errc::internal.
    virtual Result<ValidatedCertificate> validate_path(X509* certificate,
                                                       const PathOptions& options);

    // trace_certificate is certificate_for without the cache, recording
    // the discovery in trace (the user entry's DN as the end-entity's
    // source).  The base version refuses with Errc::internal.
    virtual Result<ValidatedCertificate> trace_certificate(std::string_view mail,
                                                           KeyScope scope, PathTrace& trace);

    // stats returns the cache figures so far; all zero for a directory
    // without a cache.
    virtual DirectoryStats stats() const { return {}; }
};

// stale_crl_policy_from and missing_crl_policy_from read a configuration
// value ("fail", "tempfail", "accept-with-warning"); Errc::config otherwise.
Result<StaleCrlPolicy> stale_crl_policy_from(std::string_view text);
Result<MissingCrlPolicy> missing_crl_policy_from(std::string_view text);

// Publication is what one `x400sec publish` writes into one existing
// entry: DER values per attribute (RFC 4523 sections 4.1-4.5, all sent
// with ;binary as RFC 4522 requires).  Without replace the values are
// added beside those present; with it they replace every value of each
// attribute given.
struct Publication {
    std::string entry_dn;
    std::vector<Bytes> user_certificates;  // userCertificate, on pkiUser
    std::vector<Bytes> ca_certificates;    // cACertificate, on pkiCA
    std::vector<Bytes> cross_pairs;        // crossCertificatePair, on pkiCA
    std::vector<Bytes> crls;               // certificateRevocationList, on pkiCA
    std::vector<Bytes> arls;               // authorityRevocationList, on pkiCA
    bool replace = false;
};

// publish binds as config says (trust anchors and cache are not used) and
// writes p with one LDAP modify (RFC 4511 section 4.6), adding the
// auxiliary class pkiUser or pkiCA if the entry lacks it.  Every value is
// decoded first.  Errors: decode (a value that is not what its attribute
// holds), config (no such entry, nothing to publish, a refused bind, or a
// refused modify such as insufficient access or a value already present,
// with the server's text), directory_unavailable.
Status publish(const DirectoryConfig& config, const Publication& p);

// bind_method_from ("anonymous", "simple", "sasl-external") and
// starttls_from ("no", "yes", "demand") read configuration values;
// Errc::config otherwise.
Result<BindMethod> bind_method_from(std::string_view text);
Result<StartTls> starttls_from(std::string_view text);

// read_password_file returns the one line of a simple bind password file
// (a final newline dropped).  Fails with Errc::config if the file cannot
// be read, is not a regular file, is open to group or others in any way,
// is empty or holds more than one line.
Result<std::string> read_password_file(const std::string& path);

// ldap_filter_escape escapes a value for an LDAP search filter (RFC 4515
// section 3: '*', '(', ')', '\\' and NUL as \XX, and any non-ASCII byte).
std::string ldap_filter_escape(std::string_view value);

// ldap_dn_from_name returns the LDAP string form of a distinguished name
// (RFC 4514: last RDN first, RFC 4514 escaping, unknown attribute types as
// dotted OIDs with #hex values), e.g. "CN=CA,DC=a,DC=example".  Fails with
// Errc::decode if OpenSSL cannot print the name.
Result<std::string> ldap_dn_from_name(const X509_NAME* name);

}  // namespace x400::ldap
