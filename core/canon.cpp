// canon.cpp - the canonical content form (see canon.h).
#include "core/canon.h"
#include "base/text.h"

#include <cctype>

namespace x400::core {

namespace {

bool is_wsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// relaxed_value unfolds a field value and compresses its white space.
std::string relaxed_value(std::string_view v)
{
    std::string out;
    bool pending_space = false;
    for (char c : v) {
        if (is_wsp(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

}  // namespace

bool is_covered_field(std::string_view name)
{
    static const char* const k_covered[] = {
        "From", "Sender",     "Reply-To",    "To",         "Cc",           "Subject",
        "Date", "Message-ID", "In-Reply-To", "References", "MIME-Version",
    };
    for (const char* c : k_covered) {
        if (iequals(name, c)) return true;
    }
    return name.size() > 8 && iequals(name.substr(0, 8), "Content-");
}

std::string canonical_content(const Message& message)
{
    std::string out;
    out.reserve(message.body.size() + 1024);

    // Step 1: the covered fields.
    for (const auto& h : message.headers) {
        if (!is_covered_field(h.name)) continue;
        out += ascii_lower(h.name);
        out += ':';
        out += relaxed_value(h.value);
        out += "\r\n";
    }
    out += "\r\n";

    // Step 3: the body, line by line.  Empty lines are held back until a
    // non-empty line follows, so trailing ones vanish.
    const std::string& b = message.body;
    std::size_t pending_empty = 0;
    std::size_t i = 0;
    while (i < b.size()) {
        std::size_t e = i;
        while (e < b.size() && b[e] != '\r' && b[e] != '\n') ++e;
        std::size_t end = e;
        while (end > i && (b[end - 1] == ' ' || b[end - 1] == '\t')) --end;
        if (end == i) {
            ++pending_empty;
        } else {
            for (; pending_empty > 0; --pending_empty) out += "\r\n";
            out.append(b, i, end - i);
            out += "\r\n";
        }
        if (e < b.size() && b[e] == '\r' && e + 1 < b.size() && b[e + 1] == '\n') ++e;
        i = e + 1;
    }
    return out;
}

}  // namespace x400::core
