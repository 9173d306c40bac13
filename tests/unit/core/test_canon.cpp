// test_canon.cpp - the canonical content form of core/canon.h.
#include <boost/test/unit_test.hpp>

#include "core/canon.h"

using namespace x400::core;

BOOST_AUTO_TEST_SUITE(canon)

BOOST_AUTO_TEST_CASE(covers_listed_fields_relaxed_and_skips_trace)
{
    Message m;
    m.headers = {{"Received", " from x by y"},
                 {"From", " Alice  <alice@a.example>"},
                 {"X-Mailer", " foo"},
                 {"Subject", " hello\r\n\tworld  "},
                 {"Content-Type", " text/plain;\n charset=us-ascii"}};
    m.body = "line one  \r\nline two\r\n\r\n\r\n";
    const std::string want =
        "from:Alice <alice@a.example>\r\n"
        "subject:hello world\r\n"
        "content-type:text/plain; charset=us-ascii\r\n"
        "\r\n"
        "line one\r\nline two\r\n";
    BOOST_TEST(canonical_content(m) == want);
}

BOOST_AUTO_TEST_CASE(line_endings_do_not_matter)
{
    Message a, b, c;
    a.body = "x\r\ny\r\n";
    b.body = "x\ny\n";
    c.body = "x\ry";
    BOOST_TEST(canonical_content(a) == canonical_content(b));
    BOOST_TEST(canonical_content(a) == canonical_content(c));
}

BOOST_AUTO_TEST_CASE(refolding_and_added_trace_do_not_matter)
{
    Message a, b;
    a.headers = {{"Subject", " a long subject"}, {"To", " bob@b.example"}};
    b.headers = {{"Received", " by relay"},
                 {"Subject", " a long\r\n subject"},
                 {"To", "  bob@b.example"},
                 {"Delivered-To", " bob@b.example"}};
    a.body = b.body = "text\r\n";
    BOOST_TEST(canonical_content(a) == canonical_content(b));
}

BOOST_AUTO_TEST_CASE(a_changed_word_changes_the_form)
{
    Message a, b;
    a.body = "pay 100\r\n";
    b.body = "pay 900\r\n";
    BOOST_TEST(canonical_content(a) != canonical_content(b));
    a.headers = {{"Subject", " x"}};
    b.body = a.body;
    BOOST_TEST(canonical_content(a) != canonical_content(b));
}

BOOST_AUTO_TEST_CASE(empty_lines_inside_the_body_are_kept)
{
    Message m;
    m.body = "a\r\n\r\n\r\nb";
    BOOST_TEST(canonical_content(m) == "\r\na\r\n\r\n\r\nb\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
