#!/bin/bash
# t-pkits.sh - NIST PKITS through our directory path discovery (issue #3).
#
# Loads tests/data/pkits (certificates, CRLs and cross-certificate pairs,
# by pkits.ldif) into a throwaway slapd, turns expected/pkits.json into
# case lines, and runs pkits_test: every case starts from its end-entity
# certificate, finds the rest in the directory, and must fail exactly when
# the fixture names an error.  Fails when fewer cases than
# tests/data/pkits/expected-pass-count come out as expected.  Needs
# X400_BUILD and X400_SOURCE (set by CTest).  Exit 0 means pass.
set -u

: "${X400_BUILD:?X400_BUILD not set}"
: "${X400_SOURCE:?X400_SOURCE not set}"
PORT=${X400_PKITS_PORT:-3892}
DATA=$X400_SOURCE/tests/data/pkits
SUFFIX="O=Test Certificates 2011,C=US"
RUN=$X400_BUILD/tests/pkits_test

. "$X400_SOURCE/tests/lib/slapd.sh"

fail() {
    echo "t-pkits: $*" >&2
    exit 1
}

[ -x "$RUN" ] || fail "$RUN not built (cmake --build ... --target pkits_test)"
command -v python3 >/dev/null || fail "python3 not found"

W=$(mktemp -d /tmp/t-pkits.XXXXXX) || fail "mktemp failed"
cleanup() {
    slapd_stop "$W/slapd"
    if [ "${X400_KEEP:-}" = 1 ]; then
        echo "t-pkits: kept $W" >&2
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT

# pkits.ldif names its values by file under /tmp (ReadMe.txt); point a
# copy at the project's tree instead.
sed "s|file:///tmp/|file://$DATA/|" "$DATA/pkits.ldif" >"$W/pkits.ldif" \
    || fail "cannot rewrite pkits.ldif"
openssl x509 -inform DER -in "$DATA/certs/TrustAnchorRootCertificate.crt" \
    -out "$W/anchor.pem" 2>"$W/openssl.log" || fail "cannot convert the trust anchor"
python3 "$X400_SOURCE/tests/tools/pkits_cases.py" "$DATA/expected/pkits.json" \
    >"$W/cases.tsv" || fail "cannot read expected/pkits.json"

SLAPD_EXTRA_SCHEMAS=$DATA/x400sec-pkits.schema slapd_start "$W/slapd" "$PORT" "$SUFFIX" \
    || fail "cannot start slapd"
slapd_load "$W/slapd" "$W/pkits.ldif" || fail "cannot load pkits.ldif"

"$RUN" "$SLAPD_URI" "$W/cases.tsv" "$DATA/certs" "$W/anchor.pem" \
    "$DATA/expected-pass-count" >"$W/pkits.out"
rc=$?
if [ "${X400_VERBOSE:-}" = 1 ]; then
    cat "$W/pkits.out"
else
    grep -E '^(MISMATCH|PKITS)' "$W/pkits.out"
fi
[ $rc -eq 0 ] || fail "pkits_test failed (exit $rc)"

# Not only how many: exactly which cases may come out otherwise.  A case
# that breaks while another starts passing keeps the count but fails here.
got=$(grep -o '^MISMATCH [0-9]*' "$W/pkits.out" | awk '{print $2}' | sort)
want=$(grep -v '^#' "$DATA/known-mismatches" | awk 'NF {print $1}' | sort)
if [ "$got" != "$want" ]; then
    echo "t-pkits: mismatching cases differ from tests/data/pkits/known-mismatches:" >&2
    diff <(echo "$want") <(echo "$got") >&2 || true
    fail "unexpected PKITS outcome"
fi
echo "t-pkits: pass"
