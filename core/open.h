// open.h - the recipient's side: find, verify and decrypt.
//
// open_message handles one message for the local recipients of this
// message store.  For each, it finds the token whose recipient-name is that
// recipient, verifies it under the originator's certificate (the From
// address, looked up through the caller's OriginatorKeys), decrypts the
// content when it holds that recipient's private key, and checks the CIC
// over the canonical content.  It returns one outcome per recipient and the
// edits that restore the original message, when it was decrypted and its
// CIC verified.  Incoming X400-Security-Results fields are always removed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/message.h"

namespace x400::core {

struct OpenRecipient {
    std::string address;
    EVP_PKEY* private_key = nullptr;  // borrowed; null when we do not hold it
};

// OriginatorKeys returns the validated public key for an originator's
// address, or an Error (directory_unavailable, no_certificate, untrusted).
using OriginatorKeys = std::function<Result<EvpPkeyPtr>(const std::string& address)>;

// Verdict of one check, as the results field spells it.
enum class Verdict { pass, fail, none, temperror };

const char* verdict_name(Verdict v);

inline std::ostream& operator<<(std::ostream& os, Verdict v)
{
    return os << verdict_name(v);
}

struct RecipientOutcome {
    std::string recipient;
    Verdict token = Verdict::none;
    std::string reason;  // why, when not pass; no secrets
    std::optional<std::uint64_t> sequence_number;
    bool proof_of_delivery = false;
    std::int64_t token_time = 0;
    Verdict cic = Verdict::none;  // none: not checked (content unreadable)
    bool decrypted = false;
    Verdict replay = Verdict::none;  // set by the caller's ReplayCheck
    std::string replay_note;         // "seen before", "token too old", ...
};

struct OpenResult {
    std::string originator;   // whose key the tokens must verify under
    std::string header_from;  // the From address, when it is not the originator
    bool encrypted = false;
    bool restored = false;       // the original content replaced the sealed one
    std::string content_digest;  // content_digest() of it, when restored
    std::vector<RecipientOutcome> outcomes;
    std::vector<HeaderEdit> edits;
    std::optional<std::string> new_body;
};

// ReplayCheck is the caller's replay detection (core keeps no state): it
// is called once per outcome whose token passed and whose CIC did not
// fail, with the originator, and sets replay and replay_note.
using ReplayCheck = std::function<void(const std::string& originator, RecipientOutcome& o)>;

// open_message never fails as a whole: every problem becomes an outcome.
// The originator is the envelope sender (X.411's originator-name is an
// envelope field, which RFC 2156 maps to SMTP MAIL FROM); when that is
// empty, as for a null sender, the From field's address.
OpenResult open_message(const Message& message, std::string_view originator,
                        const std::vector<OpenRecipient>& recipients,
                        const OriginatorKeys& originator_keys, std::string_view authserv_id,
                        const ReplayCheck& replay_check = {});

// results_value formats one outcome as the value of X400-Security-Results.
std::string results_value(std::string_view authserv_id, const OpenResult& result,
                          const RecipientOutcome& outcome);

}  // namespace x400::core
