/*
 * test_proto.c — end-to-end tests of the native protocol: a real pulsorad
 * (the binary next to this test's directory: BUILD/pulsorad) is started on
 * a fresh temporary data directory, and the tests talk to it through
 * ps_client (and, for malformed input, through a raw socket).
 *
 * Covered: handshake and status, CSV loads through the protocol (chunked
 * input, skip mode, bad rows with their line/column), row loads with commit,
 * abort and deferred (pipelined) errors, atomic commit of two loads,
 * several interleaved scans on one connection, early close, descending
 * scans with offset/limit, projection, catalog calls, delete and drop,
 * error codes crossing the wire, aborting a dead connection's load,
 * series keys (LOAD_BEGIN's series_key, is_series in TABLE, series filters
 * of every value kind with SCAN_OPEN and SCAN_START, the errors that leave
 * the connection usable, the caps), garbage / truncated / oversized /
 * unknown frames and malformed filters that must not disturb the owner,
 * and a clean stop of the owner with clients attached.
 * Nothing depends on timing: waits poll for a state with a generous bound
 * and fail if it never comes.
 */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/ps_agg.h"
#include "core/ps_row.h"
#include "core/ps_time.h"
#include "proto/ps_client.h"
#include "proto/ps_frame.h"

#define SEC INT64_C(1000000000)
#define T0 INT64_C(1704067200000000000)		/* 2024-01-01T00:00:00Z */
#include "owner_proc.h"

static const char *const trade_cols[] = {"ts", "sym", "price", "size"};
static const ps_type trade_types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_INTEGER};
static const ps_type trade_value_types[] = {PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_INTEGER};

/* Begin a row load of trades-shaped rows (ts, sym, price, size). */
static ps_client_load *
trades_load(ps_client *c, const char *table)
{
	ps_client_load *l = NULL;
	ps_error	e;

	CHECK(ps_client_load_begin(c, table, trade_cols, trade_types, 4, 0, false, NULL, &l, &e), e);
	return l;
}

/* Send one trades row; sym "" means NULL. */
static ps_status
trades_row(ps_client_load *l, int64_t t, const char *sym, double price, int64_t size, ps_error *e)
{
	ps_value	v[3];
	ps_buf		b = PS_BUF_INIT;
	ps_status	st;

	memset(v, 0, sizeof v);
	v[0].is_null = sym[0] == '\0';
	v[0].v.s.ptr = sym;
	v[0].v.s.len = (uint32_t) strlen(sym);
	v[1].v.f = price;
	v[2].v.i = size;
	assert_int_equal(ps_row_encode(trade_value_types, 3, v, 0, &b, e), PS_OK);
	st = ps_client_load_row(l, t, b.data, b.len, e);
	ps_buf_free(&b);
	return st;
}

static void
finish_commit(ps_client_load *l, uint64_t want_rows)
{
	ps_client_load_result res;
	ps_error	e;

	CHECK(ps_client_load_finish(l, &res, &e), e);
	assert_int_equal(res.rows_loaded, want_rows);
	assert_int_equal(res.rows_rejected, 0);
	ps_client_load_result_free(&res);
	CHECK(ps_client_load_commit(&l, 1, &e), e);
}

/* n rows at T0 + i seconds, sym "S<i%7>", price i + 0.5, size i. */
static void
make_trades(ps_client *c, const char *table, int n)
{
	ps_client_load *l = trades_load(c, table);
	ps_error	e;
	char		sym[16];

	for (int i = 0; i < n; i++)
	{
		snprintf(sym, sizeof sym, "S%d", i % 7);
		CHECK(trades_row(l, T0 + i * SEC, sym, i + 0.5, i, &e), e);
	}
	finish_commit(l, (uint64_t) n);
}

static uint64_t
row_count(ps_client *c, const char *table)
{
	ps_client_table info;
	ps_error	e;

	CHECK(ps_client_table_info(c, table, &info, NULL, NULL, &e), e);
	free(info.name);
	return info.row_count;
}

typedef struct scan_result {
	size_t		n;
	int64_t		times[4096];
	int64_t		sizes[4096];	/* "size" column when requested, else -1 */
} scan_result;

/*
 * Scan table [lo, hi] fetching `batch` rows at a time, decoding columns;
 * first_rows > 0 asks for the first batch together with the open.
 */
static void
scan_once(ps_client *c, const char *table, int64_t lo, int64_t hi, bool desc,
		  uint64_t offset, uint64_t limit, const char *const *cols, uint32_t ncols,
		  uint32_t batch, uint32_t first_rows, scan_result *out)
{
	ps_client_scan_spec spec = {table, lo, hi, desc, offset, limit, cols, ncols, first_rows, 0, NULL, 0, false, false, false};
	ps_client_scan *s;
	const ps_type *types;
	bool		done = false;
	int64_t		t;
	ps_value	vals[8];
	ps_error	e;
	int			size_at = -1;

	for (uint32_t i = 0; i < ncols; i++)
		if (strcmp(cols[i], "size") == 0)
			size_at = (int) i;
	out->n = 0;
	CHECK(ps_client_scan_open(c, &spec, &s, &types, &e), e);
	while (!done)
	{
		CHECK(ps_client_scan_fetch(s, batch, &done, &e), e);
		while (ps_client_scan_row(s, &t, vals))
		{
			assert_true(out->n < 4096);
			out->times[out->n] = t;
			out->sizes[out->n] = size_at >= 0 ? vals[size_at].v.i : -1;
			out->n++;
		}
	}
	CHECK(ps_client_scan_close(s, &e), e);
}

/* scan_once, opened both ways (first batch with the open or not): same rows. */
static void
scan_all(ps_client *c, const char *table, int64_t lo, int64_t hi, bool desc,
		 uint64_t offset, uint64_t limit, const char *const *cols, uint32_t ncols,
		 uint32_t batch, scan_result *out)
{
	scan_result *again = malloc(sizeof *again);

	assert_non_null(again);
	scan_once(c, table, lo, hi, desc, offset, limit, cols, ncols, batch, batch, again);
	scan_once(c, table, lo, hi, desc, offset, limit, cols, ncols, batch, 0, out);
	assert_int_equal(again->n, out->n);
	assert_memory_equal(again->times, out->times, out->n * sizeof out->times[0]);
	assert_memory_equal(again->sizes, out->sizes, out->n * sizeof out->sizes[0]);
	free(again);
}

/* Poll (bounded) until delete_range on table stops being refused as busy. */
static ps_status
delete_when_idle(ps_client *c, const char *table, int64_t lo, int64_t hi, uint64_t *removed,
				 ps_error *e)
{
	ps_status	st = PS_EBUSY;

	for (int waited = 0; waited < WAIT_LIMIT_MS && st == PS_EBUSY; waited += 10)
	{
		st = ps_client_delete_range(c, table, lo, hi, removed, e);
		if (st == PS_EBUSY)
			sleep_ms(10);
	}
	return st;
}

static ps_status
load_csv_text(ps_client *c, const char *table, const char *csv, size_t chunk,
			  const char *const *keys, const char *const *values, uint32_t nopts,
			  ps_client_load_result *res, ps_error *e)
{
	ps_client_load *l;
	size_t		len = strlen(csv);
	ps_status	st;

	if ((st = ps_client_load_csv_begin(c, table, keys, values, nopts, &l, e)) != PS_OK)
		return st;
	for (size_t off = 0; off < len; off += chunk)
		if ((st = ps_client_load_csv_data(l, csv + off, len - off < chunk ? len - off : chunk, e)) != PS_OK)
		{
			ps_client_load_abort(l);
			return st;
		}
	if ((st = ps_client_load_finish(l, res, e)) != PS_OK)
	{
		ps_client_load_abort(l);
		return st;
	}
	return ps_client_load_commit(&l, 1, e);
}

/* ------------------------------------------------------------------ tests */

static void
test_handshake_and_status(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_status st;
	char		path[256];
	struct stat sb;
	ps_error	e;

	(void) state;
	/* Only the owner's user may connect. */
	CHECK(ps_socket_path(data_dir, path, sizeof path, &e), e);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_false(ps_client_broken(c));
	CHECK(ps_client_status_get(c, &st, &e), e);
	assert_int_equal(st.pid, owner_pid);
	assert_string_equal(st.kind, "manual");
	assert_string_equal(st.rest_address, "");
	assert_true(strlen(st.version) > 0);
	assert_true(st.data_bytes > 0);
	ps_client_close(c);
}

/* STATUS counts connections, open scans and open loads; a closed connection releases its own. */
static void
test_status_counts_open_work(void **state)
{
	const char *table = "activity";
	const char *cols[] = {"size"};
	ps_client_scan_spec spec = {table, INT64_MIN, INT64_MAX, false, 0, 0, cols, 1, 2, 0, NULL, 0, false, false, false};
	ps_client  *watcher = connect_ok(), *worker = connect_ok();
	ps_client_status before, during, after;
	ps_client_scan *s;
	ps_client_load *l;
	ps_error	e;

	(void) state;
	make_trades(worker, table, 30);
	CHECK(ps_client_status_get(watcher, &before, &e), e);
	CHECK(ps_client_scan_open(worker, &spec, &s, NULL, &e), e);
	l = trades_load(worker, table);
	CHECK(trades_row(l, T0 + 100 * SEC, "X", 1.0, 1, &e), e);
	CHECK(ps_client_status_get(watcher, &during, &e), e);
	assert_int_equal(during.connections, before.connections);
	assert_int_equal(during.open_scans, before.open_scans + 1);
	assert_int_equal(during.open_loads, before.open_loads + 1);
	/* Leave both open: the owner must release them when the connection goes. */
	ps_client_close(worker);
	for (int i = 0; i < 500; i++)
	{
		CHECK(ps_client_status_get(watcher, &after, &e), e);
		if (after.connections < before.connections)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(after.connections, before.connections - 1);
	assert_int_equal(after.open_scans, before.open_scans);
	assert_int_equal(after.open_loads, before.open_loads);
	ps_client_close(watcher);
}

static void
test_connect_errors(void **state)
{
	ps_client  *c = NULL;
	ps_error	e;
	char		path[256], longdir[200];

	(void) state;
	assert_int_equal(ps_client_connect("/nonexistent/pulsora", &c, &e), PS_ECONN);
	assert_null(c);
	assert_non_null(strstr(e.message, "/nonexistent/pulsora/pulsorad.sock"));
	memset(longdir, 'd', sizeof longdir - 1);
	longdir[0] = '/';
	longdir[sizeof longdir - 1] = '\0';
	assert_int_equal(ps_socket_path(longdir, path, sizeof path, &e), PS_ETOOBIG);
	assert_int_equal(ps_client_connect(longdir, &c, &e), PS_ETOOBIG);
	CHECK(ps_socket_path(data_dir, path, sizeof path, &e), e);
	assert_non_null(strstr(path, "/pulsorad.sock"));
}

static void
test_csv_load_and_scan(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_load_result res;
	ps_error	e;
	const char *csv =
		"ts,sym,price,size,ok\n"
		"2024-01-01T00:00:00Z,AAPL,150.25,10,true\n"
		"2024-01-01T00:00:01.5Z,\"MS,FT\",300.5,,false\n"
		"2024-01-01T00:00:02Z,,0.001,7,t\n";
	const char *cols[] = {"sym", "price", "size", "ok"};
	ps_client_scan_spec spec = {"csv1", INT64_MIN, INT64_MAX, false, 0, 0, cols, 4, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s;
	const ps_type *types;
	bool		done;
	int64_t		t;
	ps_value	vals[4];

	(void) state;
	/* 5-byte chunks: the client must reassemble frames on its own. */
	CHECK(load_csv_text(c, "csv1", csv, 5, NULL, NULL, 0, &res, &e), e);
	assert_int_equal(res.rows_loaded, 3);
	assert_int_equal(res.nerrors, 0);
	ps_client_load_result_free(&res);

	CHECK(ps_client_scan_open(c, &spec, &s, &types, &e), e);
	assert_int_equal(types[0], PS_TYPE_STRING);
	assert_int_equal(types[1], PS_TYPE_FLOAT);
	assert_int_equal(types[2], PS_TYPE_INTEGER);
	assert_int_equal(types[3], PS_TYPE_BOOLEAN);
	CHECK(ps_client_scan_fetch(s, 100, &done, &e), e);
	assert_true(done);

	assert_true(ps_client_scan_row(s, &t, vals));
	assert_int_equal(t, T0);
	assert_int_equal(vals[0].v.s.len, 4);
	assert_memory_equal(vals[0].v.s.ptr, "AAPL", 4);
	assert_true(vals[1].v.f == 150.25);
	assert_int_equal(vals[2].v.i, 10);
	assert_true(vals[3].v.b);

	assert_true(ps_client_scan_row(s, &t, vals));
	assert_int_equal(t, T0 + SEC + SEC / 2);
	assert_memory_equal(vals[0].v.s.ptr, "MS,FT", 5);
	assert_true(vals[2].is_null);
	assert_false(vals[3].v.b);

	assert_true(ps_client_scan_row(s, &t, vals));
	assert_true(vals[0].is_null);
	assert_true(vals[1].v.f == 0.001);
	assert_false(ps_client_scan_row(s, &t, vals));
	/* The owner released the exhausted scan; closing it is still fine. */
	CHECK(ps_client_scan_close(s, &e), e);
	ps_client_close(c);
}

static void
test_csv_errors_keep_position(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_load_result res;
	ps_error	e;
	const char *keys[] = {"on_error"};
	const char *skip[] = {"skip"};
	const char *bad_key[] = {"no_such_option"};
	const char *csv =
		"ts,v\n"
		"2024-01-01T00:00:00Z,1\n"
		"2024-01-01T00:00:01Z,2\n"
		"2024-01-01T00:00:02Z,x\n";

	(void) state;
	CHECK(load_csv_text(c, "csv_err", "ts,v\n2024-01-01T00:00:00Z,1\n", 4096, NULL, NULL, 0, &res, &e), e);
	ps_client_load_result_free(&res);
	/* Abort mode: the bad value's line and column cross the wire. */
	assert_int_not_equal(load_csv_text(c, "csv_err", csv, 4096, NULL, NULL, 0, &res, &e), PS_OK);
	assert_int_equal(e.code, PS_EBADROW);
	assert_int_equal(e.line, 4);
	assert_int_equal(e.column, 2);
	assert_int_equal(row_count(c, "csv_err"), 1);
	/* Skip mode: good rows commit, the bad one is reported. */
	CHECK(load_csv_text(c, "csv_err", csv, 7, keys, skip, 1, &res, &e), e);
	assert_int_equal(res.rows_loaded, 2);
	assert_int_equal(res.rows_rejected, 1);
	assert_int_equal(res.nerrors, 1);
	assert_int_equal(res.errors[0].line, 4);
	assert_int_equal(res.errors[0].column, 2);
	ps_client_load_result_free(&res);
	assert_int_equal(row_count(c, "csv_err"), 3);
	/* An unknown option is refused by name, and the connection lives on. */
	assert_int_equal(load_csv_text(c, "csv_err", csv, 7, bad_key, skip, 1, &res, &e), PS_EINVAL);
	assert_non_null(strstr(e.message, "no_such_option"));
	assert_false(ps_client_broken(c));
	assert_int_equal(row_count(c, "csv_err"), 3);
	ps_client_close(c);
}

static void
test_row_load_commit_and_abort(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_load *l;
	ps_client_load_result res;
	scan_result *r = malloc(sizeof *r);
	const char *cols[] = {"size"};
	ps_error	e;

	(void) state;
	make_trades(c, "rows1", 10);
	assert_int_equal(row_count(c, "rows1"), 10);

	/* Aborted while open: nothing lands. */
	l = trades_load(c, "rows1");
	CHECK(trades_row(l, T0 + 100 * SEC, "X", 1, 1000, &e), e);
	ps_client_load_abort(l);
	/* Aborted after finish: nothing lands either. */
	l = trades_load(c, "rows1");
	CHECK(trades_row(l, T0 + 101 * SEC, "Y", 2, 1001, &e), e);
	CHECK(ps_client_load_finish(l, &res, &e), e);
	assert_int_equal(res.rows_loaded, 1);
	ps_client_load_abort(l);

	assert_int_equal(row_count(c, "rows1"), 10);
	scan_all(c, "rows1", INT64_MIN, INT64_MAX, false, 0, 0, cols, 1, 1000, r);
	assert_int_equal(r->n, 10);
	for (size_t i = 0; i < r->n; i++)
	{
		assert_int_equal(r->times[i], T0 + (int64_t) i * SEC);
		assert_int_equal(r->sizes[i], (int64_t) i);
	}
	free(r);
	ps_client_close(c);
}

static void
test_row_load_uncommitted_invisible(void **state)
{
	ps_client  *c = connect_ok();
	ps_client  *c2 = connect_ok();
	ps_client_load *l;
	ps_client_load_result res;
	ps_error	e;

	(void) state;
	make_trades(c, "rows2", 3);
	l = trades_load(c, "rows2");
	CHECK(trades_row(l, T0 + 50 * SEC, "Z", 1, 50, &e), e);
	CHECK(ps_client_load_finish(l, &res, &e), e);
	assert_int_equal(row_count(c, "rows2"), 3);
	assert_int_equal(row_count(c2, "rows2"), 3);
	CHECK(ps_client_load_commit(&l, 1, &e), e);
	assert_int_equal(row_count(c2, "rows2"), 4);
	ps_client_close(c2);
	ps_client_close(c);
}

static void
test_row_load_bad_row_deferred(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_load *l;
	ps_client_load_result res;
	ps_buf		b = PS_BUF_INIT;
	ps_error	e;
	ps_status	st = PS_OK;
	int			sent = 0;

	(void) state;
	make_trades(c, "rows3", 1);
	l = trades_load(c, "rows3");
	CHECK(trades_row(l, T0 + 10 * SEC, "ok", 1, 1, &e), e);
	/*
	 * A value that is not a valid encoding of (sym, price, size): the owner
	 * rejects it when its frame arrives; the client reports the verdict on a
	 * later call for this load.
	 */
	assert_int_equal(ps_buf_append(&b, "\xff\xff\xff", 3), PS_OK);
	CHECK(ps_client_load_row(l, T0 + 11 * SEC, b.data, b.len, &e), e);
	ps_buf_free(&b);
	for (; st == PS_OK && sent < 200000; sent++)
		st = trades_row(l, T0 + (12 + sent) * SEC, "more", 1, 1, &e);
	if (st == PS_OK)
		st = ps_client_load_finish(l, &res, &e);
	assert_int_equal(st, PS_EINVAL);
	assert_int_equal(e.line, 2);	/* the second row of the load */
	assert_non_null(strstr(e.message, "row 2"));
	/* The load is dead (same error again), the connection is not. */
	assert_int_equal(ps_client_load_finish(l, &res, &e), PS_EINVAL);
	ps_client_load_abort(l);
	assert_false(ps_client_broken(c));
	assert_int_equal(row_count(c, "rows3"), 1);
	ps_client_close(c);
}

static void
test_two_loads_commit_together(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_load *l[2];
	ps_client_load_result res;
	ps_error	e;

	(void) state;
	l[0] = trades_load(c, "pair_a");
	l[1] = trades_load(c, "pair_b");
	for (int i = 0; i < 5; i++)
	{
		CHECK(trades_row(l[0], T0 + i * SEC, "A", i, i, &e), e);
		CHECK(trades_row(l[1], T0 + i * SEC, "B", i, i, &e), e);
		CHECK(trades_row(l[1], T0 + i * SEC + 1, "B", i, i, &e), e);
	}
	CHECK(ps_client_load_finish(l[0], &res, &e), e);
	assert_int_equal(res.rows_loaded, 5);
	CHECK(ps_client_load_finish(l[1], &res, &e), e);
	assert_int_equal(res.rows_loaded, 10);
	/* Tables created by a load exist only once it commits. */
	assert_int_equal(ps_client_table_info(c, "pair_a", NULL, NULL, NULL, &e), PS_ENOTFOUND);
	CHECK(ps_client_load_commit(l, 2, &e), e);
	assert_int_equal(row_count(c, "pair_a"), 5);
	assert_int_equal(row_count(c, "pair_b"), 10);
	ps_client_close(c);
}

static void
test_commit_misuse_consumes_handles(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_load *l[2];
	ps_client_load_result res;
	ps_error	e;

	(void) state;
	make_trades(c, "misuse", 1);
	/* One finished, one not: nothing commits, both are rolled back. */
	l[0] = trades_load(c, "misuse");
	l[1] = trades_load(c, "misuse");
	CHECK(trades_row(l[0], T0 + 5 * SEC, "A", 1, 1, &e), e);
	CHECK(trades_row(l[1], T0 + 6 * SEC, "B", 1, 1, &e), e);
	CHECK(ps_client_load_finish(l[0], &res, &e), e);
	assert_int_equal(ps_client_load_commit(l, 2, &e), PS_EINVAL);
	assert_non_null(strstr(e.message, "not finished"));
	/* The same load twice. */
	l[0] = trades_load(c, "misuse");
	CHECK(ps_client_load_finish(l[0], &res, &e), e);
	l[1] = l[0];
	assert_int_equal(ps_client_load_commit(l, 2, &e), PS_EINVAL);
	assert_false(ps_client_broken(c));
	assert_int_equal(row_count(c, "misuse"), 1);
	/* Everything was rolled back: a delete is not refused as busy. */
	CHECK(ps_client_delete_range(c, "misuse", T0 + 5 * SEC, T0 + 6 * SEC, NULL, &e), e);
	ps_client_close(c);
}

/*
 * Three scans on one connection, fetched in turns (each reading ahead),
 * with a row of one held across the others' fetches; the first batches
 * come with the opens (first_rows) or from the first fetches.
 */
static void
interleaved_scans(const char *table, uint32_t first_rows)
{
	ps_client  *c = connect_ok();
	const char *cols[] = {"size"};
	ps_client_scan_spec a = {table, T0, T0 + 9 * SEC, false, 0, 0, cols, 1, first_rows, 0, NULL, 0, false, false, false};
	ps_client_scan_spec b = {table, T0 + 10 * SEC, T0 + 19 * SEC, false, 0, 0, cols, 1, first_rows, 0, NULL, 0, false, false, false};
	ps_client_scan_spec d = {table, T0, T0 + 29 * SEC, true, 0, 0, cols, 1, first_rows, 0, NULL, 0, false, false, false};
	ps_client_scan *sa, *sb, *sd;
	const ps_type *types;
	int64_t		na = 0, nb = 0, nd = 0;
	bool		done_a = false, done_b = false, done_d = false;
	int64_t		t;
	bool		held;
	ps_value	val;
	ps_error	e;

	make_trades(c, table, 30);
	CHECK(ps_client_scan_open(c, &a, &sa, &types, &e), e);
	CHECK(ps_client_scan_open(c, &b, &sb, NULL, &e), e);
	CHECK(ps_client_scan_open(c, &d, &sd, NULL, &e), e);
	while (!done_a || !done_b || !done_d)
	{
		if (!done_a)
			CHECK(ps_client_scan_fetch(sa, 3, &done_a, &e), e);
		/* Hold a row of scan a across the other scans' fetches. */
		held = false;
		if (ps_client_scan_row(sa, &t, &val))
		{
			held = true;
			assert_int_equal(t, T0 + na * SEC);
			na++;
		}
		if (!done_b)
			CHECK(ps_client_scan_fetch(sb, 2, &done_b, &e), e);
		if (!done_d)
			CHECK(ps_client_scan_fetch(sd, 4, &done_d, &e), e);
		if (held)
		{
			assert_int_equal(val.v.i, na - 1);
		}
		while (ps_client_scan_row(sa, &t, &val))
			assert_int_equal(t, T0 + (na++) * SEC);
		while (ps_client_scan_row(sb, &t, &val))
			assert_int_equal(t, T0 + (10 + nb++) * SEC);
		while (ps_client_scan_row(sd, &t, &val))
			assert_int_equal(t, T0 + (29 - nd++) * SEC);
	}
	assert_int_equal(na, 10);
	assert_int_equal(nb, 10);
	assert_int_equal(nd, 30);
	CHECK(ps_client_scan_close(sa, &e), e);
	CHECK(ps_client_scan_close(sb, &e), e);
	CHECK(ps_client_scan_close(sd, &e), e);
	ps_client_close(c);
}

static void
test_interleaved_scans(void **state)
{
	(void) state;
	interleaved_scans("inter", 0);
	interleaved_scans("inter_first", 2);
}

static void
test_early_close_frees_handles(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_scan_spec spec = {"early", INT64_MIN, INT64_MAX, false, 0, 0, NULL, 0, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s;
	bool		done;
	int64_t		t;
	ps_error	e;

	(void) state;
	make_trades(c, "early", 20);
	/* More scans than a connection may hold at once: each close must free one. */
	for (int i = 0; i < 600; i++)
	{
		CHECK(ps_client_scan_open(c, &spec, &s, NULL, &e), e);
		CHECK(ps_client_scan_fetch(s, 1, &done, &e), e);
		assert_false(done);
		assert_true(ps_client_scan_row(s, &t, NULL));
		assert_int_equal(t, T0);
		assert_false(ps_client_scan_row(s, &t, NULL));
		CHECK(ps_client_scan_close(s, &e), e);
	}
	ps_client_close(c);
}

static void
test_too_many_handles(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_scan_spec spec = {"handles", INT64_MIN, INT64_MAX, false, 0, 0, NULL, 0, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s[300];
	int			opened = 0;
	ps_status	st = PS_OK;
	ps_error	e;

	(void) state;
	make_trades(c, "handles", 3);
	while (opened < 300 && (st = ps_client_scan_open(c, &spec, &s[opened], NULL, &e)) == PS_OK)
		opened++;
	assert_int_equal(st, PS_ETOOBIG);
	assert_true(opened >= 64 && opened < 300);
	assert_false(ps_client_broken(c));
	CHECK(ps_client_scan_close(s[0], &e), e);
	CHECK(ps_client_scan_open(c, &spec, &s[0], NULL, &e), e);
	/* ps_client_close releases the rest. */
	ps_client_close(c);
}

static void
test_desc_offset_limit(void **state)
{
	ps_client  *c = connect_ok();
	scan_result *r = malloc(sizeof *r);
	const char *cols[] = {"size"};

	(void) state;
	make_trades(c, "order", 50);
	scan_all(c, "order", INT64_MIN, INT64_MAX, true, 5, 10, cols, 1, 3, r);
	assert_int_equal(r->n, 10);
	for (size_t i = 0; i < r->n; i++)
		assert_int_equal(r->sizes[i], 44 - (int64_t) i);
	scan_all(c, "order", T0 + 10 * SEC, T0 + 20 * SEC, false, 8, 0, cols, 1, 1000, r);
	assert_int_equal(r->n, 3);
	assert_int_equal(r->sizes[0], 18);
	assert_int_equal(r->sizes[2], 20);
	/* Limit and offset beyond the rows, and an empty range. */
	scan_all(c, "order", T0 + 45 * SEC, INT64_MAX, true, 0, 100, cols, 1, 2, r);
	assert_int_equal(r->n, 5);
	assert_int_equal(r->sizes[0], 49);
	scan_all(c, "order", INT64_MIN, INT64_MAX, false, 60, 0, cols, 1, 2, r);
	assert_int_equal(r->n, 0);
	scan_all(c, "order", T0 + 20 * SEC, T0 + 20 * SEC, false, 0, 0, cols, 1, 2, r);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->sizes[0], 20);
	free(r);
	ps_client_close(c);
}

static void
test_large_load_and_scan(void **state)
{
	ps_client  *c = connect_ok();
	const int	n = 200000;	/* several 256 KiB frames each way */
	const char *cols[] = {"sym", "size"};
	ps_client_scan_spec spec = {"big", INT64_MIN, INT64_MAX, false, 0, 0, cols, 2, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s;
	const ps_type *types;
	bool		done = false;
	int64_t		t, expect = 0;
	ps_value	vals[2];
	uint32_t	batches = 0;
	ps_error	e;

	(void) state;
	make_trades(c, "big", n);
	CHECK(ps_client_scan_open(c, &spec, &s, &types, &e), e);
	while (!done)
	{
		uint32_t	in_batch = 0;

		CHECK(ps_client_scan_fetch(s, UINT32_MAX, &done, &e), e);
		while (ps_client_scan_row(s, &t, vals))
		{
			assert_int_equal(t, T0 + expect * SEC);
			assert_int_equal(vals[1].v.i, expect);
			expect++;
			in_batch++;
		}
		/* The owner caps a batch by bytes even when any row count is allowed. */
		assert_true(in_batch < (uint32_t) n);
		batches++;
	}
	assert_int_equal(expect, n);
	assert_true(batches > 1);
	CHECK(ps_client_scan_close(s, &e), e);
	ps_client_close(c);
}

/*
 * A scan whose first batch comes with the open and ends it holds no
 * handle on the owner: far more such scans than a connection may hold
 * stay open on the client at once.  A scan with a limit ends with the
 * batch that reaches it.
 */
static void
test_first_batch_with_open(void **state)
{
	ps_client  *c = connect_ok();
	const char *cols[] = {"size"};
	ps_client_scan_spec spec = {"first", INT64_MIN, INT64_MAX, false, 0, 0, cols, 1, 100, 0, NULL, 0, false, false, false};
	ps_client_scan *s[300];
	bool		done;
	int64_t		t;
	ps_value	val;
	ps_error	e;

	(void) state;
	make_trades(c, "first", 50);
	for (int i = 0; i < 300; i++)
		CHECK(ps_client_scan_open(c, &spec, &s[i], NULL, &e), e);
	for (int i = 0; i < 300; i++)
	{
		int64_t		n = 0;

		CHECK(ps_client_scan_fetch(s[i], 100, &done, &e), e);
		assert_true(done);
		while (ps_client_scan_row(s[i], &t, &val))
			assert_int_equal(t, T0 + (n++) * SEC);
		assert_int_equal(n, 50);
		CHECK(ps_client_scan_close(s[i], &e), e);
	}

	/* Limit 7 in batches of 7: the first batch is the last. */
	spec.limit = 7;
	spec.first_rows = 7;
	spec.descending = true;
	CHECK(ps_client_scan_open(c, &spec, &s[0], NULL, &e), e);
	CHECK(ps_client_scan_fetch(s[0], 7, &done, &e), e);
	assert_true(done);
	for (int i = 0; i < 7; i++)
	{
		assert_true(ps_client_scan_row(s[0], &t, &val));
		assert_int_equal(t, T0 + (49 - i) * SEC);
		assert_int_equal(val.v.i, 49 - i);
	}
	assert_false(ps_client_scan_row(s[0], &t, &val));
	CHECK(ps_client_scan_close(s[0], &e), e);

	/* A failed open with its first batch leaves the connection usable. */
	spec.table = "no_such_table";
	assert_int_equal(ps_client_scan_open(c, &spec, &s[0], NULL, &e), PS_ENOTFOUND);
	assert_non_null(strstr(e.message, "no_such_table"));
	assert_false(ps_client_broken(c));
	assert_int_equal(row_count(c, "first"), 50);
	ps_client_close(c);
}

/*
 * While a scan's next batch is read ahead, other calls on the connection
 * (catalog, a load, another scan, closing a third) work and the scan goes
 * on where it was; an error for a batch read ahead surfaces at the fetch
 * that takes it.
 */
static void
test_read_ahead_with_other_calls(void **state)
{
	ps_client  *c = connect_ok();
	const char *cols[] = {"size"};
	ps_client_scan_spec spec = {"ahead", INT64_MIN, INT64_MAX, false, 0, 0, cols, 1, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s, *other, *dropped;
	ps_client_load *l;
	scan_result *r = malloc(sizeof *r);
	bool		done = false;
	int64_t		t, n = 0;
	int			round = 0, loads = 0;
	ps_value	val;
	ps_error	e;

	(void) state;
	make_trades(c, "ahead", 40);
	CHECK(ps_client_scan_open(c, &spec, &s, NULL, &e), e);
	CHECK(ps_client_scan_open(c, &spec, &dropped, NULL, &e), e);
	CHECK(ps_client_scan_fetch(dropped, 3, &done, &e), e);
	while (!done)
	{
		CHECK(ps_client_scan_fetch(s, 4, &done, &e), e);
		/* Each of these first collects the batch s asked for. */
		switch (round++ % 4)
		{
			case 0:
				assert_int_equal(row_count(c, "ahead"), 40 + loads);
				break;
			case 1:
				l = trades_load(c, "ahead");
				CHECK(trades_row(l, T0 + (1000 + n) * SEC, "L", 1, 1, &e), e);
				finish_commit(l, 1);
				loads++;
				break;
			case 2:
				scan_all(c, "ahead", T0, T0 + 2 * SEC, false, 0, 0, cols, 1, 2, r);
				assert_int_equal(r->n, 3);
				break;
			case 3:
				if (dropped != NULL)
					CHECK(ps_client_scan_close(dropped, &e), e);
				dropped = NULL;
				break;
		}
		while (ps_client_scan_row(s, &t, &val))
		{
			/* The scan's snapshot predates the rows loaded meanwhile. */
			assert_int_equal(t, T0 + n * SEC);
			assert_int_equal(val.v.i, n);
			n++;
		}
	}
	assert_int_equal(n, 40);
	CHECK(ps_client_scan_close(s, &e), e);

	/* A fetch of 0 rows read ahead fails at the owner: the next fetch says so, and the next. */
	CHECK(ps_client_scan_open(c, &spec, &s, NULL, &e), e);
	CHECK(ps_client_scan_fetch(s, 5, &done, &e), e);
	CHECK(ps_client_scan_fetch(s, 0, &done, &e), e);
	assert_false(done);
	n = 0;
	while (ps_client_scan_row(s, &t, &val))
		n++;
	assert_int_equal(n, 5);
	assert_int_equal(ps_client_scan_fetch(s, 5, &done, &e), PS_EINVAL);
	assert_non_null(strstr(e.message, "0 rows"));
	assert_int_equal(ps_client_scan_fetch(s, 5, &done, &e), PS_EINVAL);
	CHECK(ps_client_scan_close(s, &e), e);
	assert_false(ps_client_broken(c));

	/* A batch of at least one row, however few bytes a batch may take. */
	spec.batch_bytes = 1;
	spec.first_rows = 1000;
	CHECK(ps_client_scan_open(c, &spec, &other, NULL, &e), e);
	for (n = 0, done = false; !done; n++)
	{
		CHECK(ps_client_scan_fetch(other, 1000, &done, &e), e);
		assert_true(ps_client_scan_row(other, &t, &val));
		assert_int_equal(t, T0 + n * SEC);
		assert_false(ps_client_scan_row(other, &t, &val));
		if (n == 10)
			break;				/* closed early with a batch read ahead */
	}
	assert_int_equal(n, 10);
	CHECK(ps_client_scan_close(other, &e), e);
	assert_true(loads > 0);
	assert_int_equal(row_count(c, "ahead"), 40 + loads);
	free(r);
	ps_client_close(c);
}

/*
 * Values whose length takes more than one varint byte on the wire, whole
 * and projected (the owner writes projections straight into the frame).
 */
/* Wait until the answer owed to s has arrived, polling as an event loop does. */
static void
poll_until_ready(ps_client *c, ps_client_scan *s)
{
	struct pollfd pfd;
	bool		ready = false;
	ps_error	e;

	for (;;)
	{
		CHECK(ps_client_scan_poll(s, &ready, &e), e);
		if (ready)
			return;
		pfd.fd = ps_client_fd(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		assert_int_equal(poll(&pfd, 1, 10000), 1);
	}
}

/* Take the current batch of s (make_trades rows): from row *next on. */
static void
take_batch(ps_client_scan *s, int64_t *next)
{
	int64_t		t;
	ps_value	vals[2];

	while (ps_client_scan_row(s, &t, vals))
	{
		assert_int_equal(t, T0 + *next * SEC);
		assert_int_equal(vals[1].v.i, *next);
		(*next)++;
	}
}

/*
 * Deferred opens and polls (PostgreSQL's async foreign scans): two scans
 * opened without waiting on one connection get their first batches, and
 * their types, with the answers; batches of 1 MiB, more than the socket
 * holds, arrive piecemeal through polls, and a blocking call finishes one
 * half read; the owner's error for a deferred open comes from the first
 * fetch.
 */
static void
test_deferred_open_and_poll(void **state)
{
	ps_client  *c = connect_ok();
	const int	n = 150000;
	const char *cols[] = {"sym", "size"};
	ps_client_scan_spec spec = {"defer", INT64_MIN, INT64_MAX, false, 0, 0, cols, 2, 20000,
								PS_FRAME_SCAN_BYTES_MAX, NULL, 0, false, false, true};
	ps_client_scan_spec bad = spec;
	ps_client_scan *a, *b;
	const ps_type *types = trade_types;
	bool		ready, done_a = false, done_b = false;
	int64_t		next_a = 0, next_b = 0;
	int			batches = 0;
	ps_error	e;

	(void) state;
	make_trades(c, "defer", n);
	CHECK(ps_client_scan_open(c, &spec, &a, &types, &e), e);
	assert_null(types);
	assert_null(ps_client_scan_types(a));
	/* Opening b first collects a's answer: a is ready without a poll. */
	CHECK(ps_client_scan_open(c, &spec, &b, NULL, &e), e);
	CHECK(ps_client_scan_poll(a, &ready, &e), e);
	assert_true(ready);
	assert_int_equal(ps_client_scan_types(a)[0], PS_TYPE_STRING);
	assert_int_equal(ps_client_scan_types(a)[1], PS_TYPE_INTEGER);
	poll_until_ready(c, b);
	assert_non_null(ps_client_scan_types(b));
	while (!done_a || !done_b)
	{
		if (!done_a)
		{
			poll_until_ready(c, a);
			CHECK(ps_client_scan_fetch(a, UINT32_MAX, &done_a, &e), e);
			take_batch(a, &next_a);
			batches++;
			/* Part of a's next batch, read ahead: b's fetch reads the rest. */
			usleep(20000);
			CHECK(ps_client_scan_poll(a, &ready, &e), e);
		}
		if (!done_b)
		{
			CHECK(ps_client_scan_fetch(b, UINT32_MAX, &done_b, &e), e);
			take_batch(b, &next_b);
		}
	}
	assert_int_equal(next_a, n);
	assert_int_equal(next_b, n);
	assert_true(batches >= 3);
	CHECK(ps_client_scan_close(a, &e), e);
	CHECK(ps_client_scan_close(b, &e), e);

	bad.table = "no_such_table";
	CHECK(ps_client_scan_open(c, &bad, &a, NULL, &e), e);
	assert_int_equal(ps_client_scan_fetch(a, 10, &done_a, &e), PS_ENOTFOUND);
	assert_int_equal(ps_client_scan_fetch(a, 10, &done_a, &e), PS_ENOTFOUND);
	CHECK(ps_client_scan_close(a, &e), e);
	bad.first_rows = 0;
	assert_int_equal(ps_client_scan_open(c, &bad, &a, NULL, &e), PS_EINVAL);
	assert_int_equal(row_count(c, "defer"), n);
	ps_client_close(c);
}

static void
test_long_values(void **state)
{
	ps_client  *c = connect_ok();
	const char *all[] = {"sym", "price", "size"};
	const char *some[] = {"size", "sym"};
	ps_client_scan_spec spec = {"long", INT64_MIN, INT64_MAX, false, 0, 0, all, 3, 10, 0, NULL, 0, false, false, false};
	static const size_t lens[] = {0, 127, 128, 300, 20000, 70000};
	const size_t n = sizeof lens / sizeof lens[0];
	ps_client_load *l = trades_load(c, "long");
	ps_client_scan *s;
	const ps_type *types;
	char	   *sym = malloc(70001);
	bool		done;
	int64_t		t;
	ps_value	vals[3];
	ps_error	e;

	(void) state;
	assert_non_null(sym);
	for (size_t i = 0; i < n; i++)
	{
		memset(sym, 'a' + (int) i, lens[i]);
		sym[lens[i]] = '\0';
		/* "" is NULL for trades_row: use one byte for the first. */
		CHECK(trades_row(l, T0 + (int64_t) i * SEC, lens[i] ? sym : "z", (double) i, (int64_t) i, &e), e);
	}
	finish_commit(l, n);
	for (int pass = 0; pass < 2; pass++)
	{
		CHECK(ps_client_scan_open(c, &spec, &s, &types, &e), e);
		CHECK(ps_client_scan_fetch(s, 10, &done, &e), e);
		assert_true(done);
		for (size_t i = 0; i < n; i++)
		{
			size_t		want = lens[i] ? lens[i] : 1;
			const ps_value *str = &vals[pass == 0 ? 0 : 1];

			assert_true(ps_client_scan_row(s, &t, vals));
			assert_int_equal(t, T0 + (int64_t) i * SEC);
			assert_int_equal(str->v.s.len, want);
			assert_int_equal(((const char *) str->v.s.ptr)[want - 1], lens[i] ? 'a' + (int) i : 'z');
			assert_int_equal(vals[pass == 0 ? 2 : 0].v.i, (int64_t) i);
		}
		assert_false(ps_client_scan_row(s, &t, vals));
		CHECK(ps_client_scan_close(s, &e), e);
		spec.columns = some;
		spec.ncolumns = 2;
	}
	free(sym);
	ps_client_close(c);
}

static void
test_projection(void **state)
{
	ps_client  *c = connect_ok();
	const char *one[] = {"price"};
	const char *twice[] = {"size", "sym", "size"};
	const char *with_time[] = {"ts"};
	const char *unknown[] = {"nope"};
	ps_client_scan_spec spec = {"proj", INT64_MIN, INT64_MAX, false, 0, 0, one, 1, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s;
	const ps_type *types;
	bool		done;
	int64_t		t;
	ps_value	vals[4];
	ps_error	e;

	(void) state;
	make_trades(c, "proj", 3);
	CHECK(ps_client_scan_open(c, &spec, &s, &types, &e), e);
	assert_int_equal(types[0], PS_TYPE_FLOAT);
	CHECK(ps_client_scan_fetch(s, 10, &done, &e), e);
	assert_true(ps_client_scan_row(s, &t, vals));
	/* The batch holds exactly the one column asked for. */
	assert_int_equal(ps_client_scan_rows(s)->ncolumns, 1);
	assert_true(vals[0].v.f == 0.5);
	CHECK(ps_client_scan_close(s, &e), e);

	spec.columns = twice;
	spec.ncolumns = 3;
	CHECK(ps_client_scan_open(c, &spec, &s, &types, &e), e);
	assert_int_equal(types[0], PS_TYPE_INTEGER);
	assert_int_equal(types[1], PS_TYPE_STRING);
	assert_int_equal(types[2], PS_TYPE_INTEGER);
	CHECK(ps_client_scan_fetch(s, 10, &done, &e), e);
	assert_true(ps_client_scan_row(s, &t, vals));
	assert_true(ps_client_scan_row(s, &t, vals));
	assert_int_equal(vals[0].v.i, 1);
	assert_memory_equal(vals[1].v.s.ptr, "S1", 2);
	assert_int_equal(vals[2].v.i, 1);
	CHECK(ps_client_scan_close(s, &e), e);

	/* No columns: times only. */
	spec.columns = NULL;
	spec.ncolumns = 0;
	CHECK(ps_client_scan_open(c, &spec, &s, &types, &e), e);
	CHECK(ps_client_scan_fetch(s, 10, &done, &e), e);
	assert_true(done);
	assert_true(ps_client_scan_row(s, &t, vals));
	assert_int_equal(t, T0);
	CHECK(ps_client_scan_close(s, &e), e);

	spec.columns = with_time;
	spec.ncolumns = 1;
	assert_int_equal(ps_client_scan_open(c, &spec, &s, &types, &e), PS_EINVAL);
	assert_non_null(strstr(e.message, "time column"));
	spec.columns = unknown;
	assert_int_equal(ps_client_scan_open(c, &spec, &s, &types, &e), PS_ENOTFOUND);
	assert_non_null(strstr(e.message, "nope"));
	assert_false(ps_client_broken(c));
	ps_client_close(c);
}

static void
test_catalog(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_table *t, info;
	ps_client_column *cols;
	size_t		n, ncols;
	bool		found = false;
	ps_error	e;

	(void) state;
	make_trades(c, "cat", 4);
	CHECK(ps_client_tables(c, &t, &n, &e), e);
	for (size_t i = 0; i < n; i++)
	{
		if (i > 0)
			assert_true(strcmp(t[i - 1].name, t[i].name) < 0);
		if (strcmp(t[i].name, "cat") == 0)
		{
			found = true;
			assert_int_equal(t[i].row_count, 4);
			assert_int_equal(t[i].min_time, T0);
			assert_int_equal(t[i].max_time, T0 + 3 * SEC);
		}
	}
	assert_true(found);
	ps_client_tables_free(t, n);

	CHECK(ps_client_table_info(c, "cat", &info, &cols, &ncols, &e), e);
	assert_string_equal(info.name, "cat");
	assert_int_equal(info.row_count, 4);
	assert_int_equal(ncols, 4);
	for (size_t i = 0; i < ncols; i++)
	{
		assert_string_equal(cols[i].name, trade_cols[i]);
		assert_int_equal(cols[i].type, trade_types[i]);
		assert_int_equal(cols[i].is_time, i == 0);
		assert_int_equal(cols[i].is_series, i == 1);	/* sym: inferred */
	}
	free(info.name);
	ps_client_columns_free(cols, ncols);
	ps_client_close(c);
}

static void
test_delete_and_drop(void **state)
{
	ps_client  *c = connect_ok();
	scan_result *r = malloc(sizeof *r);
	const char *cols[] = {"size"};
	uint64_t	removed = 0;
	ps_error	e;

	(void) state;
	make_trades(c, "del", 10);
	CHECK(ps_client_delete_range(c, "del", T0 + 2 * SEC, T0 + 4 * SEC, &removed, &e), e);
	assert_int_equal(removed, 3);
	assert_int_equal(row_count(c, "del"), 7);
	scan_all(c, "del", INT64_MIN, INT64_MAX, false, 0, 0, cols, 1, 100, r);
	assert_int_equal(r->n, 7);
	assert_int_equal(r->sizes[1], 1);
	assert_int_equal(r->sizes[2], 5);
	CHECK(ps_client_delete_range(c, "del", T0 + 2 * SEC, T0 + 4 * SEC, &removed, &e), e);
	assert_int_equal(removed, 0);

	CHECK(ps_client_drop_table(c, "del", &e), e);
	assert_int_equal(ps_client_table_info(c, "del", NULL, NULL, NULL, &e), PS_ENOTFOUND);
	assert_int_equal(ps_client_drop_table(c, "del", &e), PS_ENOTFOUND);
	free(r);
	ps_client_close(c);
}

static void
test_error_codes_cross_the_wire(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_scan_spec spec = {"missing", INT64_MIN, INT64_MAX, false, 0, 0, NULL, 0, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s;
	ps_client_load *l;
	const ps_type bad_time[] = {PS_TYPE_INTEGER, PS_TYPE_STRING};
	const char *names[] = {"a", "b"};
	ps_error	e;

	(void) state;
	assert_int_equal(ps_client_scan_open(c, &spec, &s, NULL, &e), PS_ENOTFOUND);
	assert_int_equal(e.code, PS_ENOTFOUND);
	assert_non_null(strstr(e.message, "missing"));
	assert_int_equal(ps_client_delete_range(c, "missing", 0, 1, NULL, &e), PS_ENOTFOUND);
	/* A time column that is not a timestamp, and an out-of-range index. */
	assert_int_not_equal(ps_client_load_begin(c, "t_bad", names, bad_time, 2, 0, false, NULL, &l, &e), PS_OK);
	assert_int_equal(ps_client_load_begin(c, "t_bad", names, bad_time, 2, 5, false, NULL, &l, &e), PS_EINVAL);
	/* Loading a mismatching type into an existing table. */
	make_trades(c, "typed", 1);
	{
		const ps_type wrong[] = {PS_TYPE_TIMESTAMP, PS_TYPE_INTEGER};
		const char *wn[] = {"ts", "sym"};

		assert_int_equal(ps_client_load_begin(c, "typed", wn, wrong, 2, 0, false, NULL, &l, &e), PS_ESCHEMA);
	}
	assert_false(ps_client_broken(c));
	assert_int_equal(row_count(c, "typed"), 1);
	ps_client_close(c);
}

static void
test_disconnect_aborts_loads(void **state)
{
	ps_client  *c = connect_ok();
	ps_client  *c2;
	ps_client_load *l;
	ps_client_scan *s;
	ps_client_scan_spec spec = {"gone", INT64_MIN, INT64_MAX, false, 0, 0, NULL, 0, 0, 0, NULL, 0, false, false, false};
	ps_client_load_result res;
	uint64_t	removed;
	ps_error	e;

	(void) state;
	make_trades(c, "gone", 5);
	c2 = connect_ok();
	l = trades_load(c2, "gone");
	CHECK(trades_row(l, T0 + 100 * SEC, "X", 1, 1, &e), e);
	CHECK(ps_client_load_finish(l, &res, &e), e);
	CHECK(ps_client_scan_open(c2, &spec, &s, NULL, &e), e);
	/* While c2's load is in flight, a delete on the table is refused... */
	assert_int_equal(ps_client_delete_range(c, "gone", T0, T0, &removed, &e), PS_EBUSY);
	/* ...and once c2 is gone the owner rolls it back. */
	ps_client_close(c2);
	CHECK(delete_when_idle(c, "gone", T0, T0, &removed, &e), e);
	assert_int_equal(removed, 1);
	assert_int_equal(row_count(c, "gone"), 4);
	ps_client_close(c);
}

/* ------------------------------------------------------------------ series keys */

/* Rows of a filtered scan of table (every value column of a trades table). */
static size_t
filtered_count(ps_client *c, const char *table, int64_t lo, int64_t hi, bool desc,
			   uint64_t limit, const ps_filter_spec *filters, uint32_t nfilters,
			   uint32_t first_rows, int64_t *sizes, ps_error *e, ps_status *st)
{
	const char *cols[] = {"size"};
	ps_client_scan_spec spec = {table, lo, hi, desc, 0, limit, cols, 1, first_rows, 0,
								filters, nfilters, false, false, false};
	ps_client_scan *s;
	const ps_type *types;
	bool		done = false;
	int64_t		t;
	size_t		n = 0;
	ps_value	val;

	if ((*st = ps_client_scan_open(c, &spec, &s, &types, e)) != PS_OK)
		return 0;
	while (!done)
	{
		CHECK(ps_client_scan_fetch(s, 7, &done, e), *e);
		while (ps_client_scan_row(s, &t, &val))
		{
			if (sizes)
				sizes[n] = val.v.i;
			n++;
		}
	}
	CHECK(ps_client_scan_close(s, e), *e);
	return n;
}

static ps_value
str_value(const char *s)
{
	ps_value	v;

	memset(&v, 0, sizeof v);
	v.v.s.ptr = s;
	v.v.s.len = (uint32_t) strlen(s);
	return v;
}

/* A filter on sym of a trades table ("sym" is inferred as its series key). */
static void
test_series_filters(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_table info;
	ps_client_column *cols;
	size_t		ncols;
	ps_value	two[] = {str_value("S1"), str_value("S3")};
	ps_value	nosuch[] = {str_value("S9")};
	ps_value	null_sym[1];
	ps_filter_spec f = {"sym", PS_TYPE_STRING, two, 2, NULL};
	int64_t		sizes[128];
	ps_status	st;
	ps_error	e;
	size_t		n;

	(void) state;
	make_trades(c, "ser", 70);		/* sym S<i % 7> */
	/* The table info says which columns form the key. */
	CHECK(ps_client_table_info(c, "ser", &info, &cols, &ncols, &e), e);
	for (size_t i = 0; i < ncols; i++)
		assert_int_equal(cols[i].is_series, strcmp(cols[i].name, "sym") == 0);
	/* Counted by the store once it keeps a series dictionary; 0 = not known. */
	assert_true(info.nseries == 0 || info.nseries == 7);
	free(info.name);
	ps_client_columns_free(cols, ncols);

	/* ESTIMATE counts the rows from block metadata: exact for whole blocks. */
	{
		ps_client_scan_spec es = {.table = "ser", .lo = INT64_MIN, .hi = INT64_MAX,
		.filters = &f, .nfilters = 1};
		double		rows;

		CHECK(ps_client_estimate(c, &es, 1000, &rows, &e), e);
		assert_true(rows == 20);
		es.nfilters = 0;
		CHECK(ps_client_estimate(c, &es, 1000, &rows, &e), e);
		assert_true(rows == 70);
		assert_int_equal(ps_client_estimate(c, &es, 0, &rows, &e), PS_ETOOBIG);
		es.table = "no_such_table";
		assert_int_equal(ps_client_estimate(c, &es, 1000, &rows, &e), PS_ENOTFOUND);
		assert_false(ps_client_broken(c));
	}
	/* SCAN_START and SCAN_OPEN both carry the filters. */
	for (uint32_t first = 0; first <= 5; first += 5)
	{
		n = filtered_count(c, "ser", INT64_MIN, INT64_MAX, false, 0, &f, 1, first, sizes, &e, &st);
		CHECK(st, e);
		assert_int_equal(n, 20);
		for (size_t i = 0; i < n; i++)
		{
			assert_true(sizes[i] % 7 == 1 || sizes[i] % 7 == 3);
			if (i > 0)
				assert_true(sizes[i] > sizes[i - 1]);
		}
	}
	/* With a time range, descending, and a limit. */
	n = filtered_count(c, "ser", T0 + 10 * SEC, T0 + 40 * SEC, true, 3, &f, 1, 2, sizes, &e, &st);
	CHECK(st, e);
	assert_int_equal(n, 3);
	assert_int_equal(sizes[0], 38);
	assert_int_equal(sizes[1], 36);
	assert_int_equal(sizes[2], 31);
	/* One value; a value no row has; no values at all; a NULL value. */
	f.nvalues = 1;
	n = filtered_count(c, "ser", INT64_MIN, INT64_MAX, false, 0, &f, 1, 0, NULL, &e, &st);
	CHECK(st, e);
	assert_int_equal(n, 10);
	f.values = nosuch;
	assert_int_equal(filtered_count(c, "ser", INT64_MIN, INT64_MAX, false, 0, &f, 1, 0, NULL, &e, &st), 0);
	CHECK(st, e);
	f.nvalues = 0;
	assert_int_equal(filtered_count(c, "ser", INT64_MIN, INT64_MAX, false, 0, &f, 1, 0, NULL, &e, &st), 0);
	CHECK(st, e);
	{
		ps_client_load *l = trades_load(c, "ser");

		CHECK(trades_row(l, T0 + 500 * SEC, "", 1, 500, &e), e);	/* sym NULL */
		finish_commit(l, 1);
	}
	memset(null_sym, 0, sizeof null_sym);
	null_sym[0].is_null = true;
	f.values = null_sym;
	f.nvalues = 1;
	n = filtered_count(c, "ser", INT64_MIN, INT64_MAX, false, 0, &f, 1, 0, sizes, &e, &st);
	CHECK(st, e);
	assert_int_equal(n, 1);
	assert_int_equal(sizes[0], 500);
	ps_client_close(c);
}

/* LOAD_BEGIN's series_key: integer and boolean keys, "" for none, errors. */
static void
test_series_key_option(void **state)
{
	ps_client  *c = connect_ok();
	static const char *const names[] = {"ts", "venue", "flag", "sym", "size"};
	static const ps_type types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_INTEGER, PS_TYPE_BOOLEAN,
									PS_TYPE_STRING, PS_TYPE_INTEGER};
	static const ps_type vtypes[] = {PS_TYPE_INTEGER, PS_TYPE_BOOLEAN, PS_TYPE_STRING,
									 PS_TYPE_INTEGER};
	ps_client_load *l;
	ps_client_column *cols;
	size_t		ncols;
	ps_value	venues[2], flag[1], sym[1];
	ps_filter_spec fs[2];
	ps_status	st;
	ps_error	e;

	(void) state;
	/* An unknown column in the key: a clean error, the connection lives on. */
	assert_int_equal(ps_client_load_begin(c, "keyed", names, types, 5, 0, false, "venue,nope",
										  &l, &e), PS_EINVAL);
	assert_non_null(strstr(e.message, "series_key"));
	assert_non_null(strstr(e.message, "nope"));
	assert_false(ps_client_broken(c));

	CHECK(ps_client_load_begin(c, "keyed", names, types, 5, 0, false, "venue,flag", &l, &e), e);
	for (int i = 0; i < 60; i++)
	{
		ps_value	v[4];
		ps_buf		b = PS_BUF_INIT;

		memset(v, 0, sizeof v);
		v[0].v.i = i % 4;
		v[1].v.b = i % 2 == 0;
		v[2] = str_value("X");
		v[3].v.i = i;
		assert_int_equal(ps_row_encode(vtypes, 4, v, 0, &b, &e), PS_OK);
		CHECK(ps_client_load_row(l, T0 + i * SEC, b.data, b.len, &e), e);
		ps_buf_free(&b);
	}
	finish_commit(l, 60);
	CHECK(ps_client_table_info(c, "keyed", NULL, &cols, &ncols, &e), e);
	assert_int_equal(ncols, 5);
	for (size_t i = 0; i < ncols; i++)
	{
		assert_int_equal(cols[i].is_series, i == 1 || i == 2);
		assert_int_equal(cols[i].series_position, i == 1 ? 1 : i == 2 ? 2 : 0);
	}
	ps_client_columns_free(cols, ncols);
	/* Key order is the option's, not the columns'. */
	CHECK(ps_client_load_begin(c, "keyed2", names, types, 5, 0, false, "sym,flag", &l, &e), e);
	ps_client_load_abort(l);
	CHECK(ps_client_load_begin(c, "keyed2", names, types, 5, 0, false, "size,sym", &l, &e), e);
	finish_commit(l, 0);
	CHECK(ps_client_table_info(c, "keyed2", NULL, &cols, &ncols, &e), e);
	for (size_t i = 0; i < ncols; i++)
		assert_int_equal(cols[i].series_position, i == 4 ? 1 : i == 3 ? 2 : 0);
	ps_client_columns_free(cols, ncols);

	/* venue IN (1, 3) AND flag = false: the odd rows with i % 4 in {1, 3}. */
	memset(venues, 0, sizeof venues);
	venues[0].v.i = 1;
	venues[1].v.i = 3;
	memset(flag, 0, sizeof flag);
	flag[0].v.b = false;
	fs[0] = (ps_filter_spec) {"venue", PS_TYPE_INTEGER, venues, 2, NULL};
	fs[1] = (ps_filter_spec) {"flag", PS_TYPE_BOOLEAN, flag, 1, NULL};
	assert_int_equal(filtered_count(c, "keyed", INT64_MIN, INT64_MAX, false, 0, fs, 2, 10, NULL,
									&e, &st), 30);
	CHECK(st, e);
	flag[0].v.b = true;
	assert_int_equal(filtered_count(c, "keyed", INT64_MIN, INT64_MAX, false, 0, fs, 2, 0, NULL,
									&e, &st), 0);
	CHECK(st, e);
	venues[1].v.i = 2;
	assert_int_equal(filtered_count(c, "keyed", INT64_MIN, INT64_MAX, false, 0, fs, 2, 0, NULL,
									&e, &st), 15);
	CHECK(st, e);

	/* sym is not in this key: refused, and the connection stays usable. */
	sym[0] = str_value("X");
	fs[0] = (ps_filter_spec) {"sym", PS_TYPE_STRING, sym, 1, NULL};
	filtered_count(c, "keyed", INT64_MIN, INT64_MAX, false, 0, fs, 1, 0, NULL, &e, &st);
	assert_int_equal(st, PS_EINVAL);
	assert_non_null(strstr(e.message, "series key"));
	/* A value of another type than the column's: refused the same way. */
	fs[0] = (ps_filter_spec) {"venue", PS_TYPE_STRING, sym, 1, NULL};
	for (uint32_t first = 0; first <= 1; first++)
	{
		filtered_count(c, "keyed", INT64_MIN, INT64_MAX, false, 0, fs, 1, first, NULL, &e, &st);
		assert_int_equal(st, PS_EINVAL);
		assert_non_null(strstr(e.message, "venue"));
		assert_non_null(strstr(e.message, "string"));
	}
	fs[0] = (ps_filter_spec) {"flag", PS_TYPE_INTEGER, venues, 1, NULL};
	filtered_count(c, "keyed", INT64_MIN, INT64_MAX, false, 0, fs, 1, 0, NULL, &e, &st);
	assert_int_equal(st, PS_EINVAL);
	/* A filter on a missing table is that table's error. */
	fs[0] = (ps_filter_spec) {"venue", PS_TYPE_INTEGER, venues, 1, NULL};
	filtered_count(c, "nosuch", INT64_MIN, INT64_MAX, false, 0, fs, 1, 0, NULL, &e, &st);
	assert_int_equal(st, PS_ENOTFOUND);
	assert_false(ps_client_broken(c));
	assert_int_equal(filtered_count(c, "keyed", INT64_MIN, INT64_MAX, false, 0, NULL, 0, 0, NULL,
									&e, &st), 60);
	CHECK(st, e);

	/* "" disables the inference: sym is no key of this table. */
	CHECK(ps_client_load_begin(c, "unkeyed", trade_cols, trade_types, 4, 0, false, "", &l, &e), e);
	CHECK(trades_row(l, T0, "A", 1, 1, &e), e);
	finish_commit(l, 1);
	CHECK(ps_client_table_info(c, "unkeyed", NULL, &cols, &ncols, &e), e);
	for (size_t i = 0; i < ncols; i++)
		assert_false(cols[i].is_series);
	ps_client_columns_free(cols, ncols);
	/* An existing table keeps its key whatever a later load says. */
	CHECK(ps_client_load_begin(c, "unkeyed", trade_cols, trade_types, 4, 0, false, "sym", &l, &e), e);
	CHECK(trades_row(l, T0 + SEC, "B", 1, 1, &e), e);
	finish_commit(l, 1);
	CHECK(ps_client_table_info(c, "unkeyed", NULL, &cols, &ncols, &e), e);
	for (size_t i = 0; i < ncols; i++)
		assert_false(cols[i].is_series);
	ps_client_columns_free(cols, ncols);
	ps_client_close(c);
}

/* The client refuses filters the protocol cannot carry, before sending. */
static void
test_series_filter_caps(void **state)
{
	ps_client  *c = connect_ok();
	ps_filter_spec fs[PS_FRAME_MAX_FILTERS + 1];
	ps_value   *many = calloc(PS_FRAME_MAX_FILTER_VALUES + 1, sizeof(ps_value));
	ps_status	st;
	ps_error	e;

	(void) state;
	assert_non_null(many);
	make_trades(c, "caps", 14);
	for (int i = 0; i <= PS_FRAME_MAX_FILTER_VALUES; i++)
		many[i] = str_value(i % 2 ? "S1" : "S2");
	for (int i = 0; i <= PS_FRAME_MAX_FILTERS; i++)
		fs[i] = (ps_filter_spec) {"sym", PS_TYPE_STRING, many, 1, NULL};
	filtered_count(c, "caps", INT64_MIN, INT64_MAX, false, 0, fs, PS_FRAME_MAX_FILTERS + 1, 0,
				   NULL, &e, &st);
	assert_int_equal(st, PS_EINVAL);
	fs[0].nvalues = PS_FRAME_MAX_FILTER_VALUES + 1;
	filtered_count(c, "caps", INT64_MIN, INT64_MAX, false, 0, fs, 1, 0, NULL, &e, &st);
	assert_int_equal(st, PS_EINVAL);
	fs[0].type = PS_TYPE_FLOAT;
	fs[0].nvalues = 1;
	filtered_count(c, "caps", INT64_MIN, INT64_MAX, false, 0, fs, 1, 0, NULL, &e, &st);
	assert_int_equal(st, PS_EINVAL);
	assert_false(ps_client_broken(c));
	/* The most the protocol carries: every filter on sym, values in all at the cap. */
	fs[0].type = PS_TYPE_STRING;
	for (int i = 0; i < PS_FRAME_MAX_FILTERS; i++)
		fs[i].nvalues = PS_FRAME_MAX_FILTER_VALUES / PS_FRAME_MAX_FILTERS;
	assert_int_equal(filtered_count(c, "caps", INT64_MIN, INT64_MAX, false, 0, fs,
									PS_FRAME_MAX_FILTERS, 3, NULL, &e, &st), 4);
	CHECK(st, e);
	free(many);
	ps_client_close(c);
}

/* ------------------------------------------------------------------ raw frames */

static int
raw_connect(void)
{
	struct sockaddr_un sa;
	int			fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ps_error	e;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	CHECK(ps_socket_path(data_dir, sa.sun_path, sizeof sa.sun_path, &e), e);
	assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
	return fd;
}

static void
raw_send(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t) n);
}

static void
raw_hello(int fd)
{
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	uint8_t		code;
	ps_error	e;

	assert_int_equal(ps_frame_start(&b, PS_MSG_HELLO), PS_OK);
	assert_int_equal(ps_msg_hello_encode(&b, PS_PROTO_MAGIC, PS_PROTO_VERSION, NULL), PS_OK);
	CHECK(ps_frame_send(PS_TRANSPORT_FD(fd), &b, &e), e);
	CHECK(ps_frame_recv(PS_TRANSPORT_FD(fd), &b, &code, &r, NULL, &e), e);
	assert_int_equal(code, PS_MSG_HELLO_OK);
	ps_buf_free(&b);
}

/*
 * After bad input the owner answers with at most an ERROR (code
 * PS_EPROTO) and then closes: read until end of stream.
 */
static void
expect_closed(int fd, bool want_error)
{
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	uint8_t		code;
	bool		eof;
	bool		got_error = false;
	ps_error	e, owner;

	for (;;)
	{
		if (ps_frame_recv(PS_TRANSPORT_FD(fd), &b, &code, &r, &eof, &e) != PS_OK)
			break;
		assert_int_equal(code, PS_MSG_ERROR);
		assert_int_equal(ps_frame_get_error(&r, &owner), PS_OK);
		assert_int_equal(owner.code, PS_EPROTO);
		got_error = true;
	}
	assert_int_equal(e.code, PS_ECONN);
	if (want_error)
		assert_true(got_error);
	ps_buf_free(&b);
	close(fd);
}

static void
test_garbage_frames(void **state)
{
	static const uint8_t garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t oversized[] = {0xff, 0xff, 0xff, 0xff, PS_MSG_TABLES};
	static const uint8_t zero_len[] = {0, 0, 0, 0, PS_MSG_TABLES};
	static const uint8_t unknown[] = {0, 0, 0, 1, 0x7f};
	static const uint8_t truncated[] = {0, 0, 0, 100, PS_MSG_TABLE_INFO, 1, 2, 3};
	static const uint8_t bad_magic[] = {0, 0, 0, 7, PS_MSG_HELLO, 'N', 'O', 'P', 'E', 0, 1};
	static const uint8_t short_scan[] = {0, 0, 0, 4, PS_MSG_SCAN_OPEN, 10, 'a', 'b'};
	static const uint8_t bad_str[] = {0, 0, 0, 4, PS_MSG_TABLE_INFO, 2, 'a', 0};
	static const uint8_t trailing[] = {0, 0, 0, 2, PS_MSG_TABLES, 0};
	static const uint8_t hello_twice[] = {0, 0, 0, 7, PS_MSG_HELLO, 'P', 'S', 'R', 'A', 0, 1};
	static const uint8_t short_fetch[] = {0, 0, 0, 3, PS_MSG_SCAN_FETCH, 0, 0};
	static const uint8_t short_start[] = {0, 0, 0, 4, PS_MSG_SCAN_START, 1, 'a', 0};
	static const uint8_t response_code[] = {0, 0, 0, 1, PS_MSG_OK};
	struct {
		const uint8_t *p;
		size_t		n;
		bool		hello;		/* handshake first */
		bool		error;		/* an ERROR frame must come back */
	}			cases[] = {
		{garbage, sizeof garbage - 1, false, true},
		{bad_magic, sizeof bad_magic, false, true},
		{oversized, sizeof oversized, true, true},
		{zero_len, sizeof zero_len, true, true},
		{unknown, sizeof unknown, true, true},
		{truncated, sizeof truncated, true, false},
		{short_scan, sizeof short_scan, true, true},
		{bad_str, sizeof bad_str, true, true},
		{trailing, sizeof trailing, true, true},
		{hello_twice, sizeof hello_twice, true, true},
		{short_fetch, sizeof short_fetch, true, true},
		{short_start, sizeof short_start, true, true},
		{response_code, sizeof response_code, true, true},
	};
	ps_client  *c;
	ps_client_table *t;
	size_t		n;
	ps_error	e;

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
	{
		int			fd = raw_connect();

		if (cases[i].hello)
			raw_hello(fd);
		raw_send(fd, cases[i].p, cases[i].n);
		/* The truncated frame ends only when we stop writing. */
		shutdown(fd, SHUT_WR);
		expect_closed(fd, cases[i].error);
	}
	/* A peer that vanishes mid-handshake. */
	close(raw_connect());
	/* The owner still serves a fresh client. */
	c = connect_ok();
	CHECK(ps_client_tables(c, &t, &n, &e), e);
	ps_client_tables_free(t, n);
	ps_client_close(c);
}

/*
 * SCAN_OPEN/SCAN_START prefix (table "t", no columns) in b, ready for
 * hand-made filter bytes: the encoder's empty filter count is dropped.
 */
static void
scan_prefix(ps_buf *b, uint8_t code)
{
	assert_int_equal(ps_frame_start(b, code), PS_OK);
	assert_int_equal(ps_msg_scan_open_encode(b, "t", INT64_MIN, INT64_MAX, false, 0, 0, NULL, 0,
											 NULL, 0), PS_OK);
	assert_int_equal(b->data[b->len - 1], 0);
	b->len--;
}

/* Send the frame in b on a fresh connection and expect an ERROR and a close. */
static void
expect_malformed(ps_buf *b)
{
	int			fd = raw_connect();
	ps_error	e;

	raw_hello(fd);
	CHECK(ps_frame_send(PS_TRANSPORT_FD(fd), b, &e), e);
	shutdown(fd, SHUT_WR);
	expect_closed(fd, true);
}

static void
test_series_malformed_frames(void **state)
{
	/* After the prefix: filter count, then filters. */
	static const uint8_t bad_kind[] = {1, 1, 'a', 1, 9};
	static const uint8_t too_many[] = {9};
	static const uint8_t count_past_end[] = {1, 1, 'a', 100, 0};
	static const uint8_t nul_in_value[] = {1, 1, 'a', 1, 2, 2, 'x', 0};
	static const uint8_t nul_in_column[] = {1, 2, 'a', 0, 0};
	static const uint8_t bad_bool[] = {1, 1, 'a', 1, 3, 2};
	static const uint8_t short_int[] = {1, 1, 'a', 1, 1, 0, 0, 0};
	static const uint8_t long_str[] = {1, 1, 'a', 1, 2, 50, 'x'};
	static const uint8_t no_filters[] = {};
	static const uint8_t trailing[] = {1, 1, 'a', 0, 7};
	struct {
		const uint8_t *p;
		size_t		n;
	}			cases[] = {
		{bad_kind, sizeof bad_kind},
		{too_many, sizeof too_many},
		{count_past_end, sizeof count_past_end},
		{nul_in_value, sizeof nul_in_value},
		{nul_in_column, sizeof nul_in_column},
		{bad_bool, sizeof bad_bool},
		{short_int, sizeof short_int},
		{long_str, sizeof long_str},
		{no_filters, 0},
		{trailing, sizeof trailing},
	};
	ps_buf		b = PS_BUF_INIT;
	ps_client  *c;
	ps_client_table *t;
	size_t		n;
	ps_error	e;

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (int start = 0; start <= 1; start++)
		{
			scan_prefix(&b, start ? PS_MSG_SCAN_START : PS_MSG_SCAN_OPEN);
			assert_int_equal(ps_buf_append(&b, cases[i].p, cases[i].n), PS_OK);
			if (start && cases[i].p != trailing)
			{
				assert_int_equal(ps_buf_append_u32be(&b, 10), PS_OK);
				assert_int_equal(ps_buf_append_u32be(&b, 1000), PS_OK);
			}
			expect_malformed(&b);
		}
	/* More values in all than PS_FRAME_MAX_FILTER_VALUES, over two filters of NULLs. */
	scan_prefix(&b, PS_MSG_SCAN_OPEN);
	assert_int_equal(ps_buf_append_varint(&b, 2), PS_OK);
	for (int f = 0; f < 2; f++)
	{
		uint32_t	nv = f == 0 ? PS_FRAME_MAX_FILTER_VALUES / 2 : PS_FRAME_MAX_FILTER_VALUES / 2 + 1;

		assert_int_equal(ps_frame_put_str(&b, "a"), PS_OK);
		assert_int_equal(ps_buf_append_varint(&b, nv), PS_OK);
		for (uint32_t i = 0; i < nv; i++)
			assert_int_equal(ps_buf_append_u8(&b, PS_FILTER_NULL), PS_OK);
	}
	expect_malformed(&b);

	/* LOAD_BEGIN: has_series_key must be 0 or 1, 1 needs the string, and nothing may trail. */
	{
		static const char *const names[] = {"ts"};
		static const ps_type types[] = {PS_TYPE_TIMESTAMP};

		for (int k = 0; k < 3; k++)
		{
			assert_int_equal(ps_frame_start(&b, PS_MSG_LOAD_BEGIN), PS_OK);
			assert_int_equal(ps_msg_load_begin_encode(&b, "t", names, types, 1, 0, false, NULL, ""), PS_OK);
			b.len -= 2;			/* has_series_key = 0, then the source "" */
			if (k == 0)
				assert_int_equal(ps_buf_append_u8(&b, 2), PS_OK);
			else if (k == 1)
				assert_int_equal(ps_buf_append_u8(&b, 1), PS_OK);
			else
			{
				assert_int_equal(ps_buf_append_u8(&b, 0), PS_OK);
				assert_int_equal(ps_frame_put_str(&b, "a"), PS_OK);
			}
			/* The source; k == 1 reads it as the key and misses the source. */
			assert_int_equal(ps_frame_put_str(&b, ""), PS_OK);
			expect_malformed(&b);
		}
	}
	ps_buf_free(&b);

	/* The owner still serves a fresh client. */
	c = connect_ok();
	CHECK(ps_client_tables(c, &t, &n, &e), e);
	ps_client_tables_free(t, n);
	ps_client_close(c);
}

static void
test_bad_version_refused(void **state)
{
	int			fd = raw_connect();
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	uint8_t		code;
	ps_error	e, owner;

	(void) state;
	assert_int_equal(ps_frame_start(&b, PS_MSG_HELLO), PS_OK);
	assert_int_equal(ps_msg_hello_encode(&b, PS_PROTO_MAGIC, PS_PROTO_VERSION + 1, NULL), PS_OK);
	CHECK(ps_frame_send(PS_TRANSPORT_FD(fd), &b, &e), e);
	CHECK(ps_frame_recv(PS_TRANSPORT_FD(fd), &b, &code, &r, NULL, &e), e);
	assert_int_equal(code, PS_MSG_ERROR);
	assert_int_equal(ps_frame_get_error(&r, &owner), PS_OK);
	assert_int_equal(owner.code, PS_EPROTO);
	assert_non_null(strstr(owner.message, "version"));
	ps_buf_free(&b);
	expect_closed(fd, false);
}

/*
 * Last: SIGTERM stops the owner cleanly (exit status 0, which under the
 * sanitizers also means no leak) even with a live connection holding an
 * open scan and an unfinished load; that client then sees PS_ECONN.
 */
static void
test_owner_stops_cleanly(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_scan_spec spec = {"last", INT64_MIN, INT64_MAX, false, 0, 0, NULL, 0, 0, 0, NULL, 0, false, false, false};
	ps_client_scan *s;
	ps_client_load *l;
	int			status = 0;
	pid_t		got = 0;
	ps_error	e;

	(void) state;
	make_trades(c, "last", 3);
	CHECK(ps_client_scan_open(c, &spec, &s, NULL, &e), e);
	l = trades_load(c, "last");
	CHECK(trades_row(l, T0 + 9 * SEC, "Q", 1, 1, &e), e);
	assert_int_equal(kill(owner_pid, SIGTERM), 0);
	for (int waited = 0; waited < WAIT_LIMIT_MS && got == 0; waited += 10)
		if ((got = waitpid(owner_pid, &status, WNOHANG)) == 0)
			sleep_ms(10);
	assert_int_equal(got, owner_pid);
	owner_pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ps_client_status_get(c, &(ps_client_status) {0}, &e), PS_ECONN);
	assert_true(ps_client_broken(c));
	/* Handles of a broken connection can still be released. */
	ps_client_load_abort(l);
	CHECK(ps_client_scan_close(s, &e), e);
	ps_client_close(c);
}

/*
 * AGGREGATE: groups computed by the owner arrive as a scan's rows, in
 * batches, with the figures a client computes from the rows; a bad
 * aggregate is an error that leaves the connection usable.
 */
static void
test_aggregate_over_the_wire(void **state)
{
	ps_client  *c = connect_ok();
	const char *by[] = {"sym"};
	const uint8_t fns[] = {PS_AGG_COUNT_ALL, PS_AGG_SUM, PS_AGG_MAX, PS_AGG_LAST};
	const char *cols[] = {NULL, "size", "price", "price"};
	uint32_t	sort_columns[] = {3, 1};	/* sum(size) DESC, then sym */
	const uint8_t sort_flags[] = {PS_AGG_SORT_DESC, 0};
	ps_client_agg_spec agg = {100 * SEC, T0, by, 1, fns, cols, NULL, 4, NULL, NULL, 0, 0, 0};
	ps_client_scan_spec spec = {"aggw", T0 + 10 * SEC, T0 + 989 * SEC, false, 0, 0, NULL, 0, 5, 0, NULL, 0, false, false, false};
	int64_t		sums[70];
	ps_client_scan *s;
	const ps_type *types;
	uint32_t	ntypes, groups = 0;
	bool		done = false;
	int64_t		t;
	ps_value	v[7];
	ps_error	e;

	(void) state;
	make_trades(c, "aggw", 1000);
	CHECK(ps_client_aggregate(c, &spec, &agg, &s, &types, &ntypes, &e), e);
	/* bucket, sym, count, sum (high, low), max, last */
	assert_int_equal(ntypes, 7);
	assert_int_equal(types[0], PS_TYPE_TIMESTAMP);
	assert_int_equal(types[1], PS_TYPE_STRING);
	while (!done)
	{
		CHECK(ps_client_scan_fetch(s, 5, &done, &e), e);
		assert_true(ps_client_scan_rows(s)->count <= 5);
		while (ps_client_scan_row(s, &t, v))
		{
			int64_t		bucket = v[0].v.i, count = 0, sum = 0, last = -1;
			int			k = v[1].v.s.ptr[1] - '0';

			for (int i = 10; i <= 989; i++)
				if (i % 7 == k && T0 + (i / 100) * 100 * SEC == bucket)
				{
					count++;
					sum += i;
					last = i;
				}
			assert_int_equal(v[1].v.s.len, 2);
			assert_int_equal(v[2].v.i, count);
			assert_int_equal(v[3].v.i, 0);
			assert_int_equal(v[4].v.i, sum);
			assert_true(v[5].v.f == last + 0.5);	/* max(price) */
			assert_true(v[6].v.f == last + 0.5);	/* last(price) */
			groups++;
		}
	}
	/* 7 symbols in each of the 10 buckets the range touches. */
	assert_int_equal(groups, 70);
	CHECK(ps_client_scan_close(s, &e), e);

	/* Sorted by the owner, the 3rd to the 6th largest sums (ties by sym); the low half of a sum is no key. */
	for (int b = 0; b < 10; b++)
		for (int k = 0; k < 7; k++)
		{
			sums[b * 7 + k] = 0;
			for (int i = 10; i <= 989; i++)
				if (i % 7 == k && i / 100 == b)
					sums[b * 7 + k] += i;
		}
	agg.sort_columns = sort_columns;
	agg.sort_flags = sort_flags;
	agg.nsort = 2;
	agg.offset = 2;
	agg.limit = 4;
	CHECK(ps_client_aggregate(c, &spec, &agg, &s, &types, &ntypes, &e), e);
	groups = 0;
	for (done = false; !done;)
	{
		CHECK(ps_client_scan_fetch(s, 3, &done, &e), e);
		while (ps_client_scan_row(s, &t, v))
		{
			int			k = v[1].v.s.ptr[1] - '0', above = 0;

			/* Groups before it in the order: larger sums, or equal ones of a smaller sym. */
			for (int g = 0; g < 70; g++)
				above += sums[g] > v[4].v.i || (sums[g] == v[4].v.i && g % 7 < k);
			assert_int_equal(above, 2 + groups);
			groups++;
		}
	}
	assert_int_equal(groups, 4);
	sort_columns[0] = 4;
	assert_int_equal(ps_client_aggregate(c, &spec, &agg, &s, &types, &ntypes, &e), PS_EINVAL);
	assert_non_null(strstr(e.message, "low half"));
	agg.nsort = 0;
	agg.offset = agg.limit = 0;

	cols[1] = "sym";
	assert_int_equal(ps_client_aggregate(c, &spec, &agg, &s, &types, &ntypes, &e), PS_EINVAL);
	assert_non_null(strstr(e.message, "sym"));
	assert_false(ps_client_broken(c));
	assert_int_equal(row_count(c, "aggw"), 1000);
	ps_client_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_status),
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_status_counts_open_work),
		cmocka_unit_test(test_csv_load_and_scan),
		cmocka_unit_test(test_csv_errors_keep_position),
		cmocka_unit_test(test_row_load_commit_and_abort),
		cmocka_unit_test(test_row_load_uncommitted_invisible),
		cmocka_unit_test(test_row_load_bad_row_deferred),
		cmocka_unit_test(test_two_loads_commit_together),
		cmocka_unit_test(test_commit_misuse_consumes_handles),
		cmocka_unit_test(test_interleaved_scans),
		cmocka_unit_test(test_early_close_frees_handles),
		cmocka_unit_test(test_too_many_handles),
		cmocka_unit_test(test_desc_offset_limit),
		cmocka_unit_test(test_large_load_and_scan),
		cmocka_unit_test(test_first_batch_with_open),
		cmocka_unit_test(test_read_ahead_with_other_calls),
		cmocka_unit_test(test_deferred_open_and_poll),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_projection),
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_delete_and_drop),
		cmocka_unit_test(test_error_codes_cross_the_wire),
		cmocka_unit_test(test_disconnect_aborts_loads),
		cmocka_unit_test(test_series_filters),
		cmocka_unit_test(test_series_key_option),
		cmocka_unit_test(test_series_filter_caps),
		cmocka_unit_test(test_garbage_frames),
		cmocka_unit_test(test_series_malformed_frames),
		cmocka_unit_test(test_bad_version_refused),
		cmocka_unit_test(test_aggregate_over_the_wire),
		cmocka_unit_test(test_owner_stops_cleanly),
	};

	/*
	 * SIGPIPE keeps its default action: the client must never raise it (it
	 * sends with MSG_NOSIGNAL), or this test dies.
	 */
	return cmocka_run_group_tests(tests, start_owner, stop_owner);
}
