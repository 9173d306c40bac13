// lmdb_store.cpp - StateStore on LMDB.
//
// One LMDB environment per store directory with three named databases:
//   meta      "format_version" -> u32 (little-endian)
//   outbound  originator NUL recipient -> u64, the last number issued
//   inbound   originator NUL recipient -> ReplayWindow::encode()
// Every change is one write transaction, committed with LMDB's default
// synchronous flush (no MDB_NOSYNC or MDB_NOMETASYNC), so it is on disk
// when the call returns.  LMDB serialises write transactions across
// threads and processes; MDB_NOTLS ties read slots to transactions rather
// than threads, since libmilter starts a thread per connection.
#include <sys/stat.h>

#include <cerrno>
#include <cctype>
#include <cstring>
#include <map>

#include "store/lmdb_handles.h"
#include "base/text.h"
#include "store/state_store.h"

namespace x400::store {

namespace {

constexpr char k_version_key[] = "format_version";

Error mdb_error(std::string_view what, int rc)
{
    const Errc code = rc == MDB_VERSION_MISMATCH || rc == MDB_INVALID ? Errc::config : Errc::io;
    return make_error(code, std::string(what) + ": " + ::mdb_strerror(rc),
                      static_cast<unsigned long>(rc));
}

MDB_val as_val(std::string_view s)
{
    return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view as_view(const MDB_val& v)
{
    return {static_cast<const char*>(v.mv_data), v.mv_size};
}

std::string encode_u64(std::uint64_t v)
{
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
}

Result<std::uint64_t> decode_u64(std::string_view s)
{
    if (s.size() != 8) return make_error(Errc::decode, "malformed counter record");
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(s[i])) << (8 * i);
    return v;
}

class LmdbStore final : public StateStore {
public:
    LmdbStore(MdbEnvPtr env, std::string dir, std::uint32_t width)
        : m_env(std::move(env)), m_dir(std::move(dir)), m_width(width)
    {
    }

    Status init(bool create);

    Result<std::vector<std::uint64_t>>
    next_sequences(std::string_view originator, std::span<const std::string> recipients) override;
    Result<ReplayVerdict> check_and_record(std::string_view originator,
                                           std::string_view recipient,
                                           std::uint64_t number) override;
    Status forget(std::string_view originator, std::string_view recipient,
                  std::uint64_t number) override;
    Result<std::vector<PairState>> list() override;
    Result<PairState> show(std::string_view originator, std::string_view recipient) override;
    Result<bool> reset_window(std::string_view originator, std::string_view recipient) override;

private:
    Result<MdbTxnPtr> begin(bool write);
    Result<std::string> pair_key(std::string_view originator, std::string_view recipient);
    Status commit(MdbTxnPtr& txn, std::string_view what);
    Result<std::optional<std::string>> get(MDB_txn* txn, MDB_dbi dbi, std::string_view key);

    MdbEnvPtr m_env;
    std::string m_dir;
    std::uint32_t m_width;
    MDB_dbi m_meta = 0;
    MDB_dbi m_outbound = 0;
    MDB_dbi m_inbound = 0;
};

Result<MdbTxnPtr> LmdbStore::begin(bool write)
{
    MDB_txn* txn = nullptr;
    int rc = ::mdb_txn_begin(m_env.get(), nullptr, write ? 0 : MDB_RDONLY, &txn);
    if (rc != 0) return mdb_error("state store " + m_dir + ": begin transaction", rc);
    return MdbTxnPtr(txn);
}

Status LmdbStore::commit(MdbTxnPtr& txn, std::string_view what)
{
    int rc = mdb_commit(txn);
    if (rc != 0) return mdb_error("state store " + m_dir + ": commit " + std::string(what), rc);
    return {};
}

Result<std::string> LmdbStore::pair_key(std::string_view originator, std::string_view recipient)
{
    // x400sec compares addresses without regard to case (the directory
    // does too), so the key folds them: "Alice@" must find alice's window,
    // or a replay under another spelling would meet an empty one.  Angle
    // brackets, as an operator may type them, are dropped.
    auto fold = [](std::string_view a) {
        if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
        return ascii_lower(a);
    };
    // Addresses hold no NUL, so NUL separates them unambiguously.
    std::string key = fold(originator);
    key += '\0';
    key += fold(recipient);
    if (key.size() > static_cast<std::size_t>(::mdb_env_get_maxkeysize(m_env.get())) ||
        originator.empty() || recipient.empty() ||
        originator.find('\0') != std::string_view::npos ||
        recipient.find('\0') != std::string_view::npos) {
        return make_error(Errc::decode, "address pair unusable as a state store key");
    }
    return key;
}

Result<std::optional<std::string>> LmdbStore::get(MDB_txn* txn, MDB_dbi dbi,
                                                  std::string_view key)
{
    MDB_val k = as_val(key);
    MDB_val v{};
    int rc = ::mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<std::string>();
    if (rc != 0) return mdb_error("state store " + m_dir + ": read", rc);
    return std::optional<std::string>(std::string(as_view(v)));
}

Status LmdbStore::init(bool create)
{
    // Readers left behind by killed processes would pin old pages.
    int dead = 0;
    ::mdb_reader_check(m_env.get(), &dead);

    auto txn = begin(create);
    if (!txn) return txn.error();
    const unsigned flags = create ? MDB_CREATE : 0;
    struct {
        const char* name;
        MDB_dbi* dbi;
    } dbs[] = {{"meta", &m_meta}, {"outbound", &m_outbound}, {"inbound", &m_inbound}};
    for (auto& db : dbs) {
        int rc = ::mdb_dbi_open(txn->get(), db.name, flags, db.dbi);
        if (rc == MDB_NOTFOUND) {
            return make_error(Errc::config, "state store " + m_dir + " is not an x400sec store");
        }
        if (rc != 0) return mdb_error("state store " + m_dir + ": open " + db.name, rc);
    }

    // The format version: written by the first opener, checked by all.
    auto version = get(txn->get(), m_meta, k_version_key);
    if (!version) return version.error();
    if (!*version) {
        if (!create) {
            return make_error(Errc::config, "state store " + m_dir + " has no format version");
        }
        std::string v(4, '\0');
        for (int i = 0; i < 4; ++i) v[i] = static_cast<char>((k_format_version >> (8 * i)) & 0xff);
        MDB_val k = as_val(k_version_key);
        MDB_val d = as_val(v);
        int rc = ::mdb_put(txn->get(), m_meta, &k, &d, 0);
        if (rc != 0) return mdb_error("state store " + m_dir + ": write format version", rc);
    } else {
        const std::string& v = **version;
        std::uint32_t found = 0;
        for (std::size_t i = 0; i < v.size() && i < 4; ++i) {
            found |= std::uint32_t(static_cast<unsigned char>(v[i])) << (8 * i);
        }
        if (v.size() != 4 || found != k_format_version) {
            return make_error(Errc::config,
                              "state store " + m_dir + " has format version " +
                                  (v.size() == 4 ? std::to_string(found) : "(malformed)") +
                                  "; this x400sec reads version " +
                                  std::to_string(k_format_version));
        }
    }
    // Committing, even a read-only transaction, keeps the database handles.
    return commit(*txn, "format version");
}

Result<std::vector<std::uint64_t>>
LmdbStore::next_sequences(std::string_view originator, std::span<const std::string> recipients)
{
    auto txn = begin(true);
    if (!txn) return txn.error();
    std::vector<std::uint64_t> out;
    for (const auto& r : recipients) {
        auto key = pair_key(originator, r);
        if (!key) return key.error();
        auto old = get(txn->get(), m_outbound, *key);
        if (!old) return old.error();
        std::uint64_t last = 0;
        if (*old) {
            auto v = decode_u64(**old);
            if (!v) return v.error();
            last = *v;
        }
        if (last == UINT64_MAX) {
            return make_error(Errc::internal, "sequence numbers of a pair exhausted");
        }
        const std::string value = encode_u64(last + 1);
        MDB_val k = as_val(*key);
        MDB_val d = as_val(value);
        int rc = ::mdb_put(txn->get(), m_outbound, &k, &d, 0);
        if (rc != 0) return mdb_error("state store " + m_dir + ": write counter", rc);
        out.push_back(last + 1);
    }
    // Durable before any number leaves this function.
    X400_TRY(commit(*txn, "sequence numbers"));
    return out;
}

Result<ReplayVerdict> LmdbStore::check_and_record(std::string_view originator,
                                                  std::string_view recipient,
                                                  std::uint64_t number)
{
    auto key = pair_key(originator, recipient);
    if (!key) return key.error();
    auto txn = begin(true);
    if (!txn) return txn.error();
    auto old = get(txn->get(), m_inbound, *key);
    if (!old) return old.error();
    ReplayWindow window(m_width);
    if (*old) {
        auto w = ReplayWindow::decode(**old);
        if (!w) return w.error();
        window = std::move(*w);
        if (window.width() != ReplayWindow(m_width).width()) window.resize(m_width);
    }
    const ReplayVerdict verdict = window.check_and_record(number);
    if (is_replay(verdict)) return verdict;  // nothing changed; abort
    const std::string value = window.encode();
    MDB_val k = as_val(*key);
    MDB_val d = as_val(value);
    int rc = ::mdb_put(txn->get(), m_inbound, &k, &d, 0);
    if (rc != 0) return mdb_error("state store " + m_dir + ": write window", rc);
    X400_TRY(commit(*txn, "replay window"));
    return verdict;
}

Status LmdbStore::forget(std::string_view originator, std::string_view recipient,
                         std::uint64_t number)
{
    auto key = pair_key(originator, recipient);
    if (!key) return key.error();
    auto txn = begin(true);
    if (!txn) return txn.error();
    auto old = get(txn->get(), m_inbound, *key);
    if (!old) return old.error();
    if (!*old) return {};
    auto window = ReplayWindow::decode(**old);
    if (!window) return window.error();
    window->forget(number);
    const std::string value = window->encode();
    MDB_val k = as_val(*key);
    MDB_val d = as_val(value);
    int rc = ::mdb_put(txn->get(), m_inbound, &k, &d, 0);
    if (rc != 0) return mdb_error("state store " + m_dir + ": write window", rc);
    return commit(*txn, "replay window");
}

Result<std::vector<PairState>> LmdbStore::list()
{
    auto txn = begin(false);
    if (!txn) return txn.error();
    std::map<std::string, PairState> pairs;
    for (MDB_dbi dbi : {m_outbound, m_inbound}) {
        MDB_cursor* raw = nullptr;
        int rc = ::mdb_cursor_open(txn->get(), dbi, &raw);
        if (rc != 0) return mdb_error("state store " + m_dir + ": cursor", rc);
        MdbCursorPtr cursor(raw);
        MDB_val k{}, v{};
        for (rc = ::mdb_cursor_get(raw, &k, &v, MDB_FIRST); rc == 0;
             rc = ::mdb_cursor_get(raw, &k, &v, MDB_NEXT)) {
            const std::string key(as_view(k));
            const auto nul = key.find('\0');
            if (nul == std::string::npos) return make_error(Errc::decode, "malformed pair key");
            PairState& p = pairs[key];
            p.originator = key.substr(0, nul);
            p.recipient = key.substr(nul + 1);
            if (dbi == m_outbound) {
                auto n = decode_u64(as_view(v));
                if (!n) return n.error();
                p.last_issued = *n;
            } else {
                auto w = ReplayWindow::decode(as_view(v));
                if (!w) return w.error();
                p.window = std::move(*w);
            }
        }
        if (rc != MDB_NOTFOUND) return mdb_error("state store " + m_dir + ": cursor", rc);
    }
    std::vector<PairState> out;
    for (auto& [key, p] : pairs) out.push_back(std::move(p));
    return out;
}

Result<PairState> LmdbStore::show(std::string_view originator, std::string_view recipient)
{
    auto key = pair_key(originator, recipient);
    if (!key) return key.error();
    auto txn = begin(false);
    if (!txn) return txn.error();
    PairState p;
    auto out = get(txn->get(), m_outbound, *key);
    if (!out) return out.error();
    auto in = get(txn->get(), m_inbound, *key);
    if (!in) return in.error();
    if (*out || *in) {
        // As the key spells them (folded), the same as list() shows.
        const auto nul = key->find('\0');
        p.originator = key->substr(0, nul);
        p.recipient = key->substr(nul + 1);
    }
    if (*out) {
        auto n = decode_u64(**out);
        if (!n) return n.error();
        p.last_issued = *n;
    }
    if (*in) {
        auto w = ReplayWindow::decode(**in);
        if (!w) return w.error();
        p.window = std::move(*w);
    }
    return p;
}

Result<bool> LmdbStore::reset_window(std::string_view originator, std::string_view recipient)
{
    auto key = pair_key(originator, recipient);
    if (!key) return key.error();
    auto txn = begin(true);
    if (!txn) return txn.error();
    MDB_val k = as_val(*key);
    int rc = ::mdb_del(txn->get(), m_inbound, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return mdb_error("state store " + m_dir + ": delete window", rc);
    X400_TRY(commit(*txn, "reset"));
    return true;
}

}  // namespace

Result<std::unique_ptr<StateStore>> open_lmdb_store(const StoreOptions& options)
{
    const std::string& dir = options.dir;
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) {
        if (!options.create) {
            return make_error(Errc::config, "no state store in " + dir + ": " +
                                                std::strerror(errno));
        }
        if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            return make_error(Errc::io, "cannot create state directory " + dir + ": " +
                                            std::strerror(errno));
        }
    } else if (!S_ISDIR(st.st_mode)) {
        return make_error(Errc::config, "state_dir " + dir + " is not a directory");
    }
    if (!options.create && stat((dir + "/data.mdb").c_str(), &st) != 0) {
        return make_error(Errc::config, "no state store in " + dir);
    }

    MDB_env* raw = nullptr;
    int rc = ::mdb_env_create(&raw);
    if (rc != 0) return mdb_error("state store " + dir + ": create environment", rc);
    MdbEnvPtr env(raw);
    rc = ::mdb_env_set_maxdbs(raw, 4);
    if (rc == 0) rc = ::mdb_env_set_mapsize(raw, options.map_size);
    if (rc != 0) return mdb_error("state store " + dir + ": configure", rc);
    rc = ::mdb_env_open(raw, dir.c_str(), MDB_NOTLS, 0600);
    if (rc != 0) return mdb_error("state store " + dir + ": open", rc);

    auto store = std::make_unique<LmdbStore>(std::move(env), dir, options.window_width);
    X400_TRY(store->init(options.create));
    return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace x400::store
