// milter_main.cpp - x400sec-milter: command line and start-up.
//
// x400sec-milter [-c FILE] [-f] [-n] [-p]
//   -c FILE  configuration file (default /etc/x400sec/x400sec.conf)
//   -f       stay in the foreground and log to standard error
//   -n       check the configuration and exit
//   -p       print the effective configuration and exit
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "ldap/directory.h"
#include "milter/config.h"
#include "milter/log.h"
#include "milter/milter_callbacks.h"

using namespace x400;

namespace {

void usage()
{
    std::fprintf(stderr,
                 "usage: x400sec-milter [-c config] [-f] [-n] [-p]\n"
                 "  -c FILE  configuration file (default /etc/x400sec/x400sec.conf)\n"
                 "  -f       foreground, log to standard error\n"
                 "  -n       check the configuration and exit\n"
                 "  -p       print the effective configuration and exit\n");
}

// directory_config turns the milter's keys into the directory's settings,
// reading the bind password file now, while the milter may still read it.
Result<ldap::DirectoryConfig> directory_config(const milter::Config& c)
{
    ldap::DirectoryConfig d;
    d.uris = c.ldap_uri;
    d.base = c.ldap_base;
    d.user_filter = c.ldap_user_filter;
    d.bind_method = *ldap::bind_method_from(c.ldap_bind_method);
    d.bind_dn = c.ldap_bind_dn;
    if (!c.ldap_bind_password_file.empty()) {
        auto pw = ldap::read_password_file(c.ldap_bind_password_file);
        if (!pw) {
            return pw.error();
        }
        d.bind_password = std::move(*pw);
    }
    d.starttls = *ldap::starttls_from(c.ldap_starttls);
    d.tls_cacert = c.ldap_tls_cacert;
    d.referrals = c.ldap_referrals;
    d.timeout_ms = c.ldap_timeout_ms;
    d.lookup_timeout_ms = c.ldap_lookup_timeout_ms;
    d.cache_ttl_s = c.ldap_cache_ttl;
    d.cache_negative_ttl_s = c.ldap_cache_negative_ttl;
    d.cache_max_stale_s = c.ldap_cache_max_stale;
    d.cache_max_entries = static_cast<std::size_t>(c.ldap_cache_max_entries);
    d.stale_crl = *ldap::stale_crl_policy_from(c.ldap_stale_crl);
    d.missing_crl = *ldap::missing_crl_policy_from(c.ldap_missing_crl);
    d.trust_anchors_file = c.trust_anchors;
    return d;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string path = "/etc/x400sec/x400sec.conf";
    bool foreground = false, check = false, print = false;
    int opt;
    while ((opt = getopt(argc, argv, "c:fnph")) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 'f': foreground = true; break;
        case 'n': check = true; break;
        case 'p': print = true; break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    auto config = milter::load_config(path);
    if (!config) {
        std::fprintf(stderr, "x400sec-milter: %s\n", config.error().detail.c_str());
        return 1;
    }
    if (print) {
        std::fputs(milter::print_config(**config).c_str(), stdout);
        return 0;
    }
    auto dconfig = directory_config(**config);
    if (!dconfig) {
        std::fprintf(stderr, "x400sec-milter: directory: %s\n", dconfig.error().text().c_str());
        return 1;
    }
    auto directory = ldap::Directory::open(*dconfig);
    if (!directory) {
        std::fprintf(stderr, "x400sec-milter: directory: %s\n",
                     directory.error().text().c_str());
        return 1;
    }
    if (check) {
        // The state store: created if missing, its format version checked.
        if (auto state = milter::open_state(**config); !state) {
            std::fprintf(stderr, "x400sec-milter: %s\n", state.error().text().c_str());
            return 1;
        }
        std::printf("x400sec-milter: %s: configuration is valid\n", path.c_str());
        return 0;
    }
    milter::log_open("x400sec-milter", foreground, (*config)->log_level);
    if (!foreground && daemon(0, 0) != 0) {
        std::perror("x400sec-milter: daemon");
        return 1;
    }
    // A peer that goes away must not kill the daemon (libldap, libmilter).
    signal(SIGPIPE, SIG_IGN);
    // LMDB's locks do not survive fork: open the store in the daemon.
    auto state = milter::open_state(**config);
    if (!state) {
        milter::log_line(milter::LogLevel::error, "", "milter",
                         "state store: " + state.error().text());
        std::fprintf(stderr, "x400sec-milter: %s\n", state.error().text().c_str());
        return 1;
    }
    milter::Shared shared(*config, std::move(*directory), std::move(*state));
    return milter::run_milter(shared);
}
