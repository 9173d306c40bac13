// outage_log.h - log a directory outage once per event, not once per
// message (issue #3, item 6).
//
// OutageLog decides whether a directory_unavailable failure deserves a
// log line: the first of an outage does, then at most one per interval,
// carrying the number of failures it stands for.  A success ends the
// outage, so the next failure is a new event and is logged at once.  It
// only decides; the caller writes the line through log_line.  Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace x400::milter {

class OutageLog {
public:
    using Clock = std::chrono::steady_clock;

    explicit OutageLog(Clock::duration interval = std::chrono::seconds(60))
        : m_interval(interval)
    {
    }

    // failure records one failure at now and returns true if it should be
    // logged; then *suppressed is how many failures since the last logged
    // one went unlogged.
    bool failure(Clock::time_point now, std::uint64_t* suppressed)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_in_outage && now - m_last_logged < m_interval) {
            ++m_suppressed;
            return false;
        }
        *suppressed = m_suppressed;
        m_suppressed = 0;
        m_in_outage = true;
        m_last_logged = now;
        return true;
    }

    // success ends the outage, if there was one.
    void success()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_in_outage = false;
        m_suppressed = 0;
    }

private:
    const Clock::duration m_interval;
    std::mutex m_mutex;
    bool m_in_outage = false;
    Clock::time_point m_last_logged{};
    std::uint64_t m_suppressed = 0;
};

}  // namespace x400::milter
