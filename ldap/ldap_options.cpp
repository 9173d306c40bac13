// ldap_options.cpp - the operator's words for the LDAP client options, and
// the bind password file (see directory.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ldap/directory.h"

namespace x400::ldap {

namespace {

std::string shown(std::string_view text)
{
    return "\"" + std::string(text.substr(0, 100)) + "\"";
}

}  // namespace

Result<BindMethod> bind_method_from(std::string_view text)
{
    if (text == "anonymous") {
        return BindMethod::anonymous;
    }
    if (text == "simple") {
        return BindMethod::simple;
    }
    if (text == "sasl-external") {
        return BindMethod::sasl_external;
    }
    return make_error(Errc::config,
                      "bind method " + shown(text) + ": want anonymous, simple or sasl-external");
}

Result<StartTls> starttls_from(std::string_view text)
{
    if (text == "no") {
        return StartTls::no;
    }
    if (text == "yes") {
        return StartTls::yes;
    }
    if (text == "demand") {
        return StartTls::demand;
    }
    return make_error(Errc::config, "StartTLS " + shown(text) + ": want no, yes or demand");
}

// read_password_file reads the file once, at start-up.  A password that
// others can read is no secret: such a file is refused rather than used
// (as ssh refuses a private key with loose permissions).
Result<std::string> read_password_file(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return make_error(Errc::config,
                          "cannot open password file " + path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(Errc::config, "password file " + path + " is not a regular file");
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ::close(fd);
        return make_error(Errc::config, "password file " + path +
                                            " is open to group or others (chmod 600)");
    }
    std::string text;
    char buf[512];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return make_error(Errc::config,
                              "cannot read password file " + path + ": " + std::strerror(e));
        }
        if (n == 0) {
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > 4096) {
            ::close(fd);
            return make_error(Errc::config, "password file " + path + " is too long");
        }
    }
    ::close(fd);

    // One line: a final newline (as editors write it) is not part of it.
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();
        if (!text.empty() && text.back() == '\r') {
            text.pop_back();
        }
    }
    if (text.empty() || text.find('\n') != std::string::npos) {
        return make_error(Errc::config, "password file " + path + " must hold one line");
    }
    return text;
}

}  // namespace x400::ldap
