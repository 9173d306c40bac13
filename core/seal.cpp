// seal.cpp - sealing a message for its recipients.
#include "core/seal.h"

#include "core/base64.h"
#include "core/canon.h"
#include "core/crypto.h"
#include "core/token.h"

namespace x400::core {

namespace {

bool is_content_field(std::string_view name)
{
    return name.size() > 8 && iequals(name.substr(0, 8), "Content-");
}

// crlf_value writes a field value with CRLF before each continuation line.
void append_crlf(std::string& out, std::string_view v)
{
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r')) out += '\r';
        out += v[i];
    }
}

// token_field_value folds a token's base64 at 78 columns: the field name
// and ": " take 20 on the first line.
std::string token_field_value(const Bytes& der)
{
    return " " + fold_base64(base64_encode(der), 58, 76, "\n ");
}

}  // namespace

std::string content_entity(const Message& message)
{
    std::string out;
    out.reserve(message.body.size() + 2048);
    for (const auto& h : message.headers) {
        if (is_trace_field(h.name) || is_own_field(h.name)) continue;
        out += h.name;
        out += ':';
        append_crlf(out, h.value);
        out += "\r\n";
    }
    out += "\r\n";
    out += message.body;
    return out;
}

Result<Message> parse_content_entity(std::string_view entity)
{
    Message m;
    std::size_t i = 0;
    while (true) {
        std::size_t eol = entity.find("\r\n", i);
        if (eol == std::string_view::npos) {
            return make_error(Errc::decode, "content entity has no end of header");
        }
        if (eol == i) {
            i += 2;
            break;
        }
        std::string_view line = entity.substr(i, eol - i);
        if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
            return make_error(Errc::decode, "content entity has a bare CR, LF or NUL in a field");
        }
        if (line[0] == ' ' || line[0] == '\t') {
            if (m.headers.empty()) return make_error(Errc::decode, "continuation without field");
            m.headers.back().value += "\r\n";
            m.headers.back().value += line;
        } else {
            auto colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0) {
                return make_error(Errc::decode, "content entity has a line that is no field");
            }
            // RFC 5322 section 3.6.8: a field name is printable ASCII
            // without ':' or space.
            for (char c : line.substr(0, colon)) {
                if (c < 33 || c > 126) {
                    return make_error(Errc::decode, "content entity has an invalid field name");
                }
            }
            m.headers.push_back(
                {std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
        }
        i = eol + 2;
    }
    m.body = std::string(entity.substr(i));
    return m;
}

bool is_encrypted(const Message& message)
{
    const std::string* ct = find_header(message, "Content-Type");
    if (ct == nullptr) return false;
    std::string_view v = *ct;
    auto b = v.find_first_not_of(" \t");
    if (b == std::string_view::npos) return false;
    v = v.substr(b);
    std::string_view t = k_encrypted_type;
    return v.size() >= t.size() && iequals(v.substr(0, t.size()), t) &&
           (v.size() == t.size() || v[t.size()] == ';' || v[t.size()] == ' ' ||
            v[t.size()] == '\r' || v[t.size()] == '\n');
}

Result<SealResult> seal_message(const Message& message, EVP_PKEY* originator_key,
                                const std::vector<SealRecipient>& recipients,
                                const SealOptions& options)
{
    // All recipients or none: check every key before any work is done.
    if (options.confidentiality) {
        for (const auto& r : recipients) {
            if (r.public_key == nullptr) {
                return make_error(Errc::no_certificate,
                                  "no usable certificate for recipient " + r.address);
            }
        }
    }

    // The CIC is computed once, over the canonical form of the content as
    // the originator wrote it, and placed in every token.
    auto cic = compute_cic(originator_key, canonical_content(message));
    if (!cic) return cic.error();

    SealResult result;
    // Fields claiming to be ours that came from outside are dropped first.
    result.edits =
        removal_edits(message, [](const HeaderField& h) { return is_own_field(h.name); });

    std::optional<ContentKey> ck;
    std::optional<asn1::AlgorithmId> content_alg;
    if (options.confidentiality) {
        auto k = new_content_key();
        if (!k) return k.error();
        ck = std::move(*k);
        auto alg = content_algorithm(*ck);
        if (!alg) return alg.error();
        content_alg = *alg;
        auto sealed = encrypt_content(*ck, as_bytes(content_entity(message)));
        if (!sealed) return sealed.error();
        result.new_body = fold_base64(base64_encode(*sealed), 76, 76, "\r\n") + "\r\n";

        // The outer header: Content-* fields hidden, Subject replaced,
        // a MIME entity of our type.
        auto hide = removal_edits(message, [](const HeaderField& h) {
            return is_content_field(h.name) || iequals(h.name, "Subject");
        });
        result.edits.insert(result.edits.end(), hide.begin(), hide.end());
        if (find_header(message, "MIME-Version") == nullptr) {
            result.edits.push_back({HeaderEdit::Kind::append, "MIME-Version", 0, " 1.0"});
        }
        result.edits.push_back(
            {HeaderEdit::Kind::append, "Subject", 0, " " + options.outer_subject});
        result.edits.push_back(
            {HeaderEdit::Kind::append, "Content-Type", 0, std::string(" ") + k_encrypted_type});
        result.edits.push_back(
            {HeaderEdit::Kind::append, "Content-Transfer-Encoding", 0, " base64"});
    }

    for (const auto& r : recipients) {
        TokenRequest req;
        req.recipient = r.address;
        req.time = options.now;
        req.content_algorithm = content_alg;
        req.cic = *cic;
        req.proof_of_delivery = r.proof_of_delivery;
        req.sequence_number = r.sequence_number;
        if (ck) {
            req.content_key = &ck->key;
            req.recipient_key = r.public_key;
        }
        auto der = build_message_token(originator_key, req);
        if (!der) return der.error();
        result.edits.push_back(
            {HeaderEdit::Kind::append, k_token_field, 0, token_field_value(*der)});
    }
    return result;
}

}  // namespace x400::core
