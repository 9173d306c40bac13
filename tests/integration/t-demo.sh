#!/bin/bash
# t-demo.sh - the demo flow as a test: every message under
# tests/data/messages through two real Postfix instances, sealed by the
# originating milter, verified and decrypted by the receiving one, and
# compared with what the originating milter received.
set -euo pipefail
work=$(mktemp -d /tmp/x400sec-t-demo.XXXXXX)
chmod 755 "$work"
. "$X400_SOURCE/tests/lib/e2e.sh"
trap 'e2e_teardown; rm -rf "$work"' EXIT
e2e_setup "$work" >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
total=0
failed=0
for f in "$X400_SOURCE"/tests/data/messages/*; do
    [ -f "$f" ] && [ "$(basename "$f")" != LICENSES.md ] || continue
    total=$((total + 1))
    e2e_send "$work" "$f" || failed=$((failed + 1))
done
echo "t-demo: $((total - failed)) of $total messages passed"

# x400sec inspect reads the tokens of a delivered message back.
f=$(mta_mail_files b bob@b.example | head -n 1)
out=$("$X400_BUILD/tools/x400sec" inspect "$f")
for want in "2.6.3.6.0 (asymmetric-token)" "(bob@b.example)" "(carol@b.example)" \
    "aes256-GCM" "RSAES-OAEP" "message-sequence-number"; do
    grep -qF -- "$want" <<<"$out" || { echo "t-demo: inspect lacks '$want'" >&2; failed=1; }
done
if printf 'X400-Message-Token: MIIBBBBB\n\nbody\n' | "$X400_BUILD/tools/x400sec" inspect >/dev/null; then
    echo "t-demo: inspect accepted a malformed token" >&2
    failed=1
fi
[ "$total" -ge 40 ] || { echo "t-demo: expected at least 40 messages" >&2; exit 1; }
[ "$failed" -eq 0 ]
