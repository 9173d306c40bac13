// pki_common.h - names, layout and files shared by `pki create` and `pki ldif`.
//
// A test PKI lives in one directory tree:
//     ca/D.crt ca/D.key        self-signed CA of mail domain D
//     cross/X-by-Y.crt         CA X's key and name, certified by CA Y
//     users/ADDR.crt ADDR.key  end-entity (user-agent) certificates
//     ms/D.crt ms/D.key        message-store certificate of domain D
//     anchors/D.pem            the trust anchor of domain D's milter
//     rogue/ca.crt             a CA no one trusts (for negative tests)
// Directory names are built from a domain's labels as dc= components under
// a suffix made only of dc= components (RFC 4519 domainComponent).  Domain
// labels are restricted to lower-case letters, digits and hyphens, and local
// parts to letters, digits and "._+-", so names never need quoting in a
// certificate request and only "+" needs escaping in an RFC 4514 string.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/ossl.h"
#include "base/result.h"

namespace x400::tools {

inline constexpr const char* k_dir_ca = "ca";
inline constexpr const char* k_dir_cross = "cross";
inline constexpr const char* k_dir_users = "users";
inline constexpr const char* k_dir_ms = "ms";
inline constexpr const char* k_dir_anchors = "anchors";
inline constexpr const char* k_dir_rogue = "rogue";

// Labels are in DNS order, most specific first: a.example -> {"a", "example"}.
using Labels = std::vector<std::string>;

// parse_suffix reads an RFC 4514 DN made of dc= components only
// ("dc=example,dc=com").  Fails (Errc::config) on anything else.
Result<Labels> parse_suffix(std::string_view suffix);

// parse_domain checks a mail domain and that its dc= name lies strictly
// below the suffix.  Returns its labels, lower-cased.
Result<Labels> parse_domain(std::string_view domain, const Labels& suffix);

struct Address {
    std::string text;    // local@domain, domain lower-cased
    std::string local;
    std::string domain;
};

// parse_address checks a mail address against the restricted syntax above.
Result<Address> parse_address(std::string_view address);

// dc_dn returns "dc=a,dc=example" for {"a", "example"}.
std::string dc_dn(const Labels& labels);

// dn_value escapes an attribute value for an RFC 4514 string (section 2.4).
std::string dn_value(std::string_view value);

// write_file creates or replaces path with data and the given mode.
Status write_file(const std::filesystem::path& path, std::string_view data, mode_t mode);

// read_cert reads one PEM certificate.
Result<X509Ptr> read_cert(const std::filesystem::path& path);

// pem_cert returns the PEM text of a certificate.
Result<std::string> pem_cert(X509* cert);

// pem_key returns an unencrypted PKCS#8 private key in PEM, in memory that
// is cleansed when it goes away.
Result<SecretBytes> pem_key(EVP_PKEY* key);

}  // namespace x400::tools
