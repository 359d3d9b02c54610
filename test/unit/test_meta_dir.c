/*
 * test_meta_dir.c — partition directories (core/ps_meta_dir.h) against a
 * real RocksDB store: scans that read a partition's blocks from its
 * directory give exactly what the model of the committed rows says, as
 * the committed blocks change under them.
 *
 * Every check runs each query three times (the first reads the meta column
 * family and asks for the directory, the second builds it, the third uses
 * it) and compares every run, row for row in scan order, with the model.
 * The state moves through a second, overlapping load; a load in flight
 * whose blocks are written (and its abort); a delete_range; the merge; and
 * a commit while an older scan still reads its snapshot.  A store whose
 * directories do not fit their bound must answer
 * the same from the meta column family.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_row.h"
#include "core/ps_store_int.h"
#include "store_dir.h"

#define DAY_NS (86400LL * 1000000000LL)
#define T0 (19723LL * DAY_NS)	/* 2024-01-01 */
#define STEP (20LL * 1000000000LL)	/* 20 s: 9,000 rows span two days */
#define MAX_ROWS 40000

static const char *const syms[] = {"A", "B", "C"};

/* The committed rows: time i * STEP (unique), series i % 3, value i. */
typedef struct model {
	bool		present[MAX_ROWS];
} model;

typedef struct query {
	const char *name;
	int64_t		lo, hi;
	bool		descending;
	uint64_t	limit;
	const char *sym;			/* series filter, or NULL */
} query;

static const query queries[] = {
	{"every row", INT64_MIN, INT64_MAX, false, 0, NULL},
	{"the newest 50", INT64_MIN, INT64_MAX, true, 50, NULL},
	{"series B over a day", T0 + 3000 * STEP, T0 + 7500 * STEP, false, 0, "B"},
	{"the oldest 20 of C from noon", T0 + 2160 * STEP, INT64_MAX, false, 20, "C"},
	{"a window, newest first", T0 + 4000 * STEP, T0 + 4600 * STEP, true, 0, NULL},
};

/* Load rows i = first, first + every, ... (n of them); commit unless *pending is asked for. */
static void
load(fixture *f, int first, int n, int every, ps_load **pending)
{
	const char *names[] = {"ts", "symbol", "v"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_INTEGER};
	ps_schema  *s;
	ps_load_spec spec = {.table = "t"};
	ps_load    *ld;
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 3, 0, &s, &err), PS_OK);
	spec.input = s;
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_OK);
	for (int i = first; i < first + n * every; i += every)
	{
		ps_value	v[3];

		memset(v, 0, sizeof(v));
		v[0].v.i = T0 + i * STEP;
		v[1].v.s.ptr = syms[i % 3];
		v[1].v.s.len = 1;
		v[2].v.i = i;
		assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	}
	ps_schema_free(s);
	if (pending)
		*pending = ld;
	else
		assert_int_equal(ps_load_commit(ld, &err), PS_OK);
}

static void
model_add(model *m, int first, int n, int every)
{
	for (int i = first; i < first + n * every; i += every)
		m->present[i] = true;
}

/* Row i of the model in q's range and filter? */
static bool
selected(const query *q, int i)
{
	int64_t		t = T0 + i * STEP;

	return t >= q->lo && t <= q->hi && (q->sym == NULL || strcmp(syms[i % 3], q->sym) == 0);
}

static ps_scan *
open_scan(fixture *f, const query *q)
{
	ps_value	sym = {0};
	ps_series_filter filter = {"symbol", &sym, 1};
	ps_scan_spec spec = {"t", q->lo, q->hi, q->descending, false, 0, q->limit, NULL, 0};
	ps_scan    *sc;
	ps_error	err;

	if (q->sym)
	{
		sym.v.s.ptr = q->sym;
		sym.v.s.len = (uint32_t) strlen(q->sym);
		spec.filters = &filter;
		spec.nfilters = 1;
	}
	assert_int_equal(ps_scan_open(f->st, &spec, &sc, &err), PS_OK);
	return sc;
}

/*
 * A mismatch: said on stderr at once (a failure leaves other scans open,
 * and RocksDB aborts on those when the teardown closes the store), then
 * the test fails with sc closed.
 */
#define MISMATCH(sc, ...) \
	do { \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		ps_scan_close(sc); \
		fail(); \
	} while (0)

/* Read sc to its end, checking every row against m's rows of q, in q's order; closes sc. */
static void
read_against(ps_scan *sc, const query *q, const model *m, int run)
{
	const ps_type vt[] = {PS_TYPE_STRING, PS_TYPE_INTEGER};
	int			i = q->descending ? MAX_ROWS - 1 : 0;
	uint64_t	got = 0;
	bool		done = false;
	ps_error	err;

	for (;;)
	{
		ps_scan_row row;
		ps_value	vals[2];

		if (ps_scan_next(sc, &row, &done, &err) != PS_OK)
			MISMATCH(sc, "%s, run %d: %s", q->name, run, err.message);
		/* The model's next row of q. */
		while (i >= 0 && i < MAX_ROWS && !(m->present[i] && selected(q, i)))
			i += q->descending ? -1 : 1;
		if (q->limit > 0 && got == q->limit)
			i = -1;
		if (done)
		{
			if (i >= 0 && i < MAX_ROWS)
				MISMATCH(sc, "%s, run %d: the scan ended before row %d", q->name, run, i);
			ps_scan_close(sc);
			return;
		}
		if (i < 0 || i >= MAX_ROWS)
			MISMATCH(sc, "%s, run %d: a row past the model's (time %lld)", q->name, run,
					 (long long) row.time);
		if (ps_row_decode(vt, 2, row.value, row.value_len, vals, NULL, &err) != PS_OK)
			MISMATCH(sc, "%s, run %d: %s", q->name, run, err.message);
		if (row.time != T0 + i * STEP || vals[1].v.i != i)
			MISMATCH(sc, "%s, run %d: row %d wanted, got time %lld value %lld", q->name, run, i,
					 (long long) row.time, (long long) vals[1].v.i);
		got++;
		i += q->descending ? -1 : 1;
	}
}

static size_t
cached_dirs(fixture *f)
{
	size_t		n = 0, bytes = 0;

	if (f->st->dirs)
		ps_meta_dir_cache_stats(f->st->dirs, &n, &bytes);
	return n;
}

/* Every query, three times each, against m; at least min_dirs directories in use after. */
static void
check(fixture *f, const model *m, size_t min_dirs)
{
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++)
		for (int run = 1; run <= 3; run++)
		{
			read_against(open_scan(f, &queries[q]), &queries[q], m, run);
		}
	assert_true(cached_dirs(f) >= min_dirs);
}

/*
 * A store whose loads write batches of 500 rows (their blocks reach RocksDB
 * long before they commit), with partition directories of at most
 * dirs_kb / 4 KiB and no cache of decoded blocks (it would hide a stale
 * directory: a block key's contents never change, so an old block cached
 * reads as well after the merge or a delete removed it).
 */
static fixture *
store(const char *prefix, uint32_t dirs_kb)
{
	fixture    *f = fixture_new(prefix, 500);
	ps_error	err;

	ps_store_close(f->st);
	f->o.decoded_cache_mb = 0;
	f->o.partition_dirs_kb = dirs_kb;
	assert_int_equal(ps_store_open(f->dir, &f->o, &f->st, &err), PS_OK);
	return f;
}

static int
setup(void **state)
{
	*state = store("ps_test_meta_dir", 32768);
	return 0;
}

static void
test_directories_follow_every_change(void **state)
{
	fixture    *f = *state;
	model	   *m = calloc(1, sizeof(*m));
	ps_load    *inflight, *late;
	ps_scan    *old, *early;
	uint64_t	removed, runs;
	ps_error	err;

	load(f, 0, 9000, 1, NULL);
	model_add(m, 0, 9000, 1);
	check(f, m, 2);

	/* Out of order and overlapping: every other row of a later stretch, and earlier ones. */
	load(f, 9001, 3000, 2, NULL);
	load(f, 30000, 600, 1, NULL);
	model_add(m, 9001, 3000, 2);
	model_add(m, 30000, 600, 1);

	/*
	 * A load in flight, blocks written: unseen, and so after its abort.  A
	 * scan opened before it began (at the version those loads' commit
	 * gave, whose directories nobody has built yet) does not skip its
	 * blocks, so the directories built meanwhile, which it uses, must not
	 * list them.
	 */
	early = open_scan(f, &queries[0]);
	load(f, 0, 9000, 1, &inflight);	/* over committed rows: blocks of 1,024 rows written */
	check(f, m, 2);
	read_against(early, &queries[0], m, 0);
	ps_load_abort(inflight);
	check(f, m, 2);

	assert_int_equal(ps_store_delete_range(f->st, "t", T0 + 4100 * STEP, T0 + 4300 * STEP - 1,
										   &removed, &err), PS_OK);
	assert_int_equal(removed, 200);
	for (int i = 4100; i < 4300; i++)
		m->present[i] = false;
	check(f, m, 2);

	assert_int_equal(ps_store_merge_all(f->st, &runs, &err), PS_OK);
	assert_true(runs > 0);
	check(f, m, 2);

	/* A scan of before a commit keeps its snapshot, though directories of after are built. */
	old = open_scan(f, &queries[0]);
	load(f, 26000, 900, 1, &late);
	assert_int_equal(ps_load_commit(late, &err), PS_OK);
	{
		model	   *before = malloc(sizeof(*m));

		*before = *m;
		model_add(m, 26000, 900, 1);
		check(f, m, 2);
		read_against(old, &queries[0], before, 0);
		free(before);
	}
	free(m);
}

/* Directories larger than their bound are not kept: scans read the meta column family. */
static void
test_oversized_partitions_are_read_from_rocksdb(void **state)
{
	fixture    *f = store("ps_test_meta_dir_big", 64);	/* directories of at most 16 KiB */
	model	   *m = calloc(1, sizeof(*m));

	(void) state;
	/* 288 loads of 30 rows: two days of 432 blocks of 10 rows each. */
	for (int k = 0; k < 288; k++)
		load(f, k * 30, 30, 1, NULL);
	model_add(m, 0, 288 * 30, 1);
	check(f, m, 0);
	assert_int_equal(cached_dirs(f), 0);
	fixture_teardown((void **) &f);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directories_follow_every_change, setup,
										fixture_teardown),
		cmocka_unit_test(test_oversized_partitions_are_read_from_rocksdb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
