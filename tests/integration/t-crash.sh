#!/bin/bash
# t-crash.sh - issue #4's crash test: the originating milter is killed with
# SIGKILL 20 times, about every 2.5 s, while a client keeps sending through
# real Postfix and retries whatever was refused.  Afterwards no sequence
# number was issued twice (read from the delivered tokens with x400sec
# inspect), no delivered message was called a replay, and the store opens
# cleanly and is ahead of every number delivered.
set -euo pipefail
work=$(mktemp -d /tmp/x400sec-t-crash.XXXXXX)
chmod 755 "$work"
. "$X400_SOURCE/tests/lib/e2e.sh"
client=""
# Under set -e a failing command would end the trap early: every step here
# must succeed or be allowed to fail.
trap 'if [ -n "$client" ]; then kill "$client" 2>/dev/null || true; fi
      e2e_teardown; rm -rf "$work"' EXIT
e2e_setup "$work" >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
x400sec="$X400_BUILD/tools/x400sec"
kills=${CRASH_KILLS:-20}

fails=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }

# The client: one message after another until WORK/stop exists; each is
# retried until a's Postfix accepts it.  It writes the number accepted.
"$MTA_PYTHON" -c '
import os, smtplib, sys, time
port, work, tag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sent = tries = 0
while os.path.isdir(work) and (not os.path.exists(work + "/stop") or sent < 5):
    msg = ("From: alice@a.example\r\nTo: bob@b.example\r\nSubject: crash %d\r\n"
           "Message-ID: <crash%d.%s@test>\r\n\r\nMessage %d.\r\n" % (sent, sent, tag, sent))
    while True:
        tries += 1
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                s.sendmail("alice@a.example", ["bob@b.example"], msg)
            break
        except (smtplib.SMTPException, OSError):
            if not os.path.isdir(work):
                sys.exit(1)
            time.sleep(0.2)
    sent += 1
    time.sleep(0.02)  # leave the shared machine some air
open(work + "/sent", "w").write("%d %d\n" % (sent, tries))
' "$E2E_PORT_A" "$work" "$$" &
client=$!

# The killer: SIGKILL a's milter, start it again, repeat.
for k in $(seq 1 "$kills"); do
    sleep 2.5
    pid=${_E2E_MILTER_PIDS[0]}
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    _E2E_MILTER_PIDS=("${_E2E_MILTER_PIDS[@]:1}")
    # e2e_start_milter appends; keep a's pid first.
    e2e_start_milter "$work" a || { fail "milter a did not restart after kill $k"; break; }
    _E2E_MILTER_PIDS=("${_E2E_MILTER_PIDS[-1]}" "${_E2E_MILTER_PIDS[@]:0:${#_E2E_MILTER_PIDS[@]}-1}")
done
touch "$work/stop"
wait "$client"
read -r sent tries <"$work/sent"
pass "$kills kills; the client had $sent messages accepted in $tries attempts"

# Every accepted message reaches bob.
if mta_wait_mail b bob@b.example "$sent" 120; then
    pass "all $sent delivered"
else
    fail "delivered $(mta_mail_files b bob@b.example | wc -l) of $sent"
fi

# No number twice, no replay verdict on a delivered message.
: >"$work/seqs"
replays=0
for f in $(mta_mail_files b bob@b.example); do
    "$x400sec" inspect "$f" | awk '/message-sequence-number/ {print $2}' >>"$work/seqs"
    tr -d '\n' <"$f" | grep -q 'replay=pass' || replays=$((replays + 1))
done
dups=$(sort -n "$work/seqs" | uniq -d | tr '\n' ' ')
n=$(wc -l <"$work/seqs")
max=$(sort -n "$work/seqs" | tail -n 1)
if [ "$n" -eq "$sent" ] && [ -z "$dups" ]; then
    pass "$n sequence numbers, all distinct (highest $max; gaps are numbers lost in a crash)"
else
    fail "sequence numbers: $n for $sent messages, issued twice: '$dups'"
fi
if [ "$replays" -eq 0 ] && ! grep -q "replayed message" "$work/b.milter.log"; then
    pass "no legitimate message called a replay"
else
    fail "$replays delivered messages lack replay=pass"
fi

# The store opens cleanly and is ahead of everything delivered.
if out=$("$x400sec" state list --dir "$work/state-a") &&
    last=$(grep -o 'out=[0-9]*' <<<"$out" | cut -d= -f2) && [ "$last" -ge "$max" ]; then
    pass "store opens after the kills: last issued $last >= $max"
else
    fail "store after the kills: '$out'"
fi
mdb_stat -e "$work/state-a" >/dev/null 2>&1 || [ ! -x /usr/bin/mdb_stat ] ||
    fail "mdb_stat cannot read the store"

echo "t-crash: $fails failed"
[ "$fails" -eq 0 ]
