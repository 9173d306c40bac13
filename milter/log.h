// log.h - the one way x400sec programs write log lines.
//
// Every line has the shape "<queue-id>: <part>: <what happened>", with
// NOQUEUE before a queue ID exists.  Lines go to syslog (facility mail) or,
// in the foreground, to standard error.  Untrusted values go through
// log_quote, which caps and escapes them.  Never log key material or
// decrypted content.
#pragma once

#include <string>
#include <string_view>

namespace x400::milter {

enum class LogLevel { error = 0, warning = 1, info = 1, detail = 2, debug = 3 };

void log_open(const char* ident, bool to_stderr, int verbosity);
void log_line(LogLevel level, std::string_view queue_id, std::string_view part,
              std::string_view text);

// log_quote returns a value in double quotes, cut at 100 bytes, with
// control and non-ASCII bytes written as \xHH.
std::string log_quote(std::string_view value);

}  // namespace x400::milter
