#!/bin/bash
# t-ldap-directory.sh - ldap/ against a real slapd (issues #2, #3).
#
# Builds a test PKI with the openssl command line (independent of our
# code): two root CAs, "CN=CA,DC=a,DC=example" and "CN=CA,DC=b,DC=example",
# that cross-certify each other; alice@a.example under CA A and
# bob@b.example under CA B with the user-agent purpose; a message-store
# certificate; an expired user; a user of a CA the directory does not know;
# a revoked user (issue #3).  Each of CA A and CA B publishes a CRL valid
# for 30 days; CA C ("DC=c"), with carol@c.example, publishes none.
# Publishes it in a throwaway slapd (RFC 4523 schema) and runs
# ldap_live_test against it.  Needs X400_BUILD and X400_SOURCE (set by
# CTest).  Exit 0 means pass.
set -u

: "${X400_BUILD:?X400_BUILD not set}"
: "${X400_SOURCE:?X400_SOURCE not set}"
PORT=${X400_LDAP_PORT:-3891}
DEAD_PORT=3898
SILENT_PORT=3894
GARBAGE_PORT=3895
MUTE_PORT=3897
EKU_UA=2.25.81980413949618585488992905734276048232.1
EKU_MS=2.25.81980413949618585488992905734276048232.2
LIVE=$X400_BUILD/tests/ldap_live_test

. "$X400_SOURCE/tests/lib/slapd.sh"

fail() {
    echo "t-ldap-directory: $*" >&2
    exit 1
}

[ -x "$LIVE" ] || fail "$LIVE not built (cmake --build ... --target ldap_live_test)"

W=$(mktemp -d /tmp/t-ldap-directory.XXXXXX) || fail "mktemp failed"
P=$W/pki
mkdir -p "$P"
FAKE_PIDS=()
cleanup() {
    local pid
    for pid in "${FAKE_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    slapd_stop "$W/slapd"
    if [ "${X400_KEEP:-}" = 1 ]; then
        echo "t-ldap-directory: kept $W" >&2
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# The PKI.  One openssl configuration holds the extension profiles.
cat >"$P/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ua]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = $EKU_UA
subjectAltName = email:\$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ms]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = $EKU_MS
subjectAltName = email:\$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_expired]
database = \$ENV::CADB
new_certs_dir = $P
serial = $P/serial
default_md = sha256
policy = any
preserve = yes
unique_subject = no
copy_extensions = none
[any]
domainComponent = optional
commonName = supplied
EOF
touch "$P/index.txt" "$P/index-b.txt"
echo 1000 >"$P/serial"
export OPENSSL_CONF=$P/openssl.cnf SAN=none CADB=$P/index.txt

ossl() {
    openssl "$@" >>"$P/openssl.log" 2>&1 || {
        cat "$P/openssl.log" >&2
        fail "openssl $1 failed"
    }
}

# newkey NAME SUBJECT: a P-256 key and a request for it.
newkey() {
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$P/$1.key"
    ossl req -new -key "$P/$1.key" -subj "$2" -out "$P/$1.csr"
}

# sign NAME ISSUER PROFILE SERIAL: certify NAME's request by ISSUER.
sign() {
    ossl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2.key" -set_serial "$4" \
        -days 365 -sha256 -extfile "$P/openssl.cnf" -extensions "$3" -out "$P/$1.pem"
}

for ca in a b c other; do
    subj="/DC=example/DC=$ca/CN=CA"
    newkey "ca-$ca" "$subj"
    ossl x509 -req -in "$P/ca-$ca.csr" -signkey "$P/ca-$ca.key" -set_serial 1 -days 3650 \
        -sha256 -extfile "$P/openssl.cnf" -extensions ca -out "$P/ca-$ca.pem"
done

# Cross-certificates: each CA certifies the other's key (same subject and
# key as the other's root certificate, issued by this CA).
ossl x509 -req -in "$P/ca-a.csr" -CA "$P/ca-b.pem" -CAkey "$P/ca-b.key" -set_serial 2 \
    -days 3650 -sha256 -extfile "$P/openssl.cnf" -extensions ca -out "$P/cross-a-by-b.pem"
ossl x509 -req -in "$P/ca-b.csr" -CA "$P/ca-a.pem" -CAkey "$P/ca-a.key" -set_serial 2 \
    -days 3650 -sha256 -extfile "$P/openssl.cnf" -extensions ca -out "$P/cross-b-by-a.pem"

SAN=alice@a.example newkey alice "/DC=example/DC=a/CN=alice"
SAN=alice@a.example sign alice ca-a ua 10
SAN=bob@b.example newkey bob "/DC=example/DC=b/CN=bob"
SAN=bob@b.example sign bob ca-b ua 11
SAN=ms@a.example newkey ms "/DC=example/DC=a/CN=ms"
SAN=ms@a.example sign ms ca-a ms 12
SAN=stranger@a.example newkey stranger "/DC=example/DC=a/CN=stranger"
SAN=stranger@a.example sign stranger ca-other ua 13
SAN=revoked@a.example newkey revoked "/DC=example/DC=a/CN=revoked"
SAN=revoked@a.example sign revoked ca-a ua 14
SAN=carol@c.example newkey carol "/DC=example/DC=c/CN=carol"
SAN=carol@c.example sign carol ca-c ua 15

# A cross-certificate mesh that reaches no anchor (issue #3, review): CAs X
# and Y (under dc=a) certify each other six times over, with distinct
# serials, and X certifies mesh@a.example.  Path discovery must give up
# quickly rather than try every ordering.  The self-signed mesh-x and
# mesh-y only sign; they are not published.
for m in x y; do
    newkey "mesh-$m" "/DC=example/DC=a/CN=${m^^}"
    ossl x509 -req -in "$P/mesh-$m.csr" -signkey "$P/mesh-$m.key" -set_serial 1 -days 3650 \
        -sha256 -extfile "$P/openssl.cnf" -extensions ca -out "$P/mesh-$m.pem"
done
for i in 1 2 3 4 5 6; do
    ossl x509 -req -in "$P/mesh-x.csr" -CA "$P/mesh-y.pem" -CAkey "$P/mesh-y.key" \
        -set_serial $((20 + i)) -days 3650 -sha256 -extfile "$P/openssl.cnf" -extensions ca \
        -out "$P/mesh-x-by-y-$i.pem"
    ossl x509 -req -in "$P/mesh-y.csr" -CA "$P/mesh-x.pem" -CAkey "$P/mesh-x.key" \
        -set_serial $((30 + i)) -days 3650 -sha256 -extfile "$P/openssl.cnf" -extensions ca \
        -out "$P/mesh-y-by-x-$i.pem"
done
SAN=mesh@a.example newkey mesh "/DC=example/DC=a/CN=mesh"
SAN=mesh@a.example sign mesh mesh-x ua 17

# The expired user needs dates in the past, which only "openssl ca" sets.
SAN=expired@a.example newkey expired "/DC=example/DC=a/CN=expired"
SAN=expired@a.example ossl ca -batch -name ca_expired -notext -cert "$P/ca-a.pem" \
    -keyfile "$P/ca-a.key" -startdate 20200101000000Z -enddate 20210101000000Z \
    -extfile "$P/openssl.cnf" -extensions ua -in "$P/expired.csr" -out "$P/expired.pem"

# CRLs (RFC 5280 section 5), made by "openssl ca" from one database per
# CA: CA A revokes "revoked", CA B revokes nothing.  Both are good for 30
# days, which the tests use to see a stale CRL (validation time +60 days).
ossl ca -batch -name ca_expired -cert "$P/ca-a.pem" -keyfile "$P/ca-a.key" \
    -revoke "$P/revoked.pem" -crl_reason keyCompromise
ossl ca -batch -name ca_expired -gencrl -crldays 30 -cert "$P/ca-a.pem" \
    -keyfile "$P/ca-a.key" -out "$P/crl-a.crl.pem"
CADB=$P/index-b.txt ossl ca -batch -name ca_expired -gencrl -crldays 30 \
    -cert "$P/ca-b.pem" -keyfile "$P/ca-b.key" -out "$P/crl-b.crl.pem"
# A stale CRL of CA A (nextUpdate in the past), which ldap_live_test
# publishes for a while to see that a stale CRL is not served from the cache.
ossl ca -batch -name ca_expired -gencrl -crl_lastupdate 20200101000000Z \
    -crl_nextupdate 20200201000000Z -cert "$P/ca-a.pem" -keyfile "$P/ca-a.key" \
    -out "$P/crl-a-stale.crl.pem"
for ca in a b a-stale; do
    ossl crl -in "$P/crl-$ca.crl.pem" -outform DER -out "$P/crl-$ca.crl"
done

for f in "$P"/*.pem; do
    case $f in *.crl.pem) continue ;; esac
    ossl x509 -in "$f" -outform DER -out "${f%.pem}.der"
done
openssl verify -CAfile "$P/ca-b.pem" -untrusted "$P/cross-a-by-b.pem" "$P/alice.pem" \
    >/dev/null || fail "openssl itself cannot verify alice via CA B"

# der_header TAG LENGTH: a DER identifier and definite length (X.690 8.1.3).
der_header() {
    local tag=$1 len=$2
    if [ "$len" -lt 128 ]; then
        printf "\\x$tag\\x$(printf %02x "$len")"
    elif [ "$len" -lt 256 ]; then
        printf "\\x$tag\\x81\\x$(printf %02x "$len")"
    elif [ "$len" -lt 65536 ]; then
        printf "\\x$tag\\x82\\x$(printf %02x $((len >> 8)))\\x$(printf %02x $((len & 255)))"
    else
        fail "der_header: $len bytes is too long for a test certificate"
    fi
}

# pair OUT [FORWARD_DER] [REVERSE_DER]: a CertificatePair, forward [0] and
# reverse [1], both EXPLICIT ("-" for an absent half).
pair() {
    local out=$1 fwd=${2:--} rev=${3:--} body=$W/pair.body
    : >"$body"
    if [ "$fwd" != - ]; then
        der_header a0 "$(stat -c %s "$fwd")" >>"$body"
        cat "$fwd" >>"$body"
    fi
    if [ "$rev" != - ]; then
        der_header a1 "$(stat -c %s "$rev")" >>"$body"
        cat "$rev" >>"$body"
    fi
    { der_header 30 "$(stat -c %s "$body")"; cat "$body"; } >"$out"
    openssl asn1parse -inform DER -in "$out" >/dev/null 2>&1 || fail "bad pair $out"
}

# CA A's entry holds the two halves as two values; CA B's as one.
pair "$P/pair-a-forward.der" "$P/cross-a-by-b.der" -
pair "$P/pair-a-reverse.der" - "$P/cross-b-by-a.der"
pair "$P/pair-b.der" "$P/cross-b-by-a.der" "$P/cross-a-by-b.der"
# X's entry holds one of its certificates twice, once in a pair.
pair "$P/pair-mesh-x.der" "$P/mesh-x-by-y-1.der" -

# ---------------------------------------------------------------------------
# The directory.
cat >"$W/pki.ldif" <<EOF
dn: dc=example
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: dc=a,dc=example
objectClass: dcObject
objectClass: organization
dc: a
o: Domain A

dn: dc=b,dc=example
objectClass: dcObject
objectClass: organization
dc: b
o: Domain B

dn: dc=c,dc=example
objectClass: dcObject
objectClass: organization
dc: c
o: Domain C

dn: cn=CA,dc=a,dc=example
objectClass: organizationalRole
objectClass: pkiCA
cn: CA
cACertificate;binary:< file://$P/ca-a.der
crossCertificatePair;binary:< file://$P/pair-a-forward.der
crossCertificatePair;binary:< file://$P/pair-a-reverse.der
certificateRevocationList;binary:< file://$P/crl-a.crl
authorityRevocationList;binary:< file://$P/crl-a.crl

dn: cn=CA,dc=b,dc=example
objectClass: organizationalRole
objectClass: pkiCA
cn: CA
cACertificate;binary:< file://$P/ca-b.der
crossCertificatePair;binary:< file://$P/pair-b.der
certificateRevocationList;binary:< file://$P/crl-b.crl

dn: cn=CA,dc=c,dc=example
objectClass: organizationalRole
objectClass: pkiCA
cn: CA
cACertificate;binary:< file://$P/ca-c.der
EOF
for m in x y; do
    {
        printf '\ndn: cn=%s,dc=a,dc=example\n' "${m^^}"
        printf 'objectClass: organizationalRole\nobjectClass: pkiCA\ncn: %s\n' "${m^^}"
        for i in 1 2 3 4 5 6; do
            other=$([ $m = x ] && echo y || echo x)
            echo "cACertificate;binary:< file://$P/mesh-$m-by-$other-$i.der"
        done
        [ $m = x ] && echo "crossCertificatePair;binary:< file://$P/pair-mesh-x.der"
    } >>"$W/pki.ldif"
done
user_ldif() {
    local uid=$1 domain=$2 cert=${3:-$1}
    cat <<EOF

dn: uid=$uid,dc=$domain,dc=example
objectClass: inetOrgPerson
objectClass: pkiUser
uid: $uid
cn: $uid
sn: $uid
mail: $uid@$domain.example
userCertificate;binary:< file://$P/$cert.der
EOF
}
{
    user_ldif alice a
    user_ldif bob b
    user_ldif ms a
    user_ldif expired a
    user_ldif stranger a
    user_ldif revoked a
    user_ldif carol c
    user_ldif mesh a
    user_ldif impostor a alice   # an entry holding someone else's certificate
} >>"$W/pki.ldif"

slapd_start "$W/slapd" "$PORT" dc=example || fail "cannot start slapd"
slapd_load "$W/slapd" "$W/pki.ldif" || fail "cannot load the test PKI"

# The entries of CA "other" live elsewhere: dc=other,dc=example is a
# referral object (RFC 3296), so a search of its CA entry gets a referral
# (RFC 4511 section 4.1.10), which with referrals off means "no entry here".
cat >"$W/referral.ldif" <<EOF
dn: dc=other,dc=example
objectClass: referral
objectClass: extensibleObject
dc: other
ref: ldap://127.0.0.1:$DEAD_PORT/dc=other,dc=example
EOF
ldapadd -M -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$W/referral.ldif" \
    >/dev/null || fail "cannot add the referral object"
ldapsearch -x -H "$SLAPD_URI" -b "cn=CA,dc=other,dc=example" -s base >/dev/null 2>&1
[ $? -eq 10 ] || fail "slapd does not answer CA other's entry with a referral"

# The server must hand back exactly what was stored (RFC 4522 section 4).
ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -b "cn=CA,dc=b,dc=example" -s base -t \
    -T "$W" "(objectClass=*)" "crossCertificatePair;binary" >"$W/got.ldif" \
    || fail "ldapsearch of CA B failed"
got=$(sed -n 's|^crossCertificatePair;binary:< file://||p' "$W/got.ldif")
cmp -s "$got" "$P/pair-b.der" || fail "slapd changed the bytes of CA B's pair"

# ---------------------------------------------------------------------------
# The tests proper.
printf '. "%s" && slapd_stop "%s"\n' "$X400_SOURCE/tests/lib/slapd.sh" "$W/slapd" \
    >"$W/stop.sh"
printf '. "%s" && slapd_start "%s" %s dc=example\n' "$X400_SOURCE/tests/lib/slapd.sh" \
    "$W/slapd" "$PORT" >"$W/start.sh"
# Three misbehaving servers (issue #3, item 6): one accepts connections and
# never answers, one answers with random bytes, one accepts the bind and
# then says nothing.
start_fake() {
    local mode=$1 port=$2 i
    python3 "$X400_SOURCE/tests/lib/fake_ldap.py" "$mode" "$port" >"$W/fake-$mode.out" \
        2>&1 &
    FAKE_PIDS+=($!)
    for i in $(seq 1 50); do
        grep -q ready "$W/fake-$mode.out" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$W/fake-$mode.out" >&2
    fail "fake $mode server on port $port did not start"
}
start_fake silent "$SILENT_PORT"
start_fake garbage "$GARBAGE_PORT"
start_fake mute "$MUTE_PORT"
export X400_LDAP_SILENT_URI=ldap://127.0.0.1:$SILENT_PORT/
export X400_LDAP_GARBAGE_URI=ldap://127.0.0.1:$GARBAGE_PORT/
export X400_LDAP_MUTE_URI=ldap://127.0.0.1:$MUTE_PORT/
export X400_LDAP_URI=$SLAPD_URI
export X400_LDAP_DEAD_URI=ldap://127.0.0.1:$DEAD_PORT/
export X400_LDAP_BASE=dc=example
export X400_PKI=$P
export X400_SLAPD_STOP="bash $W/stop.sh"
export X400_SLAPD_START="bash $W/start.sh"

"$LIVE" --log_level="${X400_LOG_LEVEL:-test_suite}" --report_level=short
rc=$?
[ $rc -eq 0 ] || fail "ldap_live_test failed (exit $rc)"

# x400sec path (issue #3, item 7): the path through the cross-certificate
# with each step's entry, a refusal with its reason, and the Graphviz form.
X400SEC=$X400_BUILD/tools/x400sec
pathcmd() {
    "$X400SEC" path "$@" --uri "$SLAPD_URI" --base dc=example --timeout 3000
}
pathcmd alice@a.example --anchors "$P/ca-b.pem" --dot "$W/alice.dot" >"$W/path-alice.out" \
    || { cat "$W/path-alice.out" >&2; fail "x400sec path alice failed"; }
for want in "result: valid, path of 3" "from uid=alice,dc=a,dc=example" \
    "CN=CA,DC=a,DC=example (issued by CN=CA,DC=b,DC=example) serial 02 from CN=CA,DC=a,DC=example" \
    "from (trust anchor)"; do
    grep -qF "$want" "$W/path-alice.out" || {
        cat "$W/path-alice.out" >&2
        fail "x400sec path alice: output lacks '$want'"
    }
done
grep -q "digraph path" "$W/alice.dot" && grep -q "style=bold" "$W/alice.dot" \
    || fail "x400sec path --dot wrote no graph"
if command -v dot >/dev/null; then
    dot -Tsvg "$W/alice.dot" >/dev/null || fail "Graphviz refused the --dot output"
fi
pathcmd revoked@a.example --anchors "$P/ca-a.pem" >"$W/path-revoked.out"
[ $? -eq 1 ] || fail "x400sec path revoked: want exit 1"
grep -q "refused: .*certificate revoked" "$W/path-revoked.out" || {
    cat "$W/path-revoked.out" >&2
    fail "x400sec path revoked: no reason given"
}
pathcmd alice@a.example --anchors "$P/ca-other.pem" >"$W/path-loop.out"
[ $? -eq 1 ] || fail "x400sec path with an unreachable anchor: want exit 1"
grep -q "already on the path (a loop)" "$W/path-loop.out" || {
    cat "$W/path-loop.out" >&2
    fail "x400sec path: the cross-certificate loop is not shown"
}
# x400sec publish (issue #3, item 7): a user certificate into an entry that
# has none, refused when already there, a new CRL that revokes it, and a
# cross-certificate pair that makes carol reachable from CA A.
cat >"$W/dave.ldif" <<EOF
dn: uid=dave,dc=a,dc=example
objectClass: inetOrgPerson
uid: dave
cn: dave
sn: dave
mail: dave@a.example
EOF
ldapadd -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$W/dave.ldif" \
    >/dev/null || fail "cannot add dave's entry"
SAN=dave@a.example newkey dave "/DC=example/DC=a/CN=dave"
SAN=dave@a.example sign dave ca-a ua 16
ossl x509 -req -in "$P/ca-c.csr" -CA "$P/ca-a.pem" -CAkey "$P/ca-a.key" -set_serial 3 \
    -days 3650 -sha256 -extfile "$P/openssl.cnf" -extensions ca -out "$P/cross-c-by-a.pem"
ossl x509 -in "$P/dave.pem" -outform DER -out "$P/dave.der"
(umask 077 && printf '%s\n' "$SLAPD_ROOTPW" >"$W/root.secret")
publish() {
    "$X400SEC" publish --uri "$SLAPD_URI" --bind-dn "$SLAPD_ROOTDN" \
        --password-file "$W/root.secret" "$@"
}
publish --entry uid=dave,dc=a,dc=example --user-cert "$P/dave.pem" >"$W/publish.out" 2>&1 \
    || { cat "$W/publish.out" >&2; fail "x400sec publish of dave's certificate failed"; }
pathcmd dave@a.example --anchors "$P/ca-a.pem" >"$W/path-dave.out" \
    || { cat "$W/path-dave.out" >&2; fail "dave's published certificate does not validate"; }
publish --entry uid=dave,dc=a,dc=example --user-cert "$P/dave.der" >"$W/publish.out" 2>&1
[ $? -eq 1 ] && grep -q "already published" "$W/publish.out" || {
    cat "$W/publish.out" >&2
    fail "publishing the same certificate twice: want exit 1, already published"
}
publish --entry uid=dave,dc=a,dc=example --user-cert "$P/openssl.cnf" >"$W/publish.out" 2>&1
[ $? -eq 1 ] && grep -q "not a certificate" "$W/publish.out" || {
    cat "$W/publish.out" >&2
    fail "publishing a non-certificate: want exit 1"
}
ossl ca -batch -name ca_expired -cert "$P/ca-a.pem" -keyfile "$P/ca-a.key" -revoke "$P/dave.pem"
ossl ca -batch -name ca_expired -gencrl -crldays 30 -cert "$P/ca-a.pem" -keyfile "$P/ca-a.key" \
    -out "$P/crl-a2.crl.pem"
publish --entry cn=CA,dc=a,dc=example --replace --crl "$P/crl-a2.crl.pem" \
    --arl "$P/crl-a2.crl.pem" >"$W/publish.out" 2>&1 \
    || { cat "$W/publish.out" >&2; fail "x400sec publish --replace of CA A's CRL failed"; }
pathcmd dave@a.example --anchors "$P/ca-a.pem" >"$W/path-dave.out"
[ $? -eq 1 ] && grep -q "certificate revoked" "$W/path-dave.out" || {
    cat "$W/path-dave.out" >&2
    fail "dave is not refused after the new CRL was published"
}
pathcmd carol@c.example --anchors "$P/ca-a.pem" --missing-crl accept-with-warning \
    >"$W/path-carol.out"
[ $? -eq 1 ] || fail "carol reachable from CA A before the cross pair was published"
publish --entry cn=CA,dc=c,dc=example --cross-pair "$P/cross-c-by-a.pem:-" >"$W/publish.out" \
    2>&1 || { cat "$W/publish.out" >&2; fail "x400sec publish of a cross pair failed"; }
pathcmd carol@c.example --anchors "$P/ca-a.pem" --missing-crl accept-with-warning \
    >"$W/path-carol.out" && grep -q "result: valid, path of 3" "$W/path-carol.out" || {
    cat "$W/path-carol.out" >&2
    fail "carol not reachable through the published cross pair"
}

echo "t-ldap-directory: pass"
