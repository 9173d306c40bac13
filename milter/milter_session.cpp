// milter_session.cpp - the originating and receiving roles.
#include "milter/milter_session.h"

#include <sys/stat.h>

#include <chrono>

#include "core/crypto.h"
#include "core/open.h"
#include "core/seal.h"
#include "milter/log.h"

namespace x400::milter {

Result<EVP_PKEY*> KeyStore::key_for(const std::string& address)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_keys.find(address);
    if (it != m_keys.end()) return it->second.get();
    // An address never names a path outside the key directory.
    if (address.empty() || address.find('/') != std::string::npos || address[0] == '.') {
        return static_cast<EVP_PKEY*>(nullptr);
    }
    const std::string path = m_dir + "/" + address + ".key";
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return static_cast<EVP_PKEY*>(nullptr);
    auto key = core::load_private_key(path);
    if (!key) return key.error();
    EVP_PKEY* raw = key->get();
    m_keys.emplace(address, std::move(*key));
    return raw;
}

std::uint64_t SequenceSource::next(const std::string& originator, const std::string& recipient)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    auto [it, fresh] = m_next.try_emplace({originator, recipient}, 0);
    if (fresh) {
        // Microseconds since the epoch: larger than any number this pair
        // could have been given before a restart, at one per microsecond.
        auto now = std::chrono::system_clock::now().time_since_epoch();
        it->second = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now).count());
    }
    return it->second++;
}

void Session::reset()
{
    m_sender.clear();
    m_recipients.clear();
    m_message = {};
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
    return m_shared.config->role == Role::originate ? originate(now) : receive();
}

namespace {

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
            pubkeys.emplace_back(X509_get_pubkey(cert->certificate.get()));
            sr.public_key = pubkeys.back().get();
        } else {
            const Error& e = cert.error();
            log_line(LogLevel::warning, m_queue_id, "seal",
                     "recipient " + log_quote(r) + ": " + e.text());
            if (e.code == Errc::directory_unavailable) {
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
    for (auto& sr : recipients) sr.sequence_number = m_shared.sequences.next(originator, sr.address);

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
             "sealed: originator=<" + originator + "> tokens=" +
                 std::to_string(recipients.size()) +
                 " confidentiality=" + (cfg.confidentiality ? "yes" : "no") +
                 " content=sha256:" + core::content_digest(m_message));
    Outcome o;
    o.edits = std::move(sealed->edits);
    o.new_body = std::move(sealed->new_body);
    return o;
}

Outcome Session::receive()
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
    auto lookup = [&dir](const std::string& address) -> Result<EvpPkeyPtr> {
        auto cert = dir.certificate_for(address, KeyScope::user_agent);
        if (!cert) return cert.error();
        return EvpPkeyPtr(X509_get_pubkey(cert->certificate.get()));
    };
    core::OpenResult res =
        core::open_message(m_message, m_sender, local, lookup, cfg.authserv_id);
    for (const auto& o : res.outcomes) {
        std::string line = "rcpt=<" + o.recipient + "> token=" + core::verdict_name(o.token) +
                           " cic=" + core::verdict_name(o.cic);
        if (!res.originator.empty()) line += " originator=<" + res.originator + ">";
        if (res.encrypted) line += o.decrypted && res.restored ? " content=decrypted"
                                                               : " content=encrypted";
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
    return out;
}

}  // namespace x400::milter
