#!/usr/bin/env python3
"""gen_inputs.py OUTDIR — writes the hostile CSV bodies of test_hostile.sh.

Every body targets table columns ts,sym,px,qty,flag (Timestamp, String,
Float, Integer, Boolean).  Each file is named after the case it tests; the
"late_" cases put the bad row after more rows than the owner's batch_size
(100 in test_hostile.sh), so that a new table's schema has been inferred and
batches have been written before the error: the abort must remove them.
"""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

HEADER = b"ts,sym,px,qty,flag\n"
T = b"2024-01-02T00:00:00Z"
MB = 1024 * 1024


def row(i, sym=b"A", px=b"1.5", qty=None, flag=b"true", ts=None):
    ts = ts if ts is not None else b"2024-01-02T00:00:%02d.%06dZ" % (i // 1000000 % 60, i % 1000000)
    qty = qty if qty is not None else str(i).encode()
    return b",".join([ts, sym, px, qty, flag]) + b"\n"


def good_rows(n):
    return b"".join(row(i) for i in range(n))


def bad(sym=b"A", px=b"1.5", qty=b"1", flag=b"true", ts=T):
    return HEADER + row(0) + b",".join([ts, sym, px, qty, flag]) + b"\n"


cases = {
    # quoting
    "unbalanced_quote": HEADER + row(0) + T + b',"A,1.5,1,true\n',
    "quote_in_field": bad(sym=b'A"b'),
    "text_after_quote": bad(sym=b'"A"b'),
    # ragged rows
    "ragged_short": HEADER + row(0) + T + b",A,1.5,1\n",
    "ragged_long": HEADER + row(0) + T + b",A,1.5,1,true,extra\n",
    # NUL bytes and invalid UTF-8
    "nul_in_value": bad(sym=b"A\x00x"),
    "nul_in_header": b"ts,s\x00ym,px,qty,flag\n" + row(0),
    "utf8_invalid_bytes": bad(sym=b"A\xff\xfe"),
    "utf8_overlong": bad(sym=b"\xc0\xaf"),
    "utf8_surrogate": bad(sym=b"\xed\xa0\x80"),
    "utf8_truncated": bad(sym=b"ab\xe2\x82"),
    "utf8_in_header": b"ts,s\xffym,px,qty,flag\n" + row(0),
    # megabytes: max_field_mb is 1 in test_hostile.sh
    "huge_field": HEADER + row(0) + T + b"," + b"A" * (20 * MB) + b",1.5,1,true\n",
    "huge_line_no_newline": b"x" * (20 * MB),
    "huge_record_many_fields": HEADER + T + b",1" * (10 * MB) + b"\n",
    "huge_quoted_multiline": HEADER + row(0) + T + b',"' + b"ab\n" * (MB // 2) + b'",1.5,1,true\n',
    # thousands of columns
    "wide_header_5000": (",".join(["ts"] + ["c%d" % i for i in range(5000)]) + "\n").encode()
    + T + b",1" * 5000 + b"\n",
    "wide_row_5000": HEADER + row(0) + T + b",1" * 5000 + b"\n",
    # header names
    "duplicate_header": b"ts,sym,sym,qty,flag\n" + row(0),
    "empty_header_name": b"ts,,px,qty,flag\n" + row(0),
    "quoted_empty_header": b'ts,"",px,qty,flag\n' + row(0),
    # numbers that overflow
    "int_overflow": bad(qty=b"99999999999999999999"),
    "int_underflow": bad(qty=b"-9223372036854775809"),
    "float_overflow": bad(px=b"1e999"),
    "late_float_overflow": HEADER + good_rows(150) + b",".join([T, b"A", b"1e999", b"1", b"true"]) + b"\n",
    "late_int_overflow": HEADER + good_rows(150) + b",".join([T, b"A", b"1", b"9223372036854775808", b"true"]) + b"\n",
    # times out of range or malformed
    "time_after_2262": bad(ts=b"2262-04-11T23:47:16.854775808Z"),
    "time_before_1677": bad(ts=b"1677-09-21T00:12:43.145224191Z"),
    "time_epoch_overflow": bad(ts=b"99999999999999999999"),
    "time_feb_30": bad(ts=b"2024-02-30T00:00:00Z"),
    "time_empty": bad(ts=b""),
    "late_time_out_of_range": HEADER + good_rows(150) + row(0, ts=b"9999-01-01T00:00:00Z"),
    # bad rows after batches were written
    "late_bad_row": HEADER + good_rows(5000) + row(0, qty=b"many"),
    "late_nul": HEADER + good_rows(150) + row(0, sym=b"\x00"),
    # binary garbage
    "urandom_1mb": os.urandom(MB),
}
for name, body in cases.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(body)
