// inspect.cpp - decode message-tokens and print their fields.
//
// The input is recognised by its shape: DER starts with a SEQUENCE tag
// (0x30); a message has X400-Message-Token header fields; anything else is
// taken as base64 text of one token.  Nothing is verified here: inspect
// shows what a token says, not whether it is true.
#include "tools/inspect.h"

#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "asn1/x411.h"
#include "core/base64.h"
#include "core/message.h"
#include "core/seal.h"

namespace x400::tools {

namespace {

constexpr OptionSpec k_specs[] = {{"--der", OptKind::flag}};

const char* algorithm_name(const std::string& oid)
{
    static const std::pair<const char*, const char*> k_names[] = {
        {"1.2.840.113549.1.1.10", "RSASSA-PSS"},
        {"1.2.840.113549.1.1.7", "RSAES-OAEP"},
        {"1.2.840.113549.1.1.11", "sha256WithRSAEncryption"},
        {"2.16.840.1.101.3.4.1.46", "aes256-GCM"},
        {"1.3.101.112", "Ed25519"},
    };
    for (const auto& [o, n] : k_names) {
        if (oid == o) return n;
    }
    return "unknown";
}

std::string algorithm_text(const asn1::AlgorithmId& alg)
{
    auto oid = asn1::algorithm_oid(alg);
    if (!oid) return "(undecodable)";
    return *oid + " (" + algorithm_name(*oid) + ")";
}

std::string time_text(std::int64_t t)
{
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string or_name_text(const asn1::ORName& n)
{
    std::string out;
    auto add = [&out](const char* key, const std::string& v) {
        if (!v.empty()) out += std::string(out.empty() ? "" : "; ") + key + "=" + v;
    };
    add("C", n.country);
    add("ADMD", n.admd);
    add("PRMD", n.prmd);
    add("O", n.organization);
    for (const auto& ou : n.org_units) add("OU", ou);
    add("G", n.given_name);
    add("S", n.surname);
    add("RFC-822", asn1::rfc822_to_printable(n.rfc822));
    if (!n.rfc822.empty()) out += "  (" + n.rfc822 + ")";
    return out;
}

void print_token(std::ostream& out, int index, const Bytes& der)
{
    out << "token " << index << " (" << der.size() << " bytes DER)\n";
    auto t = asn1::decode_message_token(der);
    if (!t) {
        out << "  malformed: " << t.error().detail << "\n";
        return;
    }
    const auto& d = t->data;
    out << "  token-type-identifier      " << asn1::k_id_tok_asymmetric_token
        << " (asymmetric-token)\n";
    out << "  signature-algorithm        " << algorithm_text(d.signature_algorithm) << "\n";
    out << "  recipient-name             " << or_name_text(d.recipient_name) << "\n";
    out << "  time                       " << time_text(d.time) << "\n";
    if (d.signed_data) {
        const auto& s = *d.signed_data;
        out << "  signed-data\n";
        if (s.content_confidentiality_algorithm) {
            out << "    content-confidentiality-algorithm  "
                << algorithm_text(*s.content_confidentiality_algorithm) << "\n";
        }
        if (s.content_integrity_check) {
            out << "    content-integrity-check            "
                << algorithm_text(s.content_integrity_check->algorithm) << ", "
                << s.content_integrity_check->bits.size() << " bytes\n";
        }
        out << "    proof-of-delivery-request          "
            << (s.proof_of_delivery_requested ? "requested" : "not requested") << "\n";
        if (s.message_sequence_number) {
            out << "    message-sequence-number            " << *s.message_sequence_number
                << "\n";
        }
    }
    if (d.encryption_algorithm) {
        out << "  encryption-algorithm       " << algorithm_text(*d.encryption_algorithm) << "\n";
    }
    if (d.encrypted_data) {
        out << "  encrypted-data             " << d.encrypted_data->size()
            << " bytes, readable by the recipient only\n";
    }
    out << "  signature                  " << algorithm_text(t->signature_algorithm) << ", "
        << t->signature.size() << " bytes (not verified by inspect)\n";
}

// tokens_in_message returns the base64 values of the message's token fields.
std::vector<std::string> tokens_in_message(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    bool in_token = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) break;  // end of the header section
        if (in_token && (line[0] == ' ' || line[0] == '\t')) {
            out.back() += line;
            continue;
        }
        in_token = false;
        auto colon = line.find(':');
        if (colon != std::string::npos &&
            core::iequals(line.substr(0, colon), core::k_token_field)) {
            out.push_back(line.substr(colon + 1));
            in_token = true;
        }
    }
    return out;
}

}  // namespace

int inspect_main(const Args& args)
{
    auto opts = parse_options(args, k_specs);
    if (!opts) {
        print_error("inspect", opts.error());
        return k_exit_usage;
    }
    if (opts->help || opts->positional.size() > 1) {
        std::fprintf(opts->help ? stdout : stderr,
                     "usage: x400sec inspect [--der] [FILE]\n"
                     "Prints the fields of every message-token in FILE (or standard input):\n"
                     "a message with X400-Message-Token fields, one base64 token, or with\n"
                     "--der (or DER input) one DER token.  Nothing is verified.\n");
        return opts->help ? k_exit_ok : k_exit_usage;
    }
    // Tokens sit in the header; 64 MiB is far more than any header and
    // keeps a runaway input from taking the machine's memory.
    constexpr std::size_t k_max_input = 64u << 20;
    std::string text;
    std::ifstream file;
    std::istream* in = &std::cin;
    if (!opts->positional.empty() && opts->positional[0] != "-") {
        file.open(opts->positional[0], std::ios::binary);
        if (!file) {
            print_error("inspect", make_error(Errc::io, opts->positional[0] + ": cannot read"));
            return k_exit_failure;
        }
        in = &file;
    }
    char buf[65536];
    while (text.size() <= k_max_input && in->read(buf, sizeof buf).gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(in->gcount()));
    }
    if (text.size() > k_max_input) {
        print_error("inspect", make_error(Errc::io, "input larger than 64 MiB"));
        return k_exit_failure;
    }

    std::vector<Bytes> tokens;
    if (opts->has("--der") || (!text.empty() && static_cast<unsigned char>(text[0]) == 0x30)) {
        tokens.emplace_back(text.begin(), text.end());
    } else {
        auto fields = tokens_in_message(text);
        if (fields.empty()) fields.push_back(text);
        for (const auto& b64 : fields) {
            auto der = core::base64_decode(b64);
            if (!der) {
                print_error("inspect", der.error());
                return k_exit_failure;
            }
            tokens.push_back(std::move(*der));
        }
    }
    int bad = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        print_token(std::cout, static_cast<int>(i + 1), tokens[i]);
        if (!asn1::decode_message_token(tokens[i]).ok()) ++bad;
    }
    return bad == 0 ? k_exit_ok : k_exit_failure;
}

}  // namespace x400::tools
