// text.h - ASCII text helpers shared by every part.
//
// Mail addresses, header field names and LDAP attribute types compare
// without regard to ASCII case; these helpers say so once.  They never
// depend on the locale: std::tolower would, for bytes above 0x7f.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace x400 {

inline char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// ascii_lower returns s with A-Z turned into a-z.
inline std::string ascii_lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

// ascii_iequals compares two strings ignoring ASCII case.
inline bool ascii_iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

// is_atext tells whether c may stand in a dot-atom address (RFC 5322
// section 3.2.3 atext, plus '.' and '@').
inline bool is_atext(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~.@").find(c) != std::string_view::npos;
}

}  // namespace x400
