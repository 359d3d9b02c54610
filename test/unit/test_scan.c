/*
 * test_scan.c — the store's column-vector read path and its row estimates,
 * against a real RocksDB in a temporary directory.
 *
 * One table of three interleaved series, loaded twice with overlapping
 * times (so scans merge blocks of one series as well as series), with NULL
 * prices and strings.  Every batch size, both directions, offsets and
 * limits must give exactly the rows ps_scan_next gives (the row path is
 * tested against models in test_store.c); an unordered scan must give the
 * same rows as a set; estimates must match counts where blocks lie wholly
 * in the range; blocks served from the cache of decoded blocks must follow
 * deletes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_block_cache.h"
#include "core/ps_row.h"
#include "core/ps_store.h"
#include "store_dir.h"

#define NROWS 5000				/* first load; the second adds NROWS / 2 */
#define DAY_NS (86400LL * 1000000000LL)
#define T0 (19723LL * DAY_NS)	/* 2024-01-01 */
#define STEP (40LL * 1000000000LL)	/* 40 s: the rows span more than two days */

/* One row as both paths hand it out. */
typedef struct row {
	int64_t		time;
	bool		price_null, note_null;
	double		price;
	char		sym[8];
	char		note[16];
} row;

static const char *const syms[] = {"A", "B", "C"};

static void
load(ps_store *st, int first, int n, int every)
{
	const char *names[] = {"ts", "sym", "price", "note"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_STRING};
	ps_schema  *s;
	ps_load_spec spec = {.table = "t"};
	ps_load    *ld;
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 4, 0, &s, &err), PS_OK);
	spec.input = s;
	assert_int_equal(ps_load_begin(st, &spec, &ld, &err), PS_OK);
	for (int i = first; i < first + n * every; i += every)
	{
		ps_value	v[4];
		char		note[16];

		memset(v, 0, sizeof(v));
		snprintf(note, sizeof(note), "n%d", i % 97);
		v[0].v.i = T0 + i * STEP;
		v[1].v.s.ptr = syms[i % 3];
		v[1].v.s.len = 1;
		v[2].is_null = i % 7 == 0;
		v[2].v.f = i * 0.5;
		v[3].is_null = i % 5 == 0;
		v[3].v.s.ptr = note;
		v[3].v.s.len = (uint32_t) strlen(note);
		assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	ps_schema_free(s);
}

static int
setup(void **state)
{
	fixture    *f = fixture_new("ps_test_scan", 0);

	load(f->st, 0, NROWS, 1);
	load(f->st, 1, NROWS / 2, 2);	/* odd rows again: overlapping blocks */
	*state = f;
	return 0;
}

static void
copy_str(char *dst, size_t size, const char *p, size_t n)
{
	assert_true(n < size);
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* Every row of spec through ps_scan_next, into out; returns the count. */
static size_t
rows_one_by_one(fixture *f, const ps_scan_spec *spec, row *out, size_t max)
{
	ps_scan    *sc;
	ps_scan_row r;
	ps_value	v[3];
	ps_type		vt[3];
	bool		done;
	size_t		n = 0;
	ps_error	err;

	assert_int_equal(ps_scan_open(f->st, spec, &sc, &err), PS_OK);
	ps_schema_value_types(ps_scan_schema(sc), vt);
	for (;;)
	{
		assert_int_equal(ps_scan_next(sc, &r, &done, &err), PS_OK);
		if (done)
			break;
		assert_true(n < max);
		assert_int_equal(ps_row_decode(vt, 3, r.value, r.value_len, v, NULL, &err), PS_OK);
		memset(&out[n], 0, sizeof(row));
		out[n].time = r.time;
		copy_str(out[n].sym, sizeof(out[n].sym), v[0].v.s.ptr, v[0].v.s.len);
		out[n].price_null = v[1].is_null;
		out[n].price = v[1].is_null ? 0 : v[1].v.f;
		out[n].note_null = v[2].is_null;
		if (!v[2].is_null)
			copy_str(out[n].note, sizeof(out[n].note), v[2].v.s.ptr, v[2].v.s.len);
		n++;
	}
	ps_scan_close(sc);
	return n;
}

static bool
is_null(const ps_scan_vector *v, uint32_t r)
{
	return v->nulls && ((v->nulls[r / 8] >> (r % 8)) & 1);
}

/* The same through ps_scan_next_batch in batches of max_rows (want: columns or NULL). */
static size_t
rows_by_batch(fixture *f, const ps_scan_spec *spec, uint32_t max_rows, size_t max_bytes,
			  const bool *want, row *out, size_t max)
{
	ps_scan    *sc;
	const ps_scan_batch *b;
	bool		done = false;
	size_t		n = 0;
	ps_error	err;

	assert_int_equal(ps_scan_open(f->st, spec, &sc, &err), PS_OK);
	if (want)
		ps_scan_want(sc, want);
	while (!done)
	{
		assert_int_equal(ps_scan_next_batch(sc, max_rows, max_bytes, &b, &done, &err), PS_OK);
		assert_true(b->rows <= max_rows);
		assert_true(b->rows > 0 || done);
		for (uint32_t r = 0; r < b->rows; r++)
		{
			const ps_scan_vector *sym = &b->columns[1], *price = &b->columns[2], *note = &b->columns[3];

			assert_true(n < max);
			memset(&out[n], 0, sizeof(row));
			out[n].time = b->times[r];
			if (sym->wanted)
				copy_str(out[n].sym, sizeof(out[n].sym), sym->str_data + sym->str_off[r],
						 sym->str_off[r + 1] - sym->str_off[r]);
			out[n].price_null = !price->wanted || is_null(price, r);
			out[n].price = out[n].price_null ? 0 : price->f[r];
			out[n].note_null = !note->wanted || is_null(note, r);
			if (!out[n].note_null)
				copy_str(out[n].note, sizeof(out[n].note), note->str_data + note->str_off[r],
						 note->str_off[r + 1] - note->str_off[r]);
			n++;
		}
	}
	ps_scan_close(sc);
	return n;
}

static int
row_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(row));
}

static void
test_batches_give_the_rows_of_the_row_path(void **state)
{
	fixture    *f = *state;
	size_t		cap = NROWS * 2;
	row		   *want = malloc(cap * sizeof(row)), *got = malloc(cap * sizeof(row));
	const uint32_t sizes[] = {1, 2, 7, 1000, 70000};
	const int64_t mid = T0 + NROWS / 3 * STEP;

	assert_non_null(want);
	assert_non_null(got);
	for (int d = 0; d < 2; d++)
		for (int shape = 0; shape < 3; shape++)
		{
			ps_scan_spec spec = {.table = "t", .lo = INT64_MIN, .hi = INT64_MAX, .descending = d};
			size_t		n;

			if (shape == 1)
			{
				spec.lo = mid;
				spec.hi = mid + 1000 * STEP;
			}
			if (shape == 2)
			{
				spec.offset = 333;
				spec.limit = 2100;
			}
			n = rows_one_by_one(f, &spec, want, cap);
			assert_true(n > 1000);
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			{
				memset(got, 0, cap * sizeof(row));
				assert_int_equal(rows_by_batch(f, &spec, sizes[i], SIZE_MAX, NULL, got, cap), n);
				assert_memory_equal(got, want, n * sizeof(row));
			}
			/* A byte cap ends batches early, never loses rows. */
			assert_int_equal(rows_by_batch(f, &spec, 1000, 64, NULL, got, cap), n);
			assert_memory_equal(got, want, n * sizeof(row));
		}
	free(want);
	free(got);
}

static void
test_unordered_and_wanted_columns(void **state)
{
	fixture    *f = *state;
	size_t		cap = NROWS * 2;
	row		   *want = malloc(cap * sizeof(row)), *got = malloc(cap * sizeof(row));
	ps_scan_spec spec = {.table = "t", .lo = INT64_MIN, .hi = INT64_MAX};
	const bool	price_only[] = {false, false, true, false};
	size_t		n;

	assert_non_null(want);
	assert_non_null(got);
	n = rows_one_by_one(f, &spec, want, cap);
	assert_int_equal(n, NROWS + NROWS / 2);
	/* Unordered: the same rows, as a set, and each block's rows in time order. */
	spec.unordered = true;
	assert_int_equal(rows_by_batch(f, &spec, 500, SIZE_MAX, NULL, got, cap), n);
	qsort(want, n, sizeof(row), row_cmp);
	qsort(got, n, sizeof(row), row_cmp);
	assert_memory_equal(got, want, n * sizeof(row));
	/* Only the price: the other columns are not handed out. */
	spec.unordered = false;
	n = rows_by_batch(f, &spec, 4096, SIZE_MAX, price_only, got, cap);
	assert_int_equal(n, NROWS + NROWS / 2);
	for (size_t i = 0; i < n; i++)
	{
		assert_string_equal(got[i].sym, "");
		assert_true(got[i].note_null);
		assert_true(i == 0 || got[i].time >= got[i - 1].time);
	}
	free(want);
	free(got);
}

static void
test_estimates(void **state)
{
	fixture    *f = *state;
	ps_value	b = {.v.s = {.ptr = "B", .len = 1}};
	ps_series_filter only_b = {.column = "sym", .values = &b, .nvalues = 1};
	ps_scan_spec spec = {.table = "t", .lo = INT64_MIN, .hi = INT64_MAX};
	double		rows;
	ps_error	err;
	uint64_t	in_b = 0;

	/* The whole table: every block counts whole, so the count is exact. */
	assert_int_equal(ps_store_estimate(f->st, &spec, 100000, &rows, &err), PS_OK);
	assert_true(rows == NROWS + NROWS / 2);
	for (int i = 0; i < NROWS; i++)
		in_b += i % 3 == 1;
	for (int i = 1; i < NROWS; i += 2)
		in_b += i % 3 == 1;
	spec.filters = &only_b;
	spec.nfilters = 1;
	assert_int_equal(ps_store_estimate(f->st, &spec, 100000, &rows, &err), PS_OK);
	assert_true(rows == (double) in_b);
	/* Half the time span: about half the rows (edge blocks prorated). */
	spec.hi = T0 + NROWS / 2 * STEP - 1;
	assert_int_equal(ps_store_estimate(f->st, &spec, 100000, &rows, &err), PS_OK);
	assert_true(rows > in_b * 0.45 && rows < in_b * 0.55);
	/* A range before the data: nothing; an unknown series: nothing. */
	spec.hi = T0 - 1;
	assert_int_equal(ps_store_estimate(f->st, &spec, 100000, &rows, &err), PS_OK);
	assert_true(rows == 0);
	b.v.s.ptr = "Z";
	spec.hi = INT64_MAX;
	assert_int_equal(ps_store_estimate(f->st, &spec, 100000, &rows, &err), PS_OK);
	assert_true(rows == 0);
	/* Past the block cap the estimate gives up; a missing table is an error. */
	spec.nfilters = 0;
	assert_int_equal(ps_store_estimate(f->st, &spec, 1, &rows, &err), PS_ETOOBIG);
	spec.table = "nope";
	assert_int_equal(ps_store_estimate(f->st, &spec, 100000, &rows, &err), PS_ENOTFOUND);
}

/* Times of rows of series "B" in [lo, hi], time order, through the cached path. */
static size_t
b_times(fixture *f, int64_t lo, int64_t hi, int64_t *out, size_t max)
{
	ps_value	b = {.v.s = {.ptr = "B", .len = 1}};
	ps_series_filter only_b = {.column = "sym", .values = &b, .nvalues = 1};
	ps_scan_spec spec = {.table = "t", .lo = lo, .hi = hi, .filters = &only_b, .nfilters = 1};
	ps_scan    *sc;
	const ps_scan_batch *batch;
	bool		done = false;
	size_t		n = 0;
	ps_error	err;

	assert_int_equal(ps_scan_open(f->st, &spec, &sc, &err), PS_OK);
	while (!done)
	{
		assert_int_equal(ps_scan_next_batch(sc, 1000, SIZE_MAX, &batch, &done, &err), PS_OK);
		for (uint32_t r = 0; r < batch->rows && n < max; r++)
			out[n++] = batch->times[r];
	}
	ps_scan_close(sc);
	return n;
}

static void
test_cached_blocks_follow_deletes(void **state)
{
	fixture    *f = *state;
	int64_t    *before = malloc(NROWS * sizeof(int64_t)), *after = malloc(NROWS * sizeof(int64_t));
	size_t		n, m, k = 0;
	uint64_t	removed;
	ps_error	err;
	int64_t		cut;

	assert_non_null(before);
	assert_non_null(after);
	/* Twice: the second scan is served from the cache. */
	n = b_times(f, INT64_MIN, INT64_MAX, before, NROWS);
	assert_int_equal(b_times(f, INT64_MIN, INT64_MAX, after, NROWS), n);
	assert_memory_equal(before, after, n * sizeof(int64_t));
	/*
	 * Delete the last rows of one block of the first load, keeping its first
	 * time: the rewritten block must not be read from the cache as before.
	 */
	cut = before[n / 3];
	assert_int_equal(ps_store_delete_range(f->st, "t", cut, cut + 5 * STEP, &removed, &err), PS_OK);
	assert_true(removed > 0);
	m = b_times(f, INT64_MIN, INT64_MAX, after, NROWS);
	for (size_t i = 0; i < n; i++)
		if (before[i] < cut || before[i] > cut + 5 * STEP)
			assert_true(k < m && after[k++] == before[i]);
	assert_int_equal(k, m);
	assert_true(m < n);
	free(before);
	free(after);
}

/* The cache alone: holds, replacement, eviction under the budget. */
static void
test_block_cache(void **state)
{
	ps_block_cache *c;
	ps_block_reader *r;
	ps_cached_block *e1, *e2, *e3;
	uint8_t		k1[PS_BLOCK_KEY_LEN] = {1}, k2[PS_BLOCK_KEY_LEN] = {2};
	const bool	all[2] = {true, true}, first[2] = {true, false};
	ps_error	err;
	size_t		one;

	(void) state;
	assert_int_equal(ps_block_reader_new(&r, &err), PS_OK);
	one = ps_block_reader_bytes(r);
	/* Room for two entries (and their bookkeeping), not three. */
	assert_int_equal(ps_block_cache_new(2 * one + 2 * 256, &c, &err), PS_OK);
	e1 = ps_block_cache_put(c, k1, r, first, 2);
	assert_non_null(e1);
	assert_ptr_equal(ps_cached_block_reader(e1), r);
	/* A lookup wanting more columns than were decoded misses. */
	assert_null(ps_block_cache_get(c, k1, all, 2));
	e2 = ps_block_cache_get(c, k1, first, 2);
	assert_ptr_equal(e2, e1);
	ps_block_cache_release(c, e2);
	/* A put of the same key replaces the entry; the held one stays readable. */
	assert_int_equal(ps_block_reader_new(&r, &err), PS_OK);
	e2 = ps_block_cache_put(c, k1, r, all, 2);
	assert_ptr_equal(ps_cached_block_reader(e1), ps_cached_block_reader(e1));
	ps_block_cache_release(c, e1);
	assert_ptr_equal(ps_block_cache_get(c, k1, all, 2), e2);
	ps_block_cache_release(c, e2);
	ps_block_cache_release(c, e2);
	/* A third entry evicts the least recently used one that is free. */
	assert_int_equal(ps_block_reader_new(&r, &err), PS_OK);
	e3 = ps_block_cache_put(c, k2, r, all, 2);
	assert_true(ps_block_cache_bytes(c) <= ps_block_cache_budget(c));
	ps_block_cache_release(c, e3);
	e3 = ps_block_cache_get(c, k2, all, 2);
	assert_non_null(e3);
	ps_block_cache_release(c, e3);
	ps_block_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_give_the_rows_of_the_row_path, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unordered_and_wanted_columns, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_estimates, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_cached_blocks_follow_deletes, setup, fixture_teardown),
		cmocka_unit_test(test_block_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
