// ldap_publish.cpp - x400sec publish: certificates, cross-certificate
// pairs and CRLs written into an existing entry with one LDAP modify, each
// value checked to be one complete DER value of its syntax first.
#include <ldap.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <string>
#include <utility>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"
#include "base/text.h"
#include "ldap/directory.h"
#include "ldap/ldap_directory_impl.h"
#include "ldap/ldap_handles.h"
#include "ldap/ldap_pair.h"

namespace x400::ldap {

namespace detail {

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
}  // namespace detail

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
    detail::LdapDirectory dir(std::move(c), std::move(store), {});
    return dir.publish(p);
}

}  // namespace x400::ldap
