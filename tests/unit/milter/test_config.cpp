// test_config.cpp - the configuration table and parser.
#include <boost/test/unit_test.hpp>

#include "milter/config.h"

using namespace x400;
using namespace x400::milter;

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_apply_and_values_override)
{
    auto c = parse_config("# comment\n\nrole = originate\nconfidentiality = required\n"
                          "local_domains = a.example, b.example\nldap_timeout=2500\n",
                          "t.conf");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(((*c)->role == Role::originate));
    BOOST_TEST((*c)->confidentiality);
    BOOST_TEST((*c)->local_domains.size() == 2u);
    BOOST_TEST((*c)->local_domains[1] == "b.example");
    BOOST_TEST((*c)->ldap_timeout_ms == 2500);
    BOOST_TEST((*c)->key_dir == "/etc/x400sec/keys");
    BOOST_TEST(!(*c)->authserv_id.empty());
}

BOOST_AUTO_TEST_CASE(errors_name_the_line_and_key)
{
    auto c = parse_config("role = receive\nldap_timeout = soon\n", "t.conf");
    BOOST_REQUIRE(!c.ok());
    BOOST_TEST(c.error().detail.find("t.conf, line 2: ldap_timeout") != std::string::npos,
               c.error().detail);
    c = parse_config("rolle = receive\n", "t.conf");
    BOOST_REQUIRE(!c.ok());
    BOOST_TEST(c.error().detail.find("unknown key 'rolle'") != std::string::npos);
    c = parse_config("role receive\n", "t.conf");
    BOOST_REQUIRE(!c.ok());
    c = parse_config("ldap_timeout = 99999999\n", "t.conf");
    BOOST_REQUIRE(!c.ok());
    c = parse_config("socket_mode = 0999\n", "t.conf");
    BOOST_REQUIRE(!c.ok());
}

BOOST_AUTO_TEST_CASE(values_that_would_fail_later_are_refused_now)
{
    for (const char* bad : {"socket = bogus\n", "ldap_user_filter = (mail=%s\n",
                            "ldap_user_filter = (mail=x)\n", "authserv_id = a;b\n",
                            "local_domains = ,\n", "local_domains = a.example,,b.example\n",
                            "role = receive\nrole = originate\n", "sign_for = everyone\n"}) {
        auto c = parse_config(bad, "t.conf");
        BOOST_TEST(!c.ok(), "accepted: " << bad);
    }
    BOOST_TEST(parse_config("socket = inet:8891@127.0.0.1\n", "t.conf").ok());
}

BOOST_AUTO_TEST_CASE(printed_configuration_parses_back_to_the_same)
{
    auto c = parse_config("role = originate\nsocket_mode = 0666\nlocal_domains = x.example\n",
                          "t.conf");
    BOOST_REQUIRE(c.ok());
    const std::string printed = print_config(**c);
    auto again = parse_config(printed, "printed");
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(print_config(**again) == printed);
    BOOST_TEST(printed.find("socket_mode = 0666") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_key_is_documented_in_the_sample_file)
{
    // conf/x400sec.conf is what administrators start from: it must mention
    // every key the table declares.
    auto c = parse_config("", "empty");
    BOOST_REQUIRE(c.ok());
    std::string sample;
    {
        FILE* f = std::fopen(X400_SOURCE_DIR "/conf/x400sec.conf", "r");
        BOOST_REQUIRE(f != nullptr);
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) sample.append(buf, n);
        std::fclose(f);
    }
    std::string printed = print_config(**c);
    std::size_t pos = 0;
    while (pos < printed.size()) {
        std::size_t eol = printed.find('\n', pos);
        std::string key = printed.substr(pos, printed.find(' ', pos) - pos);
        BOOST_TEST(sample.find(key + " =") != std::string::npos, "key " << key << " undocumented");
        pos = eol + 1;
    }
    BOOST_TEST(parse_config(sample, "conf/x400sec.conf").ok());
}

BOOST_AUTO_TEST_SUITE_END()
