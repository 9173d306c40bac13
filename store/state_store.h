// state_store.h - durable per-pair state: outbound sequence numbers and
// inbound anti-replay windows.
//
// A StateStore keeps, for each (originator, recipient) pair, the last
// message sequence number this host issued (originating role) and the
// anti-replay window of numbers it has seen (receiving role).  The window
// works like IPsec's (RFC 4303 section 3.4.3): the highest number seen plus
// a bitmap of the numbers just below it.  A number above the window slides
// it; a number inside it that was not seen before is accepted late; a
// number seen before, or below the window, is a replay.
//
// StateStore is abstract so that a second backend (PostgreSQL, for several
// hosts, DESIGN.md section 7) can come later; open_lmdb_store gives the
// LMDB one.  Every operation is atomic and, once it returns, durable.  It
// does not log: errors come back as Error (io, config, internal).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace x400::store {

// k_format_version is the layout this code reads and writes.
inline constexpr std::uint32_t k_format_version = 1;

// ReplayVerdict is the outcome of one check_and_record.
enum class ReplayVerdict {
    fresh,      // above everything seen: the window slid
    late,       // inside the window and not seen before: accepted
    duplicate,  // seen before: a replay
    too_old,    // below the window: treated as a replay
};

const char* replay_verdict_name(ReplayVerdict v);

// is_replay is true for the verdicts that refuse the number.
inline bool is_replay(ReplayVerdict v)
{
    return v == ReplayVerdict::duplicate || v == ReplayVerdict::too_old;
}

// ReplayWindow is the inbound state of one pair, and its rules, without
// any storage.  Bit i of bits stands for number highest - i.
class ReplayWindow {
public:
    // width is rounded up to a multiple of 64 bits, at least 64.
    explicit ReplayWindow(std::uint32_t width);

    // check_and_record decides on number and, unless it is a replay,
    // records it.
    ReplayVerdict check_and_record(std::uint64_t number);

    // forget clears number if it is inside the window (undoes a record
    // whose message was then refused).  Does nothing otherwise.
    void forget(std::uint64_t number);

    // resize keeps what fits into a window of another width.
    void resize(std::uint32_t width);

    bool seen(std::uint64_t number) const;
    bool empty() const { return !m_any; }
    std::uint64_t highest() const { return m_highest; }
    std::uint32_t width() const { return static_cast<std::uint32_t>(m_bits.size() * 64); }

    // encode and decode give the stored form: highest, flags, width, bitmap
    // (little-endian).  decode fails (Errc::decode) on a malformed record.
    std::string encode() const;
    static Result<ReplayWindow> decode(std::string_view data);

private:
    bool bit(std::uint64_t i) const;
    void set_bit(std::uint64_t i, bool on);
    void slide(std::uint64_t by);

    std::uint64_t m_highest = 0;
    bool m_any = false;
    std::vector<std::uint64_t> m_bits;
};

// PairState is what list and show report for one pair.
struct PairState {
    std::string originator;
    std::string recipient;
    std::optional<std::uint64_t> last_issued;  // outbound: last number given out
    std::optional<ReplayWindow> window;        // inbound
};

struct StoreOptions {
    std::string dir;                         // created (mode 700) if missing
    std::uint32_t window_width = 1024;       // bits, for new and resized windows
    std::size_t map_size = std::size_t(1) << 30;  // LMDB map: upper bound of the file
    bool create = true;                      // false: the store must exist
};

class StateStore {
public:
    virtual ~StateStore() = default;

    // next_sequences issues one number per recipient for originator, each
    // one more than the last issued to that pair (the first is 1), and
    // makes them durable before returning.  A crash may lose numbers that
    // were issued; it never makes one be issued twice.
    virtual Result<std::vector<std::uint64_t>>
    next_sequences(std::string_view originator, std::span<const std::string> recipients) = 0;

    Result<std::uint64_t> next_sequence(std::string_view originator, std::string_view recipient);

    // check_and_record applies the window of (originator, recipient) to
    // number and records it, atomically and durably.
    virtual Result<ReplayVerdict> check_and_record(std::string_view originator,
                                                   std::string_view recipient,
                                                   std::uint64_t number) = 0;

    // forget undoes a record of check_and_record (see ReplayWindow::forget).
    virtual Status forget(std::string_view originator, std::string_view recipient,
                          std::uint64_t number) = 0;

    // list returns every pair, ordered by originator then recipient.
    virtual Result<std::vector<PairState>> list() = 0;

    // show returns one pair; both fields empty if the store has no state
    // for it.
    virtual Result<PairState> show(std::string_view originator, std::string_view recipient) = 0;

    // reset_window drops the inbound window of a pair, so that the next
    // number from it is accepted as fresh.  Outbound counters are never
    // reset: that would issue numbers again.  Returns whether there was one.
    virtual Result<bool> reset_window(std::string_view originator,
                                      std::string_view recipient) = 0;
};

// open_lmdb_store opens (or creates) the LMDB store in options.dir.  A
// store of another format version is an Errc::config error naming both
// versions.  Open each directory once per process and share the object:
// it is safe for any number of threads, and other processes may open the
// same directory at the same time.
Result<std::unique_ptr<StateStore>> open_lmdb_store(const StoreOptions& options);

}  // namespace x400::store
