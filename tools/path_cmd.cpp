// path_cmd.cpp - x400sec path ADDRESS (see path_cmd.h).
#include "tools/path_cmd.h"

#include <csignal>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "core/scope.h"
#include "ldap/directory.h"
#include "tools/cli_directory.h"

namespace x400::tools {

namespace {

constexpr OptionSpec k_specs[] = {
    {"--uri", OptKind::multi},          {"--base", OptKind::single},
    {"--filter", OptKind::single},      {"--anchors", OptKind::single},
    {"--bind-dn", OptKind::single},     {"--password-file", OptKind::single},
    {"--sasl-external", OptKind::flag}, {"--starttls", OptKind::single},
    {"--tls-cacert", OptKind::single},  {"--timeout", OptKind::single},
    {"--scope", OptKind::single},       {"--stale-crl", OptKind::single},
    {"--missing-crl", OptKind::single}, {"--dot", OptKind::single},
};

constexpr char k_usage[] =
    "usage: x400sec path ADDRESS --uri URI [--uri URI...] --base DN --anchors PEM\n"
    "           [--filter '(mail=%s)'] [--scope ua|ms] [--timeout MS]\n"
    "           [--bind-dn DN --password-file FILE | --sasl-external]\n"
    "           [--starttls no|yes|demand] [--tls-cacert PEM]\n"
    "           [--stale-crl POLICY] [--missing-crl POLICY] [--dot FILE|-]\n"
    "Shows the certification path the directory gives ADDRESS: each certificate\n"
    "with the entry it came from, the certificates tried and not used, and why a\n"
    "path was refused.  --dot writes the graph for Graphviz (- for stdout).\n";

// directory_from_options builds the same DirectoryConfig the milter would
// from its keys, without a cache.
Result<ldap::DirectoryConfig> directory_from_options(const ParsedOptions& o)
{
    ldap::DirectoryConfig c;
    c.base = o.get("--base");
    c.user_filter = o.get("--filter", "(mail=%s)");
    c.trust_anchors_file = o.get("--anchors");
    c.cache_ttl_s = 0;
    if (!o.has("--uri") || c.base.empty() || c.trust_anchors_file.empty()) {
        return make_error(Errc::config, "--uri, --base and --anchors are required");
    }
    X400_TRY(apply_connection_options(o, c));
    if (o.has("--stale-crl")) {
        auto p = ldap::stale_crl_policy_from(o.get("--stale-crl"));
        if (!p) {
            return p.error();
        }
        c.stale_crl = *p;
    }
    if (o.has("--missing-crl")) {
        auto p = ldap::missing_crl_policy_from(o.get("--missing-crl"));
        if (!p) {
            return p.error();
        }
        c.missing_crl = *p;
    }
    return c;
}

std::string describe(const ldap::PathStep& s)
{
    std::string line = s.subject;
    if (s.issuer != s.subject) {
        line += " (issued by " + s.issuer + ")";
    }
    line += " serial " + s.serial + " from ";
    line += s.source.empty() ? std::string("(unknown entry)") : s.source;
    return line;
}

// dot_quote makes a Graphviz string: quotes and backslashes escaped,
// line breaks as \n.
std::string dot_quote(const std::string& text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

// write_dot writes the discovery as a digraph: one node per certificate
// considered, an edge from each to the certificate it would certify;
// the valid path's edges bold, refused candidates' dashed with the reason.
void write_dot(std::FILE* out, const std::string& address, const ldap::PathTrace& trace)
{
    std::set<std::pair<int, int>> valid_edges;
    for (const auto& a : trace.attempts) {
        if (a.verdict != "valid") {
            continue;
        }
        for (std::size_t i = 1; i < a.steps.size(); ++i) {
            valid_edges.insert({a.steps[i], a.steps[i - 1]});
        }
    }
    std::fprintf(out, "digraph path {\n  rankdir=BT;\n  label=%s;\n  node [shape=box];\n",
                 dot_quote("certification path for <" + address + ">").c_str());
    for (std::size_t i = 0; i < trace.steps.size(); ++i) {
        const auto& s = trace.steps[i];
        std::fprintf(out, "  s%zu [label=%s];\n", i,
                     dot_quote(s.subject + "\nserial " + s.serial + "\nentry " + s.source)
                         .c_str());
    }
    for (std::size_t i = 0; i < trace.steps.size(); ++i) {
        const auto& s = trace.steps[i];
        if (s.certifies < 0) {
            continue;
        }
        const bool valid = valid_edges.contains({static_cast<int>(i), s.certifies});
        std::string attrs = valid ? "style=bold,color=darkgreen" : "style=dashed,color=gray40";
        if (!valid && !s.note.empty() && s.note != "followed") {
            attrs += ",label=" + dot_quote(s.note);
        }
        std::fprintf(out, "  s%zu -> s%d [%s];\n", i, s.certifies, attrs.c_str());
    }
    std::fprintf(out, "}\n");
}

}  // namespace

int path_main(const Args& args)
{
    auto o = parse_options(args, k_specs);
    if (!o) {
        print_error("path", o.error());
        return k_exit_usage;
    }
    if (o->help) {
        std::fputs(k_usage, stdout);
        return k_exit_ok;
    }
    if (o->positional.size() != 1) {
        std::fputs(k_usage, stderr);
        return k_exit_usage;
    }
    const std::string address = o->positional[0];
    KeyScope scope = KeyScope::user_agent;
    const std::string scope_text = o->get("--scope", "ua");
    if (scope_text == "ms") {
        scope = KeyScope::message_store;
    } else if (scope_text != "ua") {
        print_error("path", make_error(Errc::config, "--scope: want ua or ms"));
        return k_exit_usage;
    }
    auto config = directory_from_options(*o);
    if (!config) {
        print_error("path", config.error());
        return k_exit_usage;
    }
    std::signal(SIGPIPE, SIG_IGN);  // a dropped LDAP session must not kill us
    auto dir = ldap::Directory::open(*config);
    if (!dir) {
        print_error("path", dir.error());
        return k_exit_failure;
    }

    ldap::PathTrace trace;
    auto r = (*dir)->trace_certificate(address, scope, trace);
    std::printf("address: <%s> scope: %s\n", address.c_str(), scope_name(scope));
    for (std::size_t n = 0; n < trace.attempts.size(); ++n) {
        const auto& a = trace.attempts[n];
        std::printf("candidate path %zu: %s\n", n + 1,
                    a.verdict == "valid" ? "valid" : ("refused: " + a.verdict).c_str());
        for (std::size_t i = 0; i < a.steps.size(); ++i) {
            std::printf("  %s %s\n", i == 0 ? "  " : "<-",
                        describe(trace.steps[static_cast<std::size_t>(a.steps[i])]).c_str());
        }
    }
    bool header = false;
    for (const auto& s : trace.steps) {
        if (s.note.empty() || s.note == "followed") {
            continue;
        }
        if (!header) {
            std::printf("not used:\n");
            header = true;
        }
        std::printf("  %s: %s\n", describe(s).c_str(), s.note.c_str());
    }
    if (r) {
        std::printf("result: valid, path of %zu certificates\n", r->path.size());
        for (const auto& w : r->warnings) {
            std::printf("warning: %s\n", w.c_str());
        }
    } else {
        std::printf("result: refused: %s\n", r.error().text().c_str());
    }

    if (o->has("--dot")) {
        const std::string file = o->get("--dot");
        std::FILE* out = file == "-" ? stdout : std::fopen(file.c_str(), "w");
        if (out == nullptr) {
            print_error("path", make_error(Errc::io, "cannot write " + file));
            return k_exit_failure;
        }
        write_dot(out, address, trace);
        if (out != stdout && std::fclose(out) != 0) {
            print_error("path", make_error(Errc::io, "cannot write " + file));
            return k_exit_failure;
        }
    }
    return r ? k_exit_ok : k_exit_failure;
}

}  // namespace x400::tools
