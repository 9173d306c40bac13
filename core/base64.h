// base64.h - RFC 4648 base64 for header fields and MIME bodies.
#pragma once

#include <string>
#include <string_view>

#include "base/ossl.h"
#include "base/result.h"

namespace x400::core {

// base64_encode returns base64 text with no line breaks.
std::string base64_encode(const std::uint8_t* data, std::size_t len);

inline std::string base64_encode(const Bytes& b)
{
    return base64_encode(b.data(), b.size());
}

// base64_decode accepts base64 with white space (folds, line breaks)
// anywhere and padding only at the end; anything else is Errc::decode.
Result<Bytes> base64_decode(std::string_view text);

// fold_base64 splits base64 text into lines for a header field or a body:
// the first line holds first_width characters, later ones width, joined by
// sep (for example "\n " inside a header field, "\r\n" in a body).
std::string fold_base64(std::string_view text, std::size_t first_width, std::size_t width,
                        std::string_view sep);

}  // namespace x400::core
