#!/usr/bin/env python3
"""concurrency_worker.py ROLE ID PORT STATEDIR SECONDS WRITERS — one worker of test_concurrency.sh.

WRITERS counts every writer, REST and SQL; ID numbers writers 0..WRITERS-1
across both kinds, and readers of each kind from 0.
ROLE writer: ingests loads into table "c" over REST until SECONDS have
  passed.  Load i of writer w has size(w, i) rows, all in writer w's own day
  (2024-01-01 + w days), at times that grow across its loads.  Each
  acknowledged load (200 with rows_inserted == size) is appended to
  STATEDIR/acks.W as "i size".
ROLE sqlwriter: the same through PostgreSQL (psql, with the PG* environment,
  foreign table "c" of server "s"), its loads taking turns between INSERT ...
  SELECT, COPY FROM STDIN and pulsora_ingest_csv; acknowledged means psql
  succeeded and reported size rows.
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
ROLE sqlreader: through PostgreSQL, the same count, writer's-day and
  desc/limit checks (a scan's count stands in for the export).

Every unexpected status or broken invariant is appended to STATEDIR/errors
and the worker exits 1.  The last line of STATEDIR/ROLE.ID holds its
totals for the report.
"""
import datetime
import http.client
import json
import os
import subprocess
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


def psql(sql, stdin=None):
    """Run one statement; (True, rows or the command tag of INSERT/COPY) or (False, error text)."""
    r = subprocess.run(["psql", "-XAt", "-v", "ON_ERROR_STOP=1", "-c", sql], input=stdin,
                       capture_output=True, text=True, timeout=300)
    return r.returncode == 0, (r.stdout if r.returncode == 0 else r.stderr).strip()


def psql_value(sql):
    """The rows of a SELECT (psql -t prints no command tag for them)."""
    ok, out = psql(sql)
    if not ok:
        error("%s: %s" % (sql, out[:300]))
    return out


def iso(ns):
    """Nanoseconds since the epoch (whole microseconds) as an ISO-8601 UTC time."""
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=ns // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- one load of n rows from time t, 1 us apart; errors unless all n load

def rest_load(conn, i, t, n):
    lines = ["ts,writer,load,seq,px"]
    lines += ["%d,w%d,%d,%d,%d.5" % (t + k * 1000, wid, i, k, k) for k in range(n)]
    # A SQL writer's transaction may still be creating "c": the owner makes
    # the REST load wait for that transaction (never a 409) and then commits.
    status, body = request(conn, "POST", "/tables/c/ingest", "\n".join(lines) + "\n",
                           {"Content-Type": "text/csv", "Connection": "keep-alive"})
    if status != 200:
        error("load %d: HTTP %d %s" % (i, status, body[:300]))
    got = json.loads(body)["data"]["rows_inserted"]
    if got != n:
        error("load %d: %d rows inserted, %d sent" % (i, got, n))


def sql_load(i, t, n):
    way = i % 3
    if way == 0:
        ok, out = psql("INSERT INTO c SELECT timestamptz '%s' + k * interval '1 microsecond', "
                       "'w%d', %d, k, k + 0.5 FROM generate_series(0, %d) k" % (iso(t), wid, i, n - 1))
        expect = "INSERT 0 %d" % n
    else:
        rows = "".join("%s,w%d,%d,%d,%d.5\n" % (iso(t + k * 1000), wid, i, k, k) for k in range(n))
        if way == 1:
            ok, out = psql("COPY c FROM STDIN WITH (FORMAT csv)", rows)
            expect = "COPY %d" % n
        else:
            csv = "ts,writer,load,seq,px\n" + rows
            ok, out = psql("SELECT rows_loaded FROM pulsora_ingest_csv('s', 'c', $csv$%s$csv$)" % csv)
            expect = "%d" % n
    if not ok:
        error("load %d: %s" % (i, out[:300]))
    if out.splitlines()[-1:] != [expect]:
        error("load %d: psql said %r, expected %r" % (i, out[-200:], expect))


def writer(load):
    deadline = time.monotonic() + seconds
    i = rows = 0
    t = BASE_NS + wid * DAY_NS
    while time.monotonic() < deadline:
        n = size(wid, i)
        load(i, t, n)
        t += n * 1000  # times stay distinct and growing inside the day
        with open(os.path.join(state, "acks.%d" % wid), "a") as f:
            f.write("%d %d\n" % (i, n))
        i += 1
        rows += n
    with open(os.path.join(state, "%s.%d" % (role, wid)), "w") as f:
        f.write("%d loads %d rows\n" % (i, rows))


# ---- what a reader asks: the committed count (None while "c" is missing),
# ---- rows a scan sees (whole table or one writer's day), the latest rows

class Rest:
    def __init__(self):
        self.conn = connect()

    def count(self, allow_missing):
        status, body = request(self.conn, "GET", "/tables/c/count")
        if status == 404 and allow_missing:
            return None
        if status != 200:
            error("count: HTTP %d %s" % (status, body[:300]))
        return json.loads(body)["data"]["count"]

    def rows(self, lo=None, hi=None):
        query = "time_format=ns" if lo is None else "start=%d&end=%d" % (lo // 10**6, hi // 10**6)
        status, body = request(self.conn, "GET", "/tables/c/query?format=ndjson&" + query)
        if status != 200:
            error("export %s: HTTP %d %s" % (query, status, body[:300]))
        return body.count(b"\n")

    def latest(self, limit):
        status, body = request(self.conn, "GET", "/tables/c/query?order=desc&limit=%d&time_format=ns" % limit)
        if status != 200:
            error("desc limit query: HTTP %d %s" % (status, body[:300]))
        return len(json.loads(body)["data"])


class Sql:
    def count(self, allow_missing):
        out = psql_value("SELECT row_count FROM pulsora_tables('s') WHERE table_name = 'c'")
        if out == "" and allow_missing:
            return None
        return int(out)

    def rows(self, lo=None, hi=None):
        where = "" if lo is None else " WHERE ts >= timestamptz '%s' AND ts < timestamptz '%s'" % (iso(lo), iso(hi))
        return int(psql_value("SELECT count(*) FROM c" + where))

    def latest(self, limit):
        out = psql_value("SELECT ts FROM c ORDER BY ts DESC LIMIT %d" % limit)
        return len(out.splitlines())


def reader(source):
    last = None
    stats = {"counts": 0, "exports": 0, "ranges": 0, "limits": 0}
    prefix = [[0] for _ in range(nwriters)]
    rnd = wid
    while not os.path.exists(os.path.join(state, "writers_done")):
        c = source.count(last is None)
        if c is None:
            continue
        if last is not None and c < last:
            error("count went down: %d after %d" % (c, last))
        last = c
        stats["counts"] += 1

        n = source.rows()
        c2 = source.count(False)
        if not c <= n <= c2:
            error("full scan saw %d rows, counts around it %d and %d" % (n, c, c2))
        last = c2
        stats["exports"] += 1

        rnd = (rnd * 1103515245 + 12345) % 2**31
        w = rnd % nwriters
        a1 = acks(w)
        lo = BASE_NS + w * DAY_NS
        n = source.rows(lo, lo + DAY_NS)
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

        if source.latest(5) > 5:
            error("desc limit 5 answered more rows")
        stats["limits"] += 1
    with open(os.path.join(state, "%s.%d" % (role, wid)), "w") as f:
        f.write(" ".join("%d %s" % (v, k) for k, v in stats.items()) + "\n")


if role == "writer":
    rest_conn = connect()
    writer(lambda i, t, n: rest_load(rest_conn, i, t, n))
elif role == "sqlwriter":
    writer(sql_load)
elif role == "reader":
    reader(Rest())
elif role == "sqlreader":
    reader(Sql())
else:
    error("unknown role")
