// open.cpp - verifying tokens and opening sealed content.
#include "core/open.h"
#include "base/text.h"

#include <map>

#include "core/base64.h"
#include "core/canon.h"
#include "core/crypto.h"
#include "core/seal.h"
#include "core/token.h"

namespace x400::core {

const char* verdict_name(Verdict v)
{
    switch (v) {
        case Verdict::pass:
            return "pass";
        case Verdict::fail:
            return "fail";
        case Verdict::none:
            return "none";
        case Verdict::temperror:
            return "temperror";
    }
    return "fail";
}

namespace {

// quoted caps an untrusted or free-text value and keeps it printable.
std::string quoted(std::string_view s)
{
    std::string out = "\"";
    std::size_t n = 0;
    for (char c : s) {
        if (++n > 200) {
            out += "...";
            break;
        }
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') ? '?' : c;
    }
    return out + "\"";
}

struct FoundTokens {
    std::map<std::string, Bytes> by_recipient;  // normalized address -> DER
    std::map<std::string, std::string> errors;  // normalized address -> why
    std::size_t malformed = 0;
};

FoundTokens collect_tokens(const Message& m)
{
    FoundTokens found;
    for (const auto& h : m.headers) {
        if (!iequals(h.name, k_token_field)) continue;
        auto der = base64_decode(h.value);
        if (!der) {
            ++found.malformed;
            continue;
        }
        auto rcpt = peek_token_recipient(*der);
        if (!rcpt) {
            ++found.malformed;
            continue;
        }
        std::string key = normalize_address(*rcpt);
        if (found.by_recipient.count(key) != 0) {
            found.errors[key] = "more than one token for this recipient";
        }
        found.by_recipient[key] = std::move(*der);
    }
    return found;
}

Verdict verdict_for(const Error& e)
{
    return e.code == Errc::directory_unavailable ? Verdict::temperror : Verdict::fail;
}

// try_decrypt opens the sealed content with the first recipient whose
// verified token and private key yield the content key.
std::optional<Message> try_decrypt(
    const Message& m, std::vector<std::pair<const OpenRecipient*, VerifiedToken>>& verified,
    OpenResult& result)
{
    auto sealed = base64_decode(m.body);
    for (auto& [rcpt, vt] : verified) {
        RecipientOutcome* out = nullptr;
        for (auto& o : result.outcomes) {
            if (o.recipient == vt.recipient) out = &o;
        }
        if (out == nullptr) continue;
        if (rcpt->private_key == nullptr) {
            out->reason = "content encrypted; this message store lacks the recipient's key";
            continue;
        }
        if (!sealed) {
            out->token = Verdict::fail;
            out->reason = "encrypted content is not valid base64";
            continue;
        }
        const auto& sd = *vt.token.data.signed_data;
        if (!sd.content_confidentiality_algorithm) {
            out->token = Verdict::fail;
            out->reason = "content encrypted but the token names no content algorithm";
            continue;
        }
        auto nonce = content_nonce(*sd.content_confidentiality_algorithm);
        auto key = nonce ? open_encrypted_data(vt.token, rcpt->private_key)
                         : Result<SecretBytes>(nonce.error());
        if (!key) {
            out->token = Verdict::fail;
            out->reason = key.error().detail;
            continue;
        }
        auto plain = decrypt_content(std::span(key->data(), key->size()), *nonce, *sealed);
        if (!plain) {
            out->reason = plain.error().detail;
            out->token = Verdict::fail;
            continue;
        }
        auto entity = parse_content_entity(
            std::string_view(reinterpret_cast<const char*>(plain->data()), plain->size()));
        OPENSSL_cleanse(plain->data(), plain->size());
        if (!entity) {
            out->reason = "decrypted content is not a message entity";
            continue;
        }
        return std::move(*entity);
    }
    return std::nullopt;
}

}  // namespace

OpenResult open_message(const Message& message, std::string_view envelope_originator,
                        const std::vector<OpenRecipient>& recipients,
                        const OriginatorKeys& originator_keys, std::string_view authserv_id,
                        const ReplayCheck& replay_check)
{
    OpenResult result;
    result.encrypted = is_encrypted(message);
    result.edits = removal_edits(
        message, [](const HeaderField& h) { return iequals(h.name, k_results_field); });

    FoundTokens found = collect_tokens(message);
    std::optional<Result<EvpPkeyPtr>> originator_key;
    const std::string* from = find_header(message, "From");
    auto originator =
        !envelope_originator.empty() ? Result<std::string>(normalize_address(envelope_originator))
        : from                       ? header_address(*from)
               : Result<std::string>(make_error(Errc::decode, "no sender and no From field"));
    if (originator) result.originator = *originator;

    // Step 1: verify each local recipient's token.
    std::vector<std::pair<const OpenRecipient*, VerifiedToken>> verified;
    for (const auto& r : recipients) {
        RecipientOutcome out;
        out.recipient = normalize_address(r.address);
        auto it = found.by_recipient.find(out.recipient);
        if (it == found.by_recipient.end()) {
            out.reason = found.malformed ? "no valid token for this recipient (malformed tokens)"
                                         : "no token for this recipient";
            out.token = found.malformed ? Verdict::fail : Verdict::none;
        } else if (found.errors.count(out.recipient) != 0) {
            out.token = Verdict::fail;
            out.reason = found.errors[out.recipient];
        } else if (!originator) {
            out.token = Verdict::fail;
            out.reason = "cannot name the originator: " + originator.error().detail;
        } else {
            if (!originator_key) originator_key = originator_keys(*originator);
            if (!*originator_key) {
                out.token = verdict_for(originator_key->error());
                out.reason = "originator certificate: " + originator_key->error().text();
            } else {
                auto vt =
                    verify_message_token(it->second, originator_key->value().get(), out.recipient);
                if (!vt) {
                    out.token = Verdict::fail;
                    out.reason = vt.error().text();
                } else {
                    const auto& sd = *vt->token.data.signed_data;
                    out.token = Verdict::pass;
                    out.sequence_number = sd.message_sequence_number;
                    out.proof_of_delivery = sd.proof_of_delivery_requested;
                    out.token_time = vt->token.data.time;
                    verified.emplace_back(&r, std::move(*vt));
                }
            }
        }
        result.outcomes.push_back(std::move(out));
    }

    // Step 2: the content as the originator wrote it, if we can read it.
    std::optional<Message> original;
    if (result.encrypted) {
        original = try_decrypt(message, verified, result);
    }
    const Message& content = original ? *original : message;
    const bool readable = !result.encrypted || original.has_value();

    // The From field the recipient will read, when it names someone other
    // than the originator whose key signed: said, not judged.
    if (const std::string* hf = find_header(content, "From"); hf && originator) {
        auto fa = header_address(*hf);
        if (!fa || !same_address(*fa, *originator)) {
            result.header_from = fa ? *fa : std::string("unparsable");
        }
    }

    // Step 3: the CIC of every verified token, over the canonical content.
    bool all_cic_pass = true;
    if (readable && !verified.empty()) {
        const std::string canon = canonical_content(content);
        for (auto& [rcpt, vt] : verified) {
            for (auto& o : result.outcomes) {
                if (o.recipient != vt.recipient || o.token != Verdict::pass) continue;
                const auto& cic = vt.token.data.signed_data->content_integrity_check;
                Status s = cic ? verify_cic(originator_key->value().get(), *cic, canon)
                               : Status(make_error(Errc::decode, "token carries no CIC"));
                o.cic = s.ok() ? Verdict::pass : Verdict::fail;
                o.decrypted = original.has_value();
                if (!s.ok()) {
                    all_cic_pass = false;
                    o.reason = "content integrity check: " + s.error().detail;
                }
            }
        }
    }

    // Step 4: replay detection, for tokens that hold, by the caller.
    if (replay_check) {
        for (auto& o : result.outcomes) {
            if (o.token == Verdict::pass && o.cic != Verdict::fail) {
                replay_check(result.originator, o);
            }
        }
    }

    // Step 5: restore the original only when its integrity is established
    // for every local recipient of this transaction.  The MTA keeps one
    // copy for all of them, so one recipient without a valid token of its
    // own would otherwise read what was sealed for the others.
    // TODO(#7): split such a transaction instead, so the others still get
    // their plaintext.
    bool every_recipient_holds = !result.outcomes.empty();
    for (const auto& o : result.outcomes) {
        every_recipient_holds = every_recipient_holds && o.token == Verdict::pass &&
                                o.cic == Verdict::pass && o.decrypted;
    }
    if (original && all_cic_pass && !every_recipient_holds) {
        for (auto& o : result.outcomes) {
            o.decrypted = false;
            if (o.reason.empty()) {
                o.reason =
                    "not decrypted: another recipient of this transaction has no "
                    "valid token or key";
            }
        }
    }
    if (original && all_cic_pass && every_recipient_holds) {
        auto drop = removal_edits(message, [&](const HeaderField& h) {
            if (is_trace_field(h.name) || is_own_field(h.name)) return false;
            if (find_header(*original, h.name) != nullptr) return true;
            return iequals(h.name, "Subject") || iequals(h.name, "MIME-Version") ||
                   (h.name.size() > 8 && iequals(h.name.substr(0, 8), "Content-"));
        });
        result.edits.insert(result.edits.end(), drop.begin(), drop.end());
        // Fields the sender put inside the sealed content that only an MTA
        // or x400sec may write are not restored (a forged results field).
        for (const auto& h : original->headers) {
            if (is_own_field(h.name) || is_trace_field(h.name)) continue;
            result.edits.push_back({HeaderEdit::Kind::append, h.name, 0, h.value});
        }
        result.content_digest = content_digest(*original);
        result.new_body = std::move(original->body);
        result.restored = true;
    }
    for (const auto& o : result.outcomes) {
        result.edits.push_back({HeaderEdit::Kind::append, k_results_field, 0,
                                " " + results_value(authserv_id, result, o)});
    }
    return result;
}

namespace {

// field_address writes an address for the results field; anything that
// could end or fake a property (';', space, quotes) becomes '?'.
std::string field_address(std::string_view a)
{
    std::string out;
    for (char c : a) out += is_atext(c) ? c : '?';
    return out;
}

}  // namespace

std::string results_value(std::string_view authserv_id, const OpenResult& result,
                          const RecipientOutcome& o)
{
    std::string v(authserv_id);
    v += "; rcpt=<" + field_address(o.recipient) + ">";
    v += "; token=";
    v += verdict_name(o.token);
    if (!result.originator.empty()) {
        v += "; originator=<" + field_address(result.originator) + ">";
    }
    if (!result.header_from.empty()) {
        v += "; header-from=<" + field_address(result.header_from) + ">";
    }
    if (o.sequence_number) v += "; seq=" + std::to_string(*o.sequence_number);
    if (o.proof_of_delivery) v += "; pod=requested";
    v += "; cic=";
    v += verdict_name(o.cic);
    if (result.encrypted) {
        v += "; content=";
        v += result.restored && o.decrypted ? "decrypted" : "encrypted";
    }
    if (o.token == Verdict::pass) {
        v += "; replay=";
        v += verdict_name(o.replay);
        if (!o.replay_note.empty()) v += " (" + o.replay_note + ")";
    }
    if (!o.reason.empty()) v += "; reason=" + quoted(o.reason);
    return v;
}

}  // namespace x400::core
