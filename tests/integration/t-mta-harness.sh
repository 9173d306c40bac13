#!/bin/bash
# t-mta-harness.sh - test of tests/lib/mta.sh with two real Postfix instances.
#
# Instance "b" (b.example, 127.0.0.1:2526) receives; instance "a" (a.example,
# 127.0.0.1:2525) relays everything else to b. Checks: mail injected with a's
# sendmail(1) and over SMTP reaches b's Maildirs with the body unchanged and
# a Received header of a; then a is restarted with an unreachable milter and
# must keep mail queued (milter_default_action = tempfail).
# Environment (set by CTest): X400_SOURCE (source tree), X400_BUILD (unused).
set -euo pipefail

src=${X400_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
msgs=$src/tests/data/messages
# shellcheck source-path=SCRIPTDIR source=../lib/mta.sh
. "$src/tests/lib/mta.sh"

failures=0
start=$SECONDS
# Report a failed check and count it.
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    failures=$((failures + 1))
}
# Report a passed check.
pass() {
    printf 'ok [%2ds]: %s\n' "$((SECONDS - start))" "$*"
}

if ! mta_require_packages >/dev/null; then
    echo "t-mta-harness: required packages are missing; run the project's install script" >&2
    exit 1
fi

work=$(mktemp -d /tmp/x400-mta-test.XXXXXX)
# Stop every instance and remove the work directory, whatever happened.
cleanup() {
    local rc=$?
    mta_stop_all || rc=1
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

# Print the body (after the first empty line) of message file $1, with CRLF
# turned into LF and a missing final newline added.
body_of() {
    "$MTA_PYTHON" -c '
import re, sys
data = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
m = re.search(b"\n\n", data)
body = data[m.end():] if m else b""
if body and not body.endswith(b"\n"):
    body += b"\n"
sys.stdout.buffer.write(body)
' "$1"
}

# Print the unfolded Received header fields of message file $1, one a line.
received_of() {
    "$MTA_PYTHON" -c '
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
for v in msg.get_all("Received", []):
    print(" ".join(v.split()))
' "$1"
}

# Check delivered file $2 against sent file $1: same body, Received from a.
check_delivered() {
    local sent=$1 got=$2 what=$3 received
    if cmp -s <(body_of "$sent") <(body_of "$got"); then
        pass "$what: body delivered unchanged"
    else
        fail "$what: delivered body differs from $sent"
        diff <(body_of "$sent") <(body_of "$got") >"$work/diff" || true
        head -n 20 "$work/diff" >&2
    fi
    # (Captured first: grep -q closing the pipe early would fail pipefail.)
    received=$(received_of "$got")
    if grep -q 'by mx\.a\.example (Postfix' <<<"$received"; then
        pass "$what: has a Received header added by instance a"
    else
        fail "$what: no Received header 'by mx.a.example' in $got"
        printf '%s\n' "$received" >&2
    fi
    if grep -q '^from mx\.a\.example .*by mx\.b\.example' <<<"$received"; then
        pass "$what: b recorded the relay from a"
    else
        fail "$what: no Received header 'from mx.a.example ... by mx.b.example' in $got"
    fi
}

mta_start b "$work" 2526 b.example "" ""
mta_start a "$work" 2525 a.example "" 127.0.0.1:2526
pass "instances a and b started"

# 1. Injected with a's sendmail(1), relayed to b, two recipients.
sample1=$msgs/spamassassin-sample-nonspam.txt
mta_send a alice@a.example bob@b.example carol@b.example <"$sample1"
mta_wait_mail b bob@b.example 1 20
mta_wait_mail b carol@b.example 1 20
pass "sendmail-injected message delivered to bob and carol on b"
bob1=$(mta_mail_files b bob@b.example)
carol1=$(mta_mail_files b carol@b.example)
check_delivered "$sample1" "$bob1" "sendmail to bob"
check_delivered "$sample1" "$carol1" "sendmail to carol"
grep -q '^Delivered-To: bob@b.example$' "$bob1" || fail "no Delivered-To for bob in $bob1"

# 2. Over SMTP to a's smtpd, relayed to b.
sample2=$msgs/cpython-msg_02.txt
mta_send_smtp a alice@a.example bob@b.example <"$sample2"
mta_wait_mail b bob@b.example 2 20
bob2=$(mta_mail_files b bob@b.example | tail -n 1)
if [[ "$bob2" == "$bob1" ]]; then
    fail "mta_mail_files does not list the second delivery last"
fi
check_delivered "$sample2" "$bob2" "SMTP to bob"
if grep -q 'by mx\.a\.example (Postfix) with E\?SMTP' <<<"$(received_of "$bob2")"; then
    pass "SMTP path: a's smtpd accepted the message"
else
    fail "SMTP path: no Received header of a's smtpd in $bob2"
fi

# 3. Nothing for a's own domain goes astray: local delivery on a.
printf 'Subject: local\n\nlocal delivery\n' | mta_send a bob@b.example alice@a.example
mta_wait_mail a alice@a.example 1 20
pass "local delivery on a"

# mta_log and mta_stop are idempotent and well-behaved.
[[ "$(mta_log a)" == "$work/a/maillog" || "$(mta_log a)" == "$(cd "$work" && pwd -P)/a/maillog" ]] \
    || fail "mta_log a printed '$(mta_log a)'"
mta_stop a
mta_stop a
if _mta_port_open 2525; then fail "port 2525 still open after mta_stop a"; else pass "a stopped (twice)"; fi

# 4. The MILTER parameter is wired: with an unreachable milter and
# milter_default_action = tempfail, nothing may pass.
[[ ! -e /nonexistent ]] || { fail "/nonexistent exists; cannot run the milter check"; exit 1; }
mta_start a "$work" 2525 a.example unix:/nonexistent/sock 127.0.0.1:2526
printf 'Subject: held\n\nmust stay queued\n' | mta_send a alice@a.example dave@b.example
if printf 'Subject: refused\n\nmust be refused\n' \
    | mta_send_smtp a alice@a.example erin@b.example 2>"$work/smtp.err"; then
    fail "smtpd accepted mail although its milter is unreachable"
else
    pass "smtpd refused mail with unreachable milter: $(grep -m1 -v '^mta.sh:' "$work/smtp.err" || true)"
fi
log=$(mta_log a)
# cleanup(8) reports the sendmail-injected message as rejected by the milter
# at its (simulated) CONNECT from localhost; pickup keeps it in maildrop.
for ((i = 0; i < 50; i++)); do
    grep -q 'milter-reject: CONNECT from localhost' "$log" && break
    sleep 0.2
done
if grep -q 'milter-reject: CONNECT from localhost.*4\.7\.1' "$log"; then
    pass "sendmail path: cleanup tempfailed at the milter's CONNECT stage"
else
    fail "sendmail path: no milter-reject (tempfail) logged by cleanup"
fi
sleep 2
if mta_wait_mail b dave@b.example 1 0 2>/dev/null; then
    fail "mail passed a although its milter is unreachable"
else
    pass "mail not delivered while the milter is unreachable"
fi
if grep -q 'Milter service unix:/nonexistent/sock' "$log"; then
    pass "maillog mentions the milter: $(grep -m1 'Milter service' "$log" | cut -d' ' -f5-)"
else
    fail "maillog of a does not mention the milter"
    tail -n 20 "$log" >&2
fi
queue=$(postqueue -c "$(mta_confdir a)" -p 2>&1 || true)
if grep -q 'dave@b.example' <<<"$queue"; then
    pass "message for dave is still queued on a"
else
    fail "message for dave is not in a's queue"
    printf '%s\n' "$queue" >&2
fi
mta_stop a
mta_stop b

echo "t-mta-harness: $failures failure(s) in $((SECONDS - start)) s"
((failures == 0))
