// test_ldap_cache.cpp - TtlCache with a clock moved by hand (issue #3,
// item 5): fresh and negative time-to-live, stale serving up to the
// maximum age, LRU eviction, counters.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ldap/ldap_cache.h"

using x400::ldap::CachePolicy;
using x400::ldap::TtlCache;
using namespace std::chrono_literals;

namespace {

// FakeClock is a time that only moves when told.
struct FakeClock {
    std::chrono::steady_clock::time_point now{};
    void advance(std::chrono::steady_clock::duration d) { now += d; }
};

CachePolicy policy(std::size_t max_entries = 100)
{
    CachePolicy p;
    p.positive_ttl = 300s;
    p.negative_ttl = 60s;
    p.max_stale = 900s;
    p.max_entries = max_entries;
    return p;
}

std::unique_ptr<TtlCache<int>> make_cache(FakeClock& clock, std::size_t max_entries = 100)
{
    return std::make_unique<TtlCache<int>>(policy(max_entries), [&clock] { return clock.now; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ldap_cache)

BOOST_AUTO_TEST_CASE(positive_entry_fresh_until_its_ttl)
{
    FakeClock clock;
    auto cache = make_cache(clock);
    BOOST_TEST(!cache->fresh("alice").has_value());
    cache->put("alice", std::make_shared<const int>(1), false);
    clock.advance(299s);
    auto hit = cache->fresh("alice");
    BOOST_REQUIRE(hit.has_value());
    BOOST_TEST(*hit->value == 1);
    BOOST_TEST(!hit->negative);
    clock.advance(1s);
    BOOST_TEST(!cache->fresh("alice").has_value());
    const auto s = cache->stats();
    BOOST_TEST(s.hits == 1u);
    BOOST_TEST(s.misses == 2u);
    BOOST_TEST(s.entries == 1u);
}

BOOST_AUTO_TEST_CASE(negative_entry_has_its_own_ttl)
{
    FakeClock clock;
    auto cache = make_cache(clock);
    cache->put("nobody", std::make_shared<const int>(0), true);
    clock.advance(59s);
    auto hit = cache->fresh("nobody");
    BOOST_REQUIRE(hit.has_value());
    BOOST_TEST(hit->negative);
    clock.advance(1s);
    BOOST_TEST(!cache->fresh("nobody").has_value());
    BOOST_TEST(cache->stats().negative_hits == 1u);
}

// While the directory is down: a positive entry up to max_stale after it
// was fetched, never a negative one.
BOOST_AUTO_TEST_CASE(stale_served_up_to_max_age_and_only_positive)
{
    FakeClock clock;
    auto cache = make_cache(clock);
    cache->put("alice", std::make_shared<const int>(1), false);
    cache->put("nobody", std::make_shared<const int>(0), true);
    clock.advance(600s);
    BOOST_TEST(!cache->fresh("alice").has_value());
    auto old = cache->stale("alice");
    BOOST_REQUIRE(old);
    BOOST_TEST(*old == 1);
    BOOST_TEST(!cache->stale("nobody"));
    BOOST_TEST(!cache->stale("bob"));
    clock.advance(300s);
    BOOST_TEST(cache->stale("alice") != nullptr);
    clock.advance(1s);
    BOOST_TEST(!cache->stale("alice"));
    BOOST_TEST(cache->stats().stale_served == 2u);
}

BOOST_AUTO_TEST_CASE(put_replaces_and_restarts_the_clock)
{
    FakeClock clock;
    auto cache = make_cache(clock);
    cache->put("alice", std::make_shared<const int>(1), false);
    clock.advance(250s);
    cache->put("alice", std::make_shared<const int>(2), false);
    clock.advance(250s);
    auto hit = cache->fresh("alice");
    BOOST_REQUIRE(hit.has_value());
    BOOST_TEST(*hit->value == 2);
    BOOST_TEST(cache->stats().entries == 1u);
}

// The size bound evicts the least recently used entry; a hit counts as a
// use.
BOOST_AUTO_TEST_CASE(size_bound_evicts_least_recently_used)
{
    FakeClock clock;
    auto cache = make_cache(clock, 2);
    cache->put("a", std::make_shared<const int>(1), false);
    cache->put("b", std::make_shared<const int>(2), false);
    BOOST_TEST(cache->fresh("a").has_value());
    cache->put("c", std::make_shared<const int>(3), false);
    BOOST_TEST(cache->fresh("a").has_value());
    BOOST_TEST(!cache->fresh("b").has_value());
    BOOST_TEST(cache->fresh("c").has_value());
    const auto s = cache->stats();
    BOOST_TEST(s.evictions == 1u);
    BOOST_TEST(s.entries == 2u);
}

BOOST_AUTO_TEST_CASE(zero_entries_keeps_nothing)
{
    FakeClock clock;
    auto cache = make_cache(clock, 0);
    cache->put("a", std::make_shared<const int>(1), false);
    BOOST_TEST(!cache->fresh("a").has_value());
    BOOST_TEST(cache->stats().entries == 0u);
}

BOOST_AUTO_TEST_CASE(concurrent_use_is_safe)
{
    auto cache = std::make_unique<TtlCache<int>>(policy(50));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                const std::string key = std::to_string((i * 7 + t) % 80);
                if (!cache->fresh(key)) {
                    cache->put(key, std::make_shared<const int>(i), i % 3 == 0);
                }
                (void)cache->stale(key);
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    const auto s = cache->stats();
    BOOST_TEST(s.entries <= 50u);
    BOOST_TEST(s.hits + s.negative_hits + s.misses == 8000u);
}

BOOST_AUTO_TEST_SUITE_END()
