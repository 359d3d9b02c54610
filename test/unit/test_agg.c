/*
 * test_agg.c — aggregates computed in the store (ps_agg.h), against a
 * model computed here from the same generated rows.
 *
 * One table keyed by sym, three interleaved series, loaded twice with
 * overlapping times (odd rows again: blocks of one series overlap), with
 * NULL prices and notes, negative quantities and a stored venue column.
 * Every combination of range, bucket width and grouping must give the
 * model's groups and figures exactly (float sums within rounding); a
 * whole-table aggregate must answer blocks from their metadata, and one
 * bucketed finer than a block must decode them; bad requests fail with
 * errors naming what is wrong.  A second table over many partitions (see
 * setup_latest) checks the walk that reads only each series' newest
 * (oldest) blocks against a model, and the merge's widening of max_span.
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

#include "core/ps_agg.h"
#include "core/ps_store.h"
#include "store_dir.h"

#define NROWS 6000
#define HOUR_NS (3600LL * 1000000000LL)
#define T0 (19723LL * 24 * HOUR_NS)	/* 2024-01-01 */
#define STEP (40LL * 1000000000LL)

static const char *const syms[] = {"A", "B", "C"};

static int64_t row_time(int i) { return T0 + i * STEP; }
static bool price_null(int i) { return i % 7 == 0; }
static double price_of(int i) { return i * 0.5; }
static int64_t qty_of(int i) { return (int64_t) i - 2500; }
static int64_t venue_of(int i) { return i % 4; }
static bool note_null(int i) { return i % 5 == 0; }

/* The items every case asks for, and where their results sit. */
static const ps_agg_item items[] = {
	{PS_AGG_COUNT_ALL, NULL, NULL}, {PS_AGG_COUNT, "price", NULL}, {PS_AGG_SUM, "price", NULL},
	{PS_AGG_SUM, "qty", NULL}, {PS_AGG_MIN, "price", NULL}, {PS_AGG_MAX, "qty", NULL},
	{PS_AGG_MIN, "ts", NULL}, {PS_AGG_MAX, "ts", NULL}, {PS_AGG_FIRST, "price", NULL},
	{PS_AGG_LAST, "note", NULL}, {PS_AGG_LAST, "sym", NULL}, {PS_AGG_COUNT, "note", NULL},
	{PS_AGG_SUM_PRODUCT, "price", "qty"},
};
#define NITEMS (sizeof(items) / sizeof(items[0]))
/* The items metadata cannot answer: last(note), a STRING, and sum(price * qty). */
#define LAST_NOTE 9
#define SUM_PRODUCT 12

/* The others: every figure is in block metadata. */
static ps_agg_item meta_items[NITEMS - 2];

static void
load(ps_store *st, int first, int n, int every)
{
	const char *names[] = {"ts", "sym", "price", "qty", "venue", "note"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_INTEGER,
						   PS_TYPE_INTEGER, PS_TYPE_STRING};
	ps_schema  *s;
	ps_load_spec spec = {.table = "t", .series_key = "sym"};
	ps_load    *ld;
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 6, 0, &s, &err), PS_OK);
	spec.input = s;
	assert_int_equal(ps_load_begin(st, &spec, &ld, &err), PS_OK);
	for (int i = first; i < first + n * every; i += every)
	{
		ps_value	v[6];
		char		note[16];

		memset(v, 0, sizeof(v));
		snprintf(note, sizeof(note), "n%d", i % 97);
		v[0].v.i = row_time(i);
		v[1].v.s.ptr = syms[i % 3];
		v[1].v.s.len = 1;
		v[2].is_null = price_null(i);
		v[2].v.f = price_of(i);
		v[3].v.i = qty_of(i);
		v[4].v.i = venue_of(i);
		v[5].is_null = note_null(i);
		v[5].v.s.ptr = note;
		v[5].v.s.len = (uint32_t) strlen(note);
		assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	ps_schema_free(s);
}

static int
setup(void **state)
{
	fixture    *f = fixture_new("ps_test_agg", 0);

	for (size_t i = 0, j = 0; i < NITEMS; i++)
		if (i != LAST_NOTE && i != SUM_PRODUCT)
			meta_items[j++] = items[i];

	load(f->st, 0, NROWS, 1);
	load(f->st, 1, NROWS / 2, 2);
	*state = f;
	return 0;
}

/* ---------------------------------------------------------------- the model */


typedef struct model_group {
	int64_t		bucket;
	int			sym;			/* -1: not grouped */
	int64_t		venue;			/* -1: not grouped */
	uint64_t	count, count_price, count_note;
	double		sum_price, sum_product;	/* of price, and of price * qty */
	__int128	sum_qty;
	double		min_price;
	int64_t		max_qty, min_ts, max_ts;
	int			first_row, last_row;	/* rows whose price / note and sym are first / last */
} model_group;

typedef struct agg_case {
	int64_t		lo, hi, width;
	bool		by_sym, by_venue;
} agg_case;

static size_t
model(const agg_case *k, model_group *g, size_t max)
{
	size_t		n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (int i = pass; i < NROWS; i += pass + 1)
		{
			int64_t		t = row_time(i), bucket = 0;
			model_group *m = NULL;

			if (t < k->lo || t > k->hi)
				continue;
			if (k->width)
				bucket = (t / k->width - (t % k->width < 0)) * k->width;
			for (size_t j = 0; j < n && !m; j++)
				if (g[j].bucket == bucket && g[j].sym == (k->by_sym ? i % 3 : -1) &&
					g[j].venue == (k->by_venue ? venue_of(i) : -1))
					m = &g[j];
			if (!m)
			{
				assert_true(n < max);
				m = &g[n++];
				memset(m, 0, sizeof(*m));
				m->bucket = bucket;
				m->sym = k->by_sym ? i % 3 : -1;
				m->venue = k->by_venue ? venue_of(i) : -1;
				m->min_price = INFINITY;
				m->max_qty = INT64_MIN;
				m->min_ts = INT64_MAX;
				m->max_ts = INT64_MIN;
				m->first_row = m->last_row = i;
			}
			m->count++;
			if (!price_null(i))
			{
				m->count_price++;
				m->sum_price += price_of(i);
				m->sum_product += price_of(i) * (double) qty_of(i);
				m->min_price = fmin(m->min_price, price_of(i));
			}
			m->count_note += !note_null(i);
			m->sum_qty += qty_of(i);
			if (qty_of(i) > m->max_qty)
				m->max_qty = qty_of(i);
			if (t < m->min_ts)
				m->min_ts = t;
			if (t > m->max_ts)
				m->max_ts = t;
			if (t < row_time(m->first_row))
				m->first_row = i;
			if (t > row_time(m->last_row))
				m->last_row = i;
		}
	return n;
}

/* Model groups in the store's output order: group columns, then bucket. */
static int
model_cmp(const void *pa, const void *pb)
{
	const model_group *a = pa, *b = pb;

	if (a->sym != b->sym)
		return a->sym - b->sym;
	if (a->venue != b->venue)
		return (a->venue > b->venue) - (a->venue < b->venue);
	return (a->bucket > b->bucket) - (a->bucket < b->bucket);
}

static bool
is_null(const ps_scan_vector *v, uint32_t r)
{
	return v->nulls && ((v->nulls[r / 8] >> (r % 8)) & 1);
}

static void
check_string(const ps_scan_vector *v, uint32_t r, const char *want)
{
	size_t		len = v->str_off[r + 1] - v->str_off[r];

	assert_int_equal(len, strlen(want));
	assert_memory_equal(v->str_data + v->str_off[r], want, len);
}

/*
 * Run case k through ps_agg in batches of max_rows, with every item or (not
 * all_items) those metadata can answer; compare with the model.
 */
static ps_agg_stats
check_case(fixture *f, const agg_case *k, uint32_t max_rows, bool all_items)
{
	static model_group want[NROWS * 2];
	const char *group_by[2];
	ps_agg_spec spec = {.table = "t", .lo = k->lo, .hi = k->hi, .bucket_width = k->width,
		.items = all_items ? items : meta_items,
		.nitems = all_items ? NITEMS : NITEMS - 2, .group_by = group_by};
	size_t		nwant = model(k, want, NROWS * 2), seen = 0;
	ps_agg	   *a;
	ps_agg_stats stats;
	ps_error	err;
	bool		done = false;

	if (k->by_sym)
		group_by[spec.ngroup++] = "sym";
	if (k->by_venue)
		group_by[spec.ngroup++] = "venue";
	qsort(want, nwant, sizeof(model_group), model_cmp);
	if (nwant == 0 && !k->width && !k->by_sym && !k->by_venue)
	{
		/* No groups asked for: one group, of nothing. */
		memset(want, 0, sizeof(want[0]));
		want[0].sym = want[0].venue = -1;
		want[0].first_row = -1;
		nwant = 1;
	}
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_OK);
	/* (sum(qty) takes two columns) */
	assert_int_equal(ps_agg_ncolumns(a), (k->width > 0) + spec.ngroup + spec.nitems + 1);
	while (!done)
	{
		const ps_scan_batch *b;

		assert_int_equal(ps_agg_next_batch(a, max_rows, max_rows % 2 ? 64 : SIZE_MAX, &b, &done, &err), PS_OK);
		assert_true(b->rows <= max_rows);
		assert_true(b->rows > 0 || done);
		for (uint32_t r = 0; r < b->rows; r++, seen++)
		{
			const ps_scan_vector *col = b->columns;
			const model_group *m = &want[seen];
			bool		empty = m->count == 0;
			char		note[16];

			assert_true(seen < nwant);
			if (k->width)
				assert_int_equal((col++)->i[r], m->bucket);
			if (k->by_sym)
				check_string(col++, r, syms[m->sym]);
			if (k->by_venue)
				assert_int_equal((col++)->i[r], m->venue);
			assert_int_equal((col++)->i[r], m->count);
			assert_int_equal((col++)->i[r], m->count_price);
			assert_int_equal(is_null(col, r), m->count_price == 0);
			if (m->count_price)
				assert_true(fabs(col->f[r] - m->sum_price) <= 1e-9 * fabs(m->sum_price) + 1e-9);
			col++;
			assert_int_equal(is_null(col, r), empty);
			assert_int_equal(is_null(col + 1, r), empty);
			if (!empty)
			{
				__int128	sum = (__int128) (((unsigned __int128) (uint64_t) col[0].i[r] << 64) | (uint64_t) col[1].i[r]);

				assert_true(sum == m->sum_qty);
			}
			col += 2;
			assert_int_equal(is_null(col, r), m->count_price == 0);
			if (m->count_price)
				assert_true(col->f[r] == m->min_price);
			col++;
			assert_int_equal(is_null(col, r), empty);
			if (!empty)
				assert_int_equal(col->i[r], m->max_qty);
			col++;
			if (!empty)
			{
				assert_int_equal(col[0].i[r], m->min_ts);
				assert_int_equal(col[1].i[r], m->max_ts);
			}
			col += 2;
			assert_int_equal(is_null(col, r), empty || price_null(m->first_row));
			if (!empty && !price_null(m->first_row))
				assert_true(col->f[r] == price_of(m->first_row));
			col++;
			if (all_items)
			{
				assert_int_equal(is_null(col, r), empty || note_null(m->last_row));
				if (!empty && !note_null(m->last_row))
				{
					snprintf(note, sizeof(note), "n%d", m->last_row % 97);
					check_string(col, r, note);
				}
				col++;
			}
			assert_int_equal(is_null(col, r), empty);
			if (!empty)
				check_string(col, r, syms[m->last_row % 3]);
			col++;
			assert_int_equal(col->i[r], m->count_note);
			col++;
			if (all_items)
			{
				assert_int_equal(is_null(col, r), m->count_price == 0);
				if (m->count_price)
					assert_true(fabs(col->f[r] - m->sum_product) <= 1e-9 * fabs(m->sum_product) + 1e-9);
			}
		}
	}
	assert_int_equal(seen, nwant);
	ps_agg_stats_get(a, &stats);
	assert_int_equal(stats.groups, nwant);
	ps_agg_free(a);
	return stats;
}

/* ---------------------------------------------------------------- tests */

static void
test_whole_table_from_metadata(void **state)
{
	fixture    *f = *state;
	agg_case	all = {INT64_MIN, INT64_MAX, 0, false, false};
	agg_case	by_sym = {INT64_MIN, INT64_MAX, 0, true, false};
	agg_case	weeks = {INT64_MIN, INT64_MAX, 7 * 24 * HOUR_NS, true, false};
	const agg_case *cases[] = {&all, &by_sym, &weeks};
	ps_agg_stats s;

	for (size_t i = 0; i < 3; i++)
	{
		/* With last(note), a STRING, every block is decoded... */
		s = check_case(f, cases[i], 2, true);
		assert_int_equal(s.blocks_from_meta, 0);
		assert_int_equal(s.rows_read, NROWS + NROWS / 2);
		/* ... without it, the same figures come from metadata alone. */
		s = check_case(f, cases[i], 1, false);
		assert_true(s.blocks_from_meta > 0);
		assert_int_equal(s.blocks_decoded, 0);
	}
}

static void
test_metadata_answers_what_it_can(void **state)
{
	fixture    *f = *state;
	static const ps_agg_item numeric[] = {
		{PS_AGG_COUNT_ALL, NULL, NULL}, {PS_AGG_SUM, "qty", NULL}, {PS_AGG_MIN, "price", NULL},
		{PS_AGG_LAST, "price", NULL}, {PS_AGG_FIRST, "sym", NULL}, {PS_AGG_MAX, "ts", NULL},
	};
	const char *by[] = {"sym"};
	ps_agg_spec spec = {.table = "t", .lo = INT64_MIN, .hi = INT64_MAX, .items = numeric,
		.nitems = 6, .group_by = by, .ngroup = 1};
	ps_agg	   *a;
	ps_agg_stats s;
	ps_error	err;

	/* Numbers only: every block answered from its metadata. */
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_OK);
	ps_agg_stats_get(a, &s);
	assert_true(s.blocks_from_meta > 0);
	assert_int_equal(s.blocks_decoded, 0);
	assert_int_equal(s.rows_read, 0);
	assert_int_equal(s.groups, 3);
	ps_agg_free(a);
	/* Buckets narrower than a block: blocks are decoded. */
	spec.bucket_width = HOUR_NS;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_OK);
	ps_agg_stats_get(a, &s);
	assert_true(s.blocks_decoded > 0);
	assert_int_equal(s.rows_read, NROWS + NROWS / 2);
	ps_agg_free(a);
}

static void
test_ranges_buckets_and_groups(void **state)
{
	fixture    *f = *state;
	int64_t		mid = row_time(NROWS / 3) + 7, end = row_time(2 * NROWS / 3) - 3;
	const agg_case cases[] = {
		{mid, end, 0, false, false},
		{mid, end, HOUR_NS, false, false},
		{mid, end, HOUR_NS, true, false},
		{mid, end, 0, true, true},
		{mid, end, 6 * HOUR_NS, false, true},
		{row_time(10), row_time(10), 0, true, false},		/* one time, a row twice */
		{row_time(NROWS) + 1, INT64_MAX, 0, false, false},	/* past the end: one empty group */
		{row_time(NROWS) + 1, INT64_MAX, HOUR_NS, true, false},	/* ... or none */
		{INT64_MIN, row_time(0) - 1, 0, true, true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		check_case(f, &cases[i], 1000, true);
		check_case(f, &cases[i], 7, false);
	}
}

static void
test_bad_requests(void **state)
{
	fixture    *f = *state;
	ps_agg_item item = {PS_AGG_SUM, "note", NULL};
	const char *by[] = {"ts"};
	ps_agg_spec spec = {.table = "t", .lo = INT64_MIN, .hi = INT64_MAX, .items = &item, .nitems = 1};
	ps_agg	   *a = NULL;
	ps_error	err;

	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "\"note\""));
	assert_null(a);
	item = (ps_agg_item) {PS_AGG_MIN, "sym", NULL};
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	item = (ps_agg_item) {PS_AGG_MAX, "nope", NULL};
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "\"nope\""));
	item = (ps_agg_item) {PS_AGG_SUM_PRODUCT, "price", "note"};
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "note"));
	item = (ps_agg_item) {PS_AGG_COUNT_ALL, NULL, NULL};
	spec.group_by = by;
	spec.ngroup = 1;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "bucket"));
	by[0] = "venue";
	spec.max_groups = 3;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_ETOOBIG);
	assert_non_null(strstr(err.message, "3 groups"));
	spec.max_groups = 4;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_OK);
	ps_agg_free(a);
	spec.table = "missing";
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_ENOTFOUND);
}

/* ---------------------------------------------------------------- newest and oldest rows */

/*
 * Table lt, over twelve day partitions, for the walk that reads only the
 * blocks that can hold each series' newest (oldest) row (ps_scan_latest):
 * A dense (two blocks a day), B every two minutes up to noon of the last
 * day, C one row every seven hours (blocks spanning most of a day, so the
 * table's max_span is wide), D only on days 2-4, F only on day 5, which a
 * delete then removes, G from day 9 (after D and F in id order, which the
 * newest partitions lack).  A second load adds A and B rows out of order (one
 * row blocks overlapping the first load's) and rows at the first load's
 * times (ties), a delete cuts the last day's evening, and a load of A and
 * of the new series E, left in flight, holds newer rows that no aggregate
 * may see.  Three small loads of C on day 9 overlap around 13:00.  qty
 * numbers the rows, so an answer names the row it came from.
 */
#define DAY_NS (24 * HOUR_NS)
#define MIN_NS (60LL * 1000000000LL)
#define LT_MAX_ROWS 32768

typedef struct lt_row {
	int64_t		t;
	int			sym;
	bool		px_null;
	double		px;
	int64_t		qty;
	int			note;			/* -1: NULL */
} lt_row;

static const char *const lt_syms[] = {"A", "B", "C", "D", "E", "F", "G"};
static lt_row lt_rows[LT_MAX_ROWS];	/* committed and not deleted */
static size_t lt_n;
static int64_t lt_qty;
static ps_load *lt_inflight;

static lt_row
lt_make(int sym, int64_t t)
{
	lt_row		r = {.t = t, .sym = sym, .qty = ++lt_qty};

	r.px_null = r.qty % 13 == 0;
	r.px = (double) (r.qty % 1000) * 0.25;
	r.note = r.qty % 5 == 0 ? -1 : (int) (r.qty % 97);
	return r;
}

static void
lt_append(ps_load *ld, const lt_row *r, bool committed)
{
	ps_value	v[5];
	char		note[16];
	ps_error	err;

	memset(v, 0, sizeof(v));
	snprintf(note, sizeof(note), "n%d", r->note);
	v[0].v.i = r->t;
	v[1].v.s.ptr = lt_syms[r->sym];
	v[1].v.s.len = 1;
	v[2].is_null = r->px_null;
	v[2].v.f = r->px;
	v[3].v.i = r->qty;
	v[4].is_null = r->note < 0;
	v[4].v.s.ptr = note;
	v[4].v.s.len = (uint32_t) strlen(note);
	assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	if (committed)
	{
		assert_true(lt_n < LT_MAX_ROWS);
		lt_rows[lt_n++] = *r;
	}
}

static ps_load *
lt_begin(ps_store *st)
{
	const char *names[] = {"ts", "sym", "px", "qty", "note"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_INTEGER,
						   PS_TYPE_STRING};
	ps_schema  *s;
	ps_load_spec spec = {.table = "lt", .series_key = "sym"};
	ps_load    *ld;
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 5, 0, &s, &err), PS_OK);
	spec.input = s;
	assert_int_equal(ps_load_begin(st, &spec, &ld, &err), PS_OK);
	ps_schema_free(s);
	return ld;
}

static int
setup_latest(void **state)
{
	/* Small write batches: the load left in flight writes its blocks as it goes. */
	fixture    *f = fixture_new("ps_test_agg_latest", 16);
	ps_load    *ld = lt_begin(f->st), *inflight;
	uint64_t	seed = 42, removed, before, after;
	int64_t		cut = T0 + 11 * DAY_NS + 20 * HOUR_NS;
	ps_error	err;
	size_t		n = 0;
	lt_row		r;

	lt_n = 0;
	lt_qty = 0;
	for (int64_t t = T0; t < T0 + 12 * DAY_NS; t += MIN_NS)
	{
		r = lt_make(0, t);
		lt_append(ld, &r, true);
		if ((t - T0) % (2 * MIN_NS) == 0 && t < T0 + 11 * DAY_NS + 12 * HOUR_NS)
		{
			r = lt_make(1, t + 17 * 1000000000LL);
			lt_append(ld, &r, true);
		}
		if ((t - T0) % (7 * HOUR_NS) == 0)
		{
			r = lt_make(2, t);
			lt_append(ld, &r, true);
		}
		if (t >= T0 + 2 * DAY_NS && t < T0 + 5 * DAY_NS && (t - T0) % (2 * MIN_NS) == 0)
		{
			r = lt_make(3, t + 5);
			lt_append(ld, &r, true);
		}
		if (t >= T0 + 5 * DAY_NS && t < T0 + 6 * DAY_NS && (t - T0) % (10 * MIN_NS) == 0)
		{
			r = lt_make(5, t);
			lt_append(ld, &r, true);
		}
		if (t >= T0 + 9 * DAY_NS && (t - T0) % (30 * MIN_NS) == 0)
		{
			r = lt_make(6, t + 11);
			lt_append(ld, &r, true);
		}
	}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	/* Out of order, all over the range; then ties at A's first and last times, B's newest row. */
	ld = lt_begin(f->st);
	for (int i = 0; i < 600; i++)
	{
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		r = lt_make(i % 2, T0 + (int64_t) ((seed >> 11) % (uint64_t) (12 * DAY_NS)));
		lt_append(ld, &r, true);
	}
	r = lt_make(0, T0);
	lt_append(ld, &r, true);
	r = lt_make(0, cut - MIN_NS);
	lt_append(ld, &r, true);
	r = lt_make(1, T0 + 11 * DAY_NS + 15 * HOUR_NS + 3);
	lt_append(ld, &r, true);
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	/*
	 * Blocks of C on day 9, two rows each, one load apiece: [12:00, 14:00]
	 * reaches past 13:00 from either side, while [11:00, 12:45] (before)
	 * and [13:15, 15:00] (after) hold the rows nearest to it.
	 */
	for (int i = 0; i < 3; i++)
	{
		static const int64_t minutes[3][2] = {{720, 840}, {660, 765}, {795, 900}};

		ld = lt_begin(f->st);
		for (int j = 0; j < 2; j++)
		{
			r = lt_make(2, T0 + 9 * DAY_NS + minutes[i][j] * MIN_NS);
			lt_append(ld, &r, true);
		}
		assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	}
	/* The last evening goes, and all of day 5 (F's only day). */
	assert_int_equal(ps_store_delete_range(f->st, "lt", cut, INT64_MAX, &removed, &err), PS_OK);
	assert_int_equal(ps_store_delete_range(f->st, "lt", T0 + 5 * DAY_NS, T0 + 6 * DAY_NS - 1,
										   &removed, &err), PS_OK);
	for (size_t i = 0; i < lt_n; i++)
		if (lt_rows[i].t < cut && (lt_rows[i].t < T0 + 5 * DAY_NS || lt_rows[i].t >= T0 + 6 * DAY_NS))
			lt_rows[n++] = lt_rows[i];
	lt_n = n;
	/* In flight: newer rows of A and rows of E, across two partitions so that blocks are sealed. */
	assert_int_equal(ps_store_table_blocks(f->st, "lt", &before, &err), PS_OK);
	inflight = lt_begin(f->st);
	for (int i = 0; i < 64; i++)
	{
		r = lt_make(i % 3 ? 0 : 4, cut + (i % 2 ? DAY_NS : 0) + i * MIN_NS);
		lt_append(inflight, &r, false);
	}
	assert_int_equal(ps_store_table_blocks(f->st, "lt", &after, &err), PS_OK);
	assert_true(after > before);
	lt_inflight = inflight;
	*state = f;
	return 0;
}

static int
teardown_latest(void **state)
{
	ps_load_abort(lt_inflight);
	lt_inflight = NULL;
	return fixture_teardown(state);
}

typedef struct lt_case {
	int64_t		lo, hi;
	const char *filter;			/* series, as "AC"; NULL: no filter */
	bool		by_sym;
	bool		newest;
} lt_case;

/*
 * Run k's last(px), last(note), last(qty), max(ts) (first and min when
 * oldest) and check them against the model: each group's time is its
 * newest (oldest) in range, and every value comes from one row at that
 * time (qty names it).  Returns the run's statistics.
 */
static ps_agg_stats
lt_check(fixture *f, const lt_case *k)
{
	ps_agg_fn	pick = k->newest ? PS_AGG_LAST : PS_AGG_FIRST;
	ps_agg_item items[] = {
		{k->newest ? PS_AGG_MAX : PS_AGG_MIN, "ts", NULL}, {pick, "px", NULL},
		{pick, "note", NULL}, {pick, "qty", NULL},
	};
	const char *by[] = {"sym"};
	ps_value	values[7];
	ps_series_filter filter = {.column = "sym", .values = values};
	ps_agg_spec spec = {.table = "lt", .lo = k->lo, .hi = k->hi, .items = items, .nitems = 4,
		.group_by = by, .ngroup = k->by_sym};
	bool		have[7] = {false};
	int64_t		best[7] = {0};
	int			groups[8], ngroups = 0;
	ps_agg	   *a;
	ps_agg_stats stats;
	ps_error	err;
	const ps_scan_batch *b;
	bool		done;

	if (k->filter)
	{
		for (const char *c = k->filter; *c; c++)
		{
			memset(&values[filter.nvalues], 0, sizeof(ps_value));
			values[filter.nvalues].v.s.ptr = c;
			values[filter.nvalues++].v.s.len = 1;
		}
		spec.filters = &filter;
		spec.nfilters = 1;
	}
	/* The model: per series, the newest (oldest) time in range. */
	for (size_t i = 0; i < lt_n; i++)
	{
		const lt_row *r = &lt_rows[i];
		int			g = k->by_sym ? r->sym : 0;

		if (r->t < k->lo || r->t > k->hi || (k->filter && !strchr(k->filter, lt_syms[r->sym][0])))
			continue;
		if (!have[g] || (k->newest ? r->t > best[g] : r->t < best[g]))
			best[g] = r->t;
		have[g] = true;
	}
	for (int g = 0; g < (k->by_sym ? 7 : 1); g++)
		if (have[g] || !k->by_sym)
			groups[ngroups++] = g;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_OK);
	assert_int_equal(ps_agg_next_batch(a, 100, SIZE_MAX, &b, &done, &err), PS_OK);
	assert_true(done);
	assert_int_equal(b->rows, ngroups);
	for (uint32_t row = 0; row < b->rows; row++)
	{
		const ps_scan_vector *col = b->columns;
		int			g = groups[row];
		const lt_row *r = NULL;

		if (k->by_sym)
			check_string(col++, row, lt_syms[g]);
		assert_int_equal(is_null(&col[0], row), !have[g]);
		assert_int_equal(is_null(&col[3], row), !have[g]);
		if (!have[g])
			continue;
		assert_int_equal(col[0].i[row], best[g]);
		for (size_t i = 0; i < lt_n && !r; i++)
			if (lt_rows[i].qty == col[3].i[row])
				r = &lt_rows[i];
		assert_non_null(r);
		assert_int_equal(r->t, best[g]);
		assert_true(!k->by_sym || r->sym == g);
		assert_true(!k->filter || strchr(k->filter, lt_syms[r->sym][0]));
		assert_int_equal(is_null(&col[1], row), r->px_null);
		if (!r->px_null)
			assert_true(col[1].f[row] == r->px);
		assert_int_equal(is_null(&col[2], row), r->note < 0);
		if (r->note >= 0)
		{
			char		note[16];

			snprintf(note, sizeof(note), "n%d", r->note);
			check_string(&col[2], row, note);
		}
	}
	ps_agg_stats_get(a, &stats);
	ps_agg_free(a);
	return stats;
}

static void
test_latest_rows_read_few_blocks(void **state)
{
	fixture    *f = *state;
	int64_t		day10 = T0 + 10 * DAY_NS;
	const lt_case cases[] = {
		{INT64_MIN, INT64_MAX, NULL, true, true},
		{INT64_MIN, INT64_MAX, NULL, false, true},
		{INT64_MIN, INT64_MAX, NULL, true, false},
		/* the range's end (start) inside blocks: their rows past it must not count */
		{INT64_MIN, day10 + 13 * HOUR_NS + 30 * 1000000000LL + 7, NULL, true, true},
		{T0 + 3 * DAY_NS + 5 * HOUR_NS + 10, INT64_MAX, NULL, true, false},
		{day10 + 10 * HOUR_NS + 5, day10 + 10 * HOUR_NS + 20 * MIN_NS, NULL, true, true},
		{day10 + 10 * HOUR_NS + 5, day10 + 10 * HOUR_NS + 20 * MIN_NS, NULL, true, false},
		/* D found only days down; F deleted, E in flight, Z unknown: no group */
		{T0 + DAY_NS, T0 + 3 * DAY_NS + 12 * HOUR_NS, "DC", true, true},
		{INT64_MIN, INT64_MAX, "D", true, true},
		{INT64_MIN, INT64_MAX, "FE", true, true},
		{INT64_MIN, INT64_MAX, "FEZ", false, false},
		{INT64_MIN, INT64_MAX, "AC", false, true},
		{INT64_MIN, INT64_MAX, "DGF", true, true},
		/* a block reaching past the range vouches only for its row inside */
		{INT64_MIN, T0 + 9 * DAY_NS + 13 * HOUR_NS, "C", true, true},
		{T0 + 9 * DAY_NS + 13 * HOUR_NS, INT64_MAX, "C", true, false},
		/* the deleted evening, and before the first row: nothing */
		{T0 + 11 * DAY_NS + 20 * HOUR_NS, INT64_MAX, NULL, true, true},
		{INT64_MIN, T0 - 1, NULL, false, false},
	};
	uint64_t	blocks;
	ps_agg_stats s;
	ps_error	err;

	assert_int_equal(ps_store_table_blocks(f->st, "lt", &blocks, &err), PS_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		s = lt_check(f, &cases[i]);
		/* A few blocks per series, out of hundreds. */
		assert_true(s.blocks_from_meta + s.blocks_decoded <= 24);
		assert_true((s.blocks_from_meta + s.blocks_decoded) * 20 < blocks);
	}
	/* The newest blocks of A and B hold no STRING figure: from metadata, unless asked for note. */
	s = lt_check(f, &cases[0]);
	assert_true(s.blocks_decoded > 0);
}

/* Merged blocks may span more than any block a load wrote: scans must still find their rows. */
static void
test_merged_blocks_widen_max_span(void **state)
{
	fixture    *f = *state;
	ps_agg_item items[] = {{PS_AGG_COUNT_ALL, NULL, NULL}, {PS_AGG_FIRST, "qty", NULL}};
	int64_t		lo = T0 + 20 * MIN_NS + 1;
	ps_agg_spec spec = {.table = "lt", .lo = lo, .hi = INT64_MAX, .items = items, .nitems = 2};
	ps_agg	   *a;
	const ps_scan_batch *b;
	bool		done;
	uint64_t	runs;
	ps_error	err;

	/* One-row loads: every block spans nothing, until the merge joins them. */
	ps_load_abort(lt_inflight);
	lt_inflight = NULL;
	lt_n = 0;
	assert_int_equal(ps_store_drop_table(f->st, "lt", &err), PS_OK);
	for (int i = 0; i < 40; i++)
	{
		ps_load    *ld = lt_begin(f->st);
		lt_row		r = lt_make(0, T0 + i * MIN_NS);

		lt_append(ld, &r, true);
		assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	}
	assert_int_equal(ps_store_merge_all(f->st, &runs, &err), PS_OK);
	assert_true(runs > 0);
	for (int pass = 0; pass < 2; pass++)
	{
		/* count(*) reads every block; first(qty) alone only the oldest ones. */
		spec.nitems = pass ? 1 : 2;
		spec.items = pass ? &items[1] : items;
		assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_OK);
		assert_int_equal(ps_agg_next_batch(a, 10, SIZE_MAX, &b, &done, &err), PS_OK);
		assert_int_equal(b->rows, 1);
		if (!pass)
			assert_int_equal(b->columns[0].i[0], 19);
		assert_false(is_null(&b->columns[spec.nitems - 1], 0));
		assert_int_equal(b->columns[spec.nitems - 1].i[0], lt_rows[21].qty);
		ps_agg_free(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_table_from_metadata, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_metadata_answers_what_it_can, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ranges_buckets_and_groups, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_latest_rows_read_few_blocks, setup_latest, teardown_latest),
		cmocka_unit_test_setup_teardown(test_merged_blocks_widen_max_span, setup_latest, teardown_latest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
