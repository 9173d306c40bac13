// config.cpp - the configuration table and its parser.
#include "milter/config.h"

#include <unistd.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "ldap/directory.h"

namespace x400::milter {

namespace {

using Setter = std::function<Status(Config&, const std::string&)>;
using Getter = std::function<std::string(const Config&)>;

struct Key {
    const char* name;
    const char* default_value;
    const char* description;
    Setter set;
    Getter get;
};

// split_list reads "a b, c" as a list; an empty item ("a,,b", ",") is an
// error rather than silently nothing.
Status split_list(const std::string& v, std::vector<std::string>& out)
{
    out.clear();
    std::string item;
    bool comma_pending = false;
    for (std::size_t i = 0; i <= v.size(); ++i) {
        const char c = i < v.size() ? v[i] : ' ';
        if (c == ',' || c == ' ' || c == '\t') {
            if (!item.empty()) {
                out.push_back(item);
                item.clear();
                comma_pending = false;
            }
            if (c == ',') {
                if (comma_pending || out.empty()) {
                    return make_error(Errc::config, "empty item in list '" + v + "'");
                }
                comma_pending = true;
            }
        } else {
            item += c;
        }
    }
    if (comma_pending) return make_error(Errc::config, "empty item in list '" + v + "'");
    return {};
}

std::string join(const std::vector<std::string>& v)
{
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

Status parse_int(const std::string& v, int lo, int hi, int base, int& out)
{
    try {
        std::size_t used = 0;
        long n = std::stol(v, &used, base);
        if (used != v.size() || n < lo || n > hi) throw std::out_of_range(v);
        out = static_cast<int>(n);
        return {};
    } catch (const std::exception&) {
        return make_error(Errc::config, "'" + v + "' is not a number from " +
                                            std::to_string(lo) + " to " + std::to_string(hi));
    }
}

Status parse_bool(const std::string& v, bool& out)
{
    if (v == "yes" || v == "required" || v == "on") {
        out = true;
    } else if (v == "no" || v == "off") {
        out = false;
    } else {
        return make_error(Errc::config, "'" + v + "' is none of required, yes, on, off, no");
    }
    return {};
}

std::string hostname()
{
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

#define STR_KEY(k, def, doc) \
    {#k, def, doc, [](Config& c, const std::string& v) { c.k = v; return Status{}; }, \
     [](const Config& c) { return c.k; }}
#define LIST_KEY(k, def, doc) \
    {#k, def, doc, [](Config& c, const std::string& v) { return split_list(v, c.k); }, \
     [](const Config& c) { return join(c.k); }}

// CHECKED_KEY is a string key whose value must pass check (a function
// returning a Result); INT_KEY an integer key with bounds.
#define CHECKED_KEY(k, def, doc, check) \
    {#k, def, doc, \
     [](Config& c, const std::string& v) { \
         auto r = check(v); \
         if (!r) return Status(r.error()); \
         c.k = v; \
         return Status{}; \
     }, \
     [](const Config& c) { return c.k; }}
#define INT_KEY(k, def, lo, hi, doc) \
    {#k, def, doc, [](Config& c, const std::string& v) { return parse_int(v, lo, hi, 10, c.k); }, \
     [](const Config& c) { return std::to_string(c.k); }}

// k_keys is the configuration: every key, its default and its meaning.
const std::vector<Key>& keys()
{
    static const std::vector<Key> k_keys = {
        {"role", "receive",
         "originate: seal mail from our users; receive: verify and open mail for local users",
         [](Config& c, const std::string& v) {
             if (v == "originate") c.role = Role::originate;
             else if (v == "receive") c.role = Role::receive;
             else return Status(make_error(Errc::config, "role must be originate or receive"));
             return Status{};
         },
         [](const Config& c) {
             return std::string(c.role == Role::originate ? "originate" : "receive");
         }},
        STR_KEY(socket, "unix:/run/x400sec/x400sec.sock",
                "where the MTA connects: unix:PATH or inet:PORT@ADDRESS (libmilter syntax)"),
        {"socket_mode", "0660", "permissions of a unix socket (octal)",
         [](Config& c, const std::string& v) { return parse_int(v, 0, 0777, 8, c.socket_mode); },
         [](const Config& c) {
             std::ostringstream o;
             o << '0' << std::oct << c.socket_mode;
             return o.str();
         }},
        STR_KEY(authserv_id, "", "name in results fields; empty: this host's name"),
        LIST_KEY(local_domains, "",
                 "receive role: domains whose recipients are ours; empty: every recipient"),
        STR_KEY(key_dir, "/etc/x400sec/keys",
                "directory of private keys, one ADDRESS.key PEM file per user (mode 600)"),
        LIST_KEY(ldap_uri, "ldap://localhost/", "LDAP servers, tried in order"),
        STR_KEY(ldap_base, "", "search base for user entries"),
        STR_KEY(ldap_user_filter, "(mail=%s)",
                "filter for a user's entry; %s is the RFC 4515-escaped address"),
        // The LDAP client (issue #3): binds of RFC 4513, StartTLS, cache and
        // CRL policies; ldap/directory.h says what each value does.
        CHECKED_KEY(ldap_bind_method, "anonymous", "anonymous, simple or sasl-external",
                    ldap::bind_method_from),
        STR_KEY(ldap_bind_dn, "", "DN for ldap_bind_method = simple"),
        STR_KEY(ldap_bind_password_file, "",
                "file holding the simple bind password, read at start (mode 600)"),
        CHECKED_KEY(ldap_starttls, "no",
                    "StartTLS on ldap:// URIs: no, yes (if offered) or demand",
                    ldap::starttls_from),
        STR_KEY(ldap_tls_cacert, "",
                "PEM CA file for the server's TLS certificate; empty: the system's"),
        {"ldap_referrals", "no", "follow LDAP referrals (yes or no)",
         [](Config& c, const std::string& v) { return parse_bool(v, c.ldap_referrals); },
         [](const Config& c) { return std::string(c.ldap_referrals ? "yes" : "no"); }},
        {"ldap_timeout", "5000",
         "LDAP time limit, milliseconds, for each of connect, bind and search",
         [](Config& c, const std::string& v) {
             return parse_int(v, 100, 60000, 10, c.ldap_timeout_ms);
         },
         [](const Config& c) { return std::to_string(c.ldap_timeout_ms); }},
        {"ldap_lookup_timeout", "0",
         "limit for one whole certificate look-up and path discovery, milliseconds; "
         "0: twice ldap_timeout",
         [](Config& c, const std::string& v) {
             return parse_int(v, 0, 300000, 10, c.ldap_lookup_timeout_ms);
         },
         [](const Config& c) { return std::to_string(c.ldap_lookup_timeout_ms); }},
        INT_KEY(ldap_cache_ttl, "300", 0, 86400,
                "seconds a found certificate or CA entry is reused; 0: no cache"),
        INT_KEY(ldap_cache_negative_ttl, "60", 0, 86400,
                "seconds a 'no certificate' or 'untrusted' answer is reused"),
        INT_KEY(ldap_cache_max_stale, "900", 0, 604800,
                "seconds a found certificate may serve while the directory is down"),
        INT_KEY(ldap_cache_max_entries, "10000", 1, 10000000,
                "entries per cache (results, CA entries); least recently used go first"),
        CHECKED_KEY(ldap_stale_crl, "tempfail",
                    "CRL past its nextUpdate: fail, tempfail or accept-with-warning",
                    ldap::stale_crl_policy_from),
        CHECKED_KEY(ldap_missing_crl, "fail", "CA without a CRL: fail or accept-with-warning",
                    ldap::missing_crl_policy_from),
        STR_KEY(trust_anchors, "/etc/x400sec/trust-anchors.pem",
                "PEM file of the CA certificates this domain trusts"),
        {"confidentiality", "off",
         "originate role: 'required' encrypts content for every recipient or refuses the mail",
         [](Config& c, const std::string& v) { return parse_bool(v, c.confidentiality); },
         [](const Config& c) { return std::string(c.confidentiality ? "required" : "off"); }},
        {"sign_for", "authenticated",
         "originate role: 'authenticated' seals only mail whose SMTP AUTH identity is the sender "
         "(or its local part); 'any' seals whatever the MTA hands over",
         [](Config& c, const std::string& v) {
             if (v == "authenticated") c.sign_for_any = false;
             else if (v == "any") c.sign_for_any = true;
             else return Status(make_error(Errc::config, "must be 'authenticated' or 'any'"));
             return Status{};
         },
         [](const Config& c) { return std::string(c.sign_for_any ? "any" : "authenticated"); }},
        STR_KEY(outer_subject, "Encrypted message",
                "Subject of an encrypted message as seen in transit"),
        STR_KEY(state_dir, "/var/lib/x400sec",
                "directory of the LMDB state store: sequence numbers and replay windows"),
        {"replay_window", "1024",
         "receive role: anti-replay window per sender and recipient, bits (multiple of 64)",
         [](Config& c, const std::string& v) -> Status {
             X400_TRY(parse_int(v, 64, 1048576, 10, c.replay_window));
             if (c.replay_window % 64 != 0) {
                 return make_error(Errc::config, "'" + v + "' is not a multiple of 64");
             }
             return {};
         },
         [](const Config& c) { return std::to_string(c.replay_window); }},
        {"max_token_age", "604800",
         "receive role: a token older than this many seconds counts as replayed",
         [](Config& c, const std::string& v) {
             return parse_int(v, 60, 31536000, 10, c.max_token_age);
         },
         [](const Config& c) { return std::to_string(c.max_token_age); }},
        {"max_clock_skew", "300",
         "receive role: how many seconds a token's time may lie in the future",
         [](Config& c, const std::string& v) {
             return parse_int(v, 0, 86400, 10, c.max_clock_skew);
         },
         [](const Config& c) { return std::to_string(c.max_clock_skew); }},
        {"on_replay", "reject",
         "receive role: reject (550 5.7.1), quarantine or mark a replayed message",
         [](Config& c, const std::string& v) {
             if (v == "reject") c.on_replay = OnReplay::reject;
             else if (v == "quarantine") c.on_replay = OnReplay::quarantine;
             else if (v == "mark") c.on_replay = OnReplay::mark;
             else return Status(make_error(Errc::config,
                                           "on_replay must be reject, quarantine or mark"));
             return Status{};
         },
         [](const Config& c) {
             return std::string(c.on_replay == OnReplay::reject       ? "reject"
                                : c.on_replay == OnReplay::quarantine ? "quarantine"
                                                                      : "mark");
         }},
        {"log_level", "1", "0 errors only, 1 one line per message, 2 per recipient, 3 debug",
         [](Config& c, const std::string& v) { return parse_int(v, 0, 3, 10, c.log_level); },
         [](const Config& c) { return std::to_string(c.log_level); }},
    };
    return k_keys;
}

#undef STR_KEY
#undef LIST_KEY
#undef CHECKED_KEY
#undef INT_KEY

std::string trim(const std::string& s)
{
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// check_config checks what single keys cannot: values that would only
// fail later, at the first message.
Status check_config(const Config& c)
{
    const std::string& sock = c.socket;
    if (sock.rfind("unix:", 0) != 0 && sock.rfind("local:", 0) != 0 &&
        sock.rfind("inet:", 0) != 0 && sock.rfind("inet6:", 0) != 0) {
        return make_error(Errc::config,
                          "socket: '" + sock + "' is not unix:PATH or inet:PORT@HOST");
    }
    int depth = 0;
    for (char ch : c.ldap_user_filter) {
        depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
        if (depth < 0) break;
    }
    if (depth != 0 || c.ldap_user_filter.empty() || c.ldap_user_filter.front() != '(' ||
        c.ldap_user_filter.find("%s") == std::string::npos) {
        return make_error(Errc::config, "ldap_user_filter: '" + c.ldap_user_filter +
                                            "' is not a parenthesised filter with %s");
    }
    if (c.ldap_bind_method == "simple" &&
        (c.ldap_bind_dn.empty() || c.ldap_bind_password_file.empty())) {
        return make_error(Errc::config, "ldap_bind_method = simple needs ldap_bind_dn and "
                                        "ldap_bind_password_file");
    }
    if (c.ldap_bind_method != "simple" &&
        (!c.ldap_bind_dn.empty() || !c.ldap_bind_password_file.empty())) {
        return make_error(Errc::config, "ldap_bind_dn and ldap_bind_password_file need "
                                        "ldap_bind_method = simple");
    }
    for (char ch : c.authserv_id) {
        if (ch == ';' || ch == ' ' || ch == '\t' || ch == '"' || ch < 33 || ch > 126) {
            return make_error(Errc::config, "authserv_id: '" + c.authserv_id +
                                                "' must be one word without ';'");
        }
    }
    for (const auto& d : c.local_domains) {
        if (d.find_first_not_of(",") == std::string::npos || d.find('@') != std::string::npos) {
            return make_error(Errc::config, "local_domains: '" + d + "' is not a domain");
        }
    }
    return {};
}

}  // namespace

Result<std::shared_ptr<const Config>> parse_config(const std::string& text,
                                                   const std::string& name)
{
    auto config = std::make_shared<Config>();
    for (const auto& k : keys()) {
        Status s = k.set(*config, k.default_value);
        if (!s) return make_error(Errc::internal, "default of " + std::string(k.name));
    }
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    std::set<std::string> seen;
    while (std::getline(in, line)) {
        ++lineno;
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const std::string where = name + ", line " + std::to_string(lineno) + ": ";
        auto eq = t.find('=');
        if (eq == std::string::npos) {
            return make_error(Errc::config, where + "expected 'key = value'");
        }
        std::string key = trim(t.substr(0, eq));
        std::string value = trim(t.substr(eq + 1));
        const Key* found = nullptr;
        for (const auto& k : keys()) {
            if (key == k.name) found = &k;
        }
        if (found == nullptr) return make_error(Errc::config, where + "unknown key '" + key + "'");
        if (!seen.insert(key).second) {
            return make_error(Errc::config, where + key + " is set twice");
        }
        Status s = found->set(*config, value);
        if (!s) return make_error(Errc::config, where + key + ": " + s.error().detail);
    }
    if (config->authserv_id.empty()) config->authserv_id = hostname();
    Status s = check_config(*config);
    if (!s) return make_error(Errc::config, name + ": " + s.error().detail);
    return std::shared_ptr<const Config>(std::move(config));
}

Result<std::shared_ptr<const Config>> load_config(const std::string& path)
{
    std::ifstream f(path);
    if (!f) return make_error(Errc::config, "cannot read configuration file '" + path + "'");
    std::stringstream ss;
    ss << f.rdbuf();
    return parse_config(ss.str(), path);
}

std::string print_config(const Config& config)
{
    std::string out;
    for (const auto& k : keys()) out += std::string(k.name) + " = " + k.get(config) + "\n";
    return out;
}

std::string config_documentation()
{
    std::string out;
    for (const auto& k : keys()) {
        out += std::string(k.name) + " (default: '" + k.default_value + "')\n    " +
               k.description + "\n";
    }
    return out;
}

}  // namespace x400::milter
