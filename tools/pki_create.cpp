// pki_create.cpp - `x400sec pki create`: a test PKI of cross-certified CAs.
#include "tools/pki_create.h"

#include <sys/stat.h>

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>

#include "core/scope.h"
#include "tools/pki_common.h"

namespace x400::tools {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_command = "pki create";

enum class UserKind { normal, expired, untrusted };

struct PlannedUser {
    Address address;
    UserKind kind;
};

struct Domain {
    std::string name;
    Labels labels;
};

// Plan is the checked form of the options.
struct Plan {
    std::vector<Domain> domains;
    std::vector<PlannedUser> users;
};

// KeyPair is a certificate with its private key.
struct KeyPair {
    X509Ptr cert;
    EvpPkeyPtr key;
};

// Validity is an offset from now for each end: days plus seconds.
struct Validity {
    int from_days;
    long from_secs;
    int to_days;
    long to_secs;
};

// Rdns lists a name's attributes in X.509 order, most significant first.
using Rdns = std::vector<std::pair<std::string, std::string>>;
using Extensions = std::vector<std::pair<int, std::string>>;

Error config_error(std::string what, std::string_view why)
{
    return make_error(Errc::config, std::move(what) + ": " + std::string(why));
}

// ---- checking the options ----------------------------------------------

Status add_users(Plan& plan, const std::vector<std::string>& list, UserKind kind)
{
    for (const auto& text : list) {
        auto addr = parse_address(text);
        if (!addr) {
            return addr.error();
        }
        std::string what = "address '" + addr->text + "'";
        auto in_domain = [&](const Domain& d) { return d.name == addr->domain; };
        if (std::none_of(plan.domains.begin(), plan.domains.end(), in_domain)) {
            return config_error(what, "its domain is not one of the --domain values");
        }
        auto same = [&](const PlannedUser& u) { return u.address.text == addr->text; };
        if (std::any_of(plan.users.begin(), plan.users.end(), same)) {
            return config_error(what, "given more than once");
        }

        // cn=CA and cn=MS are taken by the domain's CA and message store.
        auto is = [&](std::string_view name) {
            return addr->local.size() == 2 &&
                   std::equal(name.begin(), name.end(), addr->local.begin(),
                              [](char a, char b) { return a == (b | 0x20); });
        };
        if (is("ca") || is("ms")) {
            return config_error(what, "local part clashes with the CA or MS entry name");
        }
        plan.users.push_back(PlannedUser{std::move(addr.value()), kind});
    }
    return {};
}

Result<Plan> make_plan(const PkiCreateOptions& opts)
{
    auto suffix = parse_suffix(opts.suffix);
    if (!suffix) {
        return suffix.error();
    }
    Plan plan;
    for (const auto& name : opts.domains) {
        auto labels = parse_domain(name, *suffix);
        if (!labels) {
            return labels.error();
        }
        Domain d{"", std::move(labels.value())};
        for (const auto& label : d.labels) {
            d.name += (d.name.empty() ? "" : ".") + label;
        }
        auto same = [&](const Domain& o) { return o.name == d.name; };
        if (std::any_of(plan.domains.begin(), plan.domains.end(), same)) {
            return config_error("domain '" + d.name + "'", "given more than once");
        }
        plan.domains.push_back(std::move(d));
    }
    if (plan.domains.empty()) {
        return config_error("--domain", "at least one is needed");
    }
    X400_TRY(add_users(plan, opts.users, UserKind::normal));
    X400_TRY(add_users(plan, opts.expired, UserKind::expired));
    X400_TRY(add_users(plan, opts.untrusted, UserKind::untrusted));
    return plan;
}

// ---- the output directory ----------------------------------------------

Status make_subdir(const fs::path& path, mode_t mode)
{
    std::error_code ec;
    fs::create_directory(path, ec);
    if (ec || ::chmod(path.c_str(), mode) != 0) {
        return make_error(Errc::io, path.string() + ": cannot create directory: " +
                                        (ec ? ec.message() : std::string("chmod failed")));
    }
    return {};
}

// prepare_dir creates dir and its subdirectories.  A non-empty dir is used
// only with force, and then our subdirectories are emptied first so that
// the tree matches this command line exactly.
Status prepare_dir(const fs::path& dir, bool force)
{
    std::error_code ec;
    bool exists = fs::exists(dir, ec);
    if (exists && !fs::is_directory(dir, ec)) {
        return make_error(Errc::io, dir.string() + ": not a directory");
    }
    if (exists && !fs::is_empty(dir, ec)) {
        if (!force) {
            return make_error(Errc::io, dir.string() + ": not empty (use --force)");
        }
        for (const char* sub : {k_dir_ca, k_dir_cross, k_dir_users, k_dir_ms, k_dir_anchors,
                                k_dir_rogue}) {
            fs::remove_all(dir / sub, ec);
            if (ec) {
                return make_error(Errc::io, (dir / sub).string() + ": " + ec.message());
            }
        }
    }
    fs::create_directories(dir, ec);
    if (ec) {
        return make_error(Errc::io, dir.string() + ": cannot create: " + ec.message());
    }

    // Directories holding private keys are for the owner only.
    for (const char* sub : {k_dir_ca, k_dir_users, k_dir_ms, k_dir_rogue}) {
        X400_TRY(make_subdir(dir / sub, 0700));
    }
    for (const char* sub : {k_dir_cross, k_dir_anchors}) {
        X400_TRY(make_subdir(dir / sub, 0755));
    }
    return {};
}

// ---- building certificates ---------------------------------------------

Result<EvpPkeyPtr> make_rsa_key(long bits)
{
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
    if (!key) {
        return ossl_error(Errc::crypto, "RSA key generation");
    }
    return key;
}

Result<X509NamePtr> make_name(const Rdns& rdns)
{
    X509NamePtr name(X509_NAME_new());
    if (!name) {
        return ossl_error(Errc::internal, "X509_NAME_new");
    }
    for (const auto& [type, value] : rdns) {
        auto bytes = reinterpret_cast<const unsigned char*>(value.c_str());
        if (X509_NAME_add_entry_by_txt(name.get(), type.c_str(), MBSTRING_UTF8, bytes, -1, -1,
                                       0) != 1) {
            return ossl_error(Errc::internal, "name attribute " + type + "=" + value);
        }
    }
    return name;
}

// domain_rdns names an entity of a domain: DC=example, DC=a, CN=<cn>.
Rdns domain_rdns(const Labels& labels, const std::string& cn)
{
    Rdns out;
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
        out.emplace_back("DC", *it);
    }
    out.emplace_back("CN", cn);
    return out;
}

// set_serial gives cert a random positive serial of exactly 16 bytes
// (RFC 5280 section 4.1.2.2 allows up to 20).
Status set_serial(X509* cert)
{
    unsigned char buf[16];
    if (RAND_bytes(buf, sizeof buf) != 1) {
        return ossl_error(Errc::crypto, "random serial number");
    }
    buf[0] = static_cast<unsigned char>((buf[0] & 0x7f) | 0x40);
    BignumPtr bn(BN_bin2bn(buf, sizeof buf, nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
        return ossl_error(Errc::internal, "serial number");
    }
    return {};
}

Status add_extensions(X509* cert, X509* issuer, EVP_PKEY* issuer_key, const Extensions& exts)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    if (X509V3_set_issuer_pkey(&ctx, issuer_key) != 1) {
        return ossl_error(Errc::internal, "extension context");
    }
    for (const auto& [nid, value] : exts) {
        X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
        if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
            return ossl_error(Errc::internal,
                              std::string("extension ") + OBJ_nid2sn(nid) + " = " + value);
        }
    }
    return {};
}

// CertRequest says what to certify; a null issuer means self-signed.
struct CertRequest {
    const Rdns* subject;
    EVP_PKEY* public_key;
    const KeyPair* issuer;
    EVP_PKEY* self_key;  // signing key when self-signed
    Validity validity;
    Extensions extensions;
};

Result<X509Ptr> issue(const CertRequest& req)
{
    X509Ptr cert(X509_new());
    auto subject = make_name(*req.subject);
    if (!cert || !subject) {
        return subject ? ossl_error(Errc::internal, "X509_new") : subject.error();
    }
    X509* issuer = req.issuer ? req.issuer->cert.get() : cert.get();
    EVP_PKEY* signer = req.issuer ? req.issuer->key.get() : req.self_key;
    const Validity& v = req.validity;
    bool ok = X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
              X509_set_subject_name(cert.get(), subject->get()) == 1 &&
              X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) == 1 &&
              X509_set_pubkey(cert.get(), req.public_key) == 1 &&
              X509_time_adj_ex(X509_getm_notBefore(cert.get()), v.from_days, v.from_secs,
                               nullptr) != nullptr &&
              X509_time_adj_ex(X509_getm_notAfter(cert.get()), v.to_days, v.to_secs,
                               nullptr) != nullptr;
    if (!ok) {
        return ossl_error(Errc::internal, "certificate fields");
    }
    X400_TRY(set_serial(cert.get()));
    X400_TRY(add_extensions(cert.get(), issuer, signer, req.extensions));
    if (X509_sign(cert.get(), signer, EVP_sha256()) <= 0) {
        return ossl_error(Errc::crypto, "signing certificate");
    }
    return cert;
}

Extensions ca_extensions()
{
    return {{NID_basic_constraints, "critical,CA:TRUE"},
            {NID_key_usage, "critical,keyCertSign,cRLSign"},
            {NID_subject_key_identifier, "hash"},
            {NID_authority_key_identifier, "keyid:always"}};
}

// ee_extensions profiles an end entity for a scope of use (core/scope.h).
Extensions ee_extensions(KeyScope scope, const std::string& email)
{
    Extensions exts{{NID_basic_constraints, "critical,CA:FALSE"},
                    {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                    {NID_ext_key_usage, scope_eku_oid(scope)},
                    {NID_subject_key_identifier, "hash"},
                    {NID_authority_key_identifier, "keyid:always"}};
    if (!email.empty()) {
        exts.emplace_back(NID_subject_alt_name, "email:" + email);
    }
    return exts;
}

// ---- the PKI, step by step ---------------------------------------------

struct Builder {
    fs::path dir;
    long bits;
    Validity validity;  // for everything but expired users
};

Result<KeyPair> new_pair(const Builder& b, const Rdns& subject, const KeyPair* issuer,
                         const Validity& validity, Extensions exts)
{
    auto key = make_rsa_key(b.bits);
    if (!key) {
        return key.error();
    }
    CertRequest req{&subject, key->get(), issuer, key->get(), validity, std::move(exts)};
    auto cert = issue(req);
    if (!cert) {
        return cert.error();
    }
    return KeyPair{std::move(cert.value()), std::move(key.value())};
}

Status save_cert(const fs::path& path, X509* cert)
{
    auto pem = pem_cert(cert);
    if (!pem) {
        return pem.error();
    }
    return write_file(path, *pem, 0644);
}

// save_pair writes dir/stem.crt and dir/stem.key (owner-only).
Status save_pair(const fs::path& dir, const std::string& stem, const KeyPair& pair)
{
    X400_TRY(save_cert(dir / (stem + ".crt"), pair.cert.get()));
    auto pem = pem_key(pair.key.get());
    if (!pem) {
        return pem.error();
    }
    std::string_view text(reinterpret_cast<const char*>(pem->data()), pem->size());
    return write_file(dir / (stem + ".key"), text, 0600);
}

// make_crl issues the CA's first CRL: empty, valid as long as the CA's
// certificates, with the crlNumber and authorityKeyIdentifier that RFC 5280
// section 5.2 requires.  Validators that check revocation (ldap/, issue
// #3) refuse a CA that publishes no CRL.
Result<Bytes> make_crl(const KeyPair& ca, const Validity& v)
{
    X509CrlPtr crl(X509_CRL_new());
    Asn1TimePtr this_update(X509_time_adj_ex(nullptr, v.from_days, v.from_secs, nullptr));
    Asn1TimePtr next_update(X509_time_adj_ex(nullptr, v.to_days, v.to_secs, nullptr));
    if (!crl || !this_update || !next_update ||
        X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) != 1 ||
        X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
        X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
        return ossl_error(Errc::internal, "CRL fields");
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
    X509ExtensionPtr akid(
        X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    Asn1IntegerPtr number(ASN1_INTEGER_new());
    if (!akid || !number || ASN1_INTEGER_set(number.get(), 1) != 1 ||
        X509_CRL_add_ext(crl.get(), akid.get(), -1) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
        return ossl_error(Errc::internal, "CRL extensions");
    }
    if (X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) <= 0) {
        return ossl_error(Errc::crypto, "signing CRL");
    }
    return i2d_bytes(i2d_X509_CRL, static_cast<const X509_CRL*>(crl.get()));
}

Result<std::vector<KeyPair>> make_cas(const Builder& b, const Plan& plan)
{
    std::vector<KeyPair> cas;
    for (const auto& d : plan.domains) {
        auto ca = new_pair(b, domain_rdns(d.labels, "CA"), nullptr, b.validity,
                           ca_extensions());
        if (!ca) {
            return ca.error();
        }
        X400_TRY(save_pair(b.dir / k_dir_ca, d.name, *ca));
        X400_TRY(save_cert(b.dir / k_dir_anchors / (d.name + ".pem"), ca->cert.get()));
        auto crl = make_crl(*ca, b.validity);
        if (!crl) {
            return crl.error();
        }
        std::string_view der(reinterpret_cast<const char*>(crl->data()), crl->size());
        X400_TRY(write_file(b.dir / k_dir_ca / (d.name + ".crl"), der, 0644));
        cas.push_back(std::move(ca.value()));
    }
    return cas;
}

// make_cross certifies CA i's name and key by CA j for every i != j.
Status make_cross(const Builder& b, const Plan& plan, const std::vector<KeyPair>& cas)
{
    for (std::size_t i = 0; i < cas.size(); ++i) {
        Rdns subject = domain_rdns(plan.domains[i].labels, "CA");
        for (std::size_t j = 0; j < cas.size(); ++j) {
            if (i == j) {
                continue;
            }
            CertRequest req{&subject, cas[i].key.get(), &cas[j], nullptr, b.validity,
                            ca_extensions()};
            auto cert = issue(req);
            if (!cert) {
                return cert.error();
            }
            std::string stem = plan.domains[i].name + "-by-" + plan.domains[j].name;
            X400_TRY(save_cert(b.dir / k_dir_cross / (stem + ".crt"), cert->get()));
        }
    }
    return {};
}

Status make_message_stores(const Builder& b, const Plan& plan, const std::vector<KeyPair>& cas)
{
    for (std::size_t i = 0; i < cas.size(); ++i) {
        const Domain& d = plan.domains[i];
        auto ms = new_pair(b, domain_rdns(d.labels, "MS"), &cas[i], b.validity,
                           ee_extensions(KeyScope::message_store, ""));
        if (!ms) {
            return ms.error();
        }
        X400_TRY(save_pair(b.dir / k_dir_ms, d.name, *ms));
    }
    return {};
}

// make_rogue returns the rogue CA when some user needs it.
Result<std::optional<KeyPair>> make_rogue(const Builder& b, const Plan& plan)
{
    auto untrusted = [](const PlannedUser& u) { return u.kind == UserKind::untrusted; };
    if (std::none_of(plan.users.begin(), plan.users.end(), untrusted)) {
        return std::optional<KeyPair>();
    }
    Rdns subject{{"O", "Elsewhere"}, {"CN", "Rogue CA"}};
    auto rogue = new_pair(b, subject, nullptr, b.validity, ca_extensions());
    if (!rogue) {
        return rogue.error();
    }
    X400_TRY(save_cert(b.dir / k_dir_rogue / "ca.crt", rogue->cert.get()));
    return std::optional<KeyPair>(std::move(rogue.value()));
}

Status make_users(const Builder& b, const Plan& plan, const std::vector<KeyPair>& cas,
                  const std::optional<KeyPair>& rogue)
{
    // An expired certificate was valid from 30 days ago until yesterday.
    const Validity expired{-30, 0, -1, 0};
    for (const auto& u : plan.users) {
        std::size_t i = 0;
        while (plan.domains[i].name != u.address.domain) {
            ++i;
        }
        const KeyPair* issuer = u.kind == UserKind::untrusted ? &*rogue : &cas[i];
        auto pair = new_pair(b, domain_rdns(plan.domains[i].labels, u.address.local), issuer,
                             u.kind == UserKind::expired ? expired : b.validity,
                             ee_extensions(KeyScope::user_agent, u.address.text));
        if (!pair) {
            return pair.error();
        }
        X400_TRY(save_pair(b.dir / k_dir_users, u.address.text, *pair));
    }
    return {};
}

}  // namespace

Status pki_create(const PkiCreateOptions& opts)
{
    auto plan = make_plan(opts);
    if (!plan) {
        return plan.error();
    }
    X400_TRY(prepare_dir(opts.dir, opts.force));

    // Valid from an hour ago, to tolerate clock skew between test hosts.
    Builder b{opts.dir, opts.bits, Validity{0, -3600, static_cast<int>(opts.days), 0}};
    auto cas = make_cas(b, *plan);
    if (!cas) {
        return cas.error();
    }
    X400_TRY(make_cross(b, *plan, *cas));
    X400_TRY(make_message_stores(b, *plan, *cas));
    auto rogue = make_rogue(b, *plan);
    if (!rogue) {
        return rogue.error();
    }
    return make_users(b, *plan, *cas, *rogue);
}

void pki_create_usage(std::FILE* out)
{
    std::fputs(
        "usage: x400sec pki create --dir DIR --suffix DN --domain D... [options]\n"
        "\n"
        "Create a test PKI: a self-signed CA per mail domain, cross-certificates\n"
        "between every pair of CAs, user and message-store certificates.\n"
        "\n"
        "  --dir DIR          output directory (must be empty, see --force)\n"
        "  --suffix DN        directory suffix of dc= components, e.g. dc=example\n"
        "  --domain D         a mail domain below the suffix (repeatable)\n"
        "  --user ADDR        a user of one of the domains (repeatable)\n"
        "  --expired ADDR     a user whose certificate expired yesterday (repeatable)\n"
        "  --untrusted ADDR   a user certified by a rogue CA (repeatable)\n"
        "  --days N           validity in days (default 365)\n"
        "  --bits N           RSA key size (default 2048)\n"
        "  --force            replace the PKI in a non-empty DIR\n",
        out);
}

namespace {

Result<PkiCreateOptions> options_from(const ParsedOptions& parsed)
{
    if (!parsed.positional.empty()) {
        return config_error("'" + parsed.positional.front() + "'", "unexpected argument");
    }
    for (const char* need : {"--dir", "--suffix"}) {
        if (!parsed.has(need)) {
            return config_error(need, "is required");
        }
    }
    auto days = parse_count("--days", parsed.get("--days", "365"), 1, 36500);
    if (!days) {
        return days.error();
    }
    auto bits = parse_count("--bits", parsed.get("--bits", "2048"), 1024, 16384);
    if (!bits) {
        return bits.error();
    }
    return PkiCreateOptions{parsed.get("--dir"),     parsed.get("--suffix"),
                            parsed.all("--domain"),  parsed.all("--user"),
                            parsed.all("--expired"), parsed.all("--untrusted"),
                            *days,                   *bits,
                            parsed.has("--force")};
}

}  // namespace

int pki_create_main(const Args& args)
{
    static constexpr OptionSpec specs[] = {
        {"--dir", OptKind::single},    {"--suffix", OptKind::single},
        {"--domain", OptKind::multi},  {"--user", OptKind::multi},
        {"--expired", OptKind::multi}, {"--untrusted", OptKind::multi},
        {"--days", OptKind::single},   {"--bits", OptKind::single},
        {"--force", OptKind::flag},
    };
    auto parsed = parse_options(args, specs);
    if (parsed && parsed->help) {
        pki_create_usage(stdout);
        return k_exit_ok;
    }
    auto opts = parsed ? options_from(*parsed) : Result<PkiCreateOptions>(parsed.error());
    Status st = opts ? pki_create(*opts) : Status(opts.error());
    if (st) {
        return k_exit_ok;
    }
    print_error(k_command, st.error());
    if (st.error().code == Errc::config) {
        std::fputs("try 'x400sec pki create --help'\n", stderr);
        return k_exit_usage;
    }
    return k_exit_failure;
}

}  // namespace x400::tools
