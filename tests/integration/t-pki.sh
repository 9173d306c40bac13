#!/bin/bash
# t-pki.sh - `x400sec pki create` and `pki ldif`, judged by the openssl CLI
# and (when tests/lib/slapd.sh is present) by a real slapd.
#
# Environment (set by CTest): X400_BUILD, the build directory, and
# X400_SOURCE, the source tree.  Exit 0 means every check passed.

set -u

X400_BUILD=${X400_BUILD:?X400_BUILD must name the build directory}
X400_SOURCE=${X400_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
X400SEC=$X400_BUILD/tools/x400sec
SLAPD_PORT=3899
SLAPD_LIB=$X400_SOURCE/tests/lib/slapd.sh

failures=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-pki.XXXXXX") || exit 1
slapd_dir=
cleanup() {
    if [ -n "$slapd_dir" ]; then
        slapd_stop "$slapd_dir"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

pass() {
    echo "ok: $*"
}

# expect_ok WHAT CMD... runs CMD and wants exit status 0.
expect_ok() {
    local what=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then
        pass "$what"
    else
        fail "$what: '$*' exited $?"
        cat "$tmp/out" >&2
    fi
}

# expect_fail WHAT PATTERN CMD... wants non-zero status and PATTERN in output.
expect_fail() {
    local what=$1 pattern=$2
    shift 2
    if "$@" >"$tmp/out" 2>&1; then
        fail "$what: '$*' succeeded, want failure"
    elif ! grep -q -- "$pattern" "$tmp/out"; then
        fail "$what: output lacks '$pattern'"
        cat "$tmp/out" >&2
    else
        pass "$what"
    fi
}

# expect_status WHAT WANT CMD... wants exit status WANT.
expect_status() {
    local what=$1 want=$2 got
    shift 2
    "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" -eq "$want" ]; then
        pass "$what"
    else
        fail "$what: '$*' exited $got, want $want"
        cat "$tmp/out" >&2
    fi
}

[ -x "$X400SEC" ] || { echo "FAIL: $X400SEC not built" >&2; exit 1; }

# The key purposes, as core/scope.h spells them: the quoted OID after the
# name, on the same line or the next (however the formatter wraps it).
eku_oid() {
    tr -d '\n' <"$X400_SOURCE/core/scope.h" |
        grep -o "$1 *= *\"[0-9.]*\"" | grep -o '"[0-9.]*"' | tr -d '"'
}
EKU_UA=$(eku_oid k_oid_eku_user_agent)
EKU_MS=$(eku_oid k_oid_eku_message_store)
[ -n "$EKU_UA" ] && [ -n "$EKU_MS" ] || { echo "FAIL: no EKU OIDs in core/scope.h" >&2; exit 1; }

# ---- pki create --------------------------------------------------------

pki=$tmp/pki
expect_ok "pki create" "$X400SEC" pki create --dir "$pki" --suffix dc=example \
    --domain a.example --domain b.example \
    --user alice@a.example --user bob@b.example --user carol@b.example \
    --expired dave@b.example --untrusted mallory@b.example --days 30
cd "$pki" || exit 1

expect_ok "alice verifies under her own anchor" \
    openssl verify -CAfile anchors/a.example.pem users/alice@a.example.crt
expect_ok "alice verifies from b.example through the cross-certificate" \
    openssl verify -CAfile anchors/b.example.pem \
    -untrusted cross/a.example-by-b.example.crt users/alice@a.example.crt
expect_ok "bob verifies from a.example through the cross-certificate" \
    openssl verify -CAfile anchors/a.example.pem \
    -untrusted cross/b.example-by-a.example.crt users/bob@b.example.crt
expect_fail "bob does not verify under a.example without a cross-certificate" \
    "unable to get local issuer certificate" \
    openssl verify -CAfile anchors/a.example.pem users/bob@b.example.crt
expect_fail "the expired user is refused" "certificate has expired" \
    openssl verify -CAfile anchors/b.example.pem users/dave@b.example.crt
expect_fail "the rogue CA's user is refused" "unable to get local issuer certificate" \
    openssl verify -CAfile anchors/b.example.pem -untrusted cross/a.example-by-b.example.crt \
    users/mallory@b.example.crt
expect_ok "the rogue CA did issue mallory" \
    openssl verify -CAfile rogue/ca.crt users/mallory@b.example.crt
expect_ok "the message store verifies" \
    openssl verify -CAfile anchors/b.example.pem ms/b.example.crt

# Names, extensions and the key purposes of core/scope.h.
subject() {
    openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'
}
[ "$(subject ca/a.example.crt)" = "CN=CA,DC=a,DC=example" ] &&
    pass "CA subject" || fail "CA subject is '$(subject ca/a.example.crt)'"
[ "$(subject users/carol@b.example.crt)" = "CN=carol,DC=b,DC=example" ] &&
    pass "user subject" || fail "user subject is '$(subject users/carol@b.example.crt)'"
[ "$(subject ms/b.example.crt)" = "CN=MS,DC=b,DC=example" ] &&
    pass "MS subject" || fail "MS subject is '$(subject ms/b.example.crt)'"
openssl x509 -in users/alice@a.example.crt -noout -ext subjectAltName |
    grep -q "email:alice@a.example" && pass "alice's subjectAltName" ||
    fail "alice's certificate lacks email:alice@a.example"
openssl x509 -in users/alice@a.example.crt -noout -text | grep -qF "$EKU_UA" &&
    pass "user-agent purpose on alice" || fail "alice lacks EKU $EKU_UA"
openssl x509 -in ms/a.example.crt -noout -text | grep -qF "$EKU_MS" &&
    pass "message-store purpose on the MS" || fail "MS lacks EKU $EKU_MS"
openssl x509 -in ca/a.example.crt -noout -ext basicConstraints,keyUsage |
    tr -d '\n' | grep -q "critical.*CA:TRUE.*critical.*Certificate Sign, CRL Sign" &&
    pass "CA extensions" || fail "CA basicConstraints/keyUsage wrong"
serial=$(openssl x509 -in users/bob@b.example.crt -noout -serial | sed 's/^serial=//')
[ ${#serial} -eq 32 ] && pass "16-byte serial" || fail "serial $serial is not 16 bytes"

# Private keys are for the owner only.
for key in ca/*.key users/*.key ms/*.key; do
    mode=$(stat -c %a "$key")
    [ "$mode" = 600 ] || fail "$key has mode $mode, want 600"
done
[ "$(stat -c %a users)" = 700 ] || fail "users/ has mode $(stat -c %a users), want 700"
pass "key file modes"
cd "$tmp" || exit 1

# Refusals: an existing PKI without --force, a domain outside the suffix.
expect_status "non-empty directory refused" 1 "$X400SEC" pki create --dir "$pki" \
    --suffix dc=example --domain a.example
expect_fail "domain outside the suffix is a usage error" "not below suffix" \
    "$X400SEC" pki create --dir "$tmp/other" --suffix dc=example --domain a.example.org
expect_status "usage error exits 2" 2 "$X400SEC" pki create --dir "$tmp/other" \
    --suffix dc=example --domain a.example.org
expect_status "unknown option exits 2" 2 "$X400SEC" pki create --bogus
expect_status "top-level help" 0 "$X400SEC" --help
expect_status "pki help" 0 "$X400SEC" pki --help

# ---- pki ldif ----------------------------------------------------------

ldif=$tmp/pki.ldif
expect_ok "pki ldif" "$X400SEC" pki ldif --dir "$pki" --suffix dc=example -o "$ldif"
for dn in dc=example dc=a,dc=example dc=b,dc=example \
    cn=CA,dc=a,dc=example cn=CA,dc=b,dc=example \
    cn=MS,dc=a,dc=example cn=MS,dc=b,dc=example \
    cn=alice,dc=a,dc=example cn=bob,dc=b,dc=example cn=carol,dc=b,dc=example \
    cn=dave,dc=b,dc=example cn=mallory,dc=b,dc=example; do
    grep -qx "dn: $dn" "$ldif" || fail "LDIF lacks dn: $dn"
done
n=$(grep -c '^dn: ' "$ldif")
[ "$n" -eq 12 ] || fail "LDIF has $n entries, want 12"
n=$(grep -c '^cACertificate;binary:: ' "$ldif")
[ "$n" -eq 2 ] || fail "LDIF has $n cACertificate values, want 2 (no rogue CA)"

# Unfold the LDIF (RFC 2849) and look for the rogue CA's certificate.
# The untrusted user is published; the CA that issued it is not.
unfold() {
    sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' "$1"
}
b64_der() {
    openssl x509 -in "$1" -outform DER | base64 -w0
}
unfold "$ldif" | grep -qF "$(b64_der "$pki/users/mallory@b.example.crt")" ||
    fail "LDIF lacks mallory's certificate"
unfold "$ldif" | grep -qF "$(b64_der "$pki/rogue/ca.crt")" &&
    fail "LDIF holds the rogue CA's certificate"
awk 'length($0) > 76 { bad = 1 } END { exit bad }' "$ldif" || fail "LDIF line over 76 columns"
pass "LDIF entries"

# ---- the LDIF in a real directory --------------------------------------

# der_of FILE prints a certificate's DER as one line of hex.
der_of() {
    openssl x509 -in "$1" -outform DER | od -An -v -tx1 | tr -d ' \n'
}

# check_directory loads the LDIF into slapd and reads the CA entry back.
check_directory() {
    local vals="$tmp/vals" n v i tags
    slapd_dir=$tmp/slapd
    slapd_start "$slapd_dir" "$SLAPD_PORT" dc=example || { fail "slapd_start"; return; }
    slapd_load "$slapd_dir" "$ldif" || { fail "slapd_load of the LDIF"; return; }
    pass "LDIF loaded into slapd"

    ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -s base \
        -b cn=CA,dc=a,dc=example cACertificate crossCertificatePair >"$tmp/ca.ldif" ||
        { fail "ldapsearch of cn=CA,dc=a,dc=example"; return; }
    n=$(grep -c '^cACertificate;binary:: ' "$tmp/ca.ldif")
    [ "$n" -eq 1 ] || fail "cn=CA,dc=a has $n cACertificate;binary, want 1"
    n=$(grep -c '^crossCertificatePair;binary:: ' "$tmp/ca.ldif")
    [ "$n" -eq 2 ] || fail "cn=CA,dc=a has $n crossCertificatePair;binary, want 2"

    # Each pair is a SEQUENCE with one explicitly tagged half: forward [0]
    # holds a-by-b (issued to CA a), reverse [1] holds b-by-a (issued by it).
    tags=
    i=0
    mkdir -p "$vals"
    sed -n 's/^crossCertificatePair;binary:: //p' "$tmp/ca.ldif" | while read -r v; do
        i=$((i + 1))
        printf '%s' "$v" | base64 -d >"$vals/pair$i.der"
    done
    for v in "$vals"/pair*.der; do
        openssl asn1parse -inform DER -in "$v" >"$v.txt" || fail "$v does not parse"
        hex=$(od -An -v -tx1 "$v" | tr -d ' \n')
        if grep -q 'd=1 .*cont \[ 0 \]' "$v.txt"; then
            tags="$tags 0"
            [[ $hex == *"$(der_of "$pki/cross/a.example-by-b.example.crt")"* ]] ||
                fail "forward [0] of CA a does not hold a.example-by-b.example"
        elif grep -q 'd=1 .*cont \[ 1 \]' "$v.txt"; then
            tags="$tags 1"
            [[ $hex == *"$(der_of "$pki/cross/b.example-by-a.example.crt")"* ]] ||
                fail "reverse [1] of CA a does not hold b.example-by-a.example"
        fi
    done
    [ "$(echo $tags | tr ' ' '\n' | sort | tr -d '\n')" = 01 ] &&
        pass "crossCertificatePair values: cont [ 0 ] and cont [ 1 ]" ||
        fail "crossCertificatePair tags are '$tags', want one [0] and one [1]"

    # A user's certificate comes back byte for byte, found by mail.
    ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -b dc=example \
        "(mail=alice@a.example)" userCertificate >"$tmp/alice.ldif" ||
        { fail "ldapsearch for alice"; return; }
    v=$(sed -n 's/^userCertificate;binary:: //p' "$tmp/alice.ldif" | base64 -d |
        od -An -v -tx1 | tr -d ' \n')
    [ "$v" = "$(der_of "$pki/users/alice@a.example.crt")" ] &&
        pass "alice's userCertificate;binary from slapd" ||
        fail "alice's certificate from slapd differs from users/alice@a.example.crt"
}

if [ -f "$SLAPD_LIB" ]; then
    # shellcheck source=../lib/slapd.sh
    source "$SLAPD_LIB"
    check_directory
else
    echo "skip: $SLAPD_LIB not present; LDIF not loaded into slapd"
fi

if [ "$failures" -ne 0 ]; then
    echo "t-pki: $failures check(s) failed" >&2
    exit 1
fi
echo "t-pki: all checks passed"
