#!/bin/bash
# t-ldap-client.sh - the LDAP client options against a real slapd (issue
# #3, item 1): simple bind with a password file, SASL EXTERNAL over
# ldapi://, StartTLS and ldaps:// with a test CA.
#
# The slapd lets anonymous clients do nothing but bind, so that a found
# certificate proves the bind worked.  A test PKI made with the openssl
# command line: CA "CN=CA,DC=example" with a server certificate for
# 127.0.0.1 and alice@example with the user-agent purpose (no CRL: the
# tests accept a missing CRL).  Runs ldap_client_test.  Needs X400_BUILD and
# X400_SOURCE (set by CTest).  Exit 0 means pass.
set -u

: "${X400_BUILD:?X400_BUILD not set}"
: "${X400_SOURCE:?X400_SOURCE not set}"
PORT=3893
LDAPS_PORT=3896
EKU_UA=2.25.81980413949618585488992905734276048232.1
CLIENT=$X400_BUILD/tests/ldap_client_test

. "$X400_SOURCE/tests/lib/slapd.sh"

fail() {
    echo "t-ldap-client: $*" >&2
    exit 1
}

[ -x "$CLIENT" ] || fail "$CLIENT not built (cmake --build ... --target ldap_client_test)"

W=$(mktemp -d /tmp/t-ldap-client.XXXXXX) || fail "mktemp failed"
P=$W/pki
mkdir -p "$P"
cleanup() {
    slapd_stop "$W/slapd"
    if [ "${X400_KEEP:-}" = 1 ]; then
        echo "t-ldap-client: kept $W" >&2
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT

ossl() {
    openssl "$@" >>"$P/openssl.log" 2>&1 || {
        cat "$P/openssl.log" >&2
        fail "openssl $1 failed"
    }
}

cat >"$P/ext.cnf" <<EOF2
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[ua]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = $EKU_UA
subjectAltName = email:alice@example
EOF2

# make_ca FILE NAME: a self-signed CA "CN=NAME,DC=example".
make_ca() {
    ossl req -x509 -newkey rsa:2048 -nodes -keyout "$P/$1.key" -out "$P/$1.pem" -days 30 \
        -subj "/DC=example/CN=$2" -config "$P/ext.cnf" -extensions ca -set_serial 1
}
# issue NAME SUBJECT PROFILE: a certificate by the CA.
issue() {
    ossl req -new -newkey rsa:2048 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2" \
        -config "$P/ext.cnf"
    ossl x509 -req -in "$P/$1.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -set_serial "$4" \
        -days 30 -sha256 -extfile "$P/ext.cnf" -extensions "$3" -out "$P/$1.pem"
}
export OPENSSL_CONF=$P/ext.cnf
make_ca ca CA
make_ca other-ca "Other CA"
issue server "/CN=127.0.0.1" server 10
issue alice "/DC=example/CN=alice" ua 11
for f in ca alice; do
    ossl x509 -in "$P/$f.pem" -outform DER -out "$P/$f.der"
done
chmod 644 "$P/server.key"   # slapd may run as another user

cat >"$W/dir.ldif" <<EOF2
dn: dc=example
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: cn=reader,dc=example
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: reader-secret

dn: cn=CA,dc=example
objectClass: organizationalRole
objectClass: pkiCA
cn: CA
cACertificate;binary:< file://$P/ca.der

dn: uid=alice,dc=example
objectClass: inetOrgPerson
objectClass: pkiUser
uid: alice
cn: alice
sn: alice
mail: alice@example
userCertificate;binary:< file://$P/alice.der
EOF2

export SLAPD_LDAPI=1 SLAPD_LDAPS_PORT=$LDAPS_PORT
export SLAPD_TLS_CERT=$P/server.pem SLAPD_TLS_KEY=$P/server.key SLAPD_TLS_CA=$P/ca.pem
export SLAPD_ACCESS="access to attrs=userPassword by anonymous auth by * none
access to * by users read by anonymous auth"
slapd_start "$W/slapd" "$PORT" dc=example || fail "cannot start slapd"
slapd_load "$W/slapd" "$W/dir.ldif" || fail "cannot load the directory"

# Anonymous clients must see nothing, or the bind tests prove nothing.
n=$(ldapsearch -x -LLL -H "$SLAPD_URI" -b dc=example "(mail=alice@example)" dn 2>/dev/null \
    | grep -c '^dn:')
[ "$n" = 0 ] || fail "anonymous search found $n entries; the ACL does not hold"

umask 077
printf 'reader-secret\n' >"$W/password"
printf 'wrong\n' >"$W/wrong-password"
printf 'reader-secret\n' >"$W/open-password"
chmod 640 "$W/open-password"

export X400_LDAP_URI=$SLAPD_URI
export X400_LDAPI_URI=$SLAPD_LDAPI_URI
export X400_LDAPS_URI=$SLAPD_LDAPS_URI
export X400_LDAP_BASE=dc=example
export X400_BIND_DN=cn=reader,dc=example
export X400_PASSWORD_FILE=$W/password
export X400_WRONG_PASSWORD_FILE=$W/wrong-password
export X400_OPEN_PASSWORD_FILE=$W/open-password
export X400_PKI=$P

"$CLIENT" --log_level="${X400_LOG_LEVEL:-test_suite}" --report_level=short
rc=$?
[ $rc -eq 0 ] || fail "ldap_client_test failed (exit $rc)"
echo "t-ldap-client: pass"
