// replay_window.cpp - the anti-replay window of one pair (RFC 4303 3.4.3).
#include "store/state_store.h"

#include <algorithm>

namespace x400::store {

const char* replay_verdict_name(ReplayVerdict v)
{
    switch (v) {
    case ReplayVerdict::fresh: return "fresh";
    case ReplayVerdict::late: return "late";
    case ReplayVerdict::duplicate: return "duplicate";
    case ReplayVerdict::too_old: return "too-old";
    }
    return "duplicate";
}

namespace {

std::size_t words_for(std::uint32_t width)
{
    return std::max<std::size_t>(1, (std::size_t(width) + 63) / 64);
}

void put_u64(std::string& out, std::uint64_t v)
{
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_u32(std::string& out, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get_le(std::string_view in, std::size_t at, int n)
{
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
        v |= std::uint64_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
    }
    return v;
}

constexpr std::size_t k_header = 16;  // highest (8), flags (4), width (4)

}  // namespace

ReplayWindow::ReplayWindow(std::uint32_t width) : m_bits(words_for(width), 0) {}

bool ReplayWindow::bit(std::uint64_t i) const
{
    return (m_bits[i / 64] >> (i % 64)) & 1;
}

void ReplayWindow::set_bit(std::uint64_t i, bool on)
{
    const std::uint64_t mask = std::uint64_t(1) << (i % 64);
    if (on) {
        m_bits[i / 64] |= mask;
    } else {
        m_bits[i / 64] &= ~mask;
    }
}

// slide moves every bit `by` places towards the old end; bits that fall
// off the end are forgotten, as numbers below the window are refused anyway.
void ReplayWindow::slide(std::uint64_t by)
{
    const std::size_t n = m_bits.size();
    if (by >= width()) {
        std::fill(m_bits.begin(), m_bits.end(), 0);
        return;
    }
    const std::size_t words = by / 64;
    const unsigned shift = by % 64;
    for (std::size_t i = n; i-- > 0;) {
        std::uint64_t v = 0;
        if (i >= words) {
            v = m_bits[i - words] << shift;
            if (shift != 0 && i >= words + 1) v |= m_bits[i - words - 1] >> (64 - shift);
        }
        m_bits[i] = v;
    }
}

bool ReplayWindow::seen(std::uint64_t number) const
{
    if (!m_any || number > m_highest) return false;
    const std::uint64_t diff = m_highest - number;
    return diff < width() && bit(diff);
}

ReplayVerdict ReplayWindow::check_and_record(std::uint64_t number)
{
    // The first number of a pair, or one above the window: slide.
    if (!m_any || number > m_highest) {
        if (m_any) slide(number - m_highest);
        m_highest = number;
        m_any = true;
        set_bit(0, true);
        return ReplayVerdict::fresh;
    }
    const std::uint64_t diff = m_highest - number;
    if (diff >= width()) return ReplayVerdict::too_old;
    if (bit(diff)) return ReplayVerdict::duplicate;
    set_bit(diff, true);
    return ReplayVerdict::late;
}

void ReplayWindow::forget(std::uint64_t number)
{
    if (!m_any || number > m_highest) return;
    const std::uint64_t diff = m_highest - number;
    if (diff < width()) set_bit(diff, false);
}

void ReplayWindow::resize(std::uint32_t width)
{
    // Shrinking keeps the newest bits.  Growing must not let numbers that
    // had already fallen out of the old window back in: they may have been
    // delivered, so the added, older part counts as seen.
    const std::uint32_t old_width = this->width();
    m_bits.resize(words_for(width), 0);
    if (m_any) {
        for (std::uint64_t i = old_width; i < this->width(); ++i) set_bit(i, true);
    }
}

std::string ReplayWindow::encode() const
{
    std::string out;
    out.reserve(k_header + m_bits.size() * 8);
    put_u64(out, m_highest);
    put_u32(out, m_any ? 1 : 0);
    put_u32(out, width());
    for (std::uint64_t w : m_bits) put_u64(out, w);
    return out;
}

Result<ReplayWindow> ReplayWindow::decode(std::string_view data)
{
    if (data.size() < k_header + 8) {
        return make_error(Errc::decode, "replay window record too short");
    }
    const std::uint64_t highest = get_le(data, 0, 8);
    const std::uint32_t flags = static_cast<std::uint32_t>(get_le(data, 8, 4));
    const std::uint32_t width = static_cast<std::uint32_t>(get_le(data, 12, 4));
    if (width == 0 || width % 64 != 0 || data.size() != k_header + width / 8 || flags > 1) {
        return make_error(Errc::decode, "malformed replay window record");
    }
    ReplayWindow w(width);
    w.m_highest = highest;
    w.m_any = flags == 1;
    for (std::size_t i = 0; i < w.m_bits.size(); ++i) {
        w.m_bits[i] = get_le(data, k_header + 8 * i, 8);
    }
    return w;
}

}  // namespace x400::store
