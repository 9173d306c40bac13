// message.h - the message as the milter sees it, and edits to it.
//
// A Message is the header fields in order and the body, as the MTA handed
// them over: field values exactly as received (with the leading space when
// the MTA keeps it, folds as line breaks followed by white space), the body
// with whatever line endings it has.  core/ never talks to the MTA: it
// returns HeaderEdits that the milter glue applies in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"

namespace x400::core {

struct HeaderField {
    std::string name;
    std::string value;
};

struct Message {
    std::vector<HeaderField> headers;
    std::string body;
};

// HeaderEdit is one change to the header, in the terms of the milter API:
// remove or replace the n-th field of a name (1-based, counted among fields
// of that name as the MTA sees them before any edit), or append a field.
// Edits are listed in the order they must be applied; removals of one name
// come highest occurrence first so the counts stay right.
struct HeaderEdit {
    enum class Kind { remove, replace, append };
    Kind kind;
    std::string name;
    int occurrence = 0;  // remove, replace
    std::string value;   // replace, append; lines joined by "\n" + white space
};

// iequals compares two ASCII strings ignoring case.
bool iequals(std::string_view a, std::string_view b);

// is_trace_field tells whether a field is trace or delivery information an
// MTA adds in transit (Received, Return-Path, Delivered-To,
// X-Original-To): never covered, never hidden, never restored.
bool is_trace_field(std::string_view name);

// is_own_field tells whether a field belongs to x400sec (X400-Message-Token,
// X400-Security-Results, X400-Content-Info).
bool is_own_field(std::string_view name);

// header_address extracts the addr-spec of the first mailbox in a From-like
// field value ("Name <a@b>" or "a@b"), without comments or quotes around
// it, with the domain in lower case.  Fails with Errc::decode if none.
Result<std::string> header_address(std::string_view value);

// is_plain_address tells whether an address is a dot-atom addr-spec: one
// '@', and only letters, digits and RFC 5322 atext specials or dots.
bool is_plain_address(std::string_view address);

// normalize_address lower-cases the domain of an address and strips
// surrounding angle brackets.
std::string normalize_address(std::string_view address);

// same_address compares two addresses as x400sec does: case-insensitively.
bool same_address(std::string_view a, std::string_view b);

// content_digest returns the SHA-256, in hex, of the header fields (but
// trace and x400sec fields) and body with every line ending written as LF:
// what an operator or a test compares to show that the content arrived as
// it left, line endings aside.
std::string content_digest(const Message& message);

// find_header returns the value of the first field of that name, or null.
const std::string* find_header(const Message& m, std::string_view name);

}  // namespace x400::core
