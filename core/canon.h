// canon.h - the canonical form of content that the CIC signs.
//
// DESIGN.md section 4.2 asks that the content integrity check survive what
// MTAs may do to a message in transit.  The canonical form, defined once
// here and described in docs/canonical-form.md, is:
//
//   1. The covered header fields, in the order they appear: From, Sender,
//      Reply-To, To, Cc, Subject, Date, Message-ID, In-Reply-To,
//      References, MIME-Version and every Content-* field.  Each is written
//      as its name in lower case, ':', its value unfolded (line breaks
//      removed), runs of white space turned into one space, white space at
//      both ends removed, then CRLF.  Trace fields and x400sec's own fields
//      are never covered, so fields added in transit do not matter.
//   2. One empty line (CRLF).
//   3. The body with every line ending (CRLF, bare LF or bare CR) written as
//      CRLF, white space at the end of each line removed, and empty lines
//      at the end removed.  A non-empty body ends with CRLF.
#pragma once

#include <string>

#include "core/message.h"

namespace x400::core {

// canonical_content returns the canonical form of a message.
std::string canonical_content(const Message& message);

// is_covered_field tells whether canonical_content includes a field.
bool is_covered_field(std::string_view name);

}  // namespace x400::core
