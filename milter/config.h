// config.h - the milter's configuration: one table declares every key.
//
// The file is "key = value" lines; '#' starts a comment line.  Each key is
// declared once in config.cpp with its type, default and one-line
// description; parsing, `x400sec-milter -p` and the documentation come
// from that table.  A loaded Config is immutable and shared.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace x400::milter {

enum class Role { originate, receive };

// OnReplay is what the receive role does with a replayed message.
enum class OnReplay { reject, quarantine, mark };

struct Config {
    Role role = Role::receive;
    std::string socket;
    int socket_mode = 0660;
    std::string authserv_id;
    std::vector<std::string> local_domains;
    std::string key_dir;
    std::vector<std::string> ldap_uri;
    std::string ldap_base;
    std::string ldap_user_filter;
    std::string ldap_bind_method = "anonymous";  // anonymous, simple, sasl-external
    std::string ldap_bind_dn;
    std::string ldap_bind_password_file;
    std::string ldap_starttls = "no";            // no, yes, demand
    std::string ldap_tls_cacert;
    bool ldap_referrals = false;
    int ldap_timeout_ms = 5000;
    int ldap_lookup_timeout_ms = 0;  // 0: twice ldap_timeout_ms
    int ldap_cache_ttl = 300;                    // seconds; 0: no cache
    int ldap_cache_negative_ttl = 60;
    int ldap_cache_max_stale = 900;
    int ldap_cache_max_entries = 10000;
    std::string ldap_stale_crl = "tempfail";     // fail, tempfail, accept-with-warning
    std::string ldap_missing_crl = "fail";       // fail, accept-with-warning
    std::string trust_anchors;
    bool confidentiality = false;
    bool sign_for_any = false;  // false: only for authenticated submitters
    std::string outer_subject;
    std::string state_dir;
    int replay_window = 1024;           // bits
    int max_token_age = 604800;         // seconds
    int max_clock_skew = 300;           // seconds
    OnReplay on_replay = OnReplay::reject;
    int log_level = 1;
};

// load_config parses a file; errors name the file and line.
Result<std::shared_ptr<const Config>> load_config(const std::string& path);

// parse_config parses text (name is used in error messages).
Result<std::shared_ptr<const Config>> parse_config(const std::string& text,
                                                   const std::string& name);

// print_config writes the effective configuration, one "key = value" line
// per key, in table order.
std::string print_config(const Config& config);

// config_documentation lists every key with its default and description.
std::string config_documentation();

}  // namespace x400::milter
