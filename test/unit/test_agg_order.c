/*
 * test_agg_order.c — the order, offset and limit of a store aggregate's
 * groups (ps_agg.h sort keys), against an order computed here.
 *
 * One table of symbols (among them "", "A", "AB", "B" and NULL, whose byte
 * order matters) over hourly buckets, whose groups carry the values
 * PostgreSQL orders in its own way: float sums and minimums with NaN,
 * infinities, -0 and NULL; exact integer sums past 64 bits, negative too;
 * last times that differ only below the microsecond; text and boolean
 * values with NULLs.  The groups are read once in the default order, then
 * sorted here by each set of keys (a comparator written from PostgreSQL's
 * rules, then the group columns and the bucket) and cut by offset and
 * limit, which every sorted run must match row for row, read in small
 * batches; random key sets over two thousand groups exercise the bounded
 * heap a limit uses.  Bad keys fail, naming what is wrong.
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

#define HOUR_NS (3600LL * 1000000000LL)
#define T0 (19723LL * 24 * HOUR_NS)	/* 2024-01-01 */
#define NSYMS 50
#define NBUCKETS 40
#define MAX_GROUPS (NSYMS * NBUCKETS)

/* Result columns: bucket, sym, count(*), sum(qty) (high, low), sum(px), min(px), max(ts), last(note), first(flag). */
enum { C_BUCKET, C_SYM, C_COUNT, C_SUMQ, C_SUMQ_LOW, C_SUMPX, C_MINPX, C_MAXTS, C_NOTE, C_FLAG, NCOLS };

static const ps_agg_item items[] = {
	{PS_AGG_COUNT_ALL, NULL, NULL}, {PS_AGG_SUM, "qty", NULL}, {PS_AGG_SUM, "px", NULL},
	{PS_AGG_MIN, "px", NULL}, {PS_AGG_MAX, "ts", NULL}, {PS_AGG_LAST, "note", NULL},
	{PS_AGG_FIRST, "flag", NULL},
};

/* A group as read back: NULL flags per column, strings copied. */
typedef struct group {
	bool		null[NCOLS];
	int64_t		bucket, count, max_ts;
	__int128	sum_qty;
	double		sum_px, min_px;
	char		sym[8], note[8];
	bool		flag;
} group;

static group groups[MAX_GROUPS];
static size_t ngroups;
static uint64_t seed = 7;

static uint64_t
next_random(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return seed >> 17;
}

/* Symbol s: a few whose byte order is a trap, NULL, then s00.. */
static const char *
sym_name(int s, char *buf)
{
	static const char *const special[] = {"", "A", "AB", "B", NULL};

	if (s < 5)
		return special[s];
	snprintf(buf, 8, "s%02d", s);
	return buf;
}

static void
load(ps_store *st)
{
	const char *names[] = {"ts", "sym", "px", "qty", "note", "flag"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_INTEGER,
						   PS_TYPE_STRING, PS_TYPE_BOOLEAN};
	static const double specials[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 1.5, -1.5};
	ps_schema  *s;
	ps_load_spec spec = {.table = "o", .series_key = "sym"};
	ps_load    *ld;
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 6, 0, &s, &err), PS_OK);
	spec.input = s;
	assert_int_equal(ps_load_begin(st, &spec, &ld, &err), PS_OK);
	for (int sym = 0; sym < NSYMS; sym++)
		for (int b = 0; b < NBUCKETS; b++)
		{
			int			rows = 1 + (int) (next_random() % 3);

			for (int r = 0; r < rows; r++)
			{
				ps_value	v[6];
				char		name[8], note[8];
				uint64_t	x = next_random();

				memset(v, 0, sizeof(v));
				/* Last times of groups share microseconds: ties there, not in nanoseconds. */
				v[0].v.i = T0 + b * HOUR_NS + (int64_t) (x % 50) * 1000 + (int64_t) (x % 7) * 100 + r;
				v[1].v.s.ptr = sym_name(sym, name);
				v[1].is_null = v[1].v.s.ptr == NULL;
				v[1].v.s.len = v[1].is_null ? 0 : (uint32_t) strlen(v[1].v.s.ptr);
				v[2].is_null = x % 11 == 0;
				v[2].v.f = x % 5 == 0 ? specials[x % 7] : (double) (x % 40) * 0.5;
				/* Huge quantities of either sign: sums pass 64 bits. */
				v[3].v.i = x % 3 == 0 ? INT64_MAX - (int64_t) (x % 1000) : x % 3 == 1 ? -(int64_t) (x % 100)
					: INT64_MIN + (int64_t) (x % 1000);
				snprintf(note, sizeof(note), "%c%d", 'a' + (int) (x % 3), (int) (x % 4));
				v[4].is_null = x % 6 == 0;
				v[4].v.s.ptr = note;
				v[4].v.s.len = (uint32_t) strlen(note);
				v[5].is_null = x % 9 == 0;
				v[5].v.b = x % 2 == 0;
				assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
			}
		}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	ps_schema_free(s);
}

static bool
is_null(const ps_scan_vector *v, uint32_t r)
{
	return v->nulls && ((v->nulls[r / 8] >> (r % 8)) & 1);
}

static void
copy_string(const ps_scan_vector *v, uint32_t r, char *out)
{
	size_t		len = v->str_off[r + 1] - v->str_off[r];

	assert_true(len < 8);
	if (len > 0)				/* (a batch of empty strings has no str_data) */
		memcpy(out, v->str_data + v->str_off[r], len);
	out[len] = '\0';
}

/* Run the aggregate by sym and hour with these keys, offset and limit; the groups in out. */
static size_t
run(ps_store *st, const ps_agg_sort *sort, uint32_t nsort, uint64_t offset, uint64_t limit,
	group *out)
{
	const char *by[] = {"sym"};
	ps_agg_spec spec = {.table = "o", .lo = INT64_MIN, .hi = INT64_MAX, .bucket_width = HOUR_NS,
		.group_by = by, .ngroup = 1, .items = items, .nitems = 7, .sort = sort, .nsort = nsort,
		.offset = offset, .limit = limit};
	ps_agg	   *a;
	ps_error	err;
	bool		done = false;
	size_t		n = 0;

	assert_int_equal(ps_agg_run(st, &spec, &a, &err), PS_OK);
	assert_int_equal(ps_agg_ncolumns(a), NCOLS);
	while (!done)
	{
		const ps_scan_batch *b;

		assert_int_equal(ps_agg_next_batch(a, 7, SIZE_MAX, &b, &done, &err), PS_OK);
		for (uint32_t r = 0; r < b->rows; r++, n++)
		{
			const ps_scan_vector *c = b->columns;
			group	   *g = &out[n];

			assert_true(n < MAX_GROUPS);
			memset(g, 0, sizeof(*g));
			for (int k = 0; k < NCOLS; k++)
				g->null[k] = is_null(&c[k], r);
			g->bucket = c[C_BUCKET].i[r];
			if (!g->null[C_SYM])
				copy_string(&c[C_SYM], r, g->sym);
			g->count = c[C_COUNT].i[r];
			g->sum_qty = (__int128) (((unsigned __int128) (uint64_t) c[C_SUMQ].i[r] << 64) |
									 (uint64_t) c[C_SUMQ_LOW].i[r]);
			g->sum_px = c[C_SUMPX].f[r];
			g->min_px = c[C_MINPX].f[r];
			g->max_ts = c[C_MAXTS].i[r];
			if (!g->null[C_NOTE])
				copy_string(&c[C_NOTE], r, g->note);
			g->flag = c[C_FLAG].b[r];
		}
	}
	ps_agg_free(a);
	return n;
}

/* ---------------------------------------------------------------- PostgreSQL's order, written out */

static int
cmp_float(double x, double y)
{
	if (isnan(x))
		return isnan(y) ? 0 : 1;
	if (isnan(y))
		return -1;
	return x < y ? -1 : x > y ? 1 : 0;
}

static int
cmp_text(const char *x, const char *y)
{
	return strcmp(x, y) < 0 ? -1 : strcmp(x, y) > 0;	/* no NUL inside: bytes, shorter first */
}

static int64_t
micros(int64_t ns)
{
	return ns / 1000 - (ns % 1000 < 0);
}

static const ps_agg_sort *cmp_keys;
static uint32_t cmp_nkeys;

static int
cmp_column(const group *x, const group *y, int col)
{
	switch (col)
	{
		case C_BUCKET:
			return (micros(x->bucket) > micros(y->bucket)) - (micros(x->bucket) < micros(y->bucket));
		case C_SYM:
			return cmp_text(x->sym, y->sym);
		case C_COUNT:
			return (x->count > y->count) - (x->count < y->count);
		case C_SUMQ:
			return (x->sum_qty > y->sum_qty) - (x->sum_qty < y->sum_qty);
		case C_SUMPX:
			return cmp_float(x->sum_px, y->sum_px);
		case C_MINPX:
			return cmp_float(x->min_px, y->min_px);
		case C_MAXTS:
			return (micros(x->max_ts) > micros(y->max_ts)) - (micros(x->max_ts) < micros(y->max_ts));
		case C_NOTE:
			return cmp_text(x->note, y->note);
		default:
			return (int) x->flag - (int) y->flag;
	}
}

static int
cmp_groups(const void *px, const void *py)
{
	const group *x = px, *y = py;

	for (uint32_t k = 0; k < cmp_nkeys; k++)
	{
		int			col = (int) cmp_keys[k].column;
		int			c;

		if (x->null[col] || y->null[col])
			c = (x->null[col] - y->null[col]) * (cmp_keys[k].flags & PS_AGG_SORT_NULLS_FIRST ? -1 : 1);
		else
			c = cmp_column(x, y, col) * (cmp_keys[k].flags & PS_AGG_SORT_DESC ? -1 : 1);
		if (c)
			return c;
	}
	/* Then the default order: sym (NULL last), then the bucket. */
	if (x->null[C_SYM] != y->null[C_SYM])
		return x->null[C_SYM] - y->null[C_SYM];
	if (!x->null[C_SYM] && cmp_text(x->sym, y->sym))
		return cmp_text(x->sym, y->sym);
	return (x->bucket > y->bucket) - (x->bucket < y->bucket);
}

static bool
same_group(const group *x, const group *y)
{
	return memcmp(x->null, y->null, sizeof(x->null)) == 0 && x->bucket == y->bucket &&
		strcmp(x->sym, y->sym) == 0;
}

/* The sorted, cut run must be the groups sorted here, cut alike. */
static void
check_order(fixture *f, const ps_agg_sort *keys, uint32_t nkeys, uint64_t offset, uint64_t limit)
{
	static group want[MAX_GROUPS], got[MAX_GROUPS];
	size_t		n, first, count;

	memcpy(want, groups, ngroups * sizeof(group));
	cmp_keys = keys;
	cmp_nkeys = nkeys;
	qsort(want, ngroups, sizeof(group), cmp_groups);
	first = offset < ngroups ? offset : ngroups;
	count = limit && limit < ngroups - first ? limit : ngroups - first;
	n = run(f->st, keys, nkeys, offset, limit, got);
	assert_int_equal(n, count);
	for (size_t i = 0; i < n; i++)
	{
		if (!same_group(&got[i], &want[first + i]))
			fail_msg("key %u: row %zu is group (%s, %lld), not (%s, %lld)", keys[0].column, i,
					 got[i].sym, (long long) got[i].bucket, want[first + i].sym,
					 (long long) want[first + i].bucket);
		/* Exact sums and every figure of the group came along with it. */
		assert_true(got[i].sum_qty == want[first + i].sum_qty);
		assert_int_equal(got[i].count, want[first + i].count);
	}
}

/* ---------------------------------------------------------------- tests */

static int
setup(void **state)
{
	fixture    *f = fixture_new("ps_test_agg_order", 0);

	load(f->st);
	ngroups = run(f->st, NULL, 0, 0, 0, groups);
	*state = f;
	return 0;
}

static void
test_keys_order_as_postgresql(void **state)
{
	fixture    *f = *state;
	const ps_agg_sort keys[][2] = {
		{{C_SUMPX, PS_AGG_SORT_DESC}, {C_SYM, 0}},
		{{C_MINPX, PS_AGG_SORT_NULLS_FIRST}, {C_BUCKET, PS_AGG_SORT_DESC}},
		{{C_SUMQ, PS_AGG_SORT_DESC | PS_AGG_SORT_NULLS_FIRST}, {C_COUNT, 0}},
		{{C_SUMQ, 0}, {C_NOTE, PS_AGG_SORT_DESC}},
		{{C_MAXTS, PS_AGG_SORT_DESC}, {C_SYM, PS_AGG_SORT_DESC}},
		{{C_NOTE, PS_AGG_SORT_NULLS_FIRST}, {C_FLAG, PS_AGG_SORT_DESC}},
		{{C_FLAG, PS_AGG_SORT_DESC | PS_AGG_SORT_NULLS_FIRST}, {C_MINPX, PS_AGG_SORT_DESC}},
		{{C_SYM, PS_AGG_SORT_DESC | PS_AGG_SORT_NULLS_FIRST}, {C_COUNT, PS_AGG_SORT_DESC}},
		{{C_BUCKET, PS_AGG_SORT_DESC}, {C_SUMPX, 0}},
	};
	const uint64_t cuts[][2] = {
		{0, 0}, {0, 1}, {0, 5}, {3, 4}, {2, 0}, {ngroups - 1, 5}, {ngroups + 3, 2}, {0, ngroups + 10},
		{ngroups / 2, ngroups / 3},
	};

	/* The run without keys is in the default order. */
	for (size_t i = 1; i < ngroups; i++)
	{
		cmp_nkeys = 0;
		assert_true(cmp_groups(&groups[i - 1], &groups[i]) < 0);
	}
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++)
		{
			check_order(f, keys[k], 1, cuts[c][0], cuts[c][1]);
			check_order(f, keys[k], 2, cuts[c][0], cuts[c][1]);
		}
	/* A limit alone keeps the first groups of the default order. */
	check_order(f, NULL, 0, 0, 3);
	check_order(f, NULL, 0, 17, 30);
}

static void
test_random_keys_and_limits(void **state)
{
	fixture    *f = *state;
	static const int columns[] = {C_BUCKET, C_SYM, C_COUNT, C_SUMQ, C_SUMPX, C_MINPX, C_MAXTS,
		C_NOTE, C_FLAG};

	for (int i = 0; i < 200; i++)
	{
		ps_agg_sort keys[3];
		uint32_t	nkeys = 1 + (uint32_t) (next_random() % 3);

		for (uint32_t k = 0; k < nkeys; k++)
		{
			keys[k].column = (uint32_t) columns[next_random() % 9];
			keys[k].flags = (uint8_t) (next_random() % 4);
		}
		check_order(f, keys, nkeys, next_random() % 4 ? 0 : next_random() % ngroups,
					next_random() % 3 ? 1 + next_random() % 50 : 0);
	}
}

static void
test_bad_keys(void **state)
{
	fixture    *f = *state;
	const char *by[] = {"sym"};
	ps_agg_sort keys[PS_AGG_MAX_SORT + 1];
	ps_agg_spec spec = {.table = "o", .lo = INT64_MIN, .hi = INT64_MAX, .bucket_width = HOUR_NS,
		.group_by = by, .ngroup = 1, .items = items, .nitems = 7, .sort = keys, .nsort = 1};
	ps_agg	   *a = NULL;
	ps_error	err;

	memset(keys, 0, sizeof(keys));
	keys[0].column = NCOLS;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "result column 10"));
	keys[0].column = C_SUMQ_LOW;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "low half"));
	keys[0].column = C_SUMQ;
	keys[0].flags = 4;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "flags"));
	keys[0].flags = 0;
	spec.nsort = PS_AGG_MAX_SORT + 1;
	assert_int_equal(ps_agg_run(f->st, &spec, &a, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "sort keys"));
	assert_null(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_order_as_postgresql),
		cmocka_unit_test(test_random_keys_and_limits),
		cmocka_unit_test(test_bad_keys),
	};

	return cmocka_run_group_tests(tests, setup, fixture_teardown);
}
