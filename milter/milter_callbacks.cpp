// milter_callbacks.cpp - libmilter glue: fetch the Session, convert the
// arguments, call one method, map the result to SMFIS_*.
#include "milter/milter_callbacks.h"

#include <libmilter/mfapi.h>
#include <sys/stat.h>

#include <cstring>
#include <ctime>
#include <exception>

#include "milter/log.h"

namespace x400::milter {

namespace {

Shared* g_shared = nullptr;
bool g_leading_space = false;  // SMFIP_HDR_LEADSPC was negotiated

Session* session_of(SMFICTX* ctx)
{
    return static_cast<Session*>(smfi_getpriv(ctx));
}

std::string macro(SMFICTX* ctx, const char* name)
{
    const char* v = smfi_getsymval(ctx, const_cast<char*>(name));
    return v ? v : "";
}

// guarded runs a callback body; no exception may cross into libmilter.
template <class F>
sfsistat guarded(SMFICTX* ctx, const char* where, F body)
{
    try {
        return body();
    } catch (const std::exception& e) {
        Session* s = session_of(ctx);
        log_line(LogLevel::error, s ? s->queue_id() : "", "milter",
                 std::string(where) + ": " + e.what() + " -- temporary failure");
        // The MTA will retry: numbers this message recorded must not make
        // the retry look like a replay.
        if (s != nullptr) s->abandon();
    }
    return SMFIS_TEMPFAIL;
}

// mta_value turns a value as core keeps it (after the colon, CRLF folds)
// into what the MTA expects back.
std::string mta_value(const std::string& v)
{
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n') continue;
        out += v[i];
    }
    if (!g_leading_space && !out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
}

sfsistat on_negotiate(SMFICTX*, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                      unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                      unsigned long* pf3)
{
    *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE);
    // Values with their leading white space make the restored header
    // byte-identical to the original.
    g_leading_space = (f1 & SMFIP_HDR_LEADSPC) != 0;
    *pf1 = f1 & SMFIP_HDR_LEADSPC;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

sfsistat on_connect(SMFICTX* ctx, char*, _SOCK_ADDR*)
{
    return guarded(ctx, "connect", [&] {
        smfi_setpriv(ctx, new Session(*g_shared));
        return SMFIS_CONTINUE;
    });
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv)
{
    return guarded(ctx, "mail", [&] {
        Session* s = session_of(ctx);
        if (s == nullptr) return SMFIS_TEMPFAIL;
        s->reset();
        s->set_queue_id(macro(ctx, "i"));
        s->set_sender(argv[0] ? argv[0] : "");
        s->set_auth(macro(ctx, "{auth_authen}"));
        return SMFIS_CONTINUE;
    });
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv)
{
    return guarded(ctx, "rcpt", [&] {
        session_of(ctx)->add_recipient(argv[0] ? argv[0] : "");
        return SMFIS_CONTINUE;
    });
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value)
{
    return guarded(ctx, "header", [&] {
        std::string v = value ? value : "";
        if (!g_leading_space) v.insert(0, 1, ' ');
        session_of(ctx)->add_header(name ? name : "", v);
        return SMFIS_CONTINUE;
    });
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t len)
{
    return guarded(ctx, "body", [&] {
        // TODO(#7): the body is held in memory; issue 7 spools large ones.
        session_of(ctx)->add_body(std::string_view(reinterpret_cast<char*>(chunk), len));
        return SMFIS_CONTINUE;
    });
}

// apply carries out the edits and the new body through libmilter.
bool apply(SMFICTX* ctx, const Outcome& o)
{
    for (const auto& e : o.edits) {
        std::string value = mta_value(e.value);
        char* name = const_cast<char*>(e.name.c_str());
        int rc = MI_FAILURE;
        switch (e.kind) {
        case core::HeaderEdit::Kind::remove:
            rc = smfi_chgheader(ctx, name, e.occurrence, nullptr);
            break;
        case core::HeaderEdit::Kind::replace:
            rc = smfi_chgheader(ctx, name, e.occurrence, value.data());
            break;
        case core::HeaderEdit::Kind::append:
            rc = smfi_addheader(ctx, name, value.data());
            break;
        }
        if (rc != MI_SUCCESS) return false;
    }
    if (o.new_body) {
        const std::string& b = *o.new_body;
        constexpr std::size_t k_chunk = 65535;
        for (std::size_t i = 0; i < b.size() || i == 0; i += k_chunk) {
            std::size_t n = std::min(k_chunk, b.size() - i);
            auto* p = reinterpret_cast<unsigned char*>(const_cast<char*>(b.data() + i));
            if (smfi_replacebody(ctx, p, static_cast<int>(n)) != MI_SUCCESS) return false;
            if (b.empty()) break;
        }
    }
    return true;
}

sfsistat on_eom(SMFICTX* ctx)
{
    return guarded(ctx, "end of message", [&] {
        Session* s = session_of(ctx);
        // Postfix may send the queue ID only now.
        if (s->queue_id().empty()) s->set_queue_id(macro(ctx, "i"));
        Outcome o = s->end_of_message(static_cast<std::int64_t>(std::time(nullptr)));
        if (o.action != Outcome::Action::accept) {
            // libmilter reads the reply as a format: '%' must be doubled,
            // and a line break would end the reply early.
            std::string text;
            for (char c : o.reply) {
                if (c == '%') text += "%%";
                else if (c == '\r' || c == '\n') text += ' ';
                else text += c;
            }
            if (smfi_setreply(ctx, o.smtp_code.data(), o.status.data(), text.data()) !=
                MI_SUCCESS) {
                log_line(LogLevel::warning, s->queue_id(), "milter",
                         "the MTA refused our reply text -- it sends its own");
            }
            log_line(LogLevel::info, s->queue_id(), "milter",
                     (o.action == Outcome::Action::reject ? "reject: " : "tempfail: ") +
                         o.status + " " + o.reply);
            return o.action == Outcome::Action::reject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
        }
        if (!apply(ctx, o)) {
            log_line(LogLevel::error, s->queue_id(), "milter",
                     "the MTA refused a header or body change -- temporary failure");
            s->abandon();
            return SMFIS_TEMPFAIL;
        }
        if (o.quarantine && smfi_quarantine(ctx, o.quarantine->data()) != MI_SUCCESS) {
            log_line(LogLevel::error, s->queue_id(), "milter",
                     "the MTA refused to quarantine -- temporary failure");
            s->abandon();
            return SMFIS_TEMPFAIL;
        }
        return SMFIS_CONTINUE;
    });
}

sfsistat on_abort(SMFICTX* ctx)
{
    if (Session* s = session_of(ctx)) s->reset();
    return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx)
{
    delete session_of(ctx);
    smfi_setpriv(ctx, nullptr);
    return SMFIS_CONTINUE;
}

}  // namespace

int run_milter(Shared& shared)
{
    g_shared = &shared;
    const Config& cfg = *shared.config;
    smfiDesc desc{};
    desc.xxfi_name = const_cast<char*>("x400sec");
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE;
    desc.xxfi_connect = on_connect;
    desc.xxfi_envfrom = on_envfrom;
    desc.xxfi_envrcpt = on_envrcpt;
    desc.xxfi_header = on_header;
    desc.xxfi_body = on_body;
    desc.xxfi_eom = on_eom;
    desc.xxfi_abort = on_abort;
    desc.xxfi_close = on_close;
    desc.xxfi_negotiate = on_negotiate;

    if (smfi_register(desc) != MI_SUCCESS) {
        log_line(LogLevel::error, "", "milter", "smfi_register failed");
        return 1;
    }
    std::string conn = cfg.socket;
    if (smfi_setconn(conn.data()) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
        log_line(LogLevel::error, "", "milter", "cannot open socket " + log_quote(conn));
        return 1;
    }
    for (const char* prefix : {"unix:", "local:"}) {
        if (conn.rfind(prefix, 0) == 0) {
            std::string path = conn.substr(std::strlen(prefix));
            if (chmod(path.c_str(), static_cast<mode_t>(cfg.socket_mode)) != 0) {
                log_line(LogLevel::warning, "", "milter", "cannot chmod socket " +
                                                              log_quote(path));
            }
        }
    }
    log_line(LogLevel::info, "", "milter",
             std::string("started: role=") +
                 (cfg.role == Role::originate ? "originate" : "receive") + " socket=" + conn);
    int rc = smfi_main();
    log_line(LogLevel::info, "", "milter", "stopped");
    return rc == MI_SUCCESS ? 0 : 1;
}

}  // namespace x400::milter
