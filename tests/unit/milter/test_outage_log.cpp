// test_outage_log.cpp - one log line per directory outage (issue #3).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>

#include "milter/outage_log.h"

using x400::milter::OutageLog;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(outage_log)

BOOST_AUTO_TEST_CASE(logs_first_then_once_per_interval_with_count)
{
    OutageLog log(60s);
    const OutageLog::Clock::time_point t0{};
    std::uint64_t n = 99;
    BOOST_TEST(log.failure(t0 + 1s, &n));
    BOOST_TEST(n == 0u);
    for (int i = 0; i < 500; ++i) {
        BOOST_TEST(!log.failure(t0 + 2s + std::chrono::milliseconds(i), &n));
    }
    BOOST_TEST(!log.failure(t0 + 60s, &n));
    BOOST_TEST(log.failure(t0 + 61s, &n));
    BOOST_TEST(n == 501u, "got " << n << " suppressed, want 501");
}

BOOST_AUTO_TEST_CASE(success_ends_the_event)
{
    OutageLog log(60s);
    const OutageLog::Clock::time_point t0{};
    std::uint64_t n = 0;
    BOOST_TEST(log.failure(t0, &n));
    BOOST_TEST(!log.failure(t0 + 1s, &n));
    log.success();
    BOOST_TEST(log.failure(t0 + 2s, &n));
    BOOST_TEST(n == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
