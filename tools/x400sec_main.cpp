// x400sec_main.cpp - the x400sec command: subcommand dispatch and usage.
//
// Commands form a tree of small tables: a row names a word, a handler that
// gets the remaining words, and a one-line summary for the usage text.  To
// add a command, add a row (and its header); nothing else changes.
#include <cstdio>
#include <span>
#include <string_view>

#include "tools/inspect.h"
#include "tools/path_cmd.h"
#include "tools/pki_create.h"
#include "tools/pki_ldif.h"
#include "tools/publish_cmd.h"
#include "tools/state_cmd.h"
#include "tools/x400sec_cli.h"

namespace x400::tools {

namespace {

struct Command {
    std::string_view name;
    int (*run)(const Args& args);
    std::string_view summary;
};

int run_pki(const Args& args);
int run_state(const Args& args);

// The pki group: a test PKI and its directory entries.
constexpr Command k_pki_commands[] = {
    {"create", pki_create_main, "create CAs, cross-certificates, user and MS keys"},
    {"ldif", pki_ldif_main, "write the PKI as LDIF for an RFC 4523 directory"},
};

// The state group: the milter's sequence numbers and replay windows.
constexpr Command k_state_commands[] = {
    {"list", state_list_main, "one line per (originator, recipient) pair"},
    {"show", state_show_main, "everything stored about one pair"},
    {"export", state_export_main, "all pairs, or one, as JSON lines"},
    {"reset", state_reset_main, "drop a pair's replay window (--reason required)"},
};

// The top level.
constexpr Command k_commands[] = {
    {"inspect", inspect_main, "print the fields of message-tokens"},
    {"path", path_main, "show the certification path the directory gives an address"},
    {"pki", run_pki, "build a test PKI and its LDAP directory entries"},
    {"publish", publish_main, "put certificates, cross pairs and CRLs into a directory entry"},
    {"state", run_state, "sequence numbers and replay windows of the milter"},
};

void usage(std::FILE* out, std::string_view path, std::span<const Command> table)
{
    std::fprintf(out, "usage: x400sec %.*s%sCOMMAND [options]\n\ncommands:\n",
                 static_cast<int>(path.size()), path.data(), path.empty() ? "" : " ");
    for (const auto& cmd : table) {
        std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(cmd.name.size()),
                     cmd.name.data(), static_cast<int>(cmd.summary.size()),
                     cmd.summary.data());
    }
    std::fprintf(out, "\nRun 'x400sec %.*s%sCOMMAND --help' for a command's options.\n",
                 static_cast<int>(path.size()), path.data(), path.empty() ? "" : " ");
}

// dispatch finds args[0] in table and runs it on the words after it.
int dispatch(std::string_view path, std::span<const Command> table, const Args& args)
{
    if (args.empty()) {
        usage(stderr, path, table);
        return k_exit_usage;
    }
    if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        usage(stdout, path, table);
        return k_exit_ok;
    }
    for (const auto& cmd : table) {
        if (cmd.name == args[0]) {
            return cmd.run(Args(args.begin() + 1, args.end()));
        }
    }
    std::string where = path.empty() ? "x400sec" : "x400sec " + std::string(path);
    std::fprintf(stderr, "%s: unknown command '%.*s'\ntry '%s --help'\n", where.c_str(),
                 static_cast<int>(args[0].size()), args[0].data(), where.c_str());
    return k_exit_usage;
}

int run_pki(const Args& args)
{
    return dispatch("pki", k_pki_commands, args);
}

int run_state(const Args& args)
{
    return dispatch("state", k_state_commands, args);
}

}  // namespace

}  // namespace x400::tools

int main(int argc, char** argv)
{
    x400::tools::Args args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return x400::tools::dispatch("", x400::tools::k_commands, args);
}
