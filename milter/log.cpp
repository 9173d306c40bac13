// log.cpp - syslog or stderr, one line per event.
#include "milter/log.h"

#include <syslog.h>

#include <cstdio>
#include <mutex>

namespace x400::milter {

namespace {

bool g_stderr = false;
int g_verbosity = 1;
std::mutex g_mutex;

int priority(LogLevel level)
{
    switch (level) {
    case LogLevel::error: return LOG_ERR;
    case LogLevel::warning: return LOG_WARNING;
    case LogLevel::detail: return LOG_INFO;
    case LogLevel::debug: return LOG_DEBUG;
    }
    return LOG_INFO;
}

}  // namespace

void log_open(const char* ident, bool to_stderr, int verbosity)
{
    g_stderr = to_stderr;
    g_verbosity = verbosity;
    if (!to_stderr) openlog(ident, LOG_PID, LOG_MAIL);
}

void log_line(LogLevel level, std::string_view queue_id, std::string_view part,
              std::string_view text)
{
    if (static_cast<int>(level) > g_verbosity) return;
    std::string line(queue_id.empty() ? "NOQUEUE" : queue_id);
    line += ": ";
    line += part;
    line += ": ";
    line += text;
    if (g_stderr) {
        std::lock_guard<std::mutex> lock(g_mutex);
        std::fprintf(stderr, "x400sec-milter: %s\n", line.c_str());
        std::fflush(stderr);
    } else {
        syslog(priority(level), "%s", line.c_str());
    }
}

std::string log_quote(std::string_view value)
{
    std::string out = "\"";
    std::size_t n = 0;
    for (char c : value) {
        if (++n > 100) {
            out += "...";
            break;
        }
        unsigned char u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace x400::milter
