// test_asn1_main.cpp - Boost.Test module of the asn1 part (X.411 codec).
#define BOOST_TEST_MODULE asn1
#include <boost/test/unit_test.hpp>
