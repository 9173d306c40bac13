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
#include "core/open.h"
#include "ldap/directory.h"
#include "milter/config.h"
#include "store/state_store.h"

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

// Shared holds what every session of one configuration uses.
// The state store (sequence numbers, replay windows) is opened by the
// caller, once per process, after any fork.
struct Shared {
    std::shared_ptr<const Config> config;
    std::unique_ptr<ldap::Directory> directory;
    std::unique_ptr<store::StateStore> state;
    KeyStore keys;

    explicit Shared(std::shared_ptr<const Config> c, std::unique_ptr<ldap::Directory> d,
                    std::unique_ptr<store::StateStore> s)
        : config(std::move(c)), directory(std::move(d)), state(std::move(s)),
          keys(config->key_dir)
    {
    }
};

// open_state opens the store that config names (state_dir, replay_window).
Result<std::unique_ptr<store::StateStore>> open_state(const Config& config);

// Outcome of end of message: edits to apply, or an SMTP reply.
struct Outcome {
    enum class Action { accept, reject, tempfail };
    Action action = Action::accept;
    std::string smtp_code;      // "550"
    std::string status;         // RFC 3463, "5.7.1"
    std::string reply;          // text after the status
    std::vector<core::HeaderEdit> edits;
    std::optional<std::string> new_body;
    std::optional<std::string> quarantine;  // reason, when the MTA is to hold it
};

class Session {
public:
    explicit Session(Shared& shared) : m_shared(shared) {}

    void reset();
    void set_queue_id(std::string id) { m_queue_id = std::move(id); }
    const std::string& queue_id() const { return m_queue_id; }
    void set_sender(std::string_view s) { m_sender = core::normalize_address(s); }
    void set_auth(std::string_view a) { m_auth = a; }
    void add_recipient(std::string_view r) { m_recipients.push_back(core::normalize_address(r)); }
    void add_header(std::string_view name, std::string_view value);
    void add_body(std::string_view chunk) { m_message.body.append(chunk); }

    Outcome end_of_message(std::int64_t now);

    // abandon undoes the replay-window records of the last message, when
    // the MTA did not take it after all.
    void abandon();

private:
    struct Recorded {
        std::string originator;
        std::string recipient;
        std::uint64_t number;
    };

    Outcome originate(std::int64_t now);
    Outcome receive(std::int64_t now);
    void check_replay(const std::string& originator, core::RecipientOutcome& o,
                      std::int64_t now);
    Outcome replay_outcome(const core::OpenResult& res, Outcome out);
    bool is_local(const std::string& address) const;

    Shared& m_shared;
    std::string m_queue_id;
    std::string m_sender;
    std::string m_auth;  // SMTP AUTH identity, {auth_authen}
    std::vector<std::string> m_recipients;
    core::Message m_message;
    std::vector<Recorded> m_recorded;  // window records of this message
};

}  // namespace x400::milter
