// result.h - errors as values for every x400sec part.
//
// Result<T> holds either a T or an Error, in the shape of C++23's
// std::expected, so that it can be swapped for it later.  Status is
// Result<void>.  Library code (asn1, core, ldap) returns these; only the
// programs (milter, tools) log.  Bugs, not bad input, are what may throw.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace x400 {

// Errc is the short, closed list of failure classes.  The milter's error
// policy maps each class to an action, so add a value only with a policy.
enum class Errc {
    decode,                 // malformed input: DER, base64, MIME, header
    crypto,                 // a cryptographic operation failed to run
    verify,                 // a signature or check did not verify
    untrusted,              // certificate path invalid, expired, revoked
    no_certificate,         // no usable certificate for a name
    directory_unavailable,  // LDAP server down, slow or answering garbage
    config,                 // configuration unusable
    io,                     // file or socket error
    not_for_us,             // well formed, but addressed to someone else
    internal,               // an invariant broke
};

// errc_name returns a stable lower-case name for logs and results headers.
const char* errc_name(Errc code);

inline std::ostream& operator<<(std::ostream& os, Errc code)
{
    return os << errc_name(code);
}

struct Error {
    Errc code = Errc::internal;
    std::string detail;         // what failed, for a human; no secrets
    unsigned long lib_code = 0; // OpenSSL or LDAP code, when there is one

    std::string text() const { return std::string(errc_name(code)) + ": " + detail; }
};

inline Error make_error(Errc code, std::string detail, unsigned long lib_code = 0)
{
    return Error{code, std::move(detail), lib_code};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(m_v); }
    const T& value() const& { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}

    bool ok() const { return m_ok; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return m_error; }

private:
    Error m_error;
    bool m_ok = true;
};

using Status = Result<void>;

// X400_TRY evaluates a Result expression and returns its Error from the
// enclosing function if it failed.
#define X400_TRY(expr)                                  \
    do {                                                \
        auto x400_try_r_ = (expr);                      \
        if (!x400_try_r_.ok()) return x400_try_r_.error(); \
    } while (0)

}  // namespace x400
