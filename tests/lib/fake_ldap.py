#!/usr/bin/env python3
# fake_ldap.py - a misbehaving "LDAP server" on a loopback port, for tests
# of the directory client's failure handling (issue #3, item 6).
#
#   fake_ldap.py silent PORT    accepts connections, reads, never answers
#   fake_ldap.py garbage PORT   answers every read with random bytes
#   fake_ldap.py mute PORT      accepts the bind (RFC 4511 section 4.2.2,
#                               resultCode success), then never answers
#
# Prints "ready" on standard output once it listens; runs until killed.
import os
import socket
import sys
import threading


def bind_response(request):
    """A BindResponse (success) for the BindRequest in request, whose
    messageID is taken from its first bytes: SEQUENCE, length, INTEGER."""
    i = 2 if request[1] < 0x80 else 2 + (request[1] & 0x7F)
    if request[i] != 0x02:
        return None
    msgid = request[i:i + 2 + request[i + 1]]
    body = msgid + bytes([0x61, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00])
    return bytes([0x30, len(body)]) + body


def serve(conn, mode):
    answered = False
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            if mode == "mute" and not answered:
                answered = True
                reply = bind_response(data)
                if reply is not None:
                    conn.sendall(reply)
            if mode == "garbage":
                try:
                    conn.sendall(os.urandom(512))
                except OSError:
                    return


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("silent", "garbage", "mute"):
        sys.stderr.write("usage: fake_ldap.py silent|garbage|mute PORT\n")
        return 2
    mode, port = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
