// test_core_main.cpp - the core test program.
#define BOOST_TEST_MODULE core
#include <boost/test/unit_test.hpp>
