// state_cmd.cpp - x400sec state list|show|export|reset.
//
// Each command opens the LMDB store of a running or stopped milter
// (--dir, default /var/lib/x400sec) without creating one; opening it
// beside running milters is safe.  reset only ever drops a receive-side
// replay window: outbound counters are never lowered, since that would
// issue sequence numbers again.
#include "tools/state_cmd.h"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "store/state_store.h"

namespace x400::tools {

namespace {

constexpr OptionSpec k_specs[] = {{"--dir", OptKind::single}, {"--reason", OptKind::single}};
constexpr char k_default_dir[] = "/var/lib/x400sec";

// seen_ranges lists the numbers a window holds as "a-b,c,...".
std::string seen_ranges(const store::ReplayWindow& w)
{
    std::string out;
    if (w.empty()) return out;
    const std::uint64_t top = w.highest();
    const std::uint64_t low = top >= w.width() - 1 ? top - (w.width() - 1) : 0;
    std::uint64_t start = 0;
    bool open = false;
    for (std::uint64_t n = low;; ++n) {
        const bool s = w.seen(n);
        if (s && !open) {
            start = n;
            open = true;
        }
        if (open && (!s || n == top)) {
            const std::uint64_t end = s ? n : n - 1;
            out += (out.empty() ? "" : ",") + std::to_string(start);
            if (end != start) out += "-" + std::to_string(end);
            open = false;
        }
        if (n == top) break;
    }
    return out;
}

std::size_t seen_count(const store::ReplayWindow& w)
{
    std::size_t n = 0;
    const std::uint64_t top = w.highest();
    for (std::uint64_t i = 0; i < w.width() && i <= top; ++i) n += w.seen(top - i);
    return n;
}

std::string json_string(std::string_view s)
{
    std::string out = "\"";
    for (char c : s) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string json_line(const store::PairState& p)
{
    std::string out = "{\"originator\":" + json_string(p.originator) +
                      ",\"recipient\":" + json_string(p.recipient);
    if (p.last_issued) out += ",\"last_issued\":" + std::to_string(*p.last_issued);
    if (p.window) {
        out += ",\"window\":{\"width\":" + std::to_string(p.window->width());
        if (!p.window->empty()) {
            out += ",\"highest\":" + std::to_string(p.window->highest()) + ",\"seen\":" +
                   json_string(seen_ranges(*p.window));
        }
        out += "}";
    }
    return out + "}";
}

// Opened is a parsed command line and the store it names.
struct Opened {
    ParsedOptions opts;
    std::unique_ptr<store::StateStore> store;
};

// open_for parses args, checks the number of pair arguments (lo..hi) and
// opens the store.  On failure it has printed why and returns the exit
// status.
Result<Opened> open_for(const char* command, const Args& args, std::size_t lo, std::size_t hi,
                        const char* usage, int& status)
{
    auto opts = parse_options(args, k_specs);
    if (!opts) {
        print_error(command, opts.error());
        status = k_exit_usage;
        return opts.error();
    }
    const std::size_t n = opts->positional.size();
    if (opts->help || n < lo || n > hi) {
        std::fprintf(opts->help ? stdout : stderr, "%s", usage);
        status = opts->help ? k_exit_ok : k_exit_usage;
        return make_error(Errc::config, "usage");
    }
    store::StoreOptions so;
    so.dir = opts->get("--dir", k_default_dir);
    so.create = false;
    auto st = store::open_lmdb_store(so);
    if (!st) {
        print_error(command, st.error());
        status = k_exit_failure;
        return st.error();
    }
    return Opened{std::move(*opts), std::move(*st)};
}

// log_reset writes the operator's reset in the milter's log line shape.
void log_reset(const std::string& line)
{
    openlog("x400sec", LOG_PID, LOG_MAIL);
    syslog(LOG_NOTICE, "%s", line.c_str());
    closelog();
    std::fprintf(stderr, "x400sec: %s\n", line.c_str());
}

// log_value quotes an operator-given value: capped, printable, no quotes.
std::string log_value(std::string_view s)
{
    std::string out = "\"";
    for (char c : s.substr(0, 200)) {
        const unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') ? '?' : c;
    }
    return out + "\"";
}

}  // namespace

int state_list_main(const Args& args)
{
    int status = k_exit_ok;
    auto o = open_for("state list", args, 0, 0,
                      "usage: x400sec state list [--dir DIR]\n"
                      "One line per (originator, recipient) pair: the last sequence number\n"
                      "issued (out=) and the replay window (in=highest/width, seen=count).\n",
                      status);
    if (!o) return status;
    auto pairs = o->store->list();
    if (!pairs) {
        print_error("state list", pairs.error());
        return k_exit_failure;
    }
    for (const auto& p : *pairs) {
        std::string line = "<" + p.originator + "> <" + p.recipient + ">";
        if (p.last_issued) line += " out=" + std::to_string(*p.last_issued);
        if (p.window && !p.window->empty()) {
            line += " in=" + std::to_string(p.window->highest()) + "/" +
                    std::to_string(p.window->width()) +
                    " seen=" + std::to_string(seen_count(*p.window));
        }
        std::printf("%s\n", line.c_str());
    }
    return k_exit_ok;
}

int state_show_main(const Args& args)
{
    int status = k_exit_ok;
    auto o = open_for("state show", args, 2, 2,
                      "usage: x400sec state show [--dir DIR] ORIGINATOR RECIPIENT\n", status);
    if (!o) return status;
    const auto& pos = o->opts.positional;
    auto p = o->store->show(pos[0], pos[1]);
    if (!p) {
        print_error("state show", p.error());
        return k_exit_failure;
    }
    if (p->originator.empty()) {
        std::printf("no state for <%s> -> <%s>\n", pos[0].c_str(), pos[1].c_str());
        return k_exit_failure;
    }
    std::printf("originator        <%s>\nrecipient         <%s>\n", p->originator.c_str(),
                p->recipient.c_str());
    if (p->last_issued) {
        std::printf("last issued       %llu\n",
                    static_cast<unsigned long long>(*p->last_issued));
    }
    if (p->window) {
        std::printf("window width      %u\n", p->window->width());
        if (!p->window->empty()) {
            std::printf("highest seen      %llu\nseen in window    %zu: %s\n",
                        static_cast<unsigned long long>(p->window->highest()),
                        seen_count(*p->window), seen_ranges(*p->window).c_str());
        }
    }
    return k_exit_ok;
}

int state_export_main(const Args& args)
{
    int status = k_exit_ok;
    auto o = open_for("state export", args, 0, 2,
                      "usage: x400sec state export [--dir DIR] [ORIGINATOR RECIPIENT]\n"
                      "Writes every pair, or one, as one JSON object per line.\n",
                      status);
    if (!o) return status;
    const auto& pos = o->opts.positional;
    if (pos.size() == 1) {
        std::fprintf(stderr, "x400sec: state export: give both ORIGINATOR and RECIPIENT\n");
        return k_exit_usage;
    }
    std::vector<store::PairState> pairs;
    if (pos.size() == 2) {
        auto p = o->store->show(pos[0], pos[1]);
        if (!p) {
            print_error("state export", p.error());
            return k_exit_failure;
        }
        if (!p->originator.empty()) pairs.push_back(std::move(*p));
    } else {
        auto all = o->store->list();
        if (!all) {
            print_error("state export", all.error());
            return k_exit_failure;
        }
        pairs = std::move(*all);
    }
    for (const auto& p : pairs) std::printf("%s\n", json_line(p).c_str());
    return k_exit_ok;
}

int state_reset_main(const Args& args)
{
    int status = k_exit_ok;
    const char* usage =
        "usage: x400sec state reset [--dir DIR] --reason TEXT ORIGINATOR RECIPIENT\n"
        "Drops the replay window of the pair: its next message is accepted as\n"
        "fresh.  Outbound sequence counters are never reset.  The reason is logged.\n";
    auto o = open_for("state reset", args, 2, 2, usage, status);
    if (!o) return status;
    const std::string reason = o->opts.get("--reason");
    if (reason.find_first_not_of(" \t") == std::string::npos) {
        std::fprintf(stderr, "x400sec: state reset: --reason TEXT is required\n%s", usage);
        return k_exit_usage;
    }
    const auto& pos = o->opts.positional;
    auto done = o->store->reset_window(pos[0], pos[1]);
    if (!done) {
        print_error("state reset", done.error());
        return k_exit_failure;
    }
    log_reset("NOQUEUE: state: " +
              std::string(*done ? "replay window reset" : "no replay window to reset") +
              ": originator=" + log_value(pos[0]) + " rcpt=" + log_value(pos[1]) + " uid=" +
              std::to_string(getuid()) + " reason=" + log_value(reason));
    if (!*done) {
        std::fprintf(stderr, "x400sec: state reset: no replay window for that pair\n");
        return k_exit_failure;
    }
    return k_exit_ok;
}

}  // namespace x400::tools
