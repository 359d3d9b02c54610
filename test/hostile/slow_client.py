#!/usr/bin/env python3
"""slow_client.py MODE PORT STATEDIR NAME — a hostile HTTP client for test_hostile.sh.

Synchronised with the test through files in STATEDIR, never by timing:
  NAME.started  written once the client holds its connection;
  NAME.result   its outcome, one line.
"closed after S s" tells that the owner closed the connection S seconds
(one decimal) after the client connected.  Every wait is bounded by
IDLE_MAX_S.

MODE dribble: sends a GET /health request one byte at a time (a short pause
  between bytes, so the request stays open) but never finishes the headers
  until STATEDIR/stop exists; then sends the rest and writes the HTTP status
  ("status 200"), or "closed after S s" if the owner dropped it first.
MODE idle: sends half a request line and then nothing; waits for the owner
  to close the connection and writes "closed after S s", or "still open".
MODE flood: opens COUNT (NAME is the count) idle connections at once, writes
  NAME.started, holds them until STATEDIR/stop exists, closes them and
  writes "released".
MODE drip_flood: opens COUNT (NAME) connections and sends one byte of a
  request line on each every DRIP_S; writes "N closed, last after S s"
  once the owner has closed them all (or the bound passed).
MODE slow_body: POST /tables/NAME/ingest announcing a body of BURST_ROWS +
  100 rows; sends the headers and BURST_ROWS rows at once, then one byte a
  second; writes "closed after S s" or "status N" if answered.
MODE steady_body: POST /tables/NAME/ingest of STEADY_ROWS rows (about 24
  KiB) sent in 2 KiB pieces, 4 a second (8 KiB/s, for about 3 s); writes
  "status N, R rows in S s" (R: rows_inserted, or "-").
MODE slow_reader: GET /tables/NAME/query?format=csv with a small receive
  buffer, reading READ_BYTES every READ_PAUSE_S; writes "status N, L lines,
  complete|cut, in S s" (complete: the chunked body ended properly).
Rows of the ingest modes fit a table with columns ts,v.
"""
import json
import os
import select
import socket
import sys
import time

IDLE_MAX_S = 120
DRIP_S = 0.1
BURST_ROWS = 300
STEADY_ROWS = 800
READ_BYTES = 64 * 1024
READ_PAUSE_S = 0.03
mode, port, state, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t0 = time.monotonic()


def touch(suffix, text=""):
    path = os.path.join(state, name + suffix)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def stopped():
    return os.path.exists(os.path.join(state, "stop"))


def connect(rcvbuf=None):
    global t0
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(IDLE_MAX_S)
    s.connect(("127.0.0.1", port))
    t0 = time.monotonic()
    return s


def closed():
    return "closed after %.1f s\n" % (time.monotonic() - t0)


def owner_closed(s, wait):
    """Whether the owner closed s (waiting at most wait seconds)."""
    if not select.select([s], [], [], wait)[0]:
        return False
    try:
        return s.recv(65536) == b""
    except OSError:
        return True


def read_reply(s):
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return reply
        reply += chunk


def status_of(reply):
    line = reply.split(b"\r\n", 1)[0].decode("latin-1")
    return line.split(" ")[1] if " " in line else "none"


def rows(first, n):
    return b"".join(b"2024-08-01T00:00:%02d.%06dZ,%d\n" % (i // 1000000 % 60, i % 1000000, i)
                    for i in range(first, first + n))


def ingest_head(length):
    return (b"POST /tables/%s/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (name.encode(), length))


def dechunk(body):
    """The payload of a chunked body, and whether its last chunk arrived."""
    out, pos = bytearray(), 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return out, False
        size = int(body[pos:end].split(b";")[0], 16)
        if size == 0:
            return out, True
        out += body[end + 2:end + 2 + size]
        pos = end + 4 + size


if mode == "dribble":
    req = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"z" * 4096
    s = connect()
    sent = 0
    try:
        while not stopped():
            if sent < len(req):
                s.sendall(req[sent:sent + 1])
                sent += 1
                if sent == 16:
                    touch(".started")
            if owner_closed(s, 0.01):
                raise ConnectionResetError
        if sent < 16:
            touch(".started")
        s.sendall(req[sent:] + b"\r\nConnection: close\r\n\r\n")
        touch(".result", "status %s\n" % status_of(read_reply(s)))
    except OSError:
        touch(".started")
        touch(".result", closed())
elif mode == "idle":
    s = connect()
    s.sendall(b"GET /hea")
    touch(".started")
    try:
        # An answer (408) or a plain close both end the connection.
        while s.recv(4096):
            pass
        touch(".result", closed())
    except socket.timeout:
        touch(".result", "still open\n")
    except OSError:
        touch(".result", closed())
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
elif mode == "drip_flood":
    req = b"GET /health HTTP/1.1\r\nX-Slow: " + b"z" * 4096
    socks = [connect() for _ in range(int(name))]
    start, sent, last = time.monotonic(), 0, 0.0
    touch(".started", "%d\n" % len(socks))
    while socks and time.monotonic() - start < IDLE_MAX_S:
        for s in list(socks):
            try:
                s.send(req[sent:sent + 1])
                alive = not owner_closed(s, 0)
            except OSError:
                alive = False
            if not alive:
                socks.remove(s)
                last = time.monotonic() - start
        sent += 1
        time.sleep(DRIP_S)
    touch(".result", "%d closed, last after %.1f s\n" % (int(name) - len(socks), last))
elif mode == "slow_body":
    burst = b"ts,v\n" + rows(0, BURST_ROWS)
    rest = rows(BURST_ROWS, 100)
    s = connect()
    s.sendall(ingest_head(len(burst) + len(rest)) + burst)
    touch(".started")
    try:
        for i in range(len(rest)):
            if owner_closed(s, 1.0):
                raise ConnectionResetError
            s.sendall(rest[i:i + 1])
        touch(".result", "status %s\n" % status_of(read_reply(s)))
    except OSError:
        touch(".result", closed())
elif mode == "steady_body":
    body = b"ts,v\n" + rows(0, STEADY_ROWS)
    s = connect()
    s.sendall(ingest_head(len(body)))
    touch(".started")
    try:
        for off in range(0, len(body), 2048):
            s.sendall(body[off:off + 2048])
            time.sleep(0.25)
        reply = read_reply(s)
        try:
            got = json.loads(reply.split(b"\r\n\r\n", 1)[1])["data"]["rows_inserted"]
        except (ValueError, KeyError, TypeError, IndexError):
            got = "-"
        touch(".result", "status %s, %s rows in %.1f s\n" % (status_of(reply), got, time.monotonic() - t0))
    except OSError:
        touch(".result", closed())
elif mode == "slow_reader":
    s = connect(rcvbuf=65536)
    s.sendall(b"GET /tables/%s/query?format=csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              % name.encode())
    touch(".started")
    reply = bytearray()
    try:
        while True:
            chunk = s.recv(READ_BYTES)
            if not chunk:
                break
            reply += chunk
            time.sleep(READ_PAUSE_S)
    except OSError:
        pass
    head, _, body = bytes(reply).partition(b"\r\n\r\n")
    data, complete = dechunk(body)
    touch(".result", "status %s, %d lines, %s, in %.1f s\n"
          % (status_of(head), data.count(b"\n"), "complete" if complete else "cut",
             time.monotonic() - t0))
else:
    sys.exit("unknown mode " + mode)
