// seal_inl.h - template part of seal.h.
#pragma once

#include <map>

#include "base/text.h"

namespace x400::core {

template <class Pred>
std::vector<HeaderEdit> removal_edits(const Message& m, Pred pred)
{
    // Count occurrences per name (case-insensitively) as the MTA does, and
    // remember which of them to remove.
    std::map<std::string, int> seen;
    std::vector<std::pair<std::string, int>> doomed;
    for (const auto& h : m.headers) {
        int n = ++seen[ascii_lower(h.name)];
        if (pred(h)) doomed.emplace_back(h.name, n);
    }
    std::vector<HeaderEdit> edits;
    for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
        edits.push_back(HeaderEdit{HeaderEdit::Kind::remove, it->first, it->second, {}});
    }
    return edits;
}

}  // namespace x400::core
