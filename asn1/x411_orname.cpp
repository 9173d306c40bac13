// x411_orname.cpp - ORName ([APPLICATION 0]) for Internet mail, and the
// RFC 2156 section 3.4 PrintableString encoding of RFC 822 addresses.
//
// Templates follow X.411 section 12 (ORName, ORAddress,
// BuiltInStandardAttributes) under IMPLICIT TAGS; size bounds are those of
// MTSUpperBounds.  The address travels in the RFC 2156 section 4.3.2
// "RFC-822" domain-defined attribute.  Extension attributes and
// directory-name are not supported: a name carrying them is refused.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

#include "asn1/x411_internal.h"
#include "base/text.h"

namespace x400::asn1 {
namespace detail {

ASN1_SEQUENCE(X400_DDA) = {
    ASN1_SIMPLE(X400_DDA, type, ASN1_PRINTABLESTRING),
    ASN1_SIMPLE(X400_DDA, value, ASN1_PRINTABLESTRING),
} ASN1_SEQUENCE_END(X400_DDA)

ASN1_SEQUENCE(X400_PERSONAL_NAME) = {
    ASN1_IMP(X400_PERSONAL_NAME, surname, ASN1_PRINTABLESTRING, 0),
    ASN1_IMP_OPT(X400_PERSONAL_NAME, given_name, ASN1_PRINTABLESTRING, 1),
    ASN1_IMP_OPT(X400_PERSONAL_NAME, initials, ASN1_PRINTABLESTRING, 2),
    ASN1_IMP_OPT(X400_PERSONAL_NAME, generation, ASN1_PRINTABLESTRING, 3),
} ASN1_SEQUENCE_END(X400_PERSONAL_NAME)

// CHOICE { numeric NumericString, printable PrintableString }, the shape
// of CountryName, AdministrationDomainName and PrivateDomainName.
IMPLEMENT_ASN1_MSTRING(X400_NUM_OR_PRINT, B_ASN1_NUMERICSTRING | B_ASN1_PRINTABLESTRING)

// Tags of X.411 BuiltInStandardAttributes.  CountryName and
// AdministrationDomainName are [APPLICATION n] CHOICEs, and a tagged
// CHOICE is always explicit (X.680 31.2.7); so is [2] PrivateDomainName.
// network-address [0], terminal-identifier [1] and numeric-user-identifier
// [4] are not in our profile; a name carrying them fails to decode.
ASN1_SEQUENCE(X400_BISA) = {
    ASN1_EX_TYPE(ASN1_TFLG_EXPTAG | ASN1_TFLG_APPLICATION | ASN1_TFLG_OPTIONAL, 1, X400_BISA,
                 country, X400_NUM_OR_PRINT),
    ASN1_EX_TYPE(ASN1_TFLG_EXPTAG | ASN1_TFLG_APPLICATION | ASN1_TFLG_OPTIONAL, 2, X400_BISA,
                 admd, X400_NUM_OR_PRINT),
    ASN1_EXP_OPT(X400_BISA, prmd, X400_NUM_OR_PRINT, 2),
    ASN1_IMP_OPT(X400_BISA, organization, ASN1_PRINTABLESTRING, 3),
    ASN1_IMP_OPT(X400_BISA, personal_name, X400_PERSONAL_NAME, 5),
    ASN1_IMP_SEQUENCE_OF_OPT(X400_BISA, org_units, ASN1_PRINTABLESTRING, 6),
} ASN1_SEQUENCE_END(X400_BISA)

// ORName ::= [APPLICATION 0] SEQUENCE { COMPONENTS OF ORAddress,
// directory-name [0] Name OPTIONAL }: the implicit application tag
// replaces the SEQUENCE tag, so the outer octet is 0x60.
ASN1_SEQUENCE(X400_ORADDR) = {
    ASN1_SIMPLE(X400_ORNAME, standard, X400_BISA),
    ASN1_SEQUENCE_OF_OPT(X400_ORNAME, ddas, X400_DDA),
} ASN1_SEQUENCE_END_name(X400_ORNAME, X400_ORADDR)

ASN1_ITEM_TEMPLATE(X400_ORNAME) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_IMPTAG | ASN1_TFLG_APPLICATION, 0, ORName, X400_ORADDR)
ASN1_ITEM_TEMPLATE_END(X400_ORNAME)

namespace {

// Upper bounds from X.411 MTSUpperBounds.
constexpr std::size_t k_ub_domain_name = 16;
constexpr std::size_t k_ub_organization = 64;
constexpr std::size_t k_ub_surname = 40;
constexpr std::size_t k_ub_given_name = 16;
constexpr std::size_t k_ub_ou = 32;
constexpr int k_ub_ous = 4;
constexpr std::size_t k_ub_dda_type = 8;
constexpr std::size_t k_ub_dda_value = 128;
constexpr int k_ub_ddas = 4;

// RFC 2156 4.3.2: the address and up to three continuations, 128 each.
const std::array<const char*, 4> k_rfc822_types = {"RFC-822", "RFC822C1", "RFC822C2",
                                                   "RFC822C3"};

bool iequal(std::string_view a, std::string_view b)
{
    return ascii_iequals(a, b);
}

// domain_to encodes a CHOICE { numeric, printable }: NumericString only
// for the three-digit X.121 country code, PrintableString otherwise.
Result<Asn1StringPtr> domain_to(std::string_view s, std::string_view field, bool country)
{
    if (country && s.size() == 3 && s.find_first_not_of("0123456789") == std::string::npos) {
        Asn1StringPtr out(ASN1_STRING_type_new(V_ASN1_NUMERICSTRING));
        if (!out || !ASN1_STRING_set(out.get(), s.data(), 3)) {
            return ossl_error(Errc::internal, "out of memory");
        }
        return out;
    }
    if (country) {
        return printable_to(s, field, 2, 2);
    }
    return printable_to(s, field, 1, k_ub_domain_name);
}

Result<std::string> domain_from(const ASN1_STRING* s, std::string_view field, bool country)
{
    if (country) {
        const bool numeric = ASN1_STRING_type(s) == V_ASN1_NUMERICSTRING;
        return printable_from(s, field, numeric ? 3 : 2, numeric ? 3 : 2);
    }
    return printable_from(s, field, 0, k_ub_domain_name);
}

// set_string stores a new string in a field the structure owns.
Status set_string(ASN1_STRING*& slot, Result<Asn1StringPtr> made)
{
    if (!made.ok()) {
        return made.error();
    }
    slot = made->release();
    return {};
}

Status standard_to(const ORName& name, X400_BISA* b)
{
    if (!name.country.empty()) {
        X400_TRY(set_string(b->country, domain_to(name.country, "country-name", true)));
    }
    if (!name.admd.empty()) {
        X400_TRY(set_string(b->admd, domain_to(name.admd, "administration-domain-name", false)));
    }
    if (!name.prmd.empty()) {
        X400_TRY(set_string(b->prmd, domain_to(name.prmd, "private-domain-name", false)));
    }
    if (!name.organization.empty()) {
        X400_TRY(set_string(b->organization, printable_to(name.organization,
                                                          "organization-name", 1,
                                                          k_ub_organization)));
    }
    if (!name.surname.empty() || !name.given_name.empty()) {
        auto pn = asn1_item_new<X400_PERSONAL_NAME>(ASN1_ITEM_rptr(X400_PERSONAL_NAME));
        if (!pn) {
            return ossl_error(Errc::internal, "out of memory");
        }
        ASN1_STRING* surname = nullptr;
        X400_TRY(set_string(surname, printable_to(name.surname, "personal-name surname", 1,
                                                  k_ub_surname)));
        Asn1StringPtr placeholder(std::exchange(pn->surname, surname));
        if (!name.given_name.empty()) {
            X400_TRY(set_string(pn->given_name, printable_to(name.given_name,
                                                             "personal-name given-name", 1,
                                                             k_ub_given_name)));
        }
        b->personal_name = pn.release();
    }
    if (name.org_units.size() > static_cast<std::size_t>(k_ub_ous)) {
        return make_error(Errc::decode, "organizational-unit-names: cannot encode more than 4");
    }
    if (!name.org_units.empty()) {
        b->org_units = sk_ASN1_PRINTABLESTRING_new_null();
        if (b->org_units == nullptr) {
            return ossl_error(Errc::internal, "out of memory");
        }
        for (const auto& ou : name.org_units) {
            auto s = printable_to(ou, "organizational-unit-name", 1, k_ub_ou);
            if (!s.ok()) {
                return s.error();
            }
            if (sk_ASN1_PRINTABLESTRING_push(b->org_units, s->get()) <= 0) {
                return ossl_error(Errc::internal, "out of memory");
            }
            s->release();
        }
    }
    return {};
}

// ddas_to splits the encoded address into the RFC-822 attribute and its
// continuations (RFC 2156 4.3.2).
Status ddas_to(const std::string& rfc822, X400_ORNAME* n)
{
    const std::string printable = rfc822_to_printable(rfc822);
    if (printable.size() > k_ub_dda_value * k_rfc822_types.size()) {
        return make_error(Errc::decode, "RFC-822 attribute: encoded address is " +
                                            std::to_string(printable.size()) +
                                            " characters, more than 512");
    }
    n->ddas = sk_X400_DDA_new_null();
    if (n->ddas == nullptr) {
        return ossl_error(Errc::internal, "out of memory");
    }
    for (std::size_t i = 0; i * k_ub_dda_value < printable.size(); ++i) {
        auto dda = asn1_item_new<X400_DDA>(ASN1_ITEM_rptr(X400_DDA));
        if (!dda) {
            return ossl_error(Errc::internal, "out of memory");
        }
        auto type = printable_to(k_rfc822_types[i], "domain-defined type", 1, k_ub_dda_type);
        auto value = printable_to(printable.substr(i * k_ub_dda_value, k_ub_dda_value),
                                  "RFC-822 attribute", 1, k_ub_dda_value);
        if (!type.ok() || !value.ok()) {
            return type.ok() ? value.error() : type.error();
        }
        Asn1StringPtr old_type(std::exchange(dda->type, type->release()));
        Asn1StringPtr old_value(std::exchange(dda->value, value->release()));
        if (sk_X400_DDA_push(n->ddas, dda.get()) <= 0) {
            return ossl_error(Errc::internal, "out of memory");
        }
        dda.release();
    }
    return {};
}

Status standard_from(const X400_BISA* b, ORName& out)
{
    if (b->country != nullptr) {
        auto v = domain_from(b->country, "country-name", true);
        if (!v.ok()) {
            return v.error();
        }
        out.country = std::move(v.value());
    }
    if (b->admd != nullptr) {
        auto v = domain_from(b->admd, "administration-domain-name", false);
        if (!v.ok()) {
            return v.error();
        }
        out.admd = std::move(v.value());
    }
    if (b->prmd != nullptr) {
        auto v = printable_from(b->prmd, "private-domain-name", 1, k_ub_domain_name);
        if (!v.ok()) {
            return v.error();
        }
        out.prmd = std::move(v.value());
    }
    if (b->organization != nullptr) {
        auto v = printable_from(b->organization, "organization-name", 1, k_ub_organization);
        if (!v.ok()) {
            return v.error();
        }
        out.organization = std::move(v.value());
    }
    if (b->personal_name != nullptr) {
        const X400_PERSONAL_NAME* pn = b->personal_name;
        if (pn->initials != nullptr || pn->generation != nullptr) {
            return make_error(Errc::decode, "personal-name: initials and "
                                            "generation-qualifier are not supported");
        }
        auto s = printable_from(pn->surname, "personal-name surname", 1, k_ub_surname);
        if (!s.ok()) {
            return s.error();
        }
        out.surname = std::move(s.value());
        if (pn->given_name != nullptr) {
            auto g = printable_from(pn->given_name, "personal-name given-name", 1,
                                    k_ub_given_name);
            if (!g.ok()) {
                return g.error();
            }
            out.given_name = std::move(g.value());
        }
    }
    if (b->org_units != nullptr) {
        const int n = sk_ASN1_PRINTABLESTRING_num(b->org_units);
        if (n < 1 || n > k_ub_ous) {
            return make_error(Errc::decode, "organizational-unit-names: " + std::to_string(n) +
                                                " units, want 1..4");
        }
        for (int i = 0; i < n; ++i) {
            auto v = printable_from(sk_ASN1_PRINTABLESTRING_value(b->org_units, i),
                                    "organizational-unit-name", 1, k_ub_ou);
            if (!v.ok()) {
                return v.error();
            }
            out.org_units.push_back(std::move(v.value()));
        }
    }
    return {};
}

// ddas_from reassembles the RFC-822 attribute.  Any other domain-defined
// attribute is refused rather than dropped, so that two different names
// can never decode to the same ORName.
Status ddas_from(const STACK_OF(X400_DDA)* ddas, ORName& out)
{
    const int n = sk_X400_DDA_num(ddas);
    if (n < 1 || n > k_ub_ddas) {
        return make_error(Errc::decode, "built-in-domain-defined-attributes: " +
                                            std::to_string(n) + " attributes, want 1..4");
    }
    std::array<std::string, 4> parts;
    std::array<bool, 4> seen{};
    for (int i = 0; i < n; ++i) {
        const X400_DDA* dda = sk_X400_DDA_value(ddas, i);
        auto type = printable_from(dda->type, "domain-defined attribute type", 1, k_ub_dda_type);
        if (!type.ok()) {
            return type.error();
        }
        auto value = printable_from(dda->value, "domain-defined attribute value", 1,
                                    k_ub_dda_value);
        if (!value.ok()) {
            return value.error();
        }
        std::size_t k = 0;
        while (k < k_rfc822_types.size() && !iequal(type.value(), k_rfc822_types[k])) {
            ++k;
        }
        if (k == k_rfc822_types.size()) {
            return make_error(Errc::decode, "domain-defined attribute: unsupported type '" +
                                                type.value() + "'");
        }
        if (seen[k]) {
            return make_error(Errc::decode, "domain-defined attribute: '" + type.value() +
                                                "' appears twice");
        }
        seen[k] = true;
        parts[k] = std::move(value.value());
    }
    std::string joined;
    for (std::size_t k = 0; k < parts.size(); ++k) {
        if (seen[k] && (k > 0 && !seen[k - 1])) {
            return make_error(Errc::decode, std::string("domain-defined attribute: '") +
                                                k_rfc822_types[k] + "' without its predecessor");
        }
        joined += parts[k];
    }
    auto addr = printable_to_rfc822(joined);
    if (!addr.ok()) {
        return addr.error();
    }
    out.rfc822 = std::move(addr.value());
    return {};
}

}  // namespace

// or_name_to: see x411_internal.h.
Result<Asn1ItemPtr<X400_ORNAME>> or_name_to(const ORName& name)
{
    auto n = asn1_item_new<X400_ORNAME>(ASN1_ITEM_rptr(X400_ORNAME));
    if (!n) {
        return ossl_error(Errc::internal, "out of memory");
    }
    X400_TRY(standard_to(name, n->standard));
    if (!name.rfc822.empty()) {
        X400_TRY(ddas_to(name.rfc822, n.get()));
    }
    return n;
}

// or_name_from: see x411_internal.h.
Result<ORName> or_name_from(const X400_ORNAME* name)
{
    ORName out;
    X400_TRY(standard_from(name->standard, out));
    if (name->ddas != nullptr) {
        X400_TRY(ddas_from(name->ddas, out));
    }
    return out;
}

}  // namespace detail

// rfc822_to_printable: see x411.h.  RFC 2156 3.4 maps the seven
// characters below to letter escapes and every other character outside
// PrintableString to a three-digit decimal escape; we write lower case.
std::string rfc822_to_printable(std::string_view address)
{
    std::string out;
    out.reserve(address.size() + 8);
    for (const char c : address) {
        switch (c) {
        case '@': out += "(a)"; break;
        case '%': out += "(p)"; break;
        case '!': out += "(b)"; break;
        case '"': out += "(q)"; break;
        case '_': out += "(u)"; break;
        case '(': out += "(l)"; break;
        case ')': out += "(r)"; break;
        default:
            if (detail::is_printable(std::string_view(&c, 1))) {
                out += c;
            } else {
                char buf[8];
                std::snprintf(buf, sizeof buf, "(%03u)",
                              static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += buf;
            }
        }
    }
    return out;
}

// printable_to_rfc822: see x411.h.  Escapes are accepted in any case, as
// RFC 2156 3.4 asks of a receiver.
Result<std::string> printable_to_rfc822(std::string_view printable)
{
    if (!detail::is_printable(printable)) {
        return make_error(Errc::decode, "RFC-822 attribute: bad PrintableString character");
    }
    std::string out;
    std::size_t i = 0;
    while (i < printable.size()) {
        const char c = printable[i];
        if (c == ')') {
            return make_error(Errc::decode, "RFC-822 attribute: ')' outside an escape");
        }
        if (c != '(') {
            out += c;
            ++i;
            continue;
        }
        const std::size_t close = printable.find(')', i);
        if (close == std::string_view::npos) {
            return make_error(Errc::decode, "RFC-822 attribute: unterminated escape");
        }
        const std::string_view esc = printable.substr(i + 1, close - i - 1);
        static const std::string_view k_letters = "apbqulr";
        static const std::string_view k_chars = "@%!\"_()";
        if (esc.size() == 1 && k_letters.find(static_cast<char>(
                                   std::tolower(static_cast<unsigned char>(esc[0])))) !=
                                   std::string_view::npos) {
            const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(esc[0])));
            out += k_chars[k_letters.find(lower)];
        } else if (esc.size() == 3 && esc.find_first_not_of("0123456789") ==
                                          std::string_view::npos) {
            const int v = (esc[0] - '0') * 100 + (esc[1] - '0') * 10 + (esc[2] - '0');
            if (v > 255) {
                return make_error(Errc::decode, "RFC-822 attribute: escape (" + std::string(esc) +
                                                    ") is above 255");
            }
            out += static_cast<char>(v);
        } else {
            return make_error(Errc::decode, "RFC-822 attribute: malformed escape (" +
                                                std::string(esc.substr(0, 8)) + ")");
        }
        i = close + 1;
    }
    return out;
}

// encode_or_name / decode_or_name: see x411.h.
Result<Bytes> encode_or_name(const ORName& name)
{
    auto n = detail::or_name_to(name);
    if (!n.ok()) {
        return n.error();
    }
    return detail::der_encode(n->get(), ASN1_ITEM_rptr(detail::X400_ORNAME), "ORName");
}

Result<ORName> decode_or_name(std::span<const std::uint8_t> der, const DecodeLimits& limits)
{
    auto v = detail::der_decode(der, ASN1_ITEM_rptr(detail::X400_ORNAME), limits,
                                "ORName");
    if (!v.ok()) {
        return v.error();
    }
    return detail::or_name_from(reinterpret_cast<const detail::X400_ORNAME*>(v->get()));
}

}  // namespace x400::asn1
