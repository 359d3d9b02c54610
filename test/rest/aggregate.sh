# aggregate.sh — the GET /tables/{t}/aggregate checks of test_rest.sh,
# which sources this file (not a suite of its own: its checks count in
# test_rest.sh's closing line) and calls the two functions below, with an
# owner at $BASE and test_rest.sh's helpers (req, check, is, error_is,
# ok_envelope, $PY, $TMP).
#
# aggregate_tests: loads table aggs from a generated CSV (five symbols, a
# venue, NULL prices, quantities and notes, negative quantities, and sums
# past 2^63), in two loads whose times interleave, and checks each answer
# against figures a Python oracle computes from the CSV itself, reading the
# same query string (agg_ok): groups, keys and their order, every field,
# filters, ranges, buckets from 500ms to 1d, and the three formats; then
# the errors.  aggregate_big_tests, on table ticks (1,000,001 rows), checks
# a JSON answer too big to be sent whole (streamed, chunked) and the status
# of too many groups.  latest_tests (called by aggregate_tests, on aggs and
# a small table of ties and NULLs) checks GET /tables/{t}/latest against the
# oracle, and pulsora-cli's aggregate and latest against REST's answers.

# agg_oracle.py ROUTE-MODE BODY QUERY CSV...: whether BODY (json, ndjson or
# csv) is the answer to ROUTE?QUERY (aggregate or latest) over the rows of
# the CSV files.
cat >"$TMP/agg_oracle.py" <<'EOF'
import csv, datetime, json, sys, urllib.parse

UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9,
         "d": 86400 * 10**9}
OWN = {"start", "end", "bucket", "by", "fields", "format", "time_format", "columns"}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

def parse_time(s):  # the ISO forms this test writes: 2024-03-01T00:00:01[.700]Z
    whole, _, frac = s.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return (t - EPOCH) // datetime.timedelta(seconds=1) * 10**9 + int((frac + "000000000")[:9])

def iso(ns):  # as the owner prints times: the fraction in groups of 3 digits, none when zero
    text = (EPOCH + datetime.timedelta(seconds=ns // 10**9)).strftime("%Y-%m-%dT%H:%M:%S")
    frac = "%09d" % (ns % 10**9)
    while frac.endswith("000"):
        frac = frac[:-3]
    return text + ("." + frac if frac else "") + "Z"

def typed(col, v):
    if v == "":
        return None
    return {"ts": parse_time, "venue": int, "qty": int, "price": float}.get(col, str)(v)

def field(f, rows):
    fn, _, col = f.partition("(")
    fn, col = fn.strip().lower(), col[:-1].strip()
    if fn == "count" and col in ("", "*"):
        return len(rows)
    vals = [r[col] for r in rows if r[col] is not None]
    if fn == "count":
        return len(vals)
    if fn in ("sum", "avg") and not vals:
        return None
    if fn == "sum":
        return sum(vals)
    if fn == "avg":  # the owner divides the exact sum, as a double, by the count
        return float(sum(vals)) / len(vals)
    if fn in ("min", "max"):
        return (min if fn == "min" else max)(vals) if vals else None
    ordered = sorted(rows, key=lambda r: r["ts"])  # this CSV's times are all distinct
    return ordered[0 if fn == "first" else -1][col] if ordered else None

def selected(params, rows):  # the rows in [start, end) that pass the series filters
    lo = parse_time(params["start"]) if "start" in params else -2**63
    hi = parse_time(params["end"]) if "end" in params else 2**63
    filters = {}
    for k, v in params["others"]:
        filters.setdefault(k, set()).add(v)
    return [r for r in rows if lo <= r["ts"] < hi and all(r[k] in vs for k, vs in filters.items())]

def expected(params, rows):
    width = 0
    if "bucket" in params:
        b = params["bucket"]
        digits = len(b) - len(b.lstrip("0123456789"))
        width = int(b[:digits]) * UNITS[b[digits:]]
    by = [c.strip() for c in params["by"].split(",")] if "by" in params else []
    fields = [f.strip() for f in params["fields"].split(",")]
    groups = {}
    for r in selected(params, rows):
        key = tuple(r[c] for c in by) + ((r["ts"] - r["ts"] % width,) if width else ())
        groups.setdefault(key, []).append(r)
    if not width and not by and not groups:
        groups[()] = []  # without groups, one group even of nothing
    out = []
    # Ordered by the by columns (NULLs last), then the bucket.
    for key in sorted(groups, key=lambda k: [(v is None, v) for v in k]):
        obj = {}
        if width:
            obj["bucket"] = key[-1] // 10**6 if params.get("time_format") == "ms" else iso(key[-1])
        obj.update(zip(by, key))
        for f in fields:
            obj[f] = field(f, groups[key])
        out.append(obj)
    return out

def latest(params, rows):  # the row of largest time of each by group (times are distinct)
    by = [c.strip() for c in params["by"].split(",")] if "by" in params else []
    cols = ["ts", "symbol", "venue", "price", "qty", "note"]
    if "columns" in params:
        cols = [c.strip() for c in params["columns"].split(",")]
        cols = cols if "ts" in cols else ["ts"] + cols
    last = {}
    for r in selected(params, rows):
        key = tuple(r[c] for c in by)
        if key not in last or r["ts"] > last[key]["ts"]:
            last[key] = r
    return [{c: iso(last[k][c]) if c == "ts" else last[k][c] for c in cols}
            for k in sorted(last, key=lambda k: [(v is None, v) for v in k])]

def cell(v):  # a CSV field as the value it stands for
    if v == "":
        return None
    for convert in (int, float):
        try:
            return convert(v)
        except ValueError:
            pass
    return v

mode, body, query = sys.argv[1:4]
rows = []
for path in sys.argv[4:]:
    with open(path) as f:
        rows += [{k: typed(k, v) for k, v in r.items()} for r in csv.DictReader(f)]
params = {"others": []}
for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
    if k in OWN:
        params[k] = v
    else:
        params["others"].append((k, v))
route, _, mode = mode.partition("-")
want = latest(params, rows) if route == "latest" else expected(params, rows)
text = open(body).read()
if mode == "json":
    d = json.loads(text)
    assert d["success"] is True and d["error"] is None, d
    got = d["data"]
elif mode == "ndjson":
    got = [json.loads(line) for line in text.splitlines()]
else:
    lines = list(csv.reader(text.splitlines()))
    keys = lines[0]
    assert not want or keys == list(want[0].keys()), (keys, list(want[0].keys()))
    got = [dict(zip(keys, map(cell, line))) for line in lines[1:]]
ok = got == want and all(list(g.keys()) == list(w.keys()) for g, w in zip(got, want))
if not ok:
    print("       want %s" % json.dumps(want)[:1500])
    print("       got  %s" % json.dumps(got)[:1500])
sys.exit(0 if ok else 1)
EOF

# oracle_ok ROUTE DESC QUERY [MODE [CURL ARGS...]]: ROUTE?QUERY (aggregate
# or latest) on table aggs answers what the oracle computes (MODE json by
# default); agg_ok and latest_ok name the route.
oracle_ok() {
	local route=$1 desc=$2 query=$3 mode=${4:-json}
	shift 3
	[ $# -gt 0 ] && shift
	req GET "/tables/aggs/$route?$query" "$@"
	check "$desc" eval 'status_is 200 && "$PY" "$TMP/agg_oracle.py" "$route-$mode" "$TMP/body" "$query" "$TMP/agg1.csv" "$TMP/agg2.csv"'
}
agg_ok() { oracle_ok aggregate "$@"; }
latest_ok() { oracle_ok latest "$@"; }

aggregate_tests() {
	local all='count(),count(qty),sum(qty),avg(qty),min(price),max(price),first(price),last(price),avg(price),count(price),first(note),last(note)'

	# Rows 1.7 s apart over ten minutes; even rows in one load, odd ones in
	# another, so blocks overlap.  Prices are multiples of 0.25, so float sums
	# are exact in any order.  AAPL holds 9e18 three times in its first
	# minute (a sum past 2^63) and -9e18 later; GOOG has no quantity at all in
	# its fourth minute; row 0 (AAPL's first) has no price.
	"$PY" - "$TMP/agg1.csv" "$TMP/agg2.csv" <<'EOF'
import datetime, sys
syms = ["AAPL", "IBM", "AAPL", "MSFT", "GOOG"]
base = datetime.datetime(2024, 3, 1)
files = [open(p, "w") for p in sys.argv[1:3]]
for f in files:
    f.write("ts,symbol,venue,price,qty,note\n")
for i in range(360):
    t = base + datetime.timedelta(milliseconds=1700 * i)
    sym = syms[i % 5]
    price = "" if i % 11 == 0 else "%.2f" % (100 + i % 37 + 0.25 * (i % 4))
    qty = "" if i % 13 == 5 or (sym == "GOOG" and 180 <= i * 1.7 < 240) else str((i % 17 - 8) * 1000 + i)
    if i in (2, 12, 22):
        qty = "9000000000000000000"
    if i == 200:
        qty = "-9000000000000000000"
    note = "" if i % 7 == 3 else "n%d" % i
    files[i % 2].write("%s.%03dZ,%s,%d,%s,%s,%s\n" % (t.strftime("%Y-%m-%dT%H:%M:%S"),
                       t.microsecond // 1000, sym, i % 3 + 1, price, qty, note))
EOF
	req POST /tables/aggs/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/agg1.csv"
	check "aggregate: first load (even rows)" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 180'
	req POST /tables/aggs/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/agg2.csv"
	check "aggregate: second load (odd rows, interleaved in time)" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 180'

	agg_ok "aggregate: no bucket, no by: one group over the table, every field" "fields=$all"
	check "... whose sum(qty) is past 2^63, exact" is 'd["data"][0]["sum(qty)"] > 2**63' true
	agg_ok "aggregate: bucket=1m&by=symbol, every field" "bucket=1m&by=symbol&fields=$all"
	check "... groups ordered by symbol, then bucket" \
		is '[(r["symbol"], r["bucket"]) for r in d["data"]] == sorted((r["symbol"], r["bucket"]) for r in d["data"])' true
	check "... AAPL's first minute sums past 2^63 exactly" \
		is '[r["sum(qty)"] for r in d["data"] if r["symbol"] == "AAPL"][0] > 2**63' true
	check "... GOOG's fourth minute has no quantity: sum and avg null, count 0" \
		is '[[r["sum(qty)"], r["avg(qty)"], r["count(qty)"]] for r in d["data"] if r["symbol"] == "GOOG" and r["bucket"] == "2024-03-01T00:03:00Z"]' '[[null, null, 0]]'
	check "... AAPL's first row has no price: first(price) null" \
		is '[r["first(price)"] for r in d["data"] if r["symbol"] == "AAPL"][0]' null
	agg_ok "aggregate: by=symbol without a bucket" "by=symbol&fields=count(),sum(qty),min(price),last(note)"
	agg_ok "aggregate: by a column outside the series key (venue)" "by=venue&fields=count(),sum(qty),avg(price)"
	agg_ok "aggregate: by symbol and venue, bucketed" "bucket=5m&by=venue,symbol&fields=count(),max(price)"
	for b in 500ms 1s 1m 5m 1h 1d 7s 90000us; do
		agg_ok "aggregate: bucket=$b, aligned to the epoch" "bucket=$b&fields=count(),sum(qty),first(price)&time_format=ms"
	done
	agg_ok "aggregate: ISO bucket keys with milliseconds (500ms)" "bucket=500ms&fields=count()&end=2024-03-01T00:00:10Z"
	agg_ok "aggregate: a series filter, symbol=IBM" "symbol=IBM&bucket=1m&fields=count(),sum(qty),last(price)"
	agg_ok "aggregate: a repeated series filter, symbol=MSFT&symbol=GOOG, by symbol" \
		"symbol=MSFT&bucket=2m&by=symbol&symbol=GOOG&fields=count(),avg(qty)"
	agg_ok "aggregate: a series filter no row has: one group of nothing" "symbol=NOPE&fields=count(),sum(qty),first(price)"
	agg_ok "aggregate: start and end ([start, end), a partial first bucket)" \
		"start=2024-03-01T00:01:30Z&end=2024-03-01T00:04:00Z&bucket=1m&by=symbol&fields=count(),sum(qty),first(price),last(price)"
	agg_ok "aggregate: blanks around fields, count(*), function names in any case" \
		"fields=+count(*)+,+SUM(+qty+)+,Max(price)&bucket=1h"
	agg_ok "aggregate: a field repeated in another spelling, and fields sharing store items" \
		"fields=count(),count(*),avg(qty),sum(qty),count(qty)&by=symbol"
	agg_ok "aggregate: format=csv" "bucket=1m&by=symbol&fields=count(),sum(qty),avg(price),first(note)&format=csv" csv
	check "... as text/csv, header of the keys" eval 'head -1 "$TMP/body" | grep -qx "bucket,symbol,count(),sum(qty),avg(price),first(note)"'
	agg_ok "aggregate: Accept: text/csv" "bucket=5m&fields=count(),sum(qty)" csv -H 'Accept: text/csv'
	agg_ok "aggregate: format=ndjson" "bucket=1m&by=symbol&fields=count(),sum(qty),min(price),last(note)&format=ndjson" ndjson
	agg_ok "aggregate: format=ndjson with time_format=ms" "bucket=1m&fields=count()&format=ndjson&time_format=ms" ndjson
	agg_ok "aggregate: an empty range: one group, count 0, nulls" \
		"start=2024-03-01T00:01:00Z&end=2024-03-01T00:01:00Z&fields=$all"
	check "... spelled out" is 'd["data"]' '[{"count()": 0, "count(qty)": 0, "sum(qty)": null, "avg(qty)": null, "min(price)": null, "max(price)": null, "first(price)": null, "last(price)": null, "avg(price)": null, "count(price)": 0, "first(note)": null, "last(note)": null}]'
	agg_ok "aggregate: an empty range, bucketed: no group" "start=2024-03-01T00:01:00Z&end=2024-03-01T00:01:00Z&bucket=1m&fields=count()"
	check "... spelled out" is 'd["data"]' '[]'
	agg_ok "aggregate: a range before every row, by symbol: no group" "end=2024-01-01T00:00:00Z&by=symbol&fields=count()"
	req GET '/tables/aggs/aggregate?fields=count()&format=csv&start=2024-03-01T00:01:00Z&end=2024-03-01T00:01:00Z'
	check "aggregate: an empty range in CSV: the header and one row" [ "$(cat "$TMP/body")" = $'count()\n0' ]

	req GET '/tables/nosuch/aggregate?fields=count()'
	check "aggregate: an unknown table is 404" error_is 404 nosuch
	req GET '/tables/nosuch/aggregate?fields=count()&symbol=AAPL'
	check "aggregate: an unknown table with a filter is 404" error_is 404 nosuch
	for bad in '0s' '1mo' '1M' '5x' '5' 'm' '-1m' '1.5s' '' '1m&bucket=1h'; do
		req GET "/tables/aggs/aggregate?fields=count()&bucket=$bad"
		check "aggregate: bucket=$bad is 400 naming bucket" error_is 400 '"bucket"'
	done
	for bad in 'median(qty)' 'sum(qty' 'count' 'sum()' 'max(price)+x'; do
		req GET "/tables/aggs/aggregate?fields=count(),$bad"
		check "aggregate: field $bad is 400 naming it" error_is 400 "\"${bad/+/ }\""
	done
	req GET '/tables/aggs/aggregate?fields=count(),count()'
	check "aggregate: a field listed twice is 400 naming it" error_is 400 '"count()": listed twice'
	req GET '/tables/aggs/aggregate?fields=count(),'
	check "aggregate: an empty field is 400" error_is 400 '"fields"'
	req GET '/tables/aggs/aggregate?by=symbol'
	check "aggregate: fields= is required" error_is 400 '"fields"'
	req GET '/tables/aggs/aggregate?fields=min(note)'
	check "aggregate: min of a text column is 400 (the store refuses it)" error_is 400 'min(note)'
	req GET '/tables/aggs/aggregate?fields=avg(symbol)'
	check "aggregate: avg of a text column is 400 naming it" error_is 400 '"symbol"'
	req GET '/tables/aggs/aggregate?fields=max(nosuch)'
	check "aggregate: an unknown column in a field is 400 naming it" error_is 400 '"nosuch"'
	req GET '/tables/aggs/aggregate?fields=count()&by=symbol,nosuch'
	check "aggregate: an unknown by column is 400 naming it" error_is 400 '"nosuch"'
	req GET '/tables/aggs/aggregate?fields=count()&by=ts'
	check "aggregate: by the time column is 400 naming it" error_is 400 '"ts"'
	req GET '/tables/aggs/aggregate?fields=count()&by=symbol,symbol'
	check "aggregate: a by column twice is 400" error_is 400 '"by"'
	req GET '/tables/aggs/aggregate?fields=count()&colour=red'
	check "aggregate: an unknown parameter is 400 naming it" error_is 400 colour
	req GET '/tables/aggs/aggregate?fields=count()&venue=1'
	check "aggregate: a filter on a column outside the series key is 400 naming it" error_is 400 '"venue"'
	req GET '/tables/aggs/aggregate?fields=count()&limit=5'
	check "aggregate: /query's limit is no parameter of /aggregate (400)" error_is 400 limit
	req GET '/tables/aggs/aggregate?fields=count()&format=xml'
	check "aggregate: a bad format is 400 naming it" error_is 400 '"format"'
	req GET '/tables/aggs/aggregate?fields=count()&start=2024-03-02&end=2024-03-01'
	check "aggregate: end before start is 400 naming end" error_is 400 '"end"'
	req POST '/tables/aggs/aggregate?fields=count()'
	check "aggregate: POST is 405" error_is 405 "not allowed"
	latest_tests
	req DELETE /tables/aggs
	check "aggregate test table dropped" ok_envelope
}

# cli_is DESC URL ARGS...: pulsora-cli ARGS prints the bytes REST answers to URL.
cli_is() {
	local desc=$1 url=$2
	shift 2
	curl -s -o "$TMP/rest.out" "$BASE$url"
	"$BUILD/pulsora-cli" -D "$DIR" "$@" >"$TMP/cli.out" 2>&1
	check "$desc" cmp -s "$TMP/rest.out" "$TMP/cli.out"
}

latest_tests() {
	latest_ok "latest: by=symbol, every column" "by=symbol"
	check "... one row per symbol, ordered by symbol" \
		is '[r["symbol"] for r in d["data"]]' '["AAPL", "GOOG", "IBM", "MSFT"]'
	latest_ok "latest: no by: the table's one latest row" ""
	check "... spelled out" is 'len(d["data"])' 1
	latest_ok "latest: a series filter (symbol=IBM&symbol=MSFT), by symbol" "symbol=IBM&by=symbol&symbol=MSFT"
	latest_ok "latest: by venue (outside the series key), columns=price,note" "by=venue&columns=price,note"
	latest_ok "latest: by venue and symbol, start and end" \
		"by=venue,symbol&start=2024-03-01T00:01:00Z&end=2024-03-01T00:03:00Z"
	latest_ok "latest: format=csv" "by=symbol&format=csv" csv
	latest_ok "latest: format=ndjson" "by=symbol&format=ndjson" ndjson
	latest_ok "latest: an empty range, no by: no row" "start=2024-03-01T00:01:00Z&end=2024-03-01T00:01:00Z"
	check "... spelled out" is 'd["data"]' '[]'
	latest_ok "latest: a filter no row has: no row" "symbol=NOPE"

	# Ties and NULLs: T's newest time is held by two rows from two loads
	# (two blocks), each NULL where the other is not; A's newest row has
	# NULL size and note.  Mixing rows (or skipping NULLs) would give T a
	# row with both price and size, or neither.
	printf 'ts,symbol,price,size,note\n2024-01-01T00:00:00Z,A,1.5,10,a0\n2024-01-01T00:00:05Z,A,2.5,,\n2024-01-01T00:00:01Z,B,3.5,30,b0\n2024-01-01T00:00:09Z,T,1,,x\n' >"$TMP/lasts1.csv"
	printf 'ts,symbol,price,size,note\n2024-01-01T00:00:09Z,T,,2,\n2024-01-01T00:00:02Z,B,4.5,40,b1\n2024-01-01T00:00:08Z,T,7,7,y\n' >"$TMP/lasts2.csv"
	req POST /tables/lasts/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/lasts1.csv"
	req POST /tables/lasts/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/lasts2.csv"
	check "latest: ties and NULLs table loaded" ok_envelope
	req GET '/tables/lasts/latest?by=symbol'
	check "latest: A's last row has NULL size and note: nulls, not older values" \
		is 'd["data"][0]' '{"ts": "2024-01-01T00:00:05Z", "symbol": "A", "price": 2.5, "size": null, "note": null}'
	check "latest: B's last row comes from the second load" \
		is 'd["data"][1]' '{"ts": "2024-01-01T00:00:02Z", "symbol": "B", "price": 4.5, "size": 40, "note": "b1"}'
	check "latest: T's tie gives one whole row of the two, never a mix" \
		is '[[r["price"], r["size"], r["note"]] for r in d["data"] if r["symbol"] == "T"][0] in ([1, None, "x"], [None, 2, None])' true
	req GET '/tables/lasts/latest?by=symbol&symbol=T&columns=note,size,price'
	check "latest: T's tie, another column order, still one row" \
		is '[[r["price"], r["size"], r["note"]] for r in d["data"]][0] in ([1, None, "x"], [None, 2, None])' true

	req GET '/tables/nosuch/latest?by=symbol'
	check "latest: an unknown table is 404" error_is 404 nosuch
	req GET '/tables/lasts/latest?by=nosuch'
	check "latest: an unknown by column is 400 naming it" error_is 400 '"nosuch"'
	req GET '/tables/lasts/latest?by=symbol,,note'
	check "latest: a malformed by is 400 naming by" error_is 400 '"by"'
	req GET '/tables/lasts/latest?by=ts'
	check "latest: by the time column is 400 naming it" error_is 400 '"ts"'
	req GET '/tables/lasts/latest?fields=count()'
	check "latest: fields is no parameter of /latest (400)" error_is 400 fields
	req GET '/tables/lasts/latest?columns=nosuch'
	check "latest: an unknown column in columns= is 400 naming it" error_is 400 nosuch

	# pulsora-cli mirrors both routes, byte for byte.
	cli_is "pulsora-cli latest --by symbol prints REST's CSV" \
		'/tables/lasts/latest?by=symbol&format=csv' latest lasts --by symbol
	cli_is "pulsora-cli latest (no by) --format json prints REST's JSON" \
		'/tables/aggs/latest' latest aggs --format json
	cli_is "pulsora-cli latest --series --start --end --format ndjson" \
		'/tables/aggs/latest?by=venue&symbol=IBM&symbol=AAPL&start=2024-03-01T00:01:00Z&end=2024-03-01T00:02:00Z&format=ndjson' \
		latest aggs --by venue --series symbol=IBM --series symbol=AAPL --start 2024-03-01T00:01:00Z --end 2024-03-01T00:02:00Z --format ndjson
	cli_is "pulsora-cli aggregate --bucket --by --fields prints REST's CSV" \
		'/tables/aggs/aggregate?bucket=1m&by=symbol&fields=count(),sum(qty),avg(qty),avg(price),first(note),last(price)&format=csv' \
		aggregate aggs --bucket 1m --by symbol --fields 'count(),sum(qty),avg(qty),avg(price),first(note),last(price)'
	cli_is "pulsora-cli aggregate --series, a range, --format json" \
		'/tables/aggs/aggregate?symbol=GOOG&start=2024-03-01T00:02:00Z&end=2024-03-01T00:05:00Z&fields=count(),min(price),max(qty)' \
		aggregate aggs --series symbol=GOOG --start 2024-03-01T00:02:00Z --end 2024-03-01T00:05:00Z --fields 'count(),min(price),max(qty)' --format json
	local rc
	"$BUILD/pulsora-cli" -D "$DIR" aggregate aggs --fields 'count()' --bucket 1mo >"$TMP/cli.out" 2>&1
	rc=$?
	check "pulsora-cli aggregate --bucket 1mo fails (1) naming bucket" eval '[ $rc -eq 1 ] && grep -q "\"bucket\"" "$TMP/cli.out"'
	"$BUILD/pulsora-cli" -D "$DIR" latest aggs --fields 'count()' >"$TMP/cli.out" 2>&1
	rc=$?
	check "pulsora-cli latest --fields is bad usage (2)" [ $rc -eq 2 ]
	"$BUILD/pulsora-cli" -D "$DIR" latest nosuch >"$TMP/cli.out" 2>&1
	rc=$?
	check "pulsora-cli latest of an unknown table fails (1)" eval '[ $rc -eq 1 ] && grep -q nosuch "$TMP/cli.out"'
	req DELETE /tables/lasts
}

aggregate_big_tests() {
	# ticks: 1000 rows a second for 1000 s from 2024-02-01, and a seed row.
	curl -s -D "$TMP/headers" -o "$TMP/body" "$BASE/tables/ticks/aggregate?bucket=100ms&fields=count(),sum(qty),last(px)"
	check "aggregate: a JSON answer past one block streams chunked" grep -qi '^transfer-encoding: chunked' "$TMP/headers"
	check "... whole: 10001 groups holding every row, sums exact" \
		is '[len(d["data"]), sum(r["count()"] for r in d["data"]), sum(r["sum(qty)"] for r in d["data"]), d["data"][1]["sum(qty)"]]' \
		"[10001, 1000001, $((999999 * 1000000 / 2 + 1)), $((99 * 100 / 2))]"
	curl -s -o "$TMP/body" "$BASE/tables/ticks/aggregate?bucket=1s&by=sym&fields=count()&format=csv"
	check "aggregate: CSV of 50000 groups (by sym, 1 s buckets)" [ "$(wc -l <"$TMP/body")" = 50002 ]
	req GET '/tables/ticks/aggregate?bucket=1ms&fields=count()'
	check "aggregate: more groups than the store keeps (1,000,001) is 413" error_is 413 "more than 1000000 groups"
}
