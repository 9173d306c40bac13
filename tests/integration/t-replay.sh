#!/bin/bash
# t-replay.sh - issue #4 through real Postfix: a sealed message submitted
# again byte for byte is refused as a replay (550 5.7.1), while a message
# that arrives after a later one, inside the window, is accepted.
#
# To hold the sealed form the receiving milter never shows, domain a's
# Postfix relays to a capture instance (r, 127.0.0.1:2527, no milter) that
# delivers b.example locally.  The captured messages are then submitted to
# b's Postfix, whose milter verifies, decrypts and checks the window:
# second message first, then the first (late), then the first again.
set -euo pipefail
work=$(mktemp -d /tmp/x400sec-t-replay.XXXXXX)
chmod 755 "$work"
. "$X400_SOURCE/tests/lib/e2e.sh"
trap 'e2e_teardown; rm -rf "$work"' EXIT
e2e_setup "$work" >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
x400sec="$X400_BUILD/tools/x400sec"

fails=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }

# a relays to the capture instance instead of b.
mta_start r "$work" 2527 b.example "" "" >/dev/null
postconf -c "$work/a/etc" -e "relayhost = [127.0.0.1]:2527"
postfix -c "$work/a/etc" reload >/dev/null 2>&1

# find_mail INSTANCE ID waits for the delivery to bob of Message-ID <ID>.
find_mail() {
    local i f
    for i in $(seq 1 600); do
        f=$(grep -l "^Message-ID: <$2@test>" "$work/$1/mail/b.example/bob/new/"* \
            2>/dev/null | head -n 1 || true)
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.1
    done
    return 1
}

# The originating side seals two messages; the capture keeps them.
for n in 1 2; do
    printf 'From: alice@a.example\nTo: bob@b.example\nSubject: replay test %s\nMessage-ID: <replay%s.%s@test>\n\nMessage %s.\n' \
        "$n" "$n" "$$" "$n" | mta_send_smtp a alice@a.example bob@b.example
    f=$(find_mail r "replay$n.$$") || { fail "message $n not captured"; exit 1; }
    # What the originating side emitted, without what local delivery added
    # (Delivered-To would make b see a mail loop).
    grep -v -e '^Delivered-To:' -e '^Return-Path:' "$f" >"$work/sealed$n.eml"
done
grep -q '^X400-Message-Token:' "$work/sealed1.eml" || fail "captured message carries no token"
seq1=$("$x400sec" inspect "$work/sealed1.eml" | awk '/message-sequence-number/ {print $2}')
seq2=$("$x400sec" inspect "$work/sealed2.eml" | awk '/message-sequence-number/ {print $2}')
[ "$seq2" -gt "$seq1" ] && pass "sequence numbers grow: $seq1 then $seq2" ||
    fail "sequence numbers: '$seq1' then '$seq2'"

# submit FILE prints b's answer: "accepted" or "CODE TEXT".
submit() {
    "$MTA_PYTHON" -c '
import re, smtplib, sys
data = re.sub(rb"(?<!\r)\n", b"\r\n", open(sys.argv[2], "rb").read())
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="relay.test", timeout=60)
try:
    s.sendmail("alice@a.example", ["bob@b.example"], data)
    print("accepted")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
' "$E2E_PORT_B" "$1"
}

# results ID prints the results fields b gave bob's copies of Message-ID
# <ID>, one line per copy.
results() {
    local f
    for f in $(grep -l "^Message-ID: <$1@test>" "$work/b/mail/b.example/bob/new/"* \
        2>/dev/null); do
        tr -d '\n' <"$f" | grep -o 'X400-Security-Results:[^:]*' | sed 's/Message [0-9]*\.$//'
    done
}

# wait_count ID N waits until bob has N copies of Message-ID <ID>.
wait_count() {
    local i
    for i in $(seq 1 600); do
        [ "$(grep -l "^Message-ID: <$1@test>" "$work/b/mail/b.example/bob/new/"* \
            2>/dev/null | wc -l)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# 1. The second message first: fresh.
r=$(submit "$work/sealed2.eml")
if [ "$r" = accepted ] && wait_count "replay2.$$" 1 &&
    grep -q "replay=pass" <<<"$(results "replay2.$$")"; then
    pass "newer message accepted: $(results "replay2.$$" | grep -o 'seq=[0-9]*; .*replay=[^;]*')"
else
    fail "newer message: '$r' $(results "replay2.$$")"
fi

# 2. The first message, after the second: late but inside the window.
r=$(submit "$work/sealed1.eml")
if [ "$r" = accepted ] && wait_count "replay1.$$" 1 &&
    grep -q "replay=pass (late)" <<<"$(results "replay1.$$")"; then
    pass "late message within the window accepted: $(results "replay1.$$" |
        grep -o 'replay=[^;]*')"
else
    fail "late message: '$r' $(results "replay1.$$")"
fi

# 3. The first message again, byte for byte: a replay.
r=$(submit "$work/sealed1.eml")
if grep -q "^550 5.7.1 .*replayed" <<<"$r"; then
    pass "same message again refused: $r"
else
    fail "replayed message: got '$r'"
fi
if grep -q "replay: replayed message: originator=<alice@a.example> rcpt=<bob@b.example> seq=$seq1 why=\"seen before\" -- reject" \
    "$work/b.milter.log"; then
    pass "receiving milter logged the replay"
else
    fail "no replay line in b's log"
fi

# 4. The operator's view, and a reset with its logged reason.
if "$x400sec" state show --dir "$work/state-b" alice@a.example bob@b.example |
    grep -q "seen in window    2: $seq1-$seq2"; then
    pass "x400sec state show: both numbers in b's window"
else
    fail "state show: $("$x400sec" state show --dir "$work/state-b" alice@a.example bob@b.example)"
fi
"$x400sec" state list --dir "$work/state-a" | grep -q "<alice@a.example> <bob@b.example> out=$seq2" &&
    pass "x400sec state list: a issued up to $seq2" || fail "state list of a"
if "$x400sec" state reset --dir "$work/state-b" --reason "t-replay: peer restored" \
    alice@a.example bob@b.example 2>&1 | grep -q 'reason="t-replay: peer restored"' &&
    [ "$(submit "$work/sealed1.eml")" = accepted ]; then
    pass "after a logged reset the window starts again"
else
    fail "reset"
fi

# 5. on_replay = mark: the first message (seen again since the reset) is
#    delivered, and the results field says it is a replay.
kill "${_E2E_MILTER_PIDS[1]}"
wait "${_E2E_MILTER_PIDS[1]}" 2>/dev/null || true
_E2E_MILTER_PIDS=("${_E2E_MILTER_PIDS[0]}")
sed -i 's/^on_replay = .*/on_replay = mark/' "$work/b.conf"
e2e_start_milter "$work" b
before=$(grep -l "^Message-ID: <replay1.$$@test>" "$work/b/mail/b.example/bob/new/"* | wc -l)
r=$(submit "$work/sealed1.eml")
if [ "$r" = accepted ] && wait_count "replay1.$$" $((before + 1)) &&
    grep -q "replay=fail (seen before)" <<<"$(results "replay1.$$")"; then
    pass "on_replay = mark delivers with replay=fail (seen before)"
else
    fail "mark: '$r' $(results "replay1.$$")"
fi

echo "t-replay: $fails failed"
[ "$fails" -eq 0 ]
