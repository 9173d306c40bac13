#!/usr/bin/python3
"""check_delivery.py - judge delivered copies of one sealed message.

Reads the delivered files (Maildir files written by Postfix at the
receiving domain) with Python's own parsing, independent of x400sec's code,
and checks for each copy:
  * the number of X400-Message-Token fields (one per envelope recipient);
  * the X400-Security-Results field for the copy's recipient says
    token=pass and cic=pass, and content=decrypted when it was encrypted;
  * the content is identical to what the originating milter received: the
    SHA-256 of the header fields (trace and X400-* fields left out) and the
    body, line endings written as LF, equals the digest the originating
    milter logged for the same queue ID.
Prints one line and exits 0 if every check passed, 1 otherwise.
"""

import argparse
import hashlib
import re
import sys

TRACE = {"received", "return-path", "delivered-to", "x-original-to"}


def split_message(raw):
    """Return ([(name, raw_value)], body) from the bytes of a message."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    head, sep, body = text.partition(b"\n\n")
    if not sep:
        head, body = text, b""
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\n" + line
        elif b":" in line:
            name, value = line.split(b":", 1)
            fields.append([name, value])
    return fields, body


def content_digest(fields, body):
    out = b""
    for name, value in fields:
        lname = name.decode("latin-1").lower()
        if lname in TRACE or lname.startswith("x400-"):
            continue
        out += name + b":" + value + b"\n"
    return hashlib.sha256(out + b"\n" + body).hexdigest()


def origin_queue_id(fields):
    """The queue ID the originating Postfix (mx.a.example) gave the message."""
    for name, value in fields:
        if name.lower() != b"received":
            continue
        v = b" ".join(value.split()).decode("latin-1")
        m = re.search(r"by mx\.a\.example \(Postfix[^)]*\)(?: with \S+)? id (\w+)", v)
        if m:
            return m.group(1)
    return None


def logged_digest(log_path, qid):
    pattern = re.compile(re.escape(qid) + r": seal: sealed: .* content=sha256:([0-9a-f]{64})")
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = pattern.search(line)
            if m:
                return m.group(1)
    return None


def check_copy(path, log_path):
    with open(path, "rb") as f:
        fields, body = split_message(f.read())
    problems = []
    delivered_to = [v.strip().decode() for n, v in fields if n.lower() == b"delivered-to"]
    rcpt = delivered_to[0] if delivered_to else "?"
    tokens = sum(1 for n, _ in fields if n.lower() == b"x400-message-token")
    results = [b" ".join(v.split()).decode("latin-1") for n, v in fields
               if n.lower() == b"x400-security-results"]
    mine = [r for r in results if "rcpt=<%s>" % rcpt in r]
    verified = bool(mine) and "token=pass" in mine[0] and "cic=pass" in mine[0]
    decrypted = bool(mine) and "content=decrypted" in mine[0]
    if not mine:
        problems.append("no results field for %s" % rcpt)
    elif not verified:
        problems.append("results: " + mine[0])
    qid = origin_queue_id(fields)
    want = logged_digest(log_path, qid) if qid else None
    got = content_digest(fields, body)
    identical = want is not None and want == got
    if want is None:
        problems.append("no sealing record for queue id %s" % qid)
    elif not identical:
        problems.append("content differs from what the originating milter received")
    return dict(rcpt=rcpt, tokens=tokens, verified=verified, decrypted=decrypted,
                identical=identical, problems=problems)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--origin-log", required=True)
    ap.add_argument("--require-decrypted", action="store_true", default=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    copies = [check_copy(p, args.origin_log) for p in args.files]
    n = len(copies)
    tokens = min(c["tokens"] for c in copies)
    verified = sum(c["verified"] for c in copies)
    decrypted = sum(c["decrypted"] for c in copies)
    identical = sum(c["identical"] for c in copies)
    ok = tokens == n and verified == n and decrypted == n and identical == n
    print("%-48s tokens=%d verified=%d/%d decrypted=%d/%d identical=%d/%d %s" % (
        args.name, tokens, verified, n, decrypted, n, identical, n, "ok" if ok else "FAIL"))
    if not ok:
        for c in copies:
            for p in c["problems"]:
                print("    %s: %s" % (c["rcpt"], p))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
