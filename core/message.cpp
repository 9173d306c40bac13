// message.cpp - header field helpers.
#include "core/message.h"
#include "base/text.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace x400::core {

bool iequals(std::string_view a, std::string_view b)
{
    return ascii_iequals(a, b);
}

bool is_trace_field(std::string_view name)
{
    return iequals(name, "Received") || iequals(name, "Return-Path") ||
           iequals(name, "Delivered-To") || iequals(name, "X-Original-To");
}

bool is_own_field(std::string_view name)
{
    return iequals(name, "X400-Message-Token") || iequals(name, "X400-Security-Results") ||
           iequals(name, "X400-Content-Info");
}

namespace {

std::string_view trim(std::string_view s)
{
    const char* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

// strip_comments removes RFC 5322 comments, honouring quoted strings.
std::string strip_comments(std::string_view s)
{
    std::string out;
    int depth = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
            if (depth == 0) {
                out += c;
                out += s[i + 1];
            }
            ++i;
            continue;
        }
        if (!quoted && c == '(') {
            ++depth;
            continue;
        }
        if (!quoted && c == ')' && depth > 0) {
            --depth;
            continue;
        }
        if (depth == 0) {
            if (c == '"') quoted = !quoted;
            out += c;
        }
    }
    return out;
}

}  // namespace

bool is_plain_address(std::string_view a)
{
    if (std::count(a.begin(), a.end(), '@') != 1 || a.front() == '@' || a.back() == '@') {
        return false;
    }
    return std::all_of(a.begin(), a.end(), [](char c) { return is_atext(c); });
}

std::string normalize_address(std::string_view address)
{
    std::string_view a = trim(address);
    if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
    auto at = a.rfind('@');
    if (at == std::string_view::npos) return std::string(a);
    return std::string(a.substr(0, at + 1)) + ascii_lower(a.substr(at + 1));
}

bool same_address(std::string_view a, std::string_view b)
{
    return iequals(normalize_address(a), normalize_address(b));
}

Result<std::string> header_address(std::string_view value)
{
    std::string v = strip_comments(value);
    std::string_view s = trim(v);
    // "Display Name <addr>" form: the angle-addr wins; otherwise the
    // first comma-separated element is a bare addr-spec.
    std::string_view addr;
    bool quoted = false;
    std::size_t lt = std::string_view::npos;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '"') quoted = !quoted;
        if (!quoted && s[i] == '<') {
            lt = i;
            break;
        }
    }
    if (lt != std::string_view::npos) {
        auto gt = s.find('>', lt);
        if (gt == std::string_view::npos)
            return make_error(Errc::decode, "unclosed '<' in address");
        addr = s.substr(lt + 1, gt - lt - 1);
    } else {
        addr = s.substr(0, s.find(','));
    }
    addr = trim(addr);
    if (addr.empty() || addr.find('@') == std::string_view::npos) {
        return make_error(Errc::decode, "no mailbox address in field");
    }
    // Only dot-atom addresses (RFC 5322 section 3.4.1): a quoted local part
    // could carry ';' or '=' into the results field.
    if (!is_plain_address(addr)) {
        return make_error(Errc::decode, "address is not a plain addr-spec");
    }
    return normalize_address(addr);
}

std::string content_digest(const Message& message)
{
    std::string text;
    for (const auto& h : message.headers) {
        if (is_trace_field(h.name) || is_own_field(h.name)) continue;
        text += h.name + ":" + h.value + "\n";
    }
    text += "\n";
    text += message.body;
    // Every line ending, CRLF, CR or LF, becomes LF.
    std::string lf;
    lf.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n') continue;
            lf += '\n';
        } else {
            lf += text[i];
        }
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(lf.data(), lf.size(), md, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

const std::string* find_header(const Message& m, std::string_view name)
{
    for (const auto& h : m.headers) {
        if (iequals(h.name, name)) return &h.value;
    }
    return nullptr;
}

}  // namespace x400::core
