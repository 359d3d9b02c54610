/*
 * test_store.c — the storage engine against a real RocksDB in a temporary
 * directory: loads as transactions (commit, abort, crash), scans (bounds,
 * direction, limit/offset, invisibility of in-flight rows), delete range and
 * drop keeping the catalog counts right, schema evolution, dedup, restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ps_row.h"
#include "core/ps_store.h"
#include "store_dir.h"

static int
setup(void **state)
{
	fixture    *f = fixture_new("ps_test_store", 100);	/* several batches per load */

	*state = f;
	return 0;
}

static void
reopen(fixture *f)
{
	ps_error	err;

	ps_store_close(f->st);
	assert_int_equal(ps_store_open(f->dir, &f->o, &f->st, &err), PS_OK);
}

/* Schema: ts (time), price float, sym string. */
static ps_schema *
tick_schema(void)
{
	const char *names[] = {"ts", "price", "sym"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_FLOAT, PS_TYPE_STRING};
	ps_schema  *s = NULL;
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 3, 0, &s, &err), PS_OK);
	return s;
}

static ps_load *
begin(fixture *f, const char *table, bool dedup)
{
	ps_schema  *s = tick_schema();
	ps_load_spec spec = {.table = table, .input = s, .dedup = dedup};
	ps_load    *ld = NULL;
	ps_error	err;

	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_OK);
	ps_schema_free(s);
	return ld;
}

static void
append(ps_load *ld, int64_t t, double price, const char *sym)
{
	ps_value	v[3];
	ps_error	err;

	memset(v, 0, sizeof(v));
	v[0].v.i = t;
	v[1].v.f = price;
	v[2].v.s.ptr = sym;
	v[2].v.s.len = (uint32_t) strlen(sym);
	assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
}

/* Load times t0, t0+step, ... (n rows) into table and commit. */
static void
load_series(fixture *f, const char *table, int64_t t0, int64_t step, int n)
{
	ps_load    *ld = begin(f, table, false);
	ps_error	err;

	for (int i = 0; i < n; i++)
		append(ld, t0 + i * step, (double) i, "AAPL");
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
}

/* Scan and collect times; returns the row count. */
static size_t
scan_times(fixture *f, const char *table, int64_t lo, int64_t hi, bool desc, uint64_t offset,
		   uint64_t limit, int64_t *times, size_t max)
{
	ps_scan_spec spec = {.table = table, .lo = lo, .hi = hi, .descending = desc,
	.offset = offset, .limit = limit};
	ps_scan    *sc;
	ps_scan_row row;
	bool		done = false;
	size_t		n = 0;
	ps_error	err;

	assert_int_equal(ps_scan_open(f->st, &spec, &sc, &err), PS_OK);
	for (;;)
	{
		assert_int_equal(ps_scan_next(sc, &row, &done, &err), PS_OK);
		if (done)
			break;
		if (n < max)
			times[n] = row.time;
		n++;
	}
	ps_scan_close(sc);
	return n;
}

static size_t
count_all(fixture *f, const char *table)
{
	return scan_times(f, table, INT64_MIN, INT64_MAX, false, 0, 0, NULL, 0);
}

static ps_table_info
info(fixture *f, const char *table)
{
	ps_table_info ti;
	ps_error	err;

	assert_int_equal(ps_store_table_info(f->st, table, &ti, NULL, &err), PS_OK);
	return ti;
}

static void
test_commit_scan_and_bounds(void **state)
{
	fixture    *f = *state;
	int64_t		times[1000];
	ps_table_info ti;

	load_series(f, "t", -500, 1, 1000);	/* -500 .. 499, negative times included */
	ti = info(f, "t");
	assert_int_equal(ti.row_count, 1000);
	assert_int_equal(ti.min_time, -500);
	assert_int_equal(ti.max_time, 499);
	assert_int_equal(count_all(f, "t"), 1000);

	/* Inclusive bounds on both ends. */
	assert_int_equal(scan_times(f, "t", -10, 10, false, 0, 0, times, 1000), 21);
	assert_int_equal(times[0], -10);
	assert_int_equal(times[20], 10);
	/* Descending. */
	assert_int_equal(scan_times(f, "t", -10, 10, true, 0, 0, times, 1000), 21);
	assert_int_equal(times[0], 10);
	assert_int_equal(times[20], -10);
	/* Limit and offset, both directions. */
	assert_int_equal(scan_times(f, "t", INT64_MIN, INT64_MAX, false, 5, 3, times, 1000), 3);
	assert_int_equal(times[0], -495);
	assert_int_equal(scan_times(f, "t", INT64_MIN, INT64_MAX, true, 5, 3, times, 1000), 3);
	assert_int_equal(times[0], 494);
	/* Empty ranges and the full int64 range edges. */
	assert_int_equal(scan_times(f, "t", 500, INT64_MAX, false, 0, 0, times, 1000), 0);
	assert_int_equal(scan_times(f, "t", INT64_MIN, -501, true, 0, 0, times, 1000), 0);
	assert_int_equal(scan_times(f, "t", 499, 499, false, 0, 0, times, 1000), 1);
}

static void
test_extreme_times_and_equal_times(void **state)
{
	fixture    *f = *state;
	ps_load    *ld = begin(f, "x", false);
	int64_t		times[8];
	ps_error	err;

	append(ld, INT64_MAX, 1, "a");
	append(ld, INT64_MIN, 2, "b");
	append(ld, 0, 3, "c");
	append(ld, 0, 4, "d");
	append(ld, -1, 5, "e");
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_int_equal(scan_times(f, "x", INT64_MIN, INT64_MAX, false, 0, 0, times, 8), 5);
	assert_true(times[0] == INT64_MIN);
	assert_int_equal(times[1], -1);
	assert_int_equal(times[2], 0);
	assert_int_equal(times[3], 0);
	assert_true(times[4] == INT64_MAX);
	assert_int_equal(scan_times(f, "x", INT64_MAX, INT64_MAX, false, 0, 0, times, 8), 1);
	assert_int_equal(scan_times(f, "x", INT64_MIN, INT64_MIN, false, 0, 0, times, 8), 1);
}

static void
test_inflight_invisible_then_abort(void **state)
{
	fixture    *f = *state;
	ps_load    *ld;
	ps_error	err;

	load_series(f, "t", 0, 10, 50);
	ld = begin(f, "t", false);
	for (int i = 0; i < 1000; i++)	/* 10 batches reach RocksDB */
		append(ld, 5 + i, 1.0, "MSFT");
	assert_int_equal(count_all(f, "t"), 50);
	assert_int_equal(info(f, "t").row_count, 50);
	/* Delete and drop refuse while the load is in flight. */
	{
		uint64_t	removed;

		assert_int_equal(ps_store_delete_range(f->st, "t", 0, 100, &removed, &err), PS_EBUSY);
		assert_int_equal(ps_store_drop_table(f->st, "t", &err), PS_EBUSY);
	}
	ps_load_abort(ld);
	assert_int_equal(count_all(f, "t"), 50);
	reopen(f);
	assert_int_equal(count_all(f, "t"), 50);
	assert_int_equal(info(f, "t").row_count, 50);
}

static void
test_new_table_invisible_until_commit(void **state)
{
	fixture    *f = *state;
	ps_load    *ld = begin(f, "fresh", false);
	ps_table_info *list;
	size_t		n;
	ps_error	err;

	append(ld, 1, 1, "a");
	assert_int_equal(ps_store_table_info(f->st, "fresh", NULL, NULL, &err), PS_ENOTFOUND);
	assert_int_equal(ps_store_list_tables(f->st, &list, &n, &err), PS_OK);
	assert_int_equal(n, 0);
	free(list);
	/* Other loads may join a table being created, but not commit without its creator. */
	{
		ps_load    *joiner = begin(f, "fresh", false);
		ps_value	v[3];

		append(joiner, 2, 2, "b");
		assert_int_equal(ps_load_commit(joiner, &err), PS_EBUSY);
		joiner = begin(f, "fresh", false);
		append(joiner, 3, 3, "c");
		/* The creator rolls back: the joiner can no longer write, and the table is gone. */
		ps_load_abort(ld);
		memset(v, 0, sizeof(v));
		v[0].v.i = 4;
		assert_int_equal(ps_load_append(joiner, v, &err), PS_EBUSY);
		ps_load_abort(joiner);
	}
	assert_int_equal(ps_store_table_info(f->st, "fresh", NULL, NULL, &err), PS_ENOTFOUND);
	/* Creator and joiner commit together, in any order. */
	{
		ps_load    *both[2];

		both[1] = begin(f, "fresh", false);
		both[0] = begin(f, "fresh", false);
		append(both[1], 7, 1, "a");
		append(both[0], 8, 1, "a");
		assert_int_equal(ps_load_commit_many(both, 2, &err), PS_OK);
	}
	assert_int_equal(info(f, "fresh").row_count, 2);
	assert_int_equal(info(f, "fresh").min_time, 7);
	assert_int_equal(info(f, "fresh").max_time, 8);
	reopen(f);
	assert_int_equal(count_all(f, "fresh"), 2);
	assert_int_equal(ps_store_list_tables(f->st, &list, &n, &err), PS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "fresh");
	free(list);
}

static void
newtab_absent(fixture *f)
{
	ps_error	err;

	assert_int_equal(ps_store_table_info(f->st, "newtab", NULL, NULL, &err), PS_ENOTFOUND);
}

static void
test_crash_rolls_back(void **state)
{
	fixture    *f = *state;
	pid_t		pid;
	int			status;

	load_series(f, "t", 0, 1, 100);
	ps_store_close(f->st);
	f->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
	{
		/* The child writes two blocks into each load, then dies without committing. */
		ps_store   *st;
		ps_error	err;
		ps_schema  *s = tick_schema();
		ps_load_spec spec = {.table = "t", .input = s};
		ps_load_spec spec2 = {.table = "newtab", .input = s};
		ps_load    *ld, *ld2;
		ps_value	v[3];

		if (ps_store_open(f->dir, &f->o, &st, &err) != PS_OK ||
			ps_load_begin(st, &spec, &ld, &err) != PS_OK ||
			ps_load_begin(st, &spec2, &ld2, &err) != PS_OK)
			_exit(2);
		memset(v, 0, sizeof(v));
		v[2].v.s.ptr = "X";
		v[2].v.s.len = 1;
		for (int i = 0; i < 3000; i++)
		{
			v[0].v.i = 50 + i;
			if (ps_load_append(ld, v, &err) != PS_OK || ps_load_append(ld2, v, &err) != PS_OK)
				_exit(3);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	reopen(f);
	assert_int_equal(count_all(f, "t"), 100);
	assert_int_equal(info(f, "t").row_count, 100);
	{
		ps_error	err;

		assert_int_equal(ps_store_table_info(f->st, "newtab", NULL, NULL, &err), PS_ENOTFOUND);
	}
	/* A new load after recovery gets a fresh sequence: its rows all show. */
	load_series(f, "t", 1000, 1, 10);
	assert_int_equal(count_all(f, "t"), 110);
	assert_int_equal(scan_times(f, "t", 1000, INT64_MAX, false, 0, 0, NULL, 0), 10);
	newtab_absent(f);
}

static void
test_delete_range_counts(void **state)
{
	fixture    *f = *state;
	uint64_t	removed;
	ps_table_info ti;
	ps_error	err;

	load_series(f, "t", 0, 1, 100);	/* 0..99 */
	assert_int_equal(ps_store_delete_range(f->st, "t", 10, 19, &removed, &err), PS_OK);
	assert_int_equal(removed, 10);
	ti = info(f, "t");
	assert_int_equal(ti.row_count, 90);
	assert_int_equal(ti.min_time, 0);
	assert_int_equal(ti.max_time, 99);
	/* Deleting the head and the tail moves the bounds. */
	assert_int_equal(ps_store_delete_range(f->st, "t", INT64_MIN, 20, &removed, &err), PS_OK);
	assert_int_equal(removed, 11);	/* 0..9 and 20 */
	assert_int_equal(ps_store_delete_range(f->st, "t", 95, INT64_MAX, &removed, &err), PS_OK);
	assert_int_equal(removed, 5);
	ti = info(f, "t");
	assert_int_equal(ti.row_count, 74);
	assert_int_equal(ti.min_time, 21);
	assert_int_equal(ti.max_time, 94);
	assert_int_equal(count_all(f, "t"), 74);
	/* Nothing there: zero. */
	assert_int_equal(ps_store_delete_range(f->st, "t", 10, 19, &removed, &err), PS_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(ps_store_delete_range(f->st, "t", 5, 4, &removed, &err), PS_EINVAL);
	assert_int_equal(ps_store_delete_range(f->st, "nope", 0, 1, &removed, &err), PS_ENOTFOUND);
	/* Everything. */
	assert_int_equal(ps_store_delete_range(f->st, "t", INT64_MIN, INT64_MAX, &removed, &err), PS_OK);
	assert_int_equal(removed, 74);
	assert_int_equal(info(f, "t").row_count, 0);
	reopen(f);
	assert_int_equal(info(f, "t").row_count, 0);
	assert_int_equal(count_all(f, "t"), 0);
	load_series(f, "t", 500, 1, 3);
	ti = info(f, "t");
	assert_int_equal(ti.min_time, 500);
	assert_int_equal(ti.max_time, 502);
}

static void
test_drop_and_recreate(void **state)
{
	fixture    *f = *state;
	ps_error	err;
	uint32_t	old_id;

	load_series(f, "t", 0, 1, 10);
	old_id = info(f, "t").id;
	assert_int_equal(ps_store_drop_table(f->st, "t", &err), PS_OK);
	assert_int_equal(ps_store_drop_table(f->st, "t", &err), PS_ENOTFOUND);
	assert_int_equal(ps_store_table_info(f->st, "t", NULL, NULL, &err), PS_ENOTFOUND);
	load_series(f, "t", 0, 1, 3);
	assert_true(info(f, "t").id != old_id);
	assert_int_equal(count_all(f, "t"), 3);
	reopen(f);
	assert_int_equal(count_all(f, "t"), 3);
}

static void
test_restart_persists_schema_and_stats(void **state)
{
	fixture    *f = *state;
	ps_schema  *s = NULL;
	ps_table_info ti;
	ps_error	err;

	load_series(f, "t", 100, 2, 250);
	reopen(f);
	assert_int_equal(ps_store_table_info(f->st, "t", &ti, &s, &err), PS_OK);
	assert_int_equal(ti.row_count, 250);
	assert_int_equal(ti.min_time, 100);
	assert_int_equal(ti.max_time, 598);
	assert_int_equal(s->ncolumns, 3);
	assert_string_equal(s->columns[2].name, "sym");
	assert_int_equal(s->columns[1].type, PS_TYPE_FLOAT);
	ps_schema_free(s);
	assert_int_equal(count_all(f, "t"), 250);
}

static void
test_add_columns_and_mapping(void **state)
{
	fixture    *f = *state;
	const char *names[] = {"qty", "ts"};
	ps_type		types[] = {PS_TYPE_INTEGER, PS_TYPE_TIMESTAMP};
	ps_schema  *in = NULL, *s = NULL;
	ps_load_spec spec = {.table = "t", .add_columns = false};
	ps_load    *ld;
	ps_value	v[4];
	ps_error	err;

	load_series(f, "t", 0, 1, 5);
	assert_int_equal(ps_schema_new(names, types, 2, 1, &in, &err), PS_OK);
	spec.input = in;
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_ESCHEMA);
	assert_non_null(strstr(err.message, "qty"));
	spec.add_columns = true;
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_OK);
	assert_int_equal(ps_load_schema(ld)->ncolumns, 4);
	assert_int_equal(ps_load_input_map(ld)[0], 3);
	assert_int_equal(ps_load_input_map(ld)[1], 0);
	/* Not visible before commit. */
	assert_int_equal(ps_store_table_info(f->st, "t", NULL, &s, &err), PS_OK);
	assert_int_equal(s->ncolumns, 3);
	ps_schema_free(s);
	memset(v, 0, sizeof(v));
	v[0].v.i = 100;
	v[1].is_null = true;
	v[2].is_null = true;
	v[3].v.i = 42;
	assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	reopen(f);
	assert_int_equal(ps_store_table_info(f->st, "t", NULL, &s, &err), PS_OK);
	assert_int_equal(s->ncolumns, 4);
	assert_string_equal(s->columns[3].name, "qty");
	/* Old rows read the new column as NULL; the new row holds 42. */
	{
		ps_type		vt[3];
		ps_value	out[3];
		ps_scan_spec ss = {.table = "t", .lo = INT64_MIN, .hi = INT64_MAX};
		ps_scan    *sc;
		ps_scan_row row;
		bool		done;
		int			n = 0;

		ps_schema_value_types(s, vt);
		assert_int_equal(ps_scan_open(f->st, &ss, &sc, &err), PS_OK);
		while (ps_scan_next(sc, &row, &done, &err) == PS_OK && !done)
		{
			assert_int_equal(ps_row_decode(vt, 3, row.value, row.value_len, out, NULL, &err), PS_OK);
			if (row.time == 100)
			{
				assert_false(out[2].is_null);
				assert_int_equal(out[2].v.i, 42);
				assert_true(out[0].is_null);
			}
			else
				assert_true(out[2].is_null);
			n++;
		}
		assert_int_equal(n, 6);
		ps_scan_close(sc);
	}
	ps_schema_free(s);
	ps_schema_free(in);
	/* Type mismatch is refused. */
	{
		const char *n2[] = {"ts", "price"};
		ps_type		t2[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING};

		assert_int_equal(ps_schema_new(n2, t2, 2, 0, &in, &err), PS_OK);
		spec.input = in;
		assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_ESCHEMA);
		ps_schema_free(in);
	}
}

static void
test_dedup_retry_adds_nothing(void **state)
{
	fixture    *f = *state;
	ps_load    *ld;
	ps_error	err;

	for (int round = 0; round < 2; round++)
	{
		ld = begin(f, "d", true);
		for (int i = 0; i < 250; i++)
			append(ld, i, 1.5, "X");
		append(ld, 0, 1.5, "X");	/* duplicate within the load */
		assert_int_equal(ps_load_rows(ld), round == 0 ? 250 : 0);
		assert_int_equal(ps_load_commit(ld, &err), PS_OK);
		assert_int_equal(count_all(f, "d"), 250);
		assert_int_equal(info(f, "d").row_count, 250);
	}
	/* A different value at the same time is a new row. */
	ld = begin(f, "d", true);
	append(ld, 0, 2.5, "X");
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_int_equal(count_all(f, "d"), 251);
	/* An aborted dedup load removes only its own rows. */
	ld = begin(f, "d", true);
	for (int i = 0; i < 300; i++)
		append(ld, i, 9.5, "Y");
	ps_load_abort(ld);
	assert_int_equal(count_all(f, "d"), 251);
}

static void
test_commit_many_atomic(void **state)
{
	fixture    *f = *state;
	ps_load    *l[3];
	ps_error	err;

	l[0] = begin(f, "a", false);
	l[1] = begin(f, "b", false);
	append(l[0], 1, 1, "x");
	append(l[1], 2, 2, "y");
	assert_int_equal(ps_load_commit_many(l, 2, &err), PS_OK);
	assert_int_equal(info(f, "a").row_count, 1);
	assert_int_equal(info(f, "b").row_count, 1);
	/* Several loads of one table (savepoints) add up. */
	l[0] = begin(f, "a", false);
	l[1] = begin(f, "a", false);
	l[2] = begin(f, "b", false);
	append(l[0], -5, 1, "x");
	append(l[1], 50, 1, "x");
	append(l[1], 51, 1, "x");
	append(l[2], 3, 1, "x");
	assert_int_equal(ps_load_commit_many(l, 3, &err), PS_OK);
	assert_int_equal(info(f, "a").row_count, 4);
	assert_int_equal(info(f, "a").min_time, -5);
	assert_int_equal(info(f, "a").max_time, 51);
	assert_int_equal(info(f, "b").row_count, 2);
	reopen(f);
	assert_int_equal(count_all(f, "a"), 4);
	assert_int_equal(info(f, "a").row_count, 4);
}

static void
test_bad_input(void **state)
{
	fixture    *f = *state;
	ps_schema  *s = tick_schema();
	ps_load_spec spec = {.table = "../x", .input = s};
	ps_load    *ld;
	ps_value	v[3];
	ps_error	err;

	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_EINVAL);
	spec.table = "ok";
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_OK);
	memset(v, 0, sizeof(v));
	v[0].is_null = true;
	assert_int_equal(ps_load_append(ld, v, &err), PS_EINVAL);
	v[0].is_null = false;
	v[2].v.s.ptr = "\xff\xfe";
	v[2].v.s.len = 2;
	assert_int_equal(ps_load_append(ld, v, &err), PS_EINVAL);
	ps_load_abort(ld);
	ps_schema_free(s);
	{
		ps_scan_spec ss = {.table = "ok", .lo = 0, .hi = 1};
		ps_scan    *sc;

		assert_int_equal(ps_scan_open(f->st, &ss, &sc, &err), PS_ENOTFOUND);
	}
}

static void
assert_ascending(const int64_t *times, size_t n)
{
	for (size_t i = 1; i < n; i++)
		assert_true(times[i - 1] <= times[i]);
}

/*
 * Large loads: blocks are written (batch_size 100 rows) long before commit,
 * yet nothing shows until then, and abort removes them all.
 */
static void
test_large_load_commit_and_abort(void **state)
{
	fixture    *f = *state;
	static int64_t times[8000];
	ps_load    *ld;
	ps_error	err;

	load_series(f, "t", 0, 10, 50);
	ld = begin(f, "t", false);
	for (int i = 0; i < 5000; i++)
	{
		/* In time order, but every 7th row goes back in time: overlapping blocks. */
		append(ld, i % 7 == 6 ? 3 + i / 7 : 5000 + i, 1.0, "MSFT");
	}
	assert_int_equal(count_all(f, "t"), 50);
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_int_equal(scan_times(f, "t", INT64_MIN, INT64_MAX, false, 0, 0, times, 8000), 5050);
	assert_ascending(times, 5050);
	assert_int_equal(times[0], 0);
	assert_int_equal(times[5049], 9999);
	assert_int_equal(scan_times(f, "t", INT64_MIN, INT64_MAX, true, 0, 0, times, 8000), 5050);
	assert_int_equal(times[0], 9999);
	assert_int_equal(info(f, "t").row_count, 5050);
	assert_int_equal(info(f, "t").max_time, 9999);
	assert_int_equal(scan_times(f, "t", 100, 200, false, 0, 0, times, 8000), 11 + 101);

	/* A large load aborted after many blocks were written leaves nothing. */
	ld = begin(f, "t", false);
	for (int i = 0; i < 3000; i++)
		append(ld, 20000 + i, 2.0, "IBM");
	ps_load_abort(ld);
	assert_int_equal(count_all(f, "t"), 5050);
	assert_int_equal(scan_times(f, "t", 20000, INT64_MAX, false, 0, 0, times, 8000), 0);
	reopen(f);
	assert_int_equal(count_all(f, "t"), 5050);
	assert_int_equal(info(f, "t").row_count, 5050);

	/* A table created by a large load appears whole at commit. */
	ld = begin(f, "bulk", false);
	for (int i = 0; i < 2500; i++)
		append(ld, i, 3.0, "X");
	assert_int_equal(ps_store_table_info(f->st, "bulk", NULL, NULL, &err), PS_ENOTFOUND);
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_int_equal(scan_times(f, "bulk", INT64_MIN, INT64_MAX, true, 0, 0, times, 8000), 2500);
	assert_int_equal(times[0], 2499);
	assert_int_equal(times[2499], 0);
}

static void
test_large_crash_rolls_back(void **state)
{
	fixture    *f = *state;
	pid_t		pid;
	int			status;

	load_series(f, "t", 0, 1, 100);
	ps_store_close(f->st);
	f->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
	{
		/* Five blocks of each load are written when the child dies. */
		ps_store   *st;
		ps_error	err;
		ps_schema  *s = tick_schema();
		ps_load_spec spec = {.table = "t", .input = s};
		ps_load_spec spec2 = {.table = "newtab", .input = s};
		ps_load    *ld, *ld2;
		ps_value	v[3];
		if (ps_store_open(f->dir, &f->o, &st, &err) != PS_OK)
			_exit(2);
		if (ps_load_begin(st, &spec, &ld, &err) != PS_OK ||
			ps_load_begin(st, &spec2, &ld2, &err) != PS_OK)
			_exit(2);
		memset(v, 0, sizeof(v));
		v[2].v.s.ptr = "X";
		v[2].v.s.len = 1;
		for (int i = 0; i < 6000; i++)
		{
			v[0].v.i = 200 + i;
			if (ps_load_append(ld, v, &err) != PS_OK || ps_load_append(ld2, v, &err) != PS_OK)
				_exit(3);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	reopen(f);
	assert_int_equal(count_all(f, "t"), 100);
	assert_int_equal(info(f, "t").row_count, 100);
	{
		ps_error	err;

		assert_int_equal(ps_store_table_info(f->st, "newtab", NULL, NULL, &err), PS_ENOTFOUND);
	}
	load_series(f, "t", 1000, 1, 500);
	assert_int_equal(count_all(f, "t"), 600);
}

/* Scan with one filter on column col; returns rows, checks time order and the symbols seen. */
static size_t
scan_filtered(fixture *f, const char *table, const char *col, const char *const *syms, uint32_t n,
			  bool desc, ps_status expect)
{
	ps_value	vals[8];
	ps_series_filter flt = {.column = col, .values = vals, .nvalues = n};
	ps_scan_spec spec = {.table = table, .lo = INT64_MIN, .hi = INT64_MAX, .descending = desc,
	.filters = &flt, .nfilters = 1};
	ps_type		types[2] = {PS_TYPE_FLOAT, PS_TYPE_STRING};
	ps_value	row_vals[2];
	ps_scan    *sc;
	ps_scan_row row;
	bool		done = false;
	size_t		rows = 0;
	int64_t		last = desc ? INT64_MAX : INT64_MIN;
	ps_error	err;

	memset(vals, 0, sizeof(vals));
	for (uint32_t i = 0; i < n; i++)
	{
		vals[i].v.s.ptr = syms[i];
		vals[i].v.s.len = (uint32_t) strlen(syms[i]);
	}
	assert_int_equal(ps_scan_open(f->st, &spec, &sc, &err), expect);
	if (expect != PS_OK)
		return 0;
	for (;;)
	{
		bool		known = false;

		assert_int_equal(ps_scan_next(sc, &row, &done, &err), PS_OK);
		if (done)
			break;
		assert_true(desc ? row.time <= last : row.time >= last);
		last = row.time;
		assert_int_equal(ps_row_decode(types, 2, row.value, row.value_len, row_vals, NULL, &err),
						 PS_OK);
		for (uint32_t i = 0; i < n; i++)
			known |= row_vals[1].v.s.len == strlen(syms[i]) &&
				memcmp(row_vals[1].v.s.ptr, syms[i], row_vals[1].v.s.len) == 0;
		assert_true(known);
		rows++;
	}
	ps_scan_close(sc);
	return rows;
}

static void
test_series_key_and_filters(void **state)
{
	fixture    *f = *state;
	static const char *const syms[] = {"A", "B", "C"};
	static const char *const ac[] = {"C", "A"};
	static const char *const none[] = {"Z"};
	ps_schema  *s = tick_schema();
	ps_schema  *got = NULL;
	ps_load_spec spec = {.table = "nokey", .input = s, .series_key = ""};
	ps_load    *ld = begin(f, "t", false);
	ps_error	err;

	(void) state;
	for (int i = 0; i < 3000; i++)
		append(ld, (int64_t) (i % 1000) * 1000 + i / 1000, (double) i, syms[i % 3]);
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	/* "sym" is inferred as the key. */
	assert_int_equal(ps_store_table_info(f->st, "t", NULL, &got, &err), PS_OK);
	assert_int_equal(got->nseries, 1);
	assert_int_equal(got->series[0], 2);
	ps_schema_free(got);
	assert_int_equal(scan_filtered(f, "t", "sym", ac, 2, false, PS_OK), 2000);
	assert_int_equal(scan_filtered(f, "t", "sym", ac, 2, true, PS_OK), 2000);
	assert_int_equal(scan_filtered(f, "t", "sym", syms, 1, false, PS_OK), 1000);
	assert_int_equal(scan_filtered(f, "t", "sym", none, 1, false, PS_OK), 0);
	assert_int_equal(scan_filtered(f, "t", "sym", none, 0, false, PS_OK), 0);
	scan_filtered(f, "t", "price", ac, 1, false, PS_EINVAL);
	scan_filtered(f, "t", "nope", ac, 1, false, PS_EINVAL);
	reopen(f);
	assert_int_equal(scan_filtered(f, "t", "sym", syms + 1, 1, true, PS_OK), 1000);
	/* A new series counts only once a load of it commits: an abort changes nothing. */
	assert_int_equal(info(f, "t").nseries, 3);
	ld = begin(f, "t", false);
	append(ld, 5, 1.0, "NEW");
	ps_load_abort(ld);
	assert_int_equal(info(f, "t").nseries, 3);
	reopen(f);
	assert_int_equal(info(f, "t").nseries, 3);
	ld = begin(f, "t", false);
	append(ld, 5, 1.0, "NEW");
	append(ld, 6, 1.0, "A");
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_int_equal(info(f, "t").nseries, 4);
	reopen(f);
	assert_int_equal(info(f, "t").nseries, 4);

	/* series_key="" : no key, so no filter on sym. */
	ld = NULL;
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_OK);
	append(ld, 1, 1.0, "A");
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	scan_filtered(f, "nokey", "sym", ac, 1, false, PS_EINVAL);
	/* A bad key is refused at begin, naming the option. */
	spec.table = "badkey";
	spec.series_key = "price";
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "series_key"));
	ps_schema_free(s);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a, y = *(const int64_t *) b;

	return x < y ? -1 : x > y;
}

/* Times of a scan with every option, decoded prices summed into *sum. */
static size_t
scan_all(fixture *f, const char *table, int64_t lo, int64_t hi, bool desc, bool unordered,
		 int64_t *times, size_t max, double *sum)
{
	ps_scan_spec spec = {.table = table, .lo = lo, .hi = hi, .descending = desc,
	.unordered = unordered};
	ps_type		types[2] = {PS_TYPE_FLOAT, PS_TYPE_STRING};
	ps_value	vals[2];
	ps_scan    *sc;
	ps_scan_row row;
	bool		done = false;
	size_t		n = 0;
	ps_error	err;

	*sum = 0;
	assert_int_equal(ps_scan_open(f->st, &spec, &sc, &err), PS_OK);
	for (;;)
	{
		assert_int_equal(ps_scan_next(sc, &row, &done, &err), PS_OK);
		if (done)
			break;
		assert_int_equal(ps_row_decode(types, 2, row.value, row.value_len, vals, NULL, &err), PS_OK);
		*sum += vals[0].v.f;
		if (n < max)
			times[n] = row.time;
		n++;
	}
	ps_scan_close(sc);
	return n;
}

/*
 * Blocks over several days (partitions), negative times, many series, out
 * of order and overlapping loads: every scan (ascending, descending,
 * unordered, sub-ranges) equals a model, and delete_range (whole
 * partitions, whole blocks, edge blocks rewritten) keeps counts, bounds
 * and contents exact.
 */
static void
test_blocks_partitions_and_deletes(void **state)
{
	fixture    *f = *state;
	enum { N = 30000 };
	static int64_t model[2 * N], got[2 * N];
	static char syms[40][8];
	const int64_t day = INT64_C(86400000000000);
	size_t		n = 0;
	double		sum_model = 0, sum;
	ps_load    *ld;
	ps_error	err;
	uint64_t	removed;
	uint32_t	rng = 7;

	for (int s = 0; s < 40; s++)
		snprintf(syms[s], sizeof(syms[s]), "S%02d", s);
	/* Load 1: three and a half days from a day before the epoch, 40 series, a few rows back in time. */
	ld = begin(f, "b", false);
	for (int i = 0; i < N; i++)
	{
		int64_t		t = -day + (int64_t) i * (day * 7 / 2 / N);

		rng = rng * 1103515245 + 12345;
		if (rng % 50 == 0)
			t -= day / 3;		/* out of order: lands in an earlier block, maybe an earlier day */
		append(ld, t, (double) (i % 97), syms[rng % 40]);
		model[n++] = t;
		sum_model += (double) (i % 97);
	}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	/* Load 2 overlaps load 1: the same times again for one series. */
	ld = begin(f, "b", false);
	for (int i = 0; i < N; i += 10)
	{
		int64_t		t = -day + (int64_t) i * (day * 7 / 2 / N);

		append(ld, t, 1.0, "S00");
		model[n++] = t;
		sum_model += 1.0;
	}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	qsort(model, n, sizeof(int64_t), cmp_i64);
	assert_int_equal(info(f, "b").row_count, n);
	assert_int_equal(info(f, "b").min_time, model[0]);
	assert_int_equal(info(f, "b").max_time, model[n - 1]);

	assert_int_equal(scan_all(f, "b", INT64_MIN, INT64_MAX, false, false, got, 2 * N, &sum), n);
	assert_memory_equal(got, model, n * sizeof(int64_t));
	assert_true(fabs(sum - sum_model) < 1e-6);
	assert_int_equal(scan_all(f, "b", INT64_MIN, INT64_MAX, true, false, got, 2 * N, &sum), n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], model[n - 1 - i]);
	assert_int_equal(scan_all(f, "b", INT64_MIN, INT64_MAX, false, true, got, 2 * N, &sum), n);
	qsort(got, n, sizeof(int64_t), cmp_i64);
	assert_memory_equal(got, model, n * sizeof(int64_t));
	assert_true(fabs(sum - sum_model) < 1e-6);

	/* Sub-ranges across the epoch and a day boundary, both directions. */
	{
		int64_t		lo = -day / 7, hi = day + day / 5;
		size_t		a = 0, b;

		while (model[a] < lo)
			a++;
		for (b = a; b < n && model[b] <= hi; b++)
			;
		assert_int_equal(scan_all(f, "b", lo, hi, false, false, got, 2 * N, &sum), b - a);
		assert_memory_equal(got, model + a, (b - a) * sizeof(int64_t));
		assert_int_equal(scan_all(f, "b", lo, hi, true, false, got, 2 * N, &sum), b - a);
		assert_int_equal(got[0], model[b - 1]);
		assert_int_equal(scan_times(f, "b", lo, hi, true, 5, 3, got, 3), 3);
		assert_int_equal(got[0], model[b - 6]);
	}

	/* Delete a range cutting blocks in two days and covering a whole day. */
	{
		int64_t		lo = day / 3, hi = 2 * day + day / 4;
		size_t		keep = 0, gone = 0;

		for (size_t i = 0; i < n; i++)
			if (model[i] < lo || model[i] > hi)
				model[keep++] = model[i];
			else
				gone++;
		assert_int_equal(ps_store_delete_range(f->st, "b", lo, hi, &removed, &err), PS_OK);
		assert_int_equal(removed, gone);
		n = keep;
		assert_int_equal(info(f, "b").row_count, n);
		assert_int_equal(scan_all(f, "b", INT64_MIN, INT64_MAX, false, false, got, 2 * N, &sum), n);
		assert_memory_equal(got, model, n * sizeof(int64_t));
	}
	/* Deleting the head and the tail moves the bounds to the rows left. */
	assert_int_equal(ps_store_delete_range(f->st, "b", INT64_MIN, model[99], &removed, &err), PS_OK);
	assert_int_equal(removed, 100);
	assert_int_equal(ps_store_delete_range(f->st, "b", model[n - 50], INT64_MAX, &removed, &err), PS_OK);
	assert_int_equal(removed, 50);
	reopen(f);
	assert_int_equal(info(f, "b").row_count, n - 150);
	assert_int_equal(info(f, "b").min_time, model[100]);
	assert_int_equal(info(f, "b").max_time, model[n - 51]);
	assert_int_equal(scan_all(f, "b", INT64_MIN, INT64_MAX, false, false, got, 2 * N, &sum), n - 150);
	assert_memory_equal(got, model + 100, (n - 150) * sizeof(int64_t));
	/* Everything: the table is empty, and loads again. */
	assert_int_equal(ps_store_delete_range(f->st, "b", INT64_MIN, INT64_MAX, &removed, &err), PS_OK);
	assert_int_equal(removed, n - 150);
	assert_int_equal(info(f, "b").row_count, 0);
	assert_int_equal(count_all(f, "b"), 0);
	load_series(f, "b", 5, 1, 10);
	assert_int_equal(count_all(f, "b"), 10);
}

/*
 * Column selection: unwanted columns read as NULL.  Series filters with a
 * descending limit return the newest rows of those series.
 */
static void
test_want_and_filtered_limit(void **state)
{
	fixture    *f = *state;
	static const char *const syms[] = {"A", "B", "C", "D"};
	ps_load    *ld = begin(f, "w", false);
	ps_value	fv = {.v.s = {"C", 1}};
	ps_series_filter flt = {.column = "sym", .values = &fv, .nvalues = 1};
	ps_scan_spec spec = {.table = "w", .lo = INT64_MIN, .hi = INT64_MAX, .descending = true,
	.limit = 5, .filters = &flt, .nfilters = 1};
	ps_type		types[2] = {PS_TYPE_FLOAT, PS_TYPE_STRING};
	ps_value	vals[2];
	bool		want[3] = {false, false, true};	/* ts, price, sym */
	ps_scan    *sc;
	ps_scan_row row;
	bool		done;
	int64_t		expect = 3998;
	ps_error	err;

	(void) state;
	for (int i = 0; i < 4000; i++)
		append(ld, i, (double) i, syms[i % 4]);
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_int_equal(ps_scan_open(f->st, &spec, &sc, &err), PS_OK);
	ps_scan_want(sc, want);
	for (int k = 0; k < 5; k++, expect -= 4)
	{
		assert_int_equal(ps_scan_next(sc, &row, &done, &err), PS_OK);
		assert_false(done);
		assert_int_equal(row.time, expect);
		assert_int_equal(ps_row_decode(types, 2, row.value, row.value_len, vals, NULL, &err), PS_OK);
		assert_true(vals[0].is_null);	/* price not wanted */
		assert_false(vals[1].is_null);
		assert_memory_equal(vals[1].v.s.ptr, "C", 1);
	}
	assert_int_equal(ps_scan_next(sc, &row, &done, &err), PS_OK);
	assert_true(done);
	ps_scan_close(sc);
}

/* One row a day: deleting the first or last day finds the bound in the next partition. */
static void
test_delete_bounds_across_partitions(void **state)
{
	fixture    *f = *state;
	const int64_t day = INT64_C(86400000000000);
	static const int order[] = {1, 2, 4, 5, 3};
	uint64_t	removed;
	ps_error	err;

	for (int i = 0; i < 5; i++)
		load_series(f, "d", order[i] * day, 1, 1);
	assert_int_equal(ps_store_delete_range(f->st, "d", 5 * day, INT64_MAX, &removed, &err), PS_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(info(f, "d").max_time, 4 * day);
	assert_int_equal(ps_store_delete_range(f->st, "d", INT64_MIN, day + 5, &removed, &err), PS_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(info(f, "d").min_time, 2 * day);
	assert_int_equal(count_all(f, "d"), 3);
}

/* Limited scans read slices from their end: a gap wider than a slice is crossed. */
static void
test_limit_across_slices(void **state)
{
	fixture    *f = *state;
	int64_t		times[60];

	load_series(f, "g", 0, 1, 100);
	load_series(f, "g", INT64_C(1000000000000), 1, 1);
	load_series(f, "g", -INT64_C(5000000000000), 1, 1);
	assert_int_equal(scan_times(f, "g", INT64_MIN, INT64_MAX, true, 0, 50, times, 60), 50);
	assert_int_equal(times[0], INT64_C(1000000000000));
	assert_int_equal(times[1], 99);
	assert_int_equal(times[49], 51);
	assert_int_equal(scan_times(f, "g", INT64_MIN, INT64_MAX, false, 1, 50, times, 60), 50);
	assert_int_equal(times[0], 0);
	assert_int_equal(times[49], 49);
	assert_int_equal(scan_times(f, "g", INT64_MIN, INT64_MAX, true, 100, 60, times, 60), 2);
	assert_int_equal(times[0], 0);
	assert_int_equal(times[1], -INT64_C(5000000000000));
}

/* A two-column key: filters on one column (dictionary scan) and on both (lookups). */
static void
test_two_column_key(void **state)
{
	fixture    *f = *state;
	const char *names[] = {"ts", "venue", "sym", "px"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_STRING, PS_TYPE_FLOAT};
	static const char *const venues[] = {"X", "Y"};
	static const char *const syms[] = {"A", "B", "C"};
	ps_schema  *s = NULL;
	ps_load_spec spec = {.table = "k2", .series_key = "venue,sym"};
	ps_load    *ld;
	ps_value	v[4], fv[2], fs[2];
	ps_series_filter both[2] = {{.column = "sym", .values = fs, .nvalues = 2},
	{.column = "venue", .values = fv, .nvalues = 1}};
	ps_scan_spec ss = {.table = "k2", .lo = INT64_MIN, .hi = INT64_MAX, .filters = both};
	ps_scan    *sc;
	ps_scan_row row;
	bool		done;
	size_t		n;
	ps_error	err;

	(void) state;
	assert_int_equal(ps_schema_new(names, types, 4, 0, &s, &err), PS_OK);
	spec.input = s;
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_OK);
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 600; i++)
	{
		v[0].v.i = i;
		v[1].v.s.ptr = venues[i % 2];
		v[1].v.s.len = 1;
		v[2].v.s.ptr = syms[i % 3];
		v[2].v.s.len = 1;
		v[3].v.f = i;
		assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_int_equal(info(f, "k2").nseries, 6);
	memset(fv, 0, sizeof(fv));
	memset(fs, 0, sizeof(fs));
	fv[0].v.s.ptr = "Y";
	fv[0].v.s.len = 1;
	fs[0].v.s.ptr = "A";
	fs[0].v.s.len = 1;
	fs[1].v.s.ptr = "C";
	fs[1].v.s.len = 1;
	for (int which = 0; which < 3; which++)
	{
		/* 0: venue only; 1: sym only; 2: both. */
		ss.filters = which == 0 ? &both[1] : both;
		ss.nfilters = which == 2 ? 2 : 1;
		assert_int_equal(ps_scan_open(f->st, &ss, &sc, &err), PS_OK);
		for (n = 0;; n++)
		{
			assert_int_equal(ps_scan_next(sc, &row, &done, &err), PS_OK);
			if (done)
				break;
			if (which != 1)
				assert_true(row.time % 2 == 1);		/* venue Y */
			if (which != 0)
				assert_true(row.time % 3 != 1);		/* sym A or C */
		}
		ps_scan_close(sc);
		assert_int_equal(n, which == 0 ? 300 : which == 1 ? 400 : 200);
	}
	ps_schema_free(s);
}

static uint64_t
blocks_of(fixture *f, const char *table)
{
	uint64_t	n;
	ps_error	err;

	assert_int_equal(ps_store_table_blocks(f->st, table, &n, &err), PS_OK);
	return n;
}

/*
 * The merge: small and overlapping blocks of a series become sealed,
 * non-overlapping ones, with every scan unchanged; the background thread
 * does it by itself after commits.
 */
static void
test_merge(void **state)
{
	fixture    *f = *state;
	static int64_t model[3000], got[3000];
	size_t		n = 0;
	double		sum, sum2;
	uint64_t	runs;
	ps_error	err;

	/* 30 loads of 100 rows, interleaved in time: 30 overlapping blocks. */
	for (int l = 0; l < 30; l++)
	{
		ps_load    *ld = begin(f, "m", false);

		for (int i = 0; i < 100; i++)
		{
			append(ld, (int64_t) i * 30 + l, (double) l, "AAPL");
			model[n++] = (int64_t) i * 30 + l;
		}
		assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	}
	qsort(model, n, sizeof(int64_t), cmp_i64);
	assert_int_equal(scan_all(f, "m", INT64_MIN, INT64_MAX, false, false, got, 3000, &sum), n);
	assert_int_equal(ps_store_merge_all(f->st, &runs, &err), PS_OK);
	assert_true(runs >= 1);
	assert_int_equal(blocks_of(f, "m"), 3);	/* 3000 rows: 1024 + 1024 + 952 */
	assert_int_equal(scan_all(f, "m", INT64_MIN, INT64_MAX, false, false, got, 3000, &sum2), n);
	assert_memory_equal(got, model, n * sizeof(int64_t));
	assert_true(sum == sum2);
	assert_int_equal(scan_all(f, "m", 100, 200, true, false, got, 3000, &sum2), 101);
	assert_int_equal(got[0], 200);
	/* Nothing left to merge: a second pass rewrites nothing. */
	assert_int_equal(ps_store_merge_all(f->st, &runs, &err), PS_OK);
	assert_int_equal(runs, 0);
	reopen(f);
	assert_int_equal(info(f, "m").row_count, n);
	assert_int_equal(count_all(f, "m"), n);
	/* A load after the merge takes a sequence the merge did not use. */
	load_series(f, "m", 10000, 1, 10);
	assert_int_equal(count_all(f, "m"), n + 10);
	/*
	 * Equal times across a block boundary (3000 rows at one time: blocks
	 * [t, t] that touch) are not an overlap: the merge leaves them, where
	 * rewriting them would split them the same way again, for ever.
	 */
	{
		ps_load    *ld = begin(f, "same", false);

		for (int i = 0; i < 3000; i++)
			append(ld, 5000, (double) i, "AAPL");
		assert_int_equal(ps_load_commit(ld, &err), PS_OK);
		assert_int_equal(ps_store_merge_all(f->st, &runs, &err), PS_OK);
		assert_int_equal(ps_store_merge_all(f->st, &runs, &err), PS_OK);
		assert_int_equal(runs, 0);
		assert_int_equal(blocks_of(f, "same"), 3);
		assert_int_equal(count_all(f, "same"), 3000);
	}

	/* The background merge, every 10 ms: small loads get joined by themselves. */
	f->o.merge_interval_ms = 10;
	reopen(f);
	for (int l = 0; l < 8; l++)
		load_series(f, "bg", (int64_t) l * 1000, 1, 50);
	for (int tries = 0; tries < 500 && blocks_of(f, "bg") > 1; tries++)
		usleep(10000);
	assert_int_equal(blocks_of(f, "bg"), 1);
	assert_int_equal(count_all(f, "bg"), 400);
	/* delete_range and drop wait for it, and work. */
	assert_int_equal(ps_store_delete_range(f->st, "bg", 0, 99, &runs, &err), PS_OK);
	assert_int_equal(runs, 50);
	assert_int_equal(ps_store_drop_table(f->st, "bg", &err), PS_OK);
}

static void
test_second_open_is_locked(void **state)
{
	fixture    *f = *state;
	ps_store   *other = NULL;
	ps_error	err;

	assert_int_equal(ps_store_open(f->dir, &f->o, &other, &err), PS_ELOCKED);
	assert_null(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_scan_and_bounds, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_extreme_times_and_equal_times, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_inflight_invisible_then_abort, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_new_table_invisible_until_commit, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_crash_rolls_back, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_delete_range_counts, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_drop_and_recreate, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_restart_persists_schema_and_stats, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_add_columns_and_mapping, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_dedup_retry_adds_nothing, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_commit_many_atomic, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_second_open_is_locked, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_series_key_and_filters, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_blocks_partitions_and_deletes, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_want_and_filtered_limit, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_two_column_key, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_limit_across_slices, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_delete_bounds_across_partitions, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_large_load_commit_and_abort, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_large_crash_rolls_back, setup, fixture_teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
