// result.cpp - names of the error classes.
#include "base/result.h"

namespace x400 {

const char* errc_name(Errc code)
{
    switch (code) {
    case Errc::decode: return "malformed";
    case Errc::crypto: return "crypto-error";
    case Errc::verify: return "verify-failed";
    case Errc::untrusted: return "untrusted";
    case Errc::no_certificate: return "no-certificate";
    case Errc::directory_unavailable: return "directory-unavailable";
    case Errc::config: return "config-error";
    case Errc::io: return "io-error";
    case Errc::not_for_us: return "not-for-us";
    case Errc::internal: return "internal-error";
    }
    return "internal-error";
}

}  // namespace x400
