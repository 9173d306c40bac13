// milter_session.cpp - the originating and receiving roles.
#include "milter/milter_session.h"
#include "base/text.h"

#include <sys/stat.h>

#include <cctype>
#include <chrono>

#include "core/crypto.h"
#include "core/open.h"
#include "core/seal.h"
#include "milter/log.h"
#include "milter/outage_log.h"

namespace x400::milter {

namespace {

// directory_outage_log is the process's one record of directory outages:
// a storm of messages during an outage gives one line a minute, not one
// per message (issue #3, item 6).
OutageLog& directory_outage_log()
{
    static OutageLog log;
    return log;
}

void log_directory_outage(const std::string& queue_id, const std::string& text)
{
    std::uint64_t suppressed = 0;
    if (directory_outage_log().failure(OutageLog::Clock::now(), &suppressed)) {
        log_line(LogLevel::error, queue_id, "directory",
                 text + (suppressed > 0 ? " (and " + std::to_string(suppressed) +
                                              " more failures since the last report)"
                                        : std::string()) +
                     " -- temporary failure");
    }
}

}  // namespace

Result<EVP_PKEY*> KeyStore::key_for(const std::string& address)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_keys.find(address);
    if (it != m_keys.end()) return it->second.get();
    // An address never names a path outside the key directory.
    if (address.empty() || address.find('/') != std::string::npos || address[0] == '.') {
        return static_cast<EVP_PKEY*>(nullptr);
    }
    // Key files are named by the address in lower case.
    const std::string name = ascii_lower(address);
    const std::string path = m_dir + "/" + name + ".key";
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return static_cast<EVP_PKEY*>(nullptr);
    auto key = core::load_private_key(path);
    if (!key) return key.error();
    EVP_PKEY* raw = key->get();
    m_keys.emplace(address, std::move(*key));
    return raw;
}

Result<std::unique_ptr<store::StateStore>> open_state(const Config& config)
{
    store::StoreOptions opt;
    opt.dir = config.state_dir;
    opt.window_width = static_cast<std::uint32_t>(config.replay_window);
    return store::open_lmdb_store(opt);
}

void Session::reset()
{
    m_sender.clear();
    m_auth.clear();
    m_recipients.clear();
    m_message = {};
    m_recorded.clear();
}

void Session::abandon()
{
    for (const auto& r : m_recorded) {
        Status s = m_shared.state->forget(r.originator, r.recipient, r.number);
        if (!s) {
            log_line(LogLevel::error, m_queue_id, "replay",
                     "cannot undo seq=" + std::to_string(r.number) + " rcpt=<" + r.recipient +
                         ">: " + s.error().text() + " -- a retry will be called a replay");
        }
    }
    m_recorded.clear();
}

void Session::add_header(std::string_view name, std::string_view value)
{
    m_message.headers.push_back({std::string(name), std::string(value)});
}

bool Session::is_local(const std::string& address) const
{
    const auto& domains = m_shared.config->local_domains;
    if (domains.empty()) return true;
    auto at = address.rfind('@');
    if (at == std::string::npos) return false;
    std::string_view domain = std::string_view(address).substr(at + 1);
    for (const auto& d : domains) {
        if (core::iequals(d, domain)) return true;
    }
    return false;
}

Outcome Session::end_of_message(std::int64_t now)
{
    return m_shared.config->role == Role::originate ? originate(now) : receive(now);
}

namespace {

// note_certificate logs what a policy let pass (a stale or missing CRL
// accepted with a warning, an answer served from the cache while the
// directory is down) and ends a directory outage only when the directory
// itself answered.
void note_certificate(const std::string& queue_id, const std::string& who,
                      const ldap::ValidatedCertificate& v)
{
    bool from_cache_in_outage = false;
    for (const auto& w : v.warnings) {
        log_line(LogLevel::warning, queue_id, "directory", who + ": " + w);
        from_cache_in_outage =
            from_cache_in_outage || w.rfind("directory unavailable", 0) == 0;
    }
    if (!from_cache_in_outage) directory_outage_log().success();
}

Outcome refuse(Outcome::Action action, std::string status, std::string reply)
{
    Outcome o;
    o.action = action;
    o.smtp_code = action == Outcome::Action::reject ? "550" : "451";
    o.status = std::move(status);
    o.reply = std::move(reply);
    return o;
}

}  // namespace

Outcome Session::originate(std::int64_t now)
{
    const Config& cfg = *m_shared.config;
    // The originator is the envelope sender (RFC 2156 maps X.411's
    // originator-name to MAIL FROM); a null sender falls back to From.
    const std::string* from = core::find_header(m_message, "From");
    auto addr = !m_sender.empty() ? Result<std::string>(m_sender)
                : from            ? core::header_address(*from)
                                  : Result<std::string>(std::string());
    if (!addr || addr->empty()) {
        log_line(LogLevel::warning, m_queue_id, "seal", "no originator address -- not sealed");
        return cfg.confidentiality
                   ? refuse(Outcome::Action::reject, "5.7.1",
                            "no originator address in From; confidentiality is required")
                   : Outcome{};
    }
    const std::string originator = *addr;

    // Only the user may have mail signed with the user's key: the SMTP
    // AUTH identity must be the sender or its local part.
    if (!cfg.sign_for_any) {
        const std::string local = originator.substr(0, originator.rfind('@'));
        if (m_auth.empty() || (!core::same_address(m_auth, originator) && m_auth != local)) {
            log_line(LogLevel::warning, m_queue_id, "seal",
                     "sender " + log_quote(originator) + " not authenticated as such (auth=" +
                         log_quote(m_auth) + ") -- not sealed");
            return cfg.confidentiality
                       ? refuse(Outcome::Action::reject, "5.7.1",
                                "sealing for <" + originator + "> needs its authenticated user")
                       : Outcome{};
        }
    }
    auto key = m_shared.keys.key_for(originator);
    if (!key) {
        log_line(LogLevel::error, m_queue_id, "seal",
                 "key of " + log_quote(originator) + ": " + key.error().text());
        return refuse(Outcome::Action::tempfail, "4.7.0", "originator key unusable");
    }
    if (*key == nullptr) {
        log_line(LogLevel::info, m_queue_id, "seal",
                 "no key for originator " + log_quote(originator) + " -- not sealed");
        return cfg.confidentiality
                   ? refuse(Outcome::Action::reject, "5.7.1",
                            "originator <" + originator + "> has no key; cannot seal")
                   : Outcome{};
    }

    // Each recipient's certificate, validated through the directory.  With
    // confidentiality, any recipient without one stops the message.
    std::vector<EvpPkeyPtr> pubkeys;
    std::vector<core::SealRecipient> recipients;
    for (const auto& r : m_recipients) {
        // An address given twice in the envelope gets one token.
        bool seen = false;
        for (const auto& done : recipients) seen = seen || core::same_address(done.address, r);
        if (seen) continue;
        core::SealRecipient sr;
        sr.address = r;
        auto cert = m_shared.directory->certificate_for(r, KeyScope::user_agent);
        if (cert) {
            note_certificate(m_queue_id, "recipient " + log_quote(r), *cert);
            pubkeys.emplace_back(X509_get_pubkey(cert->certificate.get()));
            sr.public_key = pubkeys.back().get();
        } else {
            const Error& e = cert.error();
            if (e.code != Errc::directory_unavailable) {
                log_line(LogLevel::warning, m_queue_id, "seal",
                         "recipient " + log_quote(r) + ": " + e.text());
            }
            if (e.code == Errc::directory_unavailable) {
                log_directory_outage(m_queue_id, "recipient " + log_quote(r) + ": " + e.text());
                return refuse(Outcome::Action::tempfail, "4.4.3",
                              "directory unavailable for recipient <" + r + ">");
            }
            if (cfg.confidentiality) {
                return refuse(Outcome::Action::reject, "5.7.1",
                              "cannot encrypt for recipient <" + r + ">: " + e.text());
            }
        }
        recipients.push_back(std::move(sr));
    }
    // The numbers are on disk before any token carrying them exists: a
    // crash from here on skips them, never reuses them.
    std::vector<std::string> addresses;
    for (const auto& sr : recipients) addresses.push_back(sr.address);
    auto numbers = m_shared.state->next_sequences(originator, addresses);
    if (!numbers) {
        log_line(LogLevel::error, m_queue_id, "seal",
                 "sequence numbers: " + numbers.error().text() + " -- temporary failure");
        return refuse(Outcome::Action::tempfail, "4.3.0", "state store unavailable");
    }
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        recipients[i].sequence_number = (*numbers)[i];
    }

    core::SealOptions opt;
    opt.confidentiality = cfg.confidentiality;
    opt.outer_subject = cfg.outer_subject;
    opt.now = now;
    auto sealed = core::seal_message(m_message, *key, recipients, opt);
    if (!sealed) {
        log_line(LogLevel::error, m_queue_id, "seal", "failed: " + sealed.error().text());
        return refuse(Outcome::Action::tempfail, "4.7.0", "sealing failed");
    }
    log_line(LogLevel::info, m_queue_id, "seal",
             "sealed: originator=" + log_quote(originator) + " tokens=" +
                 std::to_string(recipients.size()) +
                 " confidentiality=" + (cfg.confidentiality ? "yes" : "no") +
                 " content=sha256:" + core::content_digest(m_message));
    Outcome o;
    o.edits = std::move(sealed->edits);
    o.new_body = std::move(sealed->new_body);
    return o;
}

// check_replay decides on one verified token: freshness of its time, then
// the pair's window, which records the number unless it is a replay.
// TODO(#4): if this milter dies after the record is committed and before
// the MTA has its reply, the sender's retry is called a replay; closing
// that needs a pending state confirmed after end of message.  t-crash
// kills the originating milter only.
void Session::check_replay(const std::string& originator, core::RecipientOutcome& o,
                           std::int64_t now)
{
    const Config& cfg = *m_shared.config;
    using core::Verdict;
    if (!o.sequence_number) {
        o.replay_note = "no sequence number";
        return;
    }
    if (now - o.token_time > cfg.max_token_age) {
        o.replay = Verdict::fail;
        o.replay_note = "token too old";
        return;
    }
    if (o.token_time - now > cfg.max_clock_skew) {
        o.replay = Verdict::fail;
        o.replay_note = "token time in the future";
        return;
    }
    auto v = m_shared.state->check_and_record(originator, o.recipient, *o.sequence_number);
    if (!v) {
        log_line(LogLevel::error, m_queue_id, "replay",
                 "rcpt=<" + o.recipient + ">: " + v.error().text());
        o.replay = Verdict::temperror;
        o.replay_note = "state store unavailable";
        return;
    }
    switch (*v) {
    case store::ReplayVerdict::duplicate:
        o.replay = Verdict::fail;
        o.replay_note = "seen before";
        break;
    case store::ReplayVerdict::too_old:
        o.replay = Verdict::fail;
        o.replay_note = "older than the window";
        break;
    case store::ReplayVerdict::late:
        o.replay_note = "late";
        [[fallthrough]];
    case store::ReplayVerdict::fresh:
        o.replay = Verdict::pass;
        m_recorded.push_back({originator, o.recipient, *o.sequence_number});
        break;
    }
}

// replay_outcome applies on_replay when any recipient's token was replayed,
// and a temporary failure when the store could not tell.
Outcome Session::replay_outcome(const core::OpenResult& res, Outcome out)
{
    const Config& cfg = *m_shared.config;
    const core::RecipientOutcome* replayed = nullptr;
    bool unknown = false;
    for (const auto& o : res.outcomes) {
        if (o.replay == core::Verdict::fail && replayed == nullptr) replayed = &o;
        unknown = unknown || o.replay == core::Verdict::temperror;
    }
    if (unknown) {
        abandon();
        return refuse(Outcome::Action::tempfail, "4.3.0", "state store unavailable");
    }
    if (replayed == nullptr) return out;
    const char* action = cfg.on_replay == OnReplay::reject       ? "reject"
                         : cfg.on_replay == OnReplay::quarantine ? "quarantine"
                                                                 : "mark";
    log_line(LogLevel::warning, m_queue_id, "replay",
             "replayed message: originator=<" + res.originator + "> rcpt=<" +
                 replayed->recipient + "> seq=" + std::to_string(*replayed->sequence_number) +
                 " why=" + log_quote(replayed->replay_note) + " -- " + action);
    switch (cfg.on_replay) {
    case OnReplay::reject:
        abandon();
        return refuse(Outcome::Action::reject, "5.7.1",
                      "message replayed (" + replayed->replay_note + ")");
    case OnReplay::quarantine:
        out.quarantine = "x400sec: message replayed (" + replayed->replay_note + ")";
        break;
    case OnReplay::mark:
        break;
    }
    return out;
}

Outcome Session::receive(std::int64_t now)
{
    const Config& cfg = *m_shared.config;
    std::vector<core::OpenRecipient> local;
    for (const auto& r : m_recipients) {
        if (!is_local(r)) continue;
        core::OpenRecipient orc{r, nullptr};
        auto key = m_shared.keys.key_for(r);
        if (!key) {
            log_line(LogLevel::error, m_queue_id, "open",
                     "key of " + log_quote(r) + ": " + key.error().text());
        } else {
            orc.private_key = *key;
        }
        local.push_back(orc);
    }
    ldap::Directory& dir = *m_shared.directory;
    // A directory outage is logged once per event with its cause; each
    // message's own line then only says "directory unavailable".
    auto lookup = [&dir, this](const std::string& address) -> Result<EvpPkeyPtr> {
        auto cert = dir.certificate_for(address, KeyScope::user_agent);
        if (!cert) {
            if (cert.error().code != Errc::directory_unavailable) return cert.error();
            log_directory_outage(m_queue_id, "originator " + log_quote(address) + ": " +
                                                 cert.error().text());
            return make_error(Errc::directory_unavailable, "directory unavailable");
        }
        note_certificate(m_queue_id, "originator " + log_quote(address), *cert);
        return EvpPkeyPtr(X509_get_pubkey(cert->certificate.get()));
    };
    auto replay = [this, now](const std::string& originator, core::RecipientOutcome& o) {
        check_replay(originator, o, now);
    };
    core::OpenResult res =
        core::open_message(m_message, m_sender, local, lookup, cfg.authserv_id, replay);
    for (const auto& o : res.outcomes) {
        std::string line = "rcpt=" + log_quote(o.recipient) +
                           " token=" + core::verdict_name(o.token) +
                           " cic=" + core::verdict_name(o.cic);
        if (!res.originator.empty()) line += " originator=" + log_quote(res.originator);
        if (res.encrypted) line += o.decrypted && res.restored ? " content=decrypted"
                                                               : " content=encrypted";
        if (o.token == core::Verdict::pass) {
            line += std::string(" replay=") + core::verdict_name(o.replay);
        }
        if (!o.reason.empty()) line += " reason=" + log_quote(o.reason);
        log_line(o.token == core::Verdict::pass && o.cic == core::Verdict::pass
                     ? LogLevel::info
                     : LogLevel::warning,
                 m_queue_id, "open", line);
    }
    if (res.restored) {
        // The digest of what the recipients now get, to compare with the
        // one the originating side logged.
        log_line(LogLevel::info, m_queue_id, "open",
                 "content restored: content=sha256:" + res.content_digest);
    }
    Outcome out;
    out.edits = std::move(res.edits);
    out.new_body = std::move(res.new_body);
    return replay_outcome(res, std::move(out));
}

}  // namespace x400::milter
