// x400sec_cli.h - option parsing and diagnostics shared by x400sec commands.
//
// Every subcommand gets the words after its own name, parses them against a
// small table of OptionSpec rows, and reports trouble in one shape:
//     x400sec: <command>: <what>: <why>
// Exit status: 0 success, 1 the work failed, 2 the command line was wrong.
// Options are long ("--dir DIR" or "--dir=DIR"); "-h"/"--help" is always
// recognised; "--" ends the options.
#pragma once

#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace x400::tools {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;

using Args = std::vector<std::string_view>;

enum class OptKind {
    flag,    // present or not
    single,  // takes one value; given twice is an error
    multi,   // takes a value; may repeat
};

struct OptionSpec {
    std::string_view name;  // with its dashes: "--dir", "-o"
    OptKind kind;
};

struct ParsedOptions {
    std::map<std::string, std::vector<std::string>, std::less<>> values;
    std::vector<std::string> positional;
    bool help = false;

    bool has(std::string_view name) const { return values.contains(name); }

    // get returns the option's value, or fallback when it was not given.
    std::string get(std::string_view name, std::string_view fallback = {}) const;

    // all returns every value of a repeatable option, in command-line order.
    std::vector<std::string> all(std::string_view name) const;
};

// parse_options matches args against specs.  Fails (Errc::config) on an
// unknown option, a missing value, or a single option given twice.
Result<ParsedOptions> parse_options(const Args& args, std::span<const OptionSpec> specs);

// parse_count reads a decimal integer in [lo, hi] given for option name.
Result<long> parse_count(std::string_view name, std::string_view text, long lo, long hi);

// print_error writes "x400sec: <command>: <detail>" to stderr.
void print_error(std::string_view command, const Error& err);

}  // namespace x400::tools
