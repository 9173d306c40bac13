// milter_session.h - what the milter does with one message, without
// libmilter.
//
// A Session collects one message (envelope, header fields, body) and, at
// end of message, runs the configured role through core/: sealing for an
// originating domain, verifying and opening for a receiving one.  The
// libmilter glue (milter_callbacks.cpp) only feeds it and applies the
// Outcome, so tests can drive it directly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/message.h"
#include "ldap/directory.h"
#include "milter/config.h"

namespace x400::milter {

// KeyStore holds the private keys of the key directory, parsed once.
class KeyStore {
public:
    explicit KeyStore(std::string dir) : m_dir(std::move(dir)) {}
    // key_for returns the key of an address, or null if there is none;
    // an unreadable or unsafe key file is an Error.
    Result<EVP_PKEY*> key_for(const std::string& address);

private:
    std::string m_dir;
    std::mutex m_mutex;
    std::map<std::string, EvpPkeyPtr> m_keys;
};

// SequenceSource hands out message sequence numbers per (originator,
// recipient) pair.
// TODO(#4): numbers live in memory, seeded from the clock at start so that
// a restart does not reuse them; issue 4 moves them to a durable LMDB store
// with commit-before-use.
class SequenceSource {
public:
    std::uint64_t next(const std::string& originator, const std::string& recipient);

private:
    std::mutex m_mutex;
    std::map<std::pair<std::string, std::string>, std::uint64_t> m_next;
};

// Shared holds what every session of one configuration uses.
struct Shared {
    std::shared_ptr<const Config> config;
    std::unique_ptr<ldap::Directory> directory;
    KeyStore keys;
    SequenceSource sequences;

    explicit Shared(std::shared_ptr<const Config> c, std::unique_ptr<ldap::Directory> d)
        : config(std::move(c)), directory(std::move(d)), keys(config->key_dir) {}
};

// Outcome of end of message: edits to apply, or an SMTP reply.
struct Outcome {
    enum class Action { accept, reject, tempfail };
    Action action = Action::accept;
    std::string smtp_code;      // "550"
    std::string status;         // RFC 3463, "5.7.1"
    std::string reply;          // text after the status
    std::vector<core::HeaderEdit> edits;
    std::optional<std::string> new_body;
};

class Session {
public:
    explicit Session(Shared& shared) : m_shared(shared) {}

    void reset();
    void set_queue_id(std::string id) { m_queue_id = std::move(id); }
    const std::string& queue_id() const { return m_queue_id; }
    void set_sender(std::string_view s) { m_sender = core::normalize_address(s); }
    void add_recipient(std::string_view r) { m_recipients.push_back(core::normalize_address(r)); }
    void add_header(std::string_view name, std::string_view value);
    void add_body(std::string_view chunk) { m_message.body.append(chunk); }

    Outcome end_of_message(std::int64_t now);

private:
    Outcome originate(std::int64_t now);
    Outcome receive();
    bool is_local(const std::string& address) const;

    Shared& m_shared;
    std::string m_queue_id;
    std::string m_sender;
    std::vector<std::string> m_recipients;
    core::Message m_message;
};

}  // namespace x400::milter
