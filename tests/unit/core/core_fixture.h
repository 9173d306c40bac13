// core_fixture.h - keys and helpers shared by the core tests.
#pragma once

#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "base/ossl.h"

namespace x400::test {

// rsa_key returns one of a few RSA-2048 keys, generated once per run.
inline EVP_PKEY* rsa_key(int which)
{
    static EvpPkeyPtr keys[4];
    if (!keys[which]) keys[which].reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", 2048));
    return keys[which].get();
}

// TempDir is a scratch directory removed at the end of a test.
struct TempDir {
    std::string path;

    TempDir()
    {
        char tmpl[] = "/tmp/x400sec-test-XXXXXX";
        path = mkdtemp(tmpl);
    }

    ~TempDir()
    {
        std::system(("rm -rf '" + path + "'").c_str());
    }

    std::string file(const std::string& name) const
    {
        return path + "/" + name;
    }
};

inline void write_file(const std::string& path, const void* data, std::size_t len)
{
    std::ofstream f(path, std::ios::binary);
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(len));
}

inline std::string read_file(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

inline void write_public_pem(const std::string& path, EVP_PKEY* key)
{
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    PEM_write_bio_PUBKEY(bio.get(), key);
}

inline void write_private_pem(const std::string& path, EVP_PKEY* key)
{
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
}

// run returns the exit status of a shell command.
inline int run(const std::string& cmd)
{
    int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace x400::test
