// test_x411_depth.cpp - nesting inside open types: AlgorithmIdentifier
// parameters are ANY, the one place where an attacker chooses the depth.
#include <boost/test/unit_test.hpp>

#include "asn1/x411.h"

using namespace x400;
using namespace x400::asn1;

namespace {

// der_length appends a DER length.
void der_length(Bytes& out, std::size_t n)
{
    if (n < 128) {
        out.push_back(static_cast<std::uint8_t>(n));
        return;
    }
    Bytes digits;
    for (; n > 0; n >>= 8) digits.insert(digits.begin(), static_cast<std::uint8_t>(n & 0xff));
    out.push_back(static_cast<std::uint8_t>(0x80 | digits.size()));
    out.insert(out.end(), digits.begin(), digits.end());
}

Bytes wrap(std::uint8_t tag, const Bytes& inner)
{
    Bytes out{tag};
    der_length(out, inner.size());
    out.insert(out.end(), inner.begin(), inner.end());
    return out;
}

// signature_with_nested_params builds a Signature whose algorithm has
// `depth` SEQUENCEs nested inside its parameters.
Bytes signature_with_nested_params(int depth)
{
    Bytes params = {0x05, 0x00};
    for (int i = 0; i < depth; ++i) params = wrap(0x30, params);
    Bytes alg = {0x06, 0x03, 0x2a, 0x03, 0x04};  // OID 1.2.3.4
    alg.insert(alg.end(), params.begin(), params.end());
    Bytes sig = wrap(0x30, alg);
    Bytes bits = {0x03, 0x03, 0x00, 0xab, 0xcd};
    sig.insert(sig.end(), bits.begin(), bits.end());
    return wrap(0x30, sig);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(x411_depth)

BOOST_AUTO_TEST_CASE(shallow_parameters_decode)
{
    auto s = decode_signature(signature_with_nested_params(3));
    BOOST_TEST(s.ok(), (s.ok() ? "" : s.error().detail));
}

BOOST_AUTO_TEST_CASE(deeply_nested_parameters_do_not_crash_and_stay_bounded)
{
    // Thousands of levels within the size bound: the decoder must return,
    // without exhausting the stack, either refusing the value or keeping
    // the parameters as opaque bytes that re-encode exactly.
    for (int depth : {100, 1000, 10000}) {
        Bytes der = signature_with_nested_params(depth);
        BOOST_REQUIRE(der.size() <= DecodeLimits{}.max_size);
        auto s = decode_signature(der);
        if (s.ok()) {
            auto again = encode_signature(*s);
            BOOST_REQUIRE(again.ok());
            BOOST_TEST((*again == der), "depth " << depth << " re-encoded differently");
        } else {
            BOOST_TEST((s.error().code == Errc::decode));
        }
    }
}

BOOST_AUTO_TEST_CASE(oversize_is_refused_before_parsing)
{
    Bytes der = signature_with_nested_params(40000);
    BOOST_REQUIRE(der.size() > DecodeLimits{}.max_size);
    auto s = decode_signature(der);
    BOOST_REQUIRE(!s.ok());
    BOOST_TEST((s.error().code == Errc::decode));
}

BOOST_AUTO_TEST_SUITE_END()
