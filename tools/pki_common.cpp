// pki_common.cpp - names, layout and files shared by `pki create` and `pki ldif`.
#include "tools/pki_common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace x400::tools {

namespace {

Error config_error(std::string_view what, std::string_view why)
{
    return make_error(Errc::config, std::string(what) + ": " + std::string(why));
}

Error io_error(const std::filesystem::path& path, std::string_view what)
{
    return make_error(Errc::io, path.string() + ": " + std::string(what) + ": " +
                                    std::strerror(errno));
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A DNS label as RFC 1123 allows it: letters, digits, inner hyphens.
bool valid_label(std::string_view s)
{
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') {
        return false;
    }
    for (char c : s) {
        if (!is_alnum(c) && c != '-') {
            return false;
        }
    }
    return true;
}

Labels split(std::string_view s, char sep)
{
    Labels out;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = s.find(sep, start);
        out.emplace_back(s.substr(start, end - start));
        if (end == std::string_view::npos) {
            return out;
        }
        start = end + 1;
    }
}

}  // namespace

Result<Labels> parse_suffix(std::string_view suffix)
{
    Labels out;
    for (const auto& rdn : split(suffix, ',')) {
        std::string r = lower(rdn);
        if (!r.starts_with("dc=") || !valid_label(r.substr(3))) {
            return config_error("suffix '" + std::string(suffix) + "'",
                                "want only dc= components, as in dc=example,dc=com");
        }
        out.push_back(r.substr(3));
    }
    return out;
}

Result<Labels> parse_domain(std::string_view domain, const Labels& suffix)
{
    std::string what = "domain '" + std::string(domain) + "'";
    Labels labels = split(lower(domain), '.');
    for (const auto& label : labels) {
        if (!valid_label(label)) {
            return config_error(what, "not a domain name");
        }
    }

    // The domain's dc= name must end with the suffix and be longer than it.
    bool under = labels.size() > suffix.size() &&
                 std::equal(suffix.rbegin(), suffix.rend(), labels.rbegin());
    if (!under) {
        return config_error(what, "not below suffix " + dc_dn(suffix));
    }
    return labels;
}

Result<Address> parse_address(std::string_view address)
{
    std::string what = "address '" + std::string(address) + "'";
    auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
        return config_error(what, "want local@domain");
    }
    Address out;
    out.local = std::string(address.substr(0, at));
    out.domain = lower(address.substr(at + 1));
    if (out.local.size() > 64) {
        return config_error(what, "local part longer than 64");
    }
    for (char c : out.local) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '+' && c != '-') {
            return config_error(what, "local part may hold only letters, digits and ._+-");
        }
    }
    out.text = out.local + "@" + out.domain;
    return out;
}

std::string dc_dn(const Labels& labels)
{
    std::string out;
    for (const auto& label : labels) {
        out += (out.empty() ? "dc=" : ",dc=") + label;
    }
    return out;
}

std::string dn_value(std::string_view value)
{
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        bool special = std::strchr("\"+,;<>\\=", c) != nullptr ||
                       (i == 0 && (c == '#' || c == ' ')) ||
                       (i + 1 == value.size() && c == ' ');
        if (special) {
            out += '\\';
        }
        out += c;
    }
    return out;
}

Status write_file(const std::filesystem::path& path, std::string_view data, mode_t mode)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        return io_error(path, "cannot create");
    }

    // An existing file keeps its old mode through O_CREAT; set it anyway.
    bool ok = ::fchmod(fd, mode) == 0;
    for (std::size_t done = 0; ok && done < data.size();) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    if (!ok) {
        int saved = errno;
        ::close(fd);
        errno = saved;
        return io_error(path, "cannot write");
    }
    if (::close(fd) != 0) {
        return io_error(path, "cannot write");
    }
    return {};
}

Result<X509Ptr> read_cert(const std::filesystem::path& path)
{
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
        return ossl_error(Errc::io, path.string() + ": cannot open");
    }
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        return ossl_error(Errc::decode, path.string() + ": not a PEM certificate");
    }
    return cert;
}

namespace {

Result<std::string> bio_text(BIO* bio)
{
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0) {
        return ossl_error(Errc::internal, "memory BIO");
    }
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

Result<std::string> pem_cert(X509* cert)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
        return ossl_error(Errc::internal, "PEM encoding of certificate");
    }
    return bio_text(bio.get());
}

Result<SecretBytes> pem_key(EVP_PKEY* key)
{
    // A secure-memory BIO cleanses its buffer when freed.
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        return ossl_error(Errc::internal, "PEM encoding of private key");
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    if (len <= 0) {
        return ossl_error(Errc::internal, "memory BIO");
    }
    return SecretBytes(reinterpret_cast<const std::uint8_t*>(data),
                       static_cast<std::size_t>(len));
}

}  // namespace x400::tools
