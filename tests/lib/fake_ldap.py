#!/usr/bin/env python3
# fake_ldap.py - a misbehaving "LDAP server" on a loopback port, for tests
# of the directory client's failure handling (issue #3, item 6).
#
#   fake_ldap.py silent PORT    accepts connections, reads, never answers
#   fake_ldap.py garbage PORT   answers every read with random bytes
#
# Prints "ready" on standard output once it listens; runs until killed.
import os
import socket
import sys
import threading


def serve(conn, mode):
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            if mode == "garbage":
                try:
                    conn.sendall(os.urandom(512))
                except OSError:
                    return


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("silent", "garbage"):
        sys.stderr.write("usage: fake_ldap.py silent|garbage PORT\n")
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
