// test_store.cpp - the anti-replay window's rules and the LMDB store:
// counters, windows, format version, durability across reopening and
// across a killed process.
#include <boost/test/unit_test.hpp>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <random>
#include <set>
#include <thread>

#include "store/state_store.h"

using namespace x400;
using namespace x400::store;

namespace {

// TempDir is a fresh directory removed at the end of the test.
struct TempDir {
    std::string path;

    TempDir()
    {
        char tmpl[] = "/tmp/x400sec-store-test-XXXXXX";
        path = mkdtemp(tmpl);
    }

    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

Result<std::unique_ptr<StateStore>> try_open(const std::string& dir, std::uint32_t width = 1024,
                                             bool create = true)
{
    StoreOptions opt;
    opt.dir = dir;
    opt.window_width = width;
    opt.map_size = std::size_t(16) << 20;
    opt.create = create;
    return open_lmdb_store(opt);
}

std::unique_ptr<StateStore> open_store(const std::string& dir, std::uint32_t width = 1024)
{
    auto s = try_open(dir, width);
    BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().text()));
    return std::move(*s);
}

const std::string k_alice = "alice@a.example";
const std::string k_bob = "bob@b.example";

}  // namespace

BOOST_AUTO_TEST_SUITE(replay_window)

BOOST_AUTO_TEST_CASE(first_number_is_fresh_and_a_repeat_is_a_duplicate)
{
    ReplayWindow w(1024);
    BOOST_TEST((w.check_and_record(7) == ReplayVerdict::fresh));
    BOOST_TEST((w.check_and_record(7) == ReplayVerdict::duplicate));
    BOOST_TEST(w.highest() == 7u);
}

BOOST_AUTO_TEST_CASE(late_number_inside_the_window_is_accepted_once)
{
    ReplayWindow w(64);
    BOOST_TEST((w.check_and_record(100) == ReplayVerdict::fresh));
    BOOST_TEST((w.check_and_record(37) == ReplayVerdict::late));  // 100 - 37 = 63 < 64
    BOOST_TEST((w.check_and_record(37) == ReplayVerdict::duplicate));
    BOOST_TEST((w.check_and_record(99) == ReplayVerdict::late));
    BOOST_TEST(w.highest() == 100u);
}

BOOST_AUTO_TEST_CASE(number_below_the_window_is_too_old)
{
    ReplayWindow w(64);
    BOOST_TEST((w.check_and_record(100) == ReplayVerdict::fresh));
    BOOST_TEST((w.check_and_record(36) == ReplayVerdict::too_old));  // 100 - 36 = 64
    BOOST_TEST((w.check_and_record(1) == ReplayVerdict::too_old));
    BOOST_TEST(!w.seen(36));
}

BOOST_AUTO_TEST_CASE(window_slides_and_keeps_what_it_saw)
{
    ReplayWindow w(64);
    BOOST_TEST((w.check_and_record(100) == ReplayVerdict::fresh));
    BOOST_TEST((w.check_and_record(110) == ReplayVerdict::fresh));
    BOOST_TEST((w.check_and_record(100) == ReplayVerdict::duplicate));
    BOOST_TEST((w.check_and_record(50) == ReplayVerdict::late));      // 110 - 50 = 60
    BOOST_TEST((w.check_and_record(46) == ReplayVerdict::too_old));   // 110 - 46 = 64
    // A jump wider than the window forgets everything below it.
    BOOST_TEST((w.check_and_record(500) == ReplayVerdict::fresh));
    BOOST_TEST((w.check_and_record(110) == ReplayVerdict::too_old));
    BOOST_TEST((w.check_and_record(499) == ReplayVerdict::late));
}

BOOST_AUTO_TEST_CASE(slides_across_word_boundaries_keep_every_bit)
{
    ReplayWindow w(1024);
    std::vector<std::uint64_t> order(1000);
    std::iota(order.begin(), order.end(), 1);
    std::shuffle(order.begin(), order.end(), std::mt19937(4));
    for (auto n : order) BOOST_TEST(!is_replay(w.check_and_record(n)), "got replay for " << n);
    for (auto n : order) BOOST_TEST((w.check_and_record(n) == ReplayVerdict::duplicate));
    // 130 is two words and two bits: each seen number moves to a new word.
    BOOST_TEST((w.check_and_record(1130) == ReplayVerdict::fresh));
    for (std::uint64_t n = 107; n <= 1000; ++n) {
        BOOST_TEST((w.check_and_record(n) == ReplayVerdict::duplicate), "number " << n);
    }
    BOOST_TEST((w.check_and_record(106) == ReplayVerdict::too_old));
    for (std::uint64_t n = 1001; n < 1130; ++n) {
        BOOST_TEST((w.check_and_record(n) == ReplayVerdict::late), "number " << n);
    }
}

BOOST_AUTO_TEST_CASE(forget_undoes_a_record)
{
    ReplayWindow w(64);
    BOOST_TEST((w.check_and_record(10) == ReplayVerdict::fresh));
    BOOST_TEST((w.check_and_record(8) == ReplayVerdict::late));
    w.forget(8);
    BOOST_TEST((w.check_and_record(8) == ReplayVerdict::late));
}

BOOST_AUTO_TEST_CASE(encoding_round_trips_and_rejects_garbage)
{
    ReplayWindow w(128);
    for (std::uint64_t n : {5u, 9u, 200u, 150u}) (void)w.check_and_record(n);
    auto back = ReplayWindow::decode(w.encode());
    BOOST_REQUIRE(back.ok());
    BOOST_TEST(back->encode() == w.encode());
    BOOST_TEST(back->seen(150));
    BOOST_TEST(!back->seen(151));
    BOOST_TEST(!ReplayWindow::decode("short").ok());
    std::string bad = w.encode();
    bad.pop_back();
    BOOST_TEST(!ReplayWindow::decode(bad).ok());
}

BOOST_AUTO_TEST_CASE(width_is_rounded_to_whole_words)
{
    BOOST_TEST(ReplayWindow(1).width() == 64u);
    BOOST_TEST(ReplayWindow(1000).width() == 1024u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lmdb_store)

BOOST_AUTO_TEST_CASE(counters_start_at_one_and_grow_per_pair)
{
    TempDir d;
    auto s = open_store(d.path);
    BOOST_TEST(*s->next_sequence(k_alice, k_bob) == 1u);
    BOOST_TEST(*s->next_sequence(k_alice, k_bob) == 2u);
    BOOST_TEST(*s->next_sequence(k_alice, "carol@b.example") == 1u);
    const std::string rcpts[] = {k_bob, "carol@b.example", "dave@b.example"};
    auto batch = s->next_sequences(k_alice, rcpts);
    BOOST_REQUIRE(batch.ok());
    BOOST_TEST(*batch == (std::vector<std::uint64_t>{3, 2, 1}));
}

BOOST_AUTO_TEST_CASE(counters_and_windows_survive_reopening)
{
    TempDir d;
    {
        auto s = open_store(d.path);
        for (int i = 0; i < 5; ++i) BOOST_REQUIRE(s->next_sequence(k_alice, k_bob).ok());
        BOOST_TEST((*s->check_and_record(k_alice, k_bob, 42) == ReplayVerdict::fresh));
    }
    auto s = open_store(d.path);
    BOOST_TEST(*s->next_sequence(k_alice, k_bob) == 6u);
    BOOST_TEST((*s->check_and_record(k_alice, k_bob, 42) == ReplayVerdict::duplicate));
    BOOST_TEST((*s->check_and_record(k_alice, k_bob, 41) == ReplayVerdict::late));
}

BOOST_AUTO_TEST_CASE(a_killed_process_never_gets_a_number_issued_again)
{
    TempDir d;
    // The child issues numbers, reports each through a pipe once the call
    // returned, and is killed with SIGKILL part way: no close, no cleanup.
    int fds[2];
    BOOST_REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        StoreOptions opt;
        opt.dir = d.path;
        opt.map_size = std::size_t(16) << 20;
        auto s = open_lmdb_store(opt);
        if (!s) _exit(2);
        for (;;) {
            auto n = (*s)->next_sequence(k_alice, k_bob);
            if (!n) _exit(3);
            std::uint64_t v = *n;
            if (write(fds[1], &v, sizeof v) != sizeof v) _exit(4);
        }
    }
    close(fds[1]);
    std::set<std::uint64_t> issued;
    std::uint64_t v = 0;
    while (issued.size() < 50 && read(fds[0], &v, sizeof v) == sizeof v) issued.insert(v);
    kill(pid, SIGKILL);
    while (read(fds[0], &v, sizeof v) == sizeof v) issued.insert(v);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    BOOST_TEST(WIFSIGNALED(status));
    BOOST_REQUIRE(!issued.empty());

    auto s = open_store(d.path);
    auto next = s->next_sequence(k_alice, k_bob);
    BOOST_REQUIRE(next.ok());
    BOOST_TEST(*next > *issued.rbegin(), "got " << *next << ", want > " << *issued.rbegin());
}

BOOST_AUTO_TEST_CASE(threads_sharing_one_store_lose_no_update)
{
    TempDir d;
    auto s = open_store(d.path);
    constexpr int k_threads = 8, k_each = 100;
    std::vector<std::vector<std::uint64_t>> got(k_threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < k_each; ++i) {
                auto n = s->next_sequence(k_alice, k_bob);
                if (n) got[t].push_back(*n);
            }
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::uint64_t> all;
    for (const auto& g : got) all.insert(g.begin(), g.end());
    BOOST_TEST(all.size() == std::size_t(k_threads * k_each));
    BOOST_TEST(*all.rbegin() == std::uint64_t(k_threads * k_each));
}

BOOST_AUTO_TEST_CASE(unknown_format_version_is_a_config_error)
{
    TempDir d;
    open_store(d.path).reset();
    // Another program (a future x400sec) wrote version 99.
    MDB_env* env = nullptr;
    MDB_txn* txn = nullptr;
    MDB_dbi dbi;
    BOOST_REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 4);
    BOOST_REQUIRE(mdb_env_open(env, d.path.c_str(), 0, 0600) == 0);
    BOOST_REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    BOOST_REQUIRE(mdb_dbi_open(txn, "meta", 0, &dbi) == 0);
    char key[] = "format_version";
    char value[4] = {99, 0, 0, 0};
    MDB_val k{sizeof key - 1, key}, v{sizeof value, value};
    BOOST_REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    BOOST_REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);

    auto s = try_open(d.path);
    BOOST_REQUIRE(!s.ok());
    BOOST_TEST((s.error().code == Errc::config));
    BOOST_TEST(s.error().detail.find("format version 99") != std::string::npos,
               s.error().detail);
    BOOST_TEST(s.error().detail.find("reads version 1") != std::string::npos, s.error().detail);
}

BOOST_AUTO_TEST_CASE(opening_without_create_needs_an_existing_store)
{
    TempDir d;
    auto s = try_open(d.path + "/none", 1024, false);
    BOOST_REQUIRE(!s.ok());
    BOOST_TEST((s.error().code == Errc::config));
    s = try_open(d.path, 1024, false);
    BOOST_TEST(!s.ok(), "an empty directory is no store");
}

BOOST_AUTO_TEST_CASE(a_new_window_width_keeps_the_state)
{
    TempDir d;
    {
        auto s = open_store(d.path, 64);
        BOOST_TEST((*s->check_and_record(k_alice, k_bob, 100) == ReplayVerdict::fresh));
        BOOST_TEST((*s->check_and_record(k_alice, k_bob, 90) == ReplayVerdict::late));
    }
    auto s = open_store(d.path, 1024);
    BOOST_TEST((*s->check_and_record(k_alice, k_bob, 90) == ReplayVerdict::duplicate));
    // 30 had fallen out of the old window (it may have been delivered):
    // widening must not let it in again.  99 was inside and unseen.
    BOOST_TEST(is_replay(*s->check_and_record(k_alice, k_bob, 30)));
    BOOST_TEST((*s->check_and_record(k_alice, k_bob, 99) == ReplayVerdict::late));
    BOOST_TEST(s->show(k_alice, k_bob)->window->width() == 1024u);
}

BOOST_AUTO_TEST_CASE(another_spelling_of_an_address_meets_the_same_window)
{
    TempDir d;
    auto s = open_store(d.path);
    BOOST_TEST((*s->check_and_record(k_alice, k_bob, 7) == ReplayVerdict::fresh));
    std::string upper(k_alice);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    BOOST_TEST((*s->check_and_record(upper, k_bob, 7) == ReplayVerdict::duplicate));
    BOOST_TEST((*s->check_and_record("<" + std::string(k_alice) + ">", k_bob, 7) ==
                ReplayVerdict::duplicate));
}

BOOST_AUTO_TEST_CASE(list_show_reset_and_forget)
{
    TempDir d;
    auto s = open_store(d.path);
    BOOST_REQUIRE(s->next_sequence(k_alice, k_bob).ok());
    BOOST_REQUIRE(s->check_and_record("zed@z.example", k_bob, 5).ok());
    auto all = s->list();
    BOOST_REQUIRE(all.ok());
    BOOST_REQUIRE(all->size() == 2u);
    BOOST_TEST((*all)[0].originator == k_alice);
    BOOST_TEST(*(*all)[0].last_issued == 1u);
    BOOST_TEST(!(*all)[0].window.has_value());
    BOOST_TEST((*all)[1].window->highest() == 5u);

    BOOST_REQUIRE(s->forget("zed@z.example", k_bob, 5).ok());
    BOOST_TEST(!is_replay(*s->check_and_record("zed@z.example", k_bob, 5)));

    BOOST_TEST(*s->reset_window("zed@z.example", k_bob));
    BOOST_TEST(!*s->reset_window("zed@z.example", k_bob));
    auto shown = s->show("zed@z.example", k_bob);
    BOOST_REQUIRE(shown.ok());
    BOOST_TEST(shown->originator.empty());
    BOOST_TEST((*s->check_and_record("zed@z.example", k_bob, 5) == ReplayVerdict::fresh));
}

BOOST_AUTO_TEST_CASE(unusable_keys_are_refused)
{
    TempDir d;
    auto s = open_store(d.path);
    BOOST_TEST(!s->next_sequence("", k_bob).ok());
    BOOST_TEST(!s->next_sequence(k_alice, std::string(600, 'x')).ok());
}

BOOST_AUTO_TEST_SUITE_END()
