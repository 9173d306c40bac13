// ldap_test_env.h - what the live LDAP test programs share: reading the
// environment their shell scripts set, and the text of a failed Result.
// Include after <boost/test/unit_test.hpp>.
#pragma once

#include <cstdlib>
#include <string>

namespace x400::test {

// env returns a variable the test script must set; the test fails without.
inline std::string env(const char* name)
{
    const char* v = std::getenv(name);
    BOOST_REQUIRE_MESSAGE(v != nullptr && *v != '\0', "environment lacks " << name);
    return v;
}

// why is the text of a failed Result, for a message: Boost.Test builds
// messages even when the check passes.
template <class R>
std::string why(const R& r)
{
    return r.ok() ? std::string() : r.error().text();
}

// pki names a file of the test PKI the script generated.
inline std::string pki(const std::string& file)
{
    return env("X400_PKI") + "/" + file;
}

}  // namespace x400::test
