// base64.cpp - base64 on OpenSSL's EVP_EncodeBlock, with a strict decoder.
#include "core/base64.h"

#include <openssl/evp.h>

namespace x400::core {

std::string base64_encode(const std::uint8_t* data, std::size_t len)
{
    std::string out(4 * ((len + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

Result<Bytes> base64_decode(std::string_view text)
{
    // Collect the significant characters first; EVP_DecodeBlock alone
    // would accept stray characters and lose track of padding.
    std::string clean;
    clean.reserve(text.size());
    std::size_t pad = 0;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (c == '=') {
            ++pad;
        } else if (!alnum || pad > 0) {
            return make_error(Errc::decode, "invalid base64 text");
        }
        clean += c;
    }
    if (clean.size() % 4 != 0 || pad > 2) {
        return make_error(Errc::decode, "base64 text has a wrong length or padding");
    }
    Bytes out(clean.size() / 4 * 3);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                            static_cast<int>(clean.size()));
    if (n < 0) return make_error(Errc::decode, "invalid base64 text");
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::string fold_base64(std::string_view text, std::size_t first_width, std::size_t width,
                        std::string_view sep)
{
    std::string out;
    out.reserve(text.size() + text.size() / width * sep.size() + sep.size());
    std::size_t take = first_width;
    std::size_t i = 0;
    while (i < text.size()) {
        if (i > 0) out += sep;
        out.append(text.substr(i, take));
        i += take;
        take = width;
    }
    return out;
}

}  // namespace x400::core
