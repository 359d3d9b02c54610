#!/usr/bin/env python3
"""concurrency_worker.py ROLE ID PORT STATEDIR SECONDS WRITERS — one worker of test_concurrency.sh.

ROLE writer: ingests loads into table "c" until SECONDS have passed.  Load i
  of writer w has size(w, i) rows, all in writer w's own day (2024-01-w+1),
  at times that grow across its loads.  Each acknowledged load (200 with
  rows_inserted == size) is appended to STATEDIR/acks.W as "i size".
ROLE reader: until the writers are done (STATEDIR/writers_done), repeats:
  - /tables/c/count: the count never decreases;
  - count c1, full NDJSON export of n rows, count c2: c1 <= n <= c2 (a scan
    sees a committed state between the two);
  - for a writer w: its acks a1, an export of w's day, its acks a2: the rows
    seen are exactly its first k loads for some k >= a1 (loads are atomic
    and its loads commit in order), k <= a2 + 1 (one may be committed but
    not yet recorded);
  - a desc/limit query answers with at most the limit.
  Table "c" may not exist yet at the start (all writers create it at once):
  404s are accepted until the first count succeeds.

Every unexpected status or broken invariant is appended to STATEDIR/errors
and the worker exits 1.  The last line of STATEDIR/{writer,reader}.ID holds
its totals for the report.
"""
import http.client
import json
import os
import sys
import time

role, wid, port, state = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
seconds, nwriters = float(sys.argv[5]), int(sys.argv[6])
DAY_NS = 86400 * 10**9
BASE_NS = 1704067200 * 10**9  # 2024-01-01T00:00:00Z


def size(w, i):
    return 200 + (w * 7919 + i * 104729) % 1300


def error(msg):
    with open(os.path.join(state, "errors"), "a") as f:
        f.write("%s %d: %s\n" % (role, wid, msg))
    sys.exit(1)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.read()


def connect():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=300)


def acks(w):
    try:
        with open(os.path.join(state, "acks.%d" % w)) as f:
            return sum(1 for line in f if line.endswith("\n"))
    except FileNotFoundError:
        return 0


def writer():
    conn = connect()
    deadline = time.monotonic() + seconds
    i = rows = 0
    t = BASE_NS + wid * DAY_NS
    while time.monotonic() < deadline:
        n = size(wid, i)
        lines = ["ts,writer,load,seq,px"]
        for k in range(n):
            lines.append("%d,w%d,%d,%d,%d.5" % (t, wid, i, k, k))
            t += 1000  # 1 us apart: times stay distinct inside the day
        status, body = request(conn, "POST", "/tables/c/ingest", "\n".join(lines) + "\n",
                               {"Content-Type": "text/csv", "Connection": "keep-alive"})
        if status != 200:
            error("load %d: HTTP %d %s" % (i, status, body[:300]))
        got = json.loads(body)["data"]["rows_inserted"]
        if got != n:
            error("load %d: %d rows inserted, %d sent" % (i, got, n))
        with open(os.path.join(state, "acks.%d" % wid), "a") as f:
            f.write("%d %d\n" % (i, n))
        i += 1
        rows += n
    with open(os.path.join(state, "writer.%d" % wid), "w") as f:
        f.write("%d loads %d rows\n" % (i, rows))


def count(conn, allow_missing):
    status, body = request(conn, "GET", "/tables/c/count")
    if status == 404 and allow_missing:
        return None
    if status != 200:
        error("count: HTTP %d %s" % (status, body[:300]))
    return json.loads(body)["data"]["count"]


def export_rows(conn, query):
    status, body = request(conn, "GET", "/tables/c/query?format=ndjson&" + query)
    if status != 200:
        error("export %s: HTTP %d %s" % (query, status, body[:300]))
    return body.count(b"\n")


def reader():
    conn = connect()
    last = None
    stats = {"counts": 0, "exports": 0, "ranges": 0, "limits": 0}
    prefix = [[0] for _ in range(nwriters)]
    rnd = wid
    while not os.path.exists(os.path.join(state, "writers_done")):
        c = count(conn, last is None)
        if c is None:
            continue
        if last is not None and c < last:
            error("count went down: %d after %d" % (c, last))
        last = c
        stats["counts"] += 1

        n = export_rows(conn, "time_format=ns")
        c2 = count(conn, False)
        if not c <= n <= c2:
            error("full export saw %d rows, counts around it %d and %d" % (n, c, c2))
        last = c2
        stats["exports"] += 1

        rnd = (rnd * 1103515245 + 12345) % 2**31
        w = rnd % nwriters
        a1 = acks(w)
        lo = BASE_NS + w * DAY_NS
        n = export_rows(conn, "start=%d&end=%d" % (lo // 10**6, (lo + DAY_NS) // 10**6))
        a2 = acks(w)
        p = prefix[w]
        while p[-1] < n:
            p.append(p[-1] + size(w, len(p) - 1))
        if p[-1] != n:
            error("writer %d's day shows %d rows: not a whole number of its loads %s" % (w, n, p[-3:]))
        k = len(p) - 1
        if not a1 <= k <= a2 + 1:
            error("writer %d's day shows its first %d loads; acknowledged %d before, %d after"
                  % (w, k, a1, a2))
        stats["ranges"] += 1

        status, body = request(conn, "GET", "/tables/c/query?order=desc&limit=5&time_format=ns")
        if status != 200 or len(json.loads(body)["data"]) > 5:
            error("desc limit query: HTTP %d %s" % (status, body[:300]))
        stats["limits"] += 1
    with open(os.path.join(state, "reader.%d" % wid), "w") as f:
        f.write(" ".join("%d %s" % (v, k) for k, v in stats.items()) + "\n")


writer() if role == "writer" else reader()
