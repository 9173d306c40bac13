// x411_der.cpp - strict DER helpers, field conversions, AlgorithmIdentifier
// and the CIC argument prefix.
//
// Everything here sits on OpenSSL's ASN.1 code; what OpenSSL leaves loose
// (it decodes BER, keeps BIT STRING padding, does not check the
// PrintableString alphabet or the UTCTime form) is tightened here.
#include <openssl/objects.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>

#include "asn1/x411_internal.h"

namespace x400::asn1 {
namespace detail {

namespace {

std::string field_error(std::string_view field, std::string_view what)
{
    std::string s(field);
    s += ": ";
    s += what;
    return s;
}

// days_from_civil counts days from 1970-01-01 to a proleptic Gregorian
// date (the usual era-based method).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// civil_from_days is the inverse of days_from_civil.
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

unsigned days_in_month(std::int64_t y, unsigned m)
{
    static const unsigned k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : k_days[m - 1];
}

// UTCTime years are two digits; 50..99 mean 1950..1999 and 00..49 mean
// 2000..2049, the window RFC 5280 4.1.2.5.1 uses.  X.411 gives none.
constexpr std::int64_t k_utc_first = -631152000;   // 1950-01-01T00:00:00Z
constexpr std::int64_t k_utc_last = 2524607999;    // 2049-12-31T23:59:59Z

// structure_error drains OpenSSL's error queue after a failed d2i.  Its
// template decoder attaches the field and type it was reading as error
// data ("Field=..., Type=..."), which names the culprit; keep that.
Error structure_error(std::string_view what)
{
    std::string detail = field_error(what, "malformed encoding");
    unsigned long first = 0;
    int n = 0;
    for (;;) {
        const char* data = nullptr;
        int flags = 0;
        const unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags);
        if (e == 0) {
            break;
        }
        if (first == 0) {
            first = e;
        }
        if (n++ >= 4) {
            continue;
        }
        const char* reason = ERR_reason_error_string(e);
        detail += n == 1 ? ": " : "; ";
        detail += reason != nullptr ? reason : "unknown reason";
        if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
            detail += " (";
            detail += std::string_view(data).substr(0, 120);
            detail += ")";
        }
    }
    return make_error(Errc::decode, std::move(detail), first);
}

}  // namespace

// der_decode: see x411_internal.h.
Result<Asn1ItemPtr<ASN1_VALUE>> der_decode(std::span<const std::uint8_t> der,
                                           const ASN1_ITEM* item, const DecodeLimits& limits,
                                           std::string_view what)
{
    /* Bound the input before OpenSSL looks at it. */
    if (der.size() > limits.max_size || der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return make_error(Errc::decode,
                          field_error(what, "input is " + std::to_string(der.size()) +
                                                " bytes, more than the limit of " +
                                                std::to_string(limits.max_size)));
    }
    if (der.empty()) {
        return make_error(Errc::decode, field_error(what, "input is empty"));
    }

    /* Parse one value and require that it used every byte. */
    ERR_clear_error();
    const unsigned char* p = der.data();
    ASN1_VALUE* raw = ASN1_item_d2i(nullptr, &p, static_cast<long>(der.size()), item);
    if (raw == nullptr) {
        return structure_error(what);
    }
    Asn1ItemPtr<ASN1_VALUE> value(raw, Asn1ItemDeleter{item});
    const auto used = static_cast<std::size_t>(p - der.data());
    if (used != der.size()) {
        return make_error(Errc::decode,
                          field_error(what, std::to_string(der.size() - used) +
                                                " trailing bytes after the value"));
    }

    /* OpenSSL reads BER.  X.690 10 allows one encoding per value in DER,
     * and OpenSSL writes DER, so the input is DER only if it re-encodes to
     * itself: this refuses indefinite and non-minimal lengths, constructed
     * strings, unsorted SET OFs and the like. */
    auto again = der_encode(value.get(), item, what);
    if (!again.ok()) {
        return again.error();
    }
    if (again->size() != der.size() || !std::equal(again->begin(), again->end(), der.begin())) {
        return make_error(Errc::decode,
                          field_error(what, "not DER (the value re-encodes differently)"));
    }
    return value;
}

// der_encode: see x411_internal.h.
Result<Bytes> der_encode(const void* value, const ASN1_ITEM* item, std::string_view what)
{
    unsigned char* out = nullptr;
    const int len = ASN1_item_i2d(static_cast<const ASN1_VALUE*>(value), &out, item);
    if (len <= 0) {
        return ossl_error(Errc::internal, field_error(what, "DER encoding failed"));
    }
    OsslBytes guard(out);
    return Bytes(out, out + len);
}

// is_printable: the PrintableString alphabet of X.680 41.4 (Table 10).
bool is_printable(std::string_view s)
{
    for (const char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || std::strchr(" '()+,-./:=?", c) != nullptr;
        if (!ok || c == '\0') {
            return false;
        }
    }
    return true;
}

// printable_from reads a PrintableString, or a NumericString where a
// CHOICE of both is allowed, checking alphabet and size.
Result<std::string> printable_from(const ASN1_STRING* s, std::string_view field,
                                   std::size_t min_len, std::size_t max_len)
{
    if (s == nullptr) {
        return make_error(Errc::decode, field_error(field, "missing"));
    }
    std::string v(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                  static_cast<std::size_t>(ASN1_STRING_length(s)));
    const int type = ASN1_STRING_type(s);
    if (type == V_ASN1_NUMERICSTRING) {
        if (v.find_first_not_of("0123456789 ") != std::string::npos) {
            return make_error(Errc::decode, field_error(field, "bad NumericString character"));
        }
    } else if (type != V_ASN1_PRINTABLESTRING) {
        return make_error(Errc::decode, field_error(field, "not a PrintableString"));
    } else if (!is_printable(v)) {
        return make_error(Errc::decode, field_error(field, "bad PrintableString character"));
    }
    if (v.size() < min_len || v.size() > max_len) {
        return make_error(Errc::decode,
                          field_error(field, "length " + std::to_string(v.size()) +
                                                 " outside " + std::to_string(min_len) + ".." +
                                                 std::to_string(max_len)));
    }
    return v;
}

// printable_to makes a PrintableString after the same checks.
Result<Asn1StringPtr> printable_to(std::string_view s, std::string_view field,
                                   std::size_t min_len, std::size_t max_len)
{
    if (!is_printable(s)) {
        return make_error(Errc::decode,
                          field_error(field, "cannot encode: bad PrintableString character"));
    }
    if (s.size() < min_len || s.size() > max_len) {
        return make_error(Errc::decode,
                          field_error(field, "cannot encode: length " + std::to_string(s.size()) +
                                                 " outside " + std::to_string(min_len) + ".." +
                                                 std::to_string(max_len)));
    }
    Asn1StringPtr out(ASN1_STRING_type_new(V_ASN1_PRINTABLESTRING));
    if (!out || !ASN1_STRING_set(out.get(), s.data(), static_cast<int>(s.size()))) {
        return ossl_error(Errc::internal, "out of memory");
    }
    return out;
}

// uint_from reads an INTEGER that must be non-negative and fit 64 bits.
Result<std::uint64_t> uint_from(const ASN1_INTEGER* i, std::string_view field)
{
    std::uint64_t v = 0;
    if (ASN1_STRING_type(i) != V_ASN1_INTEGER || ASN1_INTEGER_get_uint64(&v, i) != 1) {
        ERR_clear_error();
        return make_error(Errc::decode, field_error(field, "negative or larger than 64 bits"));
    }
    return v;
}

Result<Asn1StringPtr> uint_to(std::uint64_t v)
{
    Asn1StringPtr out(ASN1_INTEGER_new());
    if (!out || !ASN1_INTEGER_set_uint64(out.get(), v)) {
        return ossl_error(Errc::internal, "out of memory");
    }
    return out;
}

// bits_from reads a BIT STRING that carries whole octets.  The ENCRYPTED,
// SIGNATURE and key fields of X.411 hold octet strings of cipher output,
// so an unused-bits count other than zero is refused.
Result<Bytes> bits_from(const ASN1_BIT_STRING* b, std::string_view field)
{
    if ((b->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 && (b->flags & 0x07) != 0) {
        return make_error(Errc::decode, field_error(field, "BIT STRING has unused bits"));
    }
    const unsigned char* p = ASN1_STRING_get0_data(b);
    return Bytes(p, p + ASN1_STRING_length(b));
}

// bits_to makes a BIT STRING of whole octets.  Setting BITS_LEFT with a
// count of 0 stops OpenSSL from trimming trailing zero octets, which would
// change a signature or ciphertext.
Result<Asn1StringPtr> bits_to(const Bytes& bytes)
{
    Asn1StringPtr out(ASN1_BIT_STRING_new());
    if (!out || !ASN1_STRING_set(out.get(), bytes.data(), static_cast<int>(bytes.size()))) {
        return ossl_error(Errc::internal, "out of memory");
    }
    out->flags &= ~0x07L;
    out->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    return out;
}

// utc_time_from reads an X.411 Time (UTCTime).  DER (X.690 11.8) requires
// the form YYMMDDHHMMSSZ; every other form is refused.
Result<std::int64_t> utc_time_from(const ASN1_UTCTIME* t, std::string_view field)
{
    if (ASN1_STRING_type(t) != V_ASN1_UTCTIME || ASN1_STRING_length(t) != 13) {
        return make_error(Errc::decode, field_error(field, "not a UTCTime YYMMDDHHMMSSZ"));
    }
    const char* s = reinterpret_cast<const char*>(ASN1_STRING_get0_data(t));
    unsigned n[6];
    for (int i = 0; i < 6; ++i) {
        if (s[2 * i] < '0' || s[2 * i] > '9' || s[2 * i + 1] < '0' || s[2 * i + 1] > '9') {
            return make_error(Errc::decode, field_error(field, "UTCTime has a non-digit"));
        }
        n[i] = static_cast<unsigned>((s[2 * i] - '0') * 10 + (s[2 * i + 1] - '0'));
    }
    if (s[12] != 'Z') {
        return make_error(Errc::decode, field_error(field, "UTCTime does not end in Z"));
    }
    const std::int64_t year = n[0] >= 50 ? 1900 + n[0] : 2000 + n[0];
    if (n[1] < 1 || n[1] > 12 || n[2] < 1 || n[2] > days_in_month(year, n[1]) || n[3] > 23 ||
        n[4] > 59 || n[5] > 59) {
        return make_error(Errc::decode, field_error(field, "UTCTime is not a valid date"));
    }
    return days_from_civil(year, n[1], n[2]) * 86400 + n[3] * 3600 + n[4] * 60 + n[5];
}

Result<Asn1StringPtr> utc_time_to(std::int64_t epoch_seconds)
{
    if (epoch_seconds < k_utc_first || epoch_seconds > k_utc_last) {
        return make_error(Errc::decode, "time: cannot encode " + std::to_string(epoch_seconds) +
                                            " as UTCTime (1950..2049 only)");
    }
    std::int64_t days = epoch_seconds / 86400;
    std::int64_t secs = epoch_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    std::int64_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    civil_from_days(days, y, m, d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02u%02u%02u%02u%02u%02uZ", static_cast<unsigned>(y % 100),
                  m, d, static_cast<unsigned>(secs / 3600), static_cast<unsigned>(secs / 60 % 60),
                  static_cast<unsigned>(secs % 60));
    Asn1StringPtr out(ASN1_STRING_type_new(V_ASN1_UTCTIME));
    if (!out || !ASN1_STRING_set(out.get(), buf, 13)) {
        return ossl_error(Errc::internal, "out of memory");
    }
    return out;
}

// algorithm_to parses an AlgorithmId into an X509_ALGOR, strictly.
Result<X509AlgorPtr> algorithm_to(const AlgorithmId& alg, std::string_view field)
{
    auto v = der_decode(alg.der, ASN1_ITEM_rptr(X509_ALGOR), DecodeLimits{}, field);
    if (!v.ok()) {
        return v.error();
    }
    return X509AlgorPtr(reinterpret_cast<X509_ALGOR*>(v->release()));
}

Result<AlgorithmId> algorithm_from(const X509_ALGOR* alg, std::string_view field)
{
    auto der = i2d_bytes(i2d_X509_ALGOR, alg);
    if (!der.ok()) {
        return make_error(Errc::decode, field_error(field, der.error().detail));
    }
    return AlgorithmId{std::move(der.value())};
}

}  // namespace detail

// make_algorithm_id: see x411.h.  The OID must be dotted (no names) and
// the parameters one complete DER value.
Result<AlgorithmId> make_algorithm_id(const std::string& dotted_oid, const Bytes& params_der)
{
    if (dotted_oid.empty() || dotted_oid.find_first_not_of("0123456789.") != std::string::npos) {
        return make_error(Errc::decode, "algorithm: '" + dotted_oid + "' is not a dotted OID");
    }
    ERR_clear_error();
    Asn1ObjectPtr obj(OBJ_txt2obj(dotted_oid.c_str(), 1));
    if (!obj) {
        return ossl_error(Errc::decode, "algorithm: bad OID '" + dotted_oid + "'");
    }
    if (!params_der.empty()) {
        X400_TRY(detail::der_decode(params_der, ASN1_ITEM_rptr(ASN1_ANY), DecodeLimits{},
                                    "algorithm parameters"));
    }

    /* SEQUENCE { algorithm OID, parameters ANY OPTIONAL } (X.509), put
     * together from its parts and then checked like any received value. */
    auto oid = i2d_bytes(i2d_ASN1_OBJECT, obj.get());
    if (!oid.ok()) {
        return oid.error();
    }
    const std::size_t inner = oid->size() + params_der.size();
    if (inner > static_cast<std::size_t>(INT_MAX) / 2) {
        return make_error(Errc::decode, "algorithm: parameters too long");
    }
    const int total = ASN1_object_size(1, static_cast<int>(inner), V_ASN1_SEQUENCE);
    AlgorithmId alg{Bytes(static_cast<std::size_t>(total))};
    unsigned char* p = alg.der.data();
    ASN1_put_object(&p, 1, static_cast<int>(inner), V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    p = std::copy(oid->begin(), oid->end(), p);
    std::copy(params_der.begin(), params_der.end(), p);
    X400_TRY(detail::algorithm_to(alg, "algorithm"));
    return alg;
}

Result<std::string> algorithm_oid(const AlgorithmId& alg)
{
    auto a = detail::algorithm_to(alg, "algorithm");
    if (!a.ok()) {
        return a.error();
    }
    char buf[256];
    const int n = OBJ_obj2txt(buf, sizeof buf, a.value()->algorithm, 1);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) {
        return make_error(Errc::decode, "algorithm: OID too long or invalid");
    }
    return std::string(buf, static_cast<std::size_t>(n));
}

Result<Bytes> algorithm_params(const AlgorithmId& alg)
{
    auto a = detail::algorithm_to(alg, "algorithm");
    if (!a.ok()) {
        return a.error();
    }
    if (a.value()->parameter == nullptr) {
        return Bytes{};
    }
    return i2d_bytes(i2d_ASN1_TYPE, a.value()->parameter);
}

// cic_argument_prefix: see x411.h.  X.411 ContentIntegrityCheck signs
// SEQUENCE { algorithm-identifier, content OCTET STRING }; the headers
// are written with ASN1_put_object, which uses the definite short or
// minimal long form that X.690 10.1 requires.
Result<Bytes> cic_argument_prefix(const AlgorithmId& alg, std::size_t content_len)
{
    X400_TRY(detail::algorithm_to(alg, "content-integrity algorithm"));
    const std::size_t k_max = static_cast<std::size_t>(INT_MAX) / 2;
    if (content_len > k_max || alg.der.size() > k_max) {
        return make_error(Errc::decode, "content-integrity argument too long");
    }
    const int os_len = ASN1_object_size(0, static_cast<int>(content_len), V_ASN1_OCTET_STRING);
    if (os_len < 0) {
        return make_error(Errc::decode, "content-integrity argument too long");
    }
    const int inner = static_cast<int>(alg.der.size()) + os_len;
    const int total = ASN1_object_size(1, inner, V_ASN1_SEQUENCE);
    if (total < 0) {
        return make_error(Errc::decode, "content-integrity argument too long");
    }

    /* Header of the SEQUENCE, the AlgorithmIdentifier, header of the
     * OCTET STRING: total minus the content itself. */
    Bytes out(static_cast<std::size_t>(total) - content_len);
    unsigned char* p = out.data();
    ASN1_put_object(&p, 1, inner, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    std::memcpy(p, alg.der.data(), alg.der.size());
    p += alg.der.size();
    ASN1_put_object(&p, 0, static_cast<int>(content_len), V_ASN1_OCTET_STRING,
                    V_ASN1_UNIVERSAL);
    if (p != out.data() + out.size()) {
        return make_error(Errc::internal, "content-integrity prefix size mismatch");
    }
    return out;
}

}  // namespace x400::asn1
