// seal.h - the originator's side: tokens for every recipient, and content
// confidentiality for all of them or none.
//
// seal_message computes the CIC once over the canonical content
// (core/canon.h), encrypts the content once with a fresh AES-256-GCM key
// when asked, and builds one message-token per recipient.  With
// confidentiality, the content entity is the original header section
// (without trace and x400sec fields) and body, byte for byte; the outer
// message keeps its other fields, gets the policy's Subject, and carries
// the ciphertext as one application/x400sec-encrypted entity in base64.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.h"

namespace x400::core {

inline constexpr const char* k_token_field = "X400-Message-Token";
inline constexpr const char* k_results_field = "X400-Security-Results";
inline constexpr const char* k_encrypted_type = "application/x400sec-encrypted";

struct SealRecipient {
    std::string address;
    EVP_PKEY* public_key = nullptr;  // borrowed; may be null without confidentiality
    std::uint64_t sequence_number = 0;
    bool proof_of_delivery = false;
};

struct SealOptions {
    bool confidentiality = false;
    std::string outer_subject = "Encrypted message";
    std::int64_t now = 0;  // token time, seconds since the epoch
};

struct SealResult {
    std::vector<HeaderEdit> edits;
    std::optional<std::string> new_body;  // set when the body is replaced
};

// seal_message fails without changing anything: Errc::no_certificate names
// a recipient that has no public key when confidentiality is on.
Result<SealResult> seal_message(const Message& message, EVP_PKEY* originator_key,
                                const std::vector<SealRecipient>& recipients,
                                const SealOptions& options);

// content_entity returns the entity that confidentiality protects: every
// header field but trace and x400sec fields, "name:value" CRLF, an empty
// line, then the body unchanged.
std::string content_entity(const Message& message);

// parse_content_entity splits an entity back into fields and body.
Result<Message> parse_content_entity(std::string_view entity);

// removal_edits returns edits that remove every field for which pred is
// true, highest occurrence of each name first.
template <class Pred>
std::vector<HeaderEdit> removal_edits(const Message& m, Pred pred);

// is_encrypted tells whether the message carries x400sec-encrypted content.
bool is_encrypted(const Message& message);

}  // namespace x400::core

#include "core/seal_inl.h"
