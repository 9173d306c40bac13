// store_stress.cpp - several processes, each with several threads, on one
// LMDB state store: no lost update, no number issued twice, and each
// inbound number accepted exactly once.
//
// store_stress DIR PROCESSES THREADS COUNT
// Every thread of every process takes COUNT numbers for one shared pair,
// and offers the inbound numbers 1..COUNT of another pair to the replay
// window.  The parent then checks that the numbers issued are exactly
// 1..P*T*COUNT, that each inbound number was accepted by exactly one
// thread, and that the store agrees.  Exit 0 when all hold.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/state_store.h"

using namespace x400;

namespace {

const std::string k_from = "alice@a.example";
const std::string k_to = "bob@b.example";
const std::string k_peer = "zed@z.example";

std::unique_ptr<store::StateStore> open_or_die(const std::string& dir)
{
    store::StoreOptions opt;
    opt.dir = dir;
    opt.map_size = std::size_t(64) << 20;
    auto s = store::open_lmdb_store(opt);
    if (!s) {
        std::fprintf(stderr, "store_stress: %s\n", s.error().text().c_str());
        std::exit(2);
    }
    return std::move(*s);
}

// child runs THREADS threads and writes "I n" (issued) and "A n"
// (accepted inbound) lines to out.
int child(const std::string& dir, int threads, int count, const std::string& out)
{
    auto s = open_or_die(dir);
    std::mutex mu;
    std::vector<std::string> lines;
    std::vector<std::thread> ts;
    int errors = 0;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            std::vector<std::string> mine;
            int bad = 0;
            for (int i = 1; i <= count; ++i) {
                auto n = s->next_sequence(k_from, k_to);
                if (n) mine.push_back("I " + std::to_string(*n));
                else ++bad;
                auto v = s->check_and_record(k_peer, k_to, static_cast<std::uint64_t>(i));
                if (!v) ++bad;
                else if (!store::is_replay(*v)) mine.push_back("A " + std::to_string(i));
            }
            std::lock_guard<std::mutex> lock(mu);
            lines.insert(lines.end(), mine.begin(), mine.end());
            errors += bad;
        });
    }
    for (auto& t : ts) t.join();
    std::ofstream f(out);
    for (const auto& l : lines) f << l << "\n";
    return errors == 0 && f ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: store_stress DIR PROCESSES THREADS COUNT\n");
        return 2;
    }
    const std::string dir = argv[1];
    const int procs = std::atoi(argv[2]), threads = std::atoi(argv[3]);
    const int count = std::atoi(argv[4]);
    if (procs < 1 || threads < 1 || count < 1 || count > 1024) {
        std::fprintf(stderr, "store_stress: bad numbers (COUNT at most the window, 1024)\n");
        return 2;
    }
    open_or_die(dir).reset();  // create the store before the race

    std::vector<pid_t> pids;
    for (int p = 0; p < procs; ++p) {
        pid_t pid = fork();
        if (pid == 0) _exit(child(dir, threads, count, dir + "/out." + std::to_string(p)));
        pids.push_back(pid);
    }
    int failed = 0;
    for (pid_t pid : pids) {
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++failed;
    }

    std::map<std::uint64_t, int> issued, accepted;
    for (int p = 0; p < procs; ++p) {
        std::ifstream f(dir + "/out." + std::to_string(p));
        std::string kind;
        std::uint64_t n;
        while (f >> kind >> n) ++(kind == "I" ? issued : accepted)[n];
    }
    const std::uint64_t total = std::uint64_t(procs) * threads * count;
    int problems = failed;
    for (std::uint64_t n = 1; n <= total; ++n) {
        if (issued[n] != 1) {
            std::printf("number %llu issued %d times, want 1\n",
                        static_cast<unsigned long long>(n), issued[n]);
            ++problems;
        }
    }
    if (issued.size() != total) ++problems;
    for (int n = 1; n <= count; ++n) {
        if (accepted[n] != 1) {
            std::printf("inbound %d accepted %d times, want 1\n", n, accepted[n]);
            ++problems;
        }
    }
    auto s = open_or_die(dir);
    auto state = s->show(k_from, k_to);
    if (!state || state->last_issued.value_or(0) != total) {
        std::printf("store says last issued %llu, want %llu\n",
                    static_cast<unsigned long long>(state ? state->last_issued.value_or(0) : 0),
                    static_cast<unsigned long long>(total));
        ++problems;
    }
    std::printf("store_stress: %d processes x %d threads x %d: %llu numbers issued, "
                "%zu inbound accepted, %d problems\n",
                procs, threads, count, static_cast<unsigned long long>(total), accepted.size(),
                problems);
    return problems == 0 ? 0 : 1;
}
