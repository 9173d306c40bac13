// ldap_cache.cpp - the non-template parts of the look-up cache (see
// ldap_cache.h).
#include "ldap/ldap_cache.h"

#include "base/ossl.h"

namespace x400::ldap {

CachePolicy cache_policy_from(const DirectoryConfig& config)
{
    CachePolicy p;
    p.positive_ttl = std::chrono::seconds(config.cache_ttl_s);
    p.negative_ttl = std::chrono::seconds(config.cache_negative_ttl_s);
    p.max_stale = std::chrono::seconds(config.cache_max_stale_s);
    p.max_entries = config.cache_max_entries;
    return p;
}

ValidatedCertificate copy_validated(const ValidatedCertificate& v)
{
    ValidatedCertificate out;
    out.certificate = v.certificate ? up_ref(v.certificate.get()) : X509Ptr();
    for (const X509Ptr& c : v.path) {
        out.path.push_back(up_ref(c.get()));
    }
    out.warnings = v.warnings;
    return out;
}

}  // namespace x400::ldap
