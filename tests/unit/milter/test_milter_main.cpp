// test_milter_main.cpp - the milter test program.
#define BOOST_TEST_MODULE milter
#include <boost/test/unit_test.hpp>
