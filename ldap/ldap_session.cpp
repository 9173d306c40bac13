// ldap_session.cpp - the LDAP session of the libldap Directory: connecting
// to the configured URIs in order, StartTLS, the bind, and searches, each
// bounded in time so that a silent server costs one timeout (RFC 4511,
// RFC 4513).
#include <ldap.h>
#include <sys/time.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "base/text.h"
#include "ldap/directory.h"
#include "ldap/ldap_directory_impl.h"
#include "ldap/ldap_handles.h"

namespace x400::ldap::detail {

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

}  // namespace x400::ldap::detail
