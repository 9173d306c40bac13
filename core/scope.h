// scope.h - the "scope of use" of a key (the paper's section 5.2).
//
// A key certified for a user agent may sign message-tokens and initiator
// bind-tokens; a key certified for a message store may sign proofs of
// delivery and responder bind-tokens.  The scope is an X.509 v3 extended
// key usage purpose under the project's arc, 2.25 followed by a UUID
// (ITU-T X.667), which anyone may use without registration.  A CA is
// recognised by basicConstraints.
#pragma once

namespace x400 {

enum class KeyScope {
    user_agent,     // UA: message-tokens, initiator bind-tokens
    message_store,  // MS: proofs of delivery, responder bind-tokens
};

// The project's arc and the two extended key usage purposes under it.
inline constexpr const char* k_oid_arc = "2.25.81980413949618585488992905734276048232";
inline constexpr const char* k_oid_eku_user_agent = "2.25.81980413949618585488992905734276048232.1";
inline constexpr const char* k_oid_eku_message_store =
    "2.25.81980413949618585488992905734276048232.2";

inline const char* scope_eku_oid(KeyScope scope)
{
    return scope == KeyScope::user_agent ? k_oid_eku_user_agent : k_oid_eku_message_store;
}

inline const char* scope_name(KeyScope scope)
{
    return scope == KeyScope::user_agent ? "user-agent" : "message-store";
}

}  // namespace x400
