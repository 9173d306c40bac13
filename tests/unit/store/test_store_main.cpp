// test_store_main.cpp - the Boost.Test module of the store part.
#define BOOST_TEST_MODULE store
#include <boost/test/unit_test.hpp>
