// ldap_cache.h - a bounded time-to-live cache for directory look-ups
// (internal to ldap/; issue #3, item 5).
//
// TtlCache<V> maps a string key to a shared, immutable V with the time it
// was fetched.  A positive entry is fresh for CachePolicy::positive_ttl, a
// negative one (the directory said "no such entry" or the path did not
// validate) for negative_ttl.  While the directory is down, stale() may
// hand out a positive entry up to max_stale after it was fetched; negative
// entries are never served stale, because "no certificate" during an
// outage must stay a temporary failure.  At most max_entries are kept; the
// least recently used goes first.  Hits, misses and evictions are counted
// (CacheStats, directory.h).  All members are thread-safe.  The clock is a
// parameter so that tests can move time by hand.
//
// What is cached where (ldap_directory.cpp): the validated result of
// certificate_for per (address, scope), and each CA entry's certificates,
// cross-certificates and CRLs per entry DN.  A cached positive result is
// not re-validated until it expires: a revocation published meanwhile
// takes effect within positive_ttl.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "ldap/directory.h"

namespace x400::ldap {

// CachePolicy is the cache's part of DirectoryConfig; a zero positive_ttl
// turns caching off.
struct CachePolicy {
    std::chrono::seconds positive_ttl{300};
    std::chrono::seconds negative_ttl{60};
    std::chrono::seconds max_stale{900};
    std::size_t max_entries = 10000;
};

// cache_policy_from takes the cache settings of a DirectoryConfig.
CachePolicy cache_policy_from(const DirectoryConfig& config);

template <class V>
class TtlCache {
public:
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;

    // Found is a cached value: negative entries carry what the directory
    // said in V as well.
    struct Found {
        std::shared_ptr<const V> value;
        bool negative = false;
    };

    explicit TtlCache(CachePolicy policy, Now now = [] { return Clock::now(); })
        : m_policy(policy), m_now(std::move(now))
    {
    }

    // fresh returns the entry for key if it has not expired (a hit or a
    // negative hit), else nothing (a miss).
    std::optional<Found> fresh(const std::string& key)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto it = m_map.find(key);
        if (it == m_map.end() || expired(it->second->second, m_now())) {
            ++m_stats.misses;
            return std::nullopt;
        }
        touch(it->second);
        ++(it->second->second.negative ? m_stats.negative_hits : m_stats.hits);
        return Found{it->second->second.value, it->second->second.negative};
    }

    // stale returns the positive entry for key, expired or not, if it was
    // fetched at most max_stale ago; for use while the directory is down.
    std::shared_ptr<const V> stale(const std::string& key)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto it = m_map.find(key);
        if (it == m_map.end() || it->second->second.negative ||
            m_now() - it->second->second.fetched > m_policy.max_stale) {
            return nullptr;
        }
        touch(it->second);
        ++m_stats.stale_served;
        return it->second->second.value;
    }

    // put stores (or replaces) key's value, evicting as the size bound
    // requires.
    void put(const std::string& key, std::shared_ptr<const V> value, bool negative)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        const Clock::time_point now = m_now();
        auto it = m_map.find(key);
        if (it != m_map.end()) {
            m_lru.erase(it->second);
            m_map.erase(it);
        }
        while (!m_lru.empty() && m_lru.size() >= m_policy.max_entries) {
            m_map.erase(m_lru.back().first);
            m_lru.pop_back();
            ++m_stats.evictions;
        }
        if (m_policy.max_entries == 0) {
            return;
        }
        m_lru.emplace_front(key, Slot{std::move(value), negative, now});
        m_map[key] = m_lru.begin();
    }

    CacheStats stats() const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        CacheStats s = m_stats;
        s.entries = m_lru.size();
        return s;
    }

private:
    struct Slot {
        std::shared_ptr<const V> value;
        bool negative = false;
        Clock::time_point fetched;
    };
    using Lru = std::list<std::pair<std::string, Slot>>;

    bool expired(const Slot& s, Clock::time_point now) const
    {
        return now - s.fetched >= (s.negative ? m_policy.negative_ttl : m_policy.positive_ttl);
    }

    void touch(typename Lru::iterator it) { m_lru.splice(m_lru.begin(), m_lru, it); }

    const CachePolicy m_policy;
    const Now m_now;
    mutable std::mutex m_mutex;
    Lru m_lru;  // most recently used first
    std::unordered_map<std::string, typename Lru::iterator> m_map;
    CacheStats m_stats;
};

// copy_validated returns a second owner of the same certificates.
ValidatedCertificate copy_validated(const ValidatedCertificate& v);

}  // namespace x400::ldap
