// ldap_names.cpp - search filter escaping and distinguished names for LDAP.
#include <openssl/bio.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>

#include "base/ossl.h"
#include "ldap/directory.h"

namespace x400::ldap {

std::string ldap_filter_escape(std::string_view value)
{
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(value.size());

    // RFC 4515 section 3: an assertion value must carry '*', '(', ')', '\'
    // and NUL as a backslash and two hex digits; any other octet may be
    // escaped the same way.  We also escape control characters and every
    // non-ASCII octet, so that what reaches the server is plain ASCII
    // whatever the address held.
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        const bool special = c == '*' || c == '(' || c == ')' || c == '\\';
        if (special || c < 0x20 || c >= 0x7f) {
            out += '\\';
            out += k_hex[c >> 4];
            out += k_hex[c & 0x0f];
        } else {
            out += ch;
        }
    }
    return out;
}

Result<std::string> ldap_dn_from_name(const X509_NAME* name)
{
    if (name == nullptr) {
        return make_error(Errc::decode, "no distinguished name");
    }

    // XN_FLAG_RFC2253 prints the RDNs last first, separated by commas,
    // with RFC 4514 escaping (its section 2.4: ',', '+', '"', '\', '<',
    // '>', ';', a leading '#' or space, a trailing space; non-ASCII octets
    // as hex pairs) and types OpenSSL does not know as dotted OIDs with a
    // #hex BER value (section 2.4's last rule).
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        return ossl_error(Errc::internal, "cannot allocate a memory BIO");
    }
    if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
        return ossl_error(Errc::decode, "cannot print distinguished name");
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    if (len < 0 || (len > 0 && data == nullptr)) {
        return ossl_error(Errc::internal, "cannot read distinguished name");
    }
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace x400::ldap
