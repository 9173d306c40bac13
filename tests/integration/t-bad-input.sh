#!/bin/bash
# t-bad-input.sh - issue #2's bad input, through real Postfix and slapd:
# a forged (wrong signer), malformed or truncated token, a token for
# someone else, an expired or untrusted originator certificate, a results
# field forged by the sender, and a recipient without a certificate when
# confidentiality is required.  Each must give a clear outcome in the
# results field and the log, never a crash or a silent pass.
set -euo pipefail
work=$(mktemp -d /tmp/x400sec-t-bad.XXXXXX)
chmod 755 "$work"
. "$X400_SOURCE/tests/lib/e2e.sh"
trap 'e2e_teardown; rm -rf "$work"' EXIT
e2e_setup "$work" >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }

fails=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }

# A third domain's originating milter holds keys it should not be trusted
# with: dave's (certificate expired), mallory's (issued by a CA nobody
# trusts), and bob's key filed under alice's name (a wrong signer).
E2E_CONFIDENTIALITY=off e2e_milter_conf "$work" c originate a.example
install -d -m 700 "$work/keys-c"
install -m 600 "$work/pki/users/dave@b.example.key" "$work/keys-c/"
install -m 600 "$work/pki/users/mallory@b.example.key" "$work/keys-c/"
install -m 600 "$work/pki/users/bob@b.example.key" "$work/keys-c/alice@a.example.key"
e2e_start_milter "$work" c
mta_start c "$work" 2527 c.example "unix:$work/c.sock" "127.0.0.1:$E2E_PORT_B" >/dev/null

# msg FROM TO [EXTRA-FIELD] writes a small message whose Message-ID holds
# the case number (set by next_case), so its delivery can be found again.
case_no=0
next_case() { case_no=$((case_no + 1)); }
msg() {
    printf 'From: %s\nTo: %s\nSubject: bad input test\nMessage-ID: <case%d.%d@test>\n%s\nHello.\n' \
        "$1" "$2" "$case_no" "$$" "${3:+$3
}"
}

# latest ADDRESS waits for the delivery of the last message written by msg
# to ADDRESS at b and prints its path.
latest() {
    local a=$1 i f
    for i in $(seq 1 600); do
        f=$(grep -l "^Message-ID: <case$case_no.$$@test>" \
            "$work/b/mail/b.example/${a%@*}/new/"* 2>/dev/null | head -n 1 || true)
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.1
    done
    return 1
}

# expect ADDRESS WHAT PATTERN...: the newest delivery's results field for
# ADDRESS matches every pattern, and the receiving milter logged it.
expect() {
    local a=$1 what=$2 f res p ok=yes
    shift 2
    if ! f=$(latest "$a"); then fail "$what: not delivered"; return; fi
    res=$(tr -d '\n' <"$f" | grep -o "X400-Security-Results:[^:]*rcpt=<$a>[^X]*" || true)
    for p in "$@"; do
        grep -q -- "$p" <<<"$res" || ok=no
    done
    if [ "$ok" = yes ] && grep -q "open: rcpt=\"$a\" token=" "$work/b.milter.log"; then
        pass "$what: $res"
    else
        fail "$what: results field '$res' lacks one of: $*"
    fi
}

# 1. A wrong signer: the token claims alice but bob's key signed it.
next_case
msg alice@a.example bob@b.example | mta_send c alice@a.example bob@b.example
expect bob@b.example "wrong signer" "token=fail" "signature does not verify"

# 2. The originator's certificate has expired.
next_case
msg dave@b.example bob@b.example | mta_send c dave@b.example bob@b.example
expect bob@b.example "expired originator" "token=fail" "expired"

# 3. The originator's certificate chains to a CA nobody trusts.
next_case
msg mallory@b.example bob@b.example | mta_send c mallory@b.example bob@b.example
expect bob@b.example "untrusted originator" "token=fail" "untrusted"

# A genuine sealed message, to take a real token from.
next_case
msg alice@a.example bob@b.example | mta_send a alice@a.example bob@b.example
f=$(latest bob@b.example)
token=$(awk '/^X400-Message-Token:/{t=1; sub(/^X400-Message-Token: */,""); printf "%s",$0; next}
             t && /^[ \t]/{gsub(/[ \t]/,""); printf "%s",$0; next} {t=0}' "$f")
[ ${#token} -gt 100 ] || fail "could not read a genuine token"

# 4. A malformed token.
next_case
msg alice@a.example bob@b.example "X400-Message-Token: MIIE!!garbage" |
    mta_send_smtp b alice@a.example bob@b.example
expect bob@b.example "malformed token" "token=fail" "malformed"

# 5. A truncated token.
next_case
msg alice@a.example bob@b.example "X400-Message-Token: ${token:0:200}" |
    mta_send_smtp b alice@a.example bob@b.example
expect bob@b.example "truncated token" "token=fail"

# 6. Bob's token in a message for carol: not hers.
next_case
msg alice@a.example carol@b.example "X400-Message-Token: $token" |
    mta_send_smtp b alice@a.example carol@b.example
expect carol@b.example "token for someone else" "token=none" "no token for this recipient"

# 7. A genuine token on changed content: the CIC catches it.
next_case
msg alice@a.example bob@b.example "X400-Message-Token: $token" |
    mta_send_smtp b alice@a.example bob@b.example
expect bob@b.example "content changed" "token=pass" "cic=fail"

# 8. A results field forged by the sender is removed.
next_case
msg alice@a.example bob@b.example "X400-Security-Results: evil.example; rcpt=<bob@b.example>; token=pass" |
    mta_send_smtp b alice@a.example bob@b.example
f=$(latest bob@b.example)
if grep -q "evil.example" "$f"; then fail "forged results field kept"; else pass "forged results field removed"; fi

# 9. Confidentiality required and a recipient without a certificate: the
#    SMTP client is refused with an RFC 3463 status naming the recipient.
next_case
reply=$(msg alice@a.example nobody@b.example | "$MTA_PYTHON" -c '
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
try:
    s.sendmail("alice@a.example", ["nobody@b.example"], sys.stdin.read())
    print("accepted")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
' "$E2E_PORT_A")
if grep -q "^550 5.7.1 .*nobody@b.example" <<<"$reply"; then
    pass "no certificate, confidentiality required: $reply"
else
    fail "no certificate, confidentiality required: got '$reply'"
fi

# Nothing crashed along the way.
for name in a b c; do
    grep -q "milter: stopped" "$work/$name.milter.log" && fail "milter $name stopped early"
done
kill -0 "${_E2E_MILTER_PIDS[@]}" || fail "a milter is no longer running"
echo "t-bad-input: $fails failed"
[ "$fails" -eq 0 ]
