// pki_ldif.cpp - `x400sec pki ldif`: the directory entries for a test PKI.
#include "tools/pki_ldif.h"

#include <openssl/asn1t.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>
#include <vector>

#include "tools/pki_common.h"

// X.509 (1997) section 11.2.3 and RFC 4523 section 2.3:
//   CertificatePair ::= SEQUENCE {
//       forward [0] Certificate OPTIONAL,    -- issued to this CA
//       reverse [1] Certificate OPTIONAL }   -- issued by this CA
// The module uses explicit tagging, hence ASN1_EXP_OPT.  The template lives
// at file scope because OpenSSL's macros define an external item function.
struct X400_CERT_PAIR {
    X509* forward;
    X509* reverse;
};

ASN1_SEQUENCE(X400_CERT_PAIR) = {
    ASN1_EXP_OPT(X400_CERT_PAIR, forward, X509, 0),
    ASN1_EXP_OPT(X400_CERT_PAIR, reverse, X509, 1),
} ASN1_SEQUENCE_END(X400_CERT_PAIR)

namespace x400::tools {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_command = "pki ldif";
constexpr std::size_t k_ldif_width = 76;

// ---- LDIF text (RFC 2849) ----------------------------------------------

std::string base64(const std::uint8_t* data, std::size_t len)
{
    std::string out(4 * ((len + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                            static_cast<int>(len));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// safe_string tells whether a value may follow "attr: " as it is (the
// SAFE-STRING production); a trailing space is base64 too, as the RFC
// advises.
bool safe_string(std::string_view v)
{
    if (v.empty()) {
        return true;
    }
    if (v.front() == ' ' || v.front() == ':' || v.front() == '<' || v.back() == ' ') {
        return false;
    }
    auto unsafe = [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u == 0 || u == '\n' || u == '\r' || u > 0x7f;
    };
    return std::none_of(v.begin(), v.end(), unsafe);
}

class LdifWriter {
public:
    LdifWriter() { m_out = "version: 1\n"; }

    void entry(std::string_view dn)
    {
        m_out += '\n';
        value("dn", dn);
    }

    // value writes a text value, base64-encoded when it is not safe.
    void value(std::string_view attr, std::string_view v)
    {
        if (safe_string(v)) {
            line(std::string(attr) + ": " + std::string(v));
        } else {
            binary(attr, Bytes(v.begin(), v.end()));
        }
    }

    void binary(std::string_view attr, const Bytes& v)
    {
        line(std::string(attr) + ":: " + base64(v.data(), v.size()));
    }

    const std::string& text() const { return m_out; }

private:
    // line folds at k_ldif_width columns; continuation lines start with a
    // space, which the reader drops (RFC 2849, note 2).
    void line(const std::string& s)
    {
        std::size_t pos = std::min(s.size(), k_ldif_width);
        m_out.append(s, 0, pos);
        m_out += '\n';
        while (pos < s.size()) {
            std::size_t n = std::min(s.size() - pos, k_ldif_width - 1);
            m_out += ' ';
            m_out.append(s, pos, n);
            m_out += '\n';
            pos += n;
        }
    }

    std::string m_out;
};

// ---- reading the tree --------------------------------------------------

struct Ca {
    std::string domain;
    Labels labels;
    X509Ptr cert;
    std::vector<X509Ptr> issued_to;  // cross-certificates for this CA's key
    std::vector<X509Ptr> issued_by;  // cross-certificates this CA signed
    Bytes crl;                       // DER CRL from ca/<domain>.crl, if any
};

struct Leaf {
    std::string dn;
    std::string local;   // empty for a message store
    std::string mail;
    X509Ptr cert;
};

struct Tree {
    Labels suffix;
    std::vector<Ca> cas;
    std::vector<Leaf> leaves;
};

// list_certs returns the stems of dir/*.<ext>, sorted; a missing directory
// is an error only when required.
Result<std::vector<std::string>> list_certs(const fs::path& dir, std::string_view ext,
                                            bool required)
{
    std::error_code ec;
    std::vector<std::string> stems;
    if (!required && !fs::exists(dir, ec)) {
        return stems;
    }
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() > ext.size() && name.ends_with(ext)) {
            stems.push_back(name.substr(0, name.size() - ext.size()));
        }
    }
    if (ec) {
        return make_error(Errc::io, dir.string() + ": " + ec.message());
    }
    std::sort(stems.begin(), stems.end());
    return stems;
}

Ca* find_ca(Tree& tree, const X509_NAME* name)
{
    for (auto& ca : tree.cas) {
        if (X509_NAME_cmp(X509_get_subject_name(ca.cert.get()), name) == 0) {
            return &ca;
        }
    }
    return nullptr;
}

Ca* find_domain(Tree& tree, std::string_view domain)
{
    for (auto& ca : tree.cas) {
        if (ca.domain == domain) {
            return &ca;
        }
    }
    return nullptr;
}

// read_crl reads a DER CRL that pki create wrote; none is no error.
Result<Bytes> read_crl(const fs::path& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return Bytes();
    }
    std::ifstream in(path, std::ios::binary);
    Bytes der((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const unsigned char* p = der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
    if (!in.good() && !in.eof()) {
        return make_error(Errc::io, path.string() + ": cannot read");
    }
    if (!crl || p != der.data() + der.size()) {
        return ossl_error(Errc::decode, path.string() + ": not a DER CRL");
    }
    return der;
}

Status read_cas(const fs::path& dir, Tree& tree)
{
    auto stems = list_certs(dir / k_dir_ca, ".crt", true);
    if (!stems) {
        return stems.error();
    }
    for (const auto& domain : *stems) {
        auto labels = parse_domain(domain, tree.suffix);
        if (!labels) {
            return labels.error();
        }
        auto cert = read_cert(dir / k_dir_ca / (domain + ".crt"));
        if (!cert) {
            return cert.error();
        }
        auto crl = read_crl(dir / k_dir_ca / (domain + ".crl"));
        if (!crl) {
            return crl.error();
        }
        tree.cas.push_back(Ca{domain, std::move(labels.value()), std::move(cert.value()), {}, {},
                              std::move(crl.value())});
    }
    if (tree.cas.empty()) {
        return make_error(Errc::io, (dir / k_dir_ca).string() + ": no CA certificates");
    }
    return {};
}

// read_cross files each cross-certificate under the CA it was issued to
// and the CA that issued it, matching names rather than file names.
Status read_cross(const fs::path& dir, Tree& tree)
{
    auto stems = list_certs(dir / k_dir_cross, ".crt", false);
    if (!stems) {
        return stems.error();
    }
    for (const auto& stem : *stems) {
        fs::path path = dir / k_dir_cross / (stem + ".crt");
        auto cert = read_cert(path);
        if (!cert) {
            return cert.error();
        }
        Ca* to = find_ca(tree, X509_get_subject_name(cert->get()));
        Ca* by = find_ca(tree, X509_get_issuer_name(cert->get()));
        if (to == nullptr || by == nullptr || to == by) {
            return make_error(Errc::decode,
                              path.string() + ": subject and issuer are not two of our CAs");
        }
        to->issued_to.push_back(up_ref(cert->get()));
        by->issued_by.push_back(std::move(cert.value()));
    }
    return {};
}

Status read_leaf(const fs::path& path, Tree& tree, const std::string& domain,
                 const std::string& local, const std::string& mail)
{
    Ca* ca = find_domain(tree, domain);
    if (ca == nullptr) {
        return make_error(Errc::decode, path.string() + ": domain has no CA in ca/");
    }
    auto cert = read_cert(path);
    if (!cert) {
        return cert.error();
    }
    std::string cn = local.empty() ? "MS" : dn_value(local);
    tree.leaves.push_back(Leaf{"cn=" + cn + "," + dc_dn(ca->labels), local, mail,
                               std::move(cert.value())});
    return {};
}

Status read_leaves(const fs::path& dir, Tree& tree)
{
    auto users = list_certs(dir / k_dir_users, ".crt", false);
    auto stores = list_certs(dir / k_dir_ms, ".crt", false);
    if (!users || !stores) {
        return users ? stores.error() : users.error();
    }
    for (const auto& stem : *stores) {
        X400_TRY(read_leaf(dir / k_dir_ms / (stem + ".crt"), tree, stem, "", ""));
    }
    for (const auto& stem : *users) {
        auto addr = parse_address(stem);
        if (!addr) {
            return addr.error();
        }
        fs::path path = dir / k_dir_users / (stem + ".crt");
        X400_TRY(read_leaf(path, tree, addr->domain, addr->local, addr->text));
    }
    return {};
}

// ---- rendering ---------------------------------------------------------

// write_dc_entries writes the suffix and every dc entry down to each
// domain, shallower entries first so that parents precede children.
void write_dc_entries(LdifWriter& w, const Tree& tree)
{
    w.entry(dc_dn(tree.suffix));
    for (const char* oc : {"top", "dcObject", "organization"}) {
        w.value("objectClass", oc);
    }
    w.value("dc", tree.suffix.front());
    w.value("o", "x400sec test directory");

    std::vector<Labels> names;
    for (const auto& ca : tree.cas) {
        for (std::size_t n = tree.suffix.size() + 1; n <= ca.labels.size(); ++n) {
            Labels tail(ca.labels.end() - static_cast<long>(n), ca.labels.end());
            if (std::find(names.begin(), names.end(), tail) == names.end()) {
                names.push_back(std::move(tail));
            }
        }
    }
    auto shallower = [](const Labels& a, const Labels& b) { return a.size() < b.size(); };
    std::stable_sort(names.begin(), names.end(), shallower);
    for (const auto& labels : names) {
        std::string domain;
        for (const auto& label : labels) {
            domain += (domain.empty() ? "" : ".") + label;
        }
        w.entry(dc_dn(labels));
        for (const char* oc : {"top", "dcObject", "organization"}) {
            w.value("objectClass", oc);
        }
        w.value("dc", labels.front());
        w.value("o", domain);
    }
}

Status write_ca_entry(LdifWriter& w, const Ca& ca)
{
    auto der = i2d_bytes(i2d_X509, ca.cert.get());
    if (!der) {
        return der.error();
    }
    w.entry("cn=CA," + dc_dn(ca.labels));
    for (const char* oc : {"top", "organizationalRole", "pkiCA"}) {
        w.value("objectClass", oc);
    }
    w.value("cn", "CA");
    w.binary("cACertificate;binary", *der);
    if (!ca.crl.empty()) {
        w.binary("certificateRevocationList;binary", ca.crl);
    }

    // One value per half, as RFC 2587 section 3.2 permits.
    for (const auto& cert : ca.issued_to) {
        auto pair = cert_pair_der(cert.get(), nullptr);
        if (!pair) {
            return pair.error();
        }
        w.binary("crossCertificatePair;binary", *pair);
    }
    for (const auto& cert : ca.issued_by) {
        auto pair = cert_pair_der(nullptr, cert.get());
        if (!pair) {
            return pair.error();
        }
        w.binary("crossCertificatePair;binary", *pair);
    }
    return {};
}

Status write_leaf_entry(LdifWriter& w, const Leaf& leaf)
{
    auto der = i2d_bytes(i2d_X509, leaf.cert.get());
    if (!der) {
        return der.error();
    }
    w.entry(leaf.dn);
    if (leaf.local.empty()) {
        for (const char* oc : {"top", "organizationalRole", "pkiUser"}) {
            w.value("objectClass", oc);
        }
        w.value("cn", "MS");
        w.value("description", "x400sec message store");
    } else {
        for (const char* oc :
             {"top", "person", "organizationalPerson", "inetOrgPerson", "pkiUser"}) {
            w.value("objectClass", oc);
        }
        w.value("cn", leaf.local);
        w.value("sn", leaf.local);
        w.value("mail", leaf.mail);
    }
    w.binary("userCertificate;binary", *der);
    return {};
}

}  // namespace

Result<Bytes> cert_pair_der(X509* forward, X509* reverse)
{
    X400_CERT_PAIR pair{forward, reverse};
    unsigned char* out = nullptr;
    int len = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(&pair), &out,
                            ASN1_ITEM_rptr(X400_CERT_PAIR));
    if (len <= 0) {
        return ossl_error(Errc::internal, "DER encoding of CertificatePair");
    }
    OsslBytes guard(out);
    return Bytes(out, out + len);
}

Result<std::string> pki_ldif(const PkiLdifOptions& opts)
{
    Tree tree;
    auto suffix = parse_suffix(opts.suffix);
    if (!suffix) {
        return suffix.error();
    }
    tree.suffix = std::move(suffix.value());
    X400_TRY(read_cas(opts.dir, tree));
    X400_TRY(read_cross(opts.dir, tree));
    X400_TRY(read_leaves(opts.dir, tree));

    LdifWriter w;
    write_dc_entries(w, tree);
    for (const auto& ca : tree.cas) {
        X400_TRY(write_ca_entry(w, ca));
    }
    for (const auto& leaf : tree.leaves) {
        X400_TRY(write_leaf_entry(w, leaf));
    }
    return w.text();
}

void pki_ldif_usage(std::FILE* out)
{
    std::fputs(
        "usage: x400sec pki ldif --dir DIR --suffix DN [-o FILE]\n"
        "\n"
        "Write LDIF for the PKI that 'x400sec pki create' made in DIR: the dc\n"
        "entries, a pkiCA entry per domain CA with its cross-certificate pairs,\n"
        "and pkiUser entries for users and message stores (RFC 4523 schema).\n"
        "\n"
        "  --dir DIR          the PKI directory\n"
        "  --suffix DN        the directory suffix given to 'pki create'\n"
        "  -o, --output FILE  write to FILE instead of standard output\n",
        out);
}

namespace {

struct LdifCommand {
    PkiLdifOptions opts;
    std::string output;  // empty or "-": standard output
};

Result<LdifCommand> command_from(const ParsedOptions& parsed)
{
    if (!parsed.positional.empty()) {
        return make_error(Errc::config,
                          "'" + parsed.positional.front() + "': unexpected argument");
    }
    for (const char* need : {"--dir", "--suffix"}) {
        if (!parsed.has(need)) {
            return make_error(Errc::config, std::string(need) + ": is required");
        }
    }
    if (parsed.has("-o") && parsed.has("--output")) {
        return make_error(Errc::config, "-o: given more than once");
    }
    return LdifCommand{PkiLdifOptions{parsed.get("--dir"), parsed.get("--suffix")},
                       parsed.get("-o", parsed.get("--output"))};
}

Status emit(const std::string& output, const std::string& text)
{
    if (!output.empty() && output != "-") {
        return write_file(output, text, 0644);
    }
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
        return make_error(Errc::io, "standard output: write failed");
    }
    return {};
}

}  // namespace

int pki_ldif_main(const Args& args)
{
    static constexpr OptionSpec specs[] = {
        {"--dir", OptKind::single},
        {"--suffix", OptKind::single},
        {"-o", OptKind::single},
        {"--output", OptKind::single},
    };
    auto parsed = parse_options(args, specs);
    if (parsed && parsed->help) {
        pki_ldif_usage(stdout);
        return k_exit_ok;
    }
    auto cmd = parsed ? command_from(*parsed) : Result<LdifCommand>(parsed.error());
    if (!cmd) {
        print_error(k_command, cmd.error());
        std::fputs("try 'x400sec pki ldif --help'\n", stderr);
        return k_exit_usage;
    }
    auto ldif = pki_ldif(cmd->opts);
    Status st = ldif ? emit(cmd->output, *ldif) : Status(ldif.error());
    if (!st) {
        print_error(k_command, st.error());
        return st.error().code == Errc::config ? k_exit_usage : k_exit_failure;
    }
    return k_exit_ok;
}

}  // namespace x400::tools
