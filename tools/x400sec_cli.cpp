// x400sec_cli.cpp - option parsing and diagnostics shared by x400sec commands.
#include "tools/x400sec_cli.h"

#include <charconv>

namespace x400::tools {

std::string ParsedOptions::get(std::string_view name, std::string_view fallback) const
{
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) {
        return std::string(fallback);
    }
    return it->second.back();
}

std::vector<std::string> ParsedOptions::all(std::string_view name) const
{
    auto it = values.find(name);
    return it == values.end() ? std::vector<std::string>{} : it->second;
}

namespace {

const OptionSpec* find_spec(std::span<const OptionSpec> specs, std::string_view name)
{
    for (const auto& spec : specs) {
        if (spec.name == name) {
            return &spec;
        }
    }
    return nullptr;
}

Error usage_error(std::string_view what, std::string_view why)
{
    return make_error(Errc::config, std::string(what) + ": " + std::string(why));
}

}  // namespace

Result<ParsedOptions> parse_options(const Args& args, std::span<const OptionSpec> specs)
{
    ParsedOptions out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            out.positional.insert(out.positional.end(), args.begin() + i + 1, args.end());
            break;
        }
        if (arg == "-h" || arg == "--help") {
            out.help = true;
            continue;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            out.positional.emplace_back(arg);
            continue;
        }

        // "--name=value" carries its value; otherwise it is the next word.
        std::string_view name = arg;
        std::string_view inline_value;
        bool has_inline = false;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
            has_inline = true;
        }
        const OptionSpec* spec = find_spec(specs, name);
        if (spec == nullptr) {
            return usage_error(name, "unknown option");
        }
        auto& slot = out.values[std::string(name)];
        if (spec->kind == OptKind::flag) {
            if (has_inline) {
                return usage_error(name, "takes no value");
            }
            slot.clear();
            continue;
        }
        if (spec->kind == OptKind::single && !slot.empty()) {
            return usage_error(name, "given more than once");
        }
        if (!has_inline && i + 1 >= args.size()) {
            return usage_error(name, "needs a value");
        }
        slot.emplace_back(has_inline ? inline_value : args[++i]);
    }
    return out;
}

Result<long> parse_count(std::string_view name, std::string_view text, long lo, long hi)
{
    long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
        return usage_error(name, "want a number from " + std::to_string(lo) + " to " +
                                     std::to_string(hi) + ", got '" + std::string(text) + "'");
    }
    return v;
}

void print_error(std::string_view command, const Error& err)
{
    std::fprintf(stderr, "x400sec: %.*s: %s\n", static_cast<int>(command.size()),
                 command.data(), err.detail.c_str());
}

}  // namespace x400::tools
