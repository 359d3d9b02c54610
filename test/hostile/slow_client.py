#!/usr/bin/env python3
"""slow_client.py MODE PORT STATEDIR NAME — a hostile HTTP client for test_hostile.sh.

Synchronised with the test through files in STATEDIR, never by timing:
  NAME.started  written once the client holds its connection;
  NAME.result   its outcome, one line.

MODE dribble: sends a GET /health request one byte at a time (a short pause
  between bytes, so the request stays open) but never finishes the headers
  until STATEDIR/stop exists; then sends the rest and writes the HTTP status
  ("status 200"), or "error ..." if the owner dropped it.
MODE idle: sends half a request line and then nothing; waits (at most
  IDLE_MAX_S) for the owner to close the connection and writes
  "closed after N s", or "still open" when the bound passed.
MODE flood: opens COUNT (NAME is the count) idle connections at once, writes
  NAME.started, holds them until STATEDIR/stop exists, closes them and
  writes "released".
"""
import os
import socket
import sys
import time

IDLE_MAX_S = 120
mode, port, state, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def touch(suffix, text=""):
    path = os.path.join(state, name + suffix)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def stopped():
    return os.path.exists(os.path.join(state, "stop"))


def connect():
    return socket.create_connection(("127.0.0.1", port), timeout=IDLE_MAX_S)


if mode == "dribble":
    req = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"z" * 4096
    s = connect()
    try:
        sent = 0
        while not stopped():
            if sent < len(req):
                s.sendall(req[sent:sent + 1])
                sent += 1
                if sent == 16:
                    touch(".started")
            time.sleep(0.01)
        if sent < 16:
            touch(".started")
        s.sendall(req[sent:] + b"\r\nConnection: close\r\n\r\n")
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        line = reply.split(b"\r\n", 1)[0].decode("latin-1")
        touch(".result", "status %s\n" % (line.split(" ")[1] if " " in line else "none"))
    except OSError as e:
        touch(".started")
        touch(".result", "error %s\n" % e)
elif mode == "idle":
    s = connect()
    s.sendall(b"GET /hea")
    t0 = time.monotonic()
    touch(".started")
    try:
        data = s.recv(4096)
        # An answer (408) or a plain close both end the connection.
        while data:
            data = s.recv(4096)
        touch(".result", "closed after %d s\n" % (time.monotonic() - t0))
    except socket.timeout:
        touch(".result", "still open\n")
    except OSError:
        touch(".result", "closed after %d s\n" % (time.monotonic() - t0))
elif mode == "flood":
    socks = []
    for _ in range(int(name)):
        try:
            socks.append(connect())
        except OSError:
            pass
    touch(".started", "%d\n" % len(socks))
    while not stopped():
        time.sleep(0.05)
    for s in socks:
        s.close()
    touch(".result", "released\n")
else:
    sys.exit("unknown mode " + mode)
