/*
 * test_block.c — unit tests of ps_block: builder + encode + decode round
 * trips against an independent model (rows stable-sorted by time here, not
 * by the module), for one row, full blocks, descending and equal times,
 * every type with adversarial values and NULL patterns; metadata checked
 * against statistics computed here; the head layouts; every truncation of
 * blocks and meta bytes is PS_ECORRUPT; absent columns read NULL, more
 * columns or another type are PS_ECORRUPT; unwanted columns are skipped;
 * builder limits (rows, raw bytes, UTF-8, empty encode); the string bound
 * of dictionary blocks at its edge; corrupted bytes never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <float.h>
#include <cmocka.h>

#include "core/ps_block.h"

#define N PS_BLOCK_ROWS
#define MAXC 8

static uint64_t rng;

static uint64_t
rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng ^ (rng >> 29);
}

static uint64_t
bits_of(double d)
{
	uint64_t	u;

	memcpy(&u, &d, 8);
	return u;
}

/* ---------------------------------------------------------------- model */

typedef struct model {
	uint32_t	ncols;
	ps_type		types[MAXC];
	uint32_t	rows;
	int64_t		times[N];
	ps_value	vals[N][MAXC];
	uint32_t	order[N];		/* rows in (time, arrival) order */
	char	   *pool;			/* string bytes */
	size_t		pool_len;
} model;

static model *
model_new(uint32_t ncols, const ps_type *types)
{
	model	   *m = calloc(1, sizeof(model));

	assert_non_null(m);
	m->ncols = ncols;
	memcpy(m->types, types, ncols * sizeof(ps_type));
	m->pool = malloc(8 << 20);
	assert_non_null(m->pool);
	return m;
}

static void
model_free(model *m)
{
	free(m->pool);
	free(m);
}

static const char *
pool_str(model *m, const char *s, uint32_t len)
{
	char	   *p = m->pool + m->pool_len;

	assert_true(m->pool_len + len <= (8u << 20));
	memcpy(p, s, len);
	m->pool_len += len;
	return p;
}

static const double float_specials[] = {
	0.0, -0.0, 1.0, -1.5, 150.25, NAN, INFINITY, -INFINITY, DBL_MIN, DBL_MAX, -DBL_MAX,
	4.9406564584124654e-324, 1e300, 0.1};
static const int64_t int_specials[] = {0, 1, -1, INT64_MIN, INT64_MAX, INT64_MIN + 1, 1000000};
static const char *const str_specials[] = {"", "NASDAQ", "NYSE", "ARCA", "\xc3\xa9t\xc3\xa9", "IEX"};

/* A random value of type t; null_pct percent NULL; `kind` picks the value family. */
static void
gen_value(model *m, ps_type t, int kind, int null_pct, ps_value *v)
{
	uint64_t	x = rnd();

	memset(v, 0, sizeof(*v));
	if ((int) (x % 100) < null_pct)
	{
		v->is_null = true;
		return;
	}
	x = rnd();
	switch (t)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			v->v.i = kind == 0 ? (int64_t) (x % 5000) + 1 :
				kind == 1 ? int_specials[x % 7] : (int64_t) x;
			break;
		case PS_TYPE_FLOAT:
			v->v.f = kind == 0 ? (double) (x % 100000) / 100.0 :
				kind == 1 ? float_specials[x % 14] : (double) (int64_t) x / 7.0;
			break;
		case PS_TYPE_BOOLEAN:
			v->v.b = x & 1;
			break;
		case PS_TYPE_STRING:
			if (kind == 2)
			{
				char		buf[32];
				int			n = snprintf(buf, sizeof buf, "s%llu", (unsigned long long) (x % 100000));

				v->v.s.ptr = pool_str(m, buf, (uint32_t) n);
				v->v.s.len = (uint32_t) n;
			}
			else
			{
				const char *s = str_specials[x % 6];

				v->v.s.ptr = pool_str(m, s, (uint32_t) strlen(s));
				v->v.s.len = (uint32_t) strlen(s);
			}
			break;
	}
}

static void
model_add(model *m, int64_t t, const ps_value *vals)
{
	m->times[m->rows] = t;
	memcpy(m->vals[m->rows], vals, m->ncols * sizeof(ps_value));
	m->rows++;
}

/* Stable order by time: insertion sort, so it does not share code with the module. */
static void
model_sort(model *m)
{
	for (uint32_t i = 0; i < m->rows; i++)
	{
		uint32_t	j = i;

		while (j > 0 && m->times[m->order[j - 1]] > m->times[i])
		{
			m->order[j] = m->order[j - 1];
			j--;
		}
		m->order[j] = i;
	}
}

static void
encode_model(const model *m, ps_buf *block, ps_buf *meta)
{
	ps_block_builder *b;
	ps_error	err;

	assert_int_equal(ps_block_builder_new(m->types, m->ncols, &b, &err), PS_OK);
	for (uint32_t r = 0; r < m->rows; r++)
		assert_int_equal(ps_block_builder_append(b, m->times[r], m->vals[r], &err), PS_OK);
	assert_int_equal(ps_block_builder_rows(b), m->rows);
	assert_int_equal(ps_block_builder_encode(b, block, meta, &err), PS_OK);
	assert_int_equal(ps_block_builder_rows(b), 0);
	ps_block_builder_free(b);
}

static bool
value_equal(ps_type t, const ps_value *a, const ps_value *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null;
	switch (t)
	{
		case PS_TYPE_FLOAT:
			return bits_of(a->v.f) == bits_of(b->v.f);
		case PS_TYPE_BOOLEAN:
			return a->v.b == b->v.b;
		case PS_TYPE_STRING:
			return a->v.s.len == b->v.s.len &&
				(a->v.s.len == 0 || memcmp(a->v.s.ptr, b->v.s.ptr, a->v.s.len) == 0);
		default:
			return a->v.i == b->v.i;
	}
}

/* Decode block with the model's types and compare every value. */
static void
check_block(const model *m, const ps_buf *block)
{
	ps_block_reader *r;
	ps_error	err;
	uint8_t    *exact = malloc(block->len);

	memcpy(exact, block->data, block->len);
	assert_int_equal(ps_block_reader_new(&r, &err), PS_OK);
	if (ps_block_decode(r, exact, block->len, m->types, m->ncols, NULL, &err) != PS_OK)
		fail_msg("decode: %s", err.message);
	free(exact);				/* decoded arrays do not borrow from the input */
	assert_int_equal(ps_block_reader_rows(r), m->rows);
	for (uint32_t i = 0; i < m->rows; i++)
		assert_true(ps_block_reader_times(r)[i] == m->times[m->order[i]]);
	for (uint32_t c = 0; c < m->ncols; c++)
	{
		const ps_block_column *col = ps_block_reader_column(r, c);
		bool		any_null = false;

		assert_non_null(col);
		assert_true(col->decoded && !col->absent);
		assert_int_equal(col->type, m->types[c]);
		for (uint32_t i = 0; i < m->rows; i++)
		{
			ps_value	v;
			const ps_value *e = &m->vals[m->order[i]][c];

			ps_block_reader_value(r, c, i, &v);
			if (!value_equal(m->types[c], &v, e))
				fail_msg("column %u row %u differs", c, i);
			any_null |= e->is_null;
			/* The arrays agree with ps_block_reader_value. */
			assert_int_equal(col->nulls != NULL && ((col->nulls[i / 8] >> (i % 8)) & 1), e->is_null);
			if (!e->is_null && m->types[c] == PS_TYPE_STRING)
				assert_int_equal(col->str_off[i + 1] - col->str_off[i], e->v.s.len);
		}
		assert_int_equal(col->nulls != NULL, any_null);
	}
	assert_null(ps_block_reader_column(r, m->ncols));
	ps_block_reader_free(r);
}

/* NaN above everything, -0.0 == 0.0. */
static int
fcmp(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

static void
check_meta(const model *m, const ps_buf *meta)
{
	ps_block_meta md;
	ps_error	err;
	uint32_t	rows;
	int64_t		lo, hi;

	if (ps_block_meta_decode(meta->data, meta->len, &md, &err) != PS_OK)
		fail_msg("meta: %s", err.message);
	assert_int_equal(md.rows, m->rows);
	assert_true(md.min_time == m->times[m->order[0]]);
	assert_true(md.max_time == m->times[m->order[m->rows - 1]]);
	assert_int_equal(ps_block_meta_peek(meta->data, meta->len, &rows, &lo, &hi), PS_OK);
	assert_true(rows == m->rows && lo == md.min_time && hi == md.max_time);
	assert_int_equal(md.ncols, m->ncols);
	for (uint32_t c = 0; c < m->ncols; c++)
	{
		const ps_block_colstats *cs = &md.cols[c];
		ps_type		t = m->types[c];
		uint32_t	nulls = 0;
		__int128	sum = 0;
		double		fsum = 0;
		const ps_value *mn = NULL, *mx = NULL;

		assert_int_equal(cs->type, t);
		for (uint32_t i = 0; i < m->rows; i++)
		{
			const ps_value *v = &m->vals[m->order[i]][c];

			if (v->is_null)
			{
				nulls++;
				continue;
			}
			switch (t)
			{
				case PS_TYPE_FLOAT:
					fsum += v->v.f;
					if (!mn || fcmp(v->v.f, mn->v.f) < 0)
						mn = v;
					if (!mx || fcmp(v->v.f, mx->v.f) > 0)
						mx = v;
					break;
				case PS_TYPE_BOOLEAN:
					sum += v->v.b;
					if (!mn || v->v.b < mn->v.b)
						mn = v;
					if (!mx || v->v.b > mx->v.b)
						mx = v;
					break;
				case PS_TYPE_STRING:
					break;
				default:
					sum += v->v.i;
					if (!mn || v->v.i < mn->v.i)
						mn = v;
					if (!mx || v->v.i > mx->v.i)
						mx = v;
					break;
			}
		}
		assert_int_equal(cs->nulls, nulls);
		if (t == PS_TYPE_STRING)
		{
			assert_false(cs->has_minmax);
			assert_false(cs->has_firstlast);
			continue;
		}
		assert_int_equal(cs->has_minmax, nulls < m->rows);
		assert_true(cs->has_firstlast);
		assert_true(value_equal(t, &cs->first, &m->vals[m->order[0]][c]));
		assert_true(value_equal(t, &cs->last, &m->vals[m->order[m->rows - 1]][c]));
		if (cs->has_minmax)
		{
			assert_false(cs->min.is_null || cs->max.is_null);
			if (t == PS_TYPE_FLOAT)
			{
				assert_int_equal(fcmp(cs->min.v.f, mn->v.f), 0);
				assert_int_equal(fcmp(cs->max.v.f, mx->v.f), 0);
				/* Same additions in the same (time) order: bit for bit. */
				assert_true(bits_of(cs->sum_f) == bits_of(fsum) || (isnan(cs->sum_f) && isnan(fsum)));
			}
			else
			{
				assert_true(value_equal(t, &cs->min, mn));
				assert_true(value_equal(t, &cs->max, mx));
			}
		}
		else
			assert_true(cs->min.is_null && cs->max.is_null);
		if (t == PS_TYPE_INTEGER || t == PS_TYPE_BOOLEAN)
			assert_true(cs->sum_i == sum);
	}
	ps_block_meta_clear(&md);
	assert_null(md.cols);
}

/* Every proper prefix of block and meta is corrupt; the reader is empty after. */
static void
check_truncations(const model *m, const ps_buf *block, const ps_buf *meta, size_t step)
{
	ps_block_reader *r;
	ps_block_meta md;
	ps_error	err;

	assert_int_equal(ps_block_reader_new(&r, &err), PS_OK);
	for (size_t cut = 0; cut < block->len; cut += step)
	{
		uint8_t    *p = malloc(cut ? cut : 1);

		memcpy(p, block->data, cut);
		assert_int_equal(ps_block_decode(r, p, cut, m->types, m->ncols, NULL, &err), PS_ECORRUPT);
		assert_int_equal(err.code, PS_ECORRUPT);
		assert_int_equal(ps_block_reader_rows(r), 0);
		free(p);
	}
	for (size_t cut = 0; cut < meta->len; cut++)
	{
		uint8_t    *p = malloc(cut ? cut : 1);

		memcpy(p, meta->data, cut);
		assert_int_equal(ps_block_meta_decode(p, cut, &md, &err), PS_ECORRUPT);
		assert_null(md.cols);
		free(p);
	}
	ps_block_reader_free(r);
}

static void
round_trip(model *m, size_t trunc_step)
{
	ps_buf		block = PS_BUF_INIT;
	ps_buf		meta = PS_BUF_INIT;

	model_sort(m);
	encode_model(m, &block, &meta);
	check_block(m, &block);
	check_meta(m, &meta);
	if (trunc_step)
		check_truncations(m, &block, &meta, trunc_step);
	ps_buf_free(&block);
	ps_buf_free(&meta);
}

static const ps_type all_types[] = {PS_TYPE_INTEGER, PS_TYPE_FLOAT, PS_TYPE_STRING,
	PS_TYPE_BOOLEAN, PS_TYPE_TIMESTAMP, PS_TYPE_FLOAT, PS_TYPE_STRING, PS_TYPE_INTEGER};

/* ---------------------------------------------------------------- tests */

static void
test_one_row(void **state)
{
	(void) state;
	rng = 11;
	for (int kind = 0; kind < 3; kind++)
		for (int null_pct = 0; null_pct <= 100; null_pct += 50)
		{
			model	   *m = model_new(MAXC, all_types);
			ps_value	v[MAXC];

			for (uint32_t c = 0; c < MAXC; c++)
				gen_value(m, all_types[c], kind, null_pct, &v[c]);
			model_add(m, (int64_t) rnd(), v);
			round_trip(m, 1);
			model_free(m);
		}
}

/* Full and partial blocks, times in every order, values of every family. */
static void
test_random_blocks(void **state)
{
	static const uint32_t row_counts[] = {2, 7, 8, 9, 100, 1023, 1024};

	(void) state;
	rng = 12;
	for (int iter = 0; iter < 42; iter++)
	{
		uint32_t	rows = row_counts[iter % 7];
		int			order = iter / 7 % 6;
		int			kind = (int) (rnd() % 3);
		int			null_pct = iter % 4 == 0 ? 0 : (int) (rnd() % 101);
		model	   *m = model_new(MAXC, all_types);
		ps_value	v[MAXC];
		int64_t		t = INT64_C(1704067200000000000);

		for (uint32_t r = 0; r < rows; r++)
		{
			switch (order)
			{
				case 0: t += (int64_t) (rnd() % 3) * 1000000; break;	/* ticks */
				case 1: t = INT64_C(1704067200000000000) - (int64_t) r * 1000; break;	/* descending */
				case 2: t = (int64_t) (rnd() % 4); break;				/* many equal */
				case 3: t = (int64_t) rnd(); break;						/* anywhere */
				case 4: t = r % 2 ? INT64_MAX - (int64_t) r : INT64_MIN + (int64_t) r; break;
				default: t = -5; break;									/* all equal */
			}
			for (uint32_t c = 0; c < MAXC; c++)
				gen_value(m, all_types[c], kind, null_pct, &v[c]);
			/* Column 7 holds the arrival number: checks the sort is stable. */
			v[7].is_null = false;
			v[7].v.i = r;
			model_add(m, t, v);
		}
		round_trip(m, rows > 100 ? 0 : 1);
		model_free(m);
	}
}

static void
test_null_patterns(void **state)
{
	const ps_type types[] = {PS_TYPE_INTEGER, PS_TYPE_FLOAT, PS_TYPE_STRING, PS_TYPE_BOOLEAN,
		PS_TYPE_TIMESTAMP};

	(void) state;
	rng = 13;
	for (int pattern = 0; pattern < 6; pattern++)
	{
		model	   *m = model_new(5, types);

		for (uint32_t r = 0; r < N; r++)
		{
			ps_value	v[5];
			bool		null;

			switch (pattern)
			{
				case 0: null = true; break;						/* all NULL */
				case 1: null = (r / 100) % 2 == 0; break;		/* runs */
				case 2: null = r == 0 || r == N - 1; break;		/* first and last */
				case 3: null = r != 500; break;					/* one value */
				case 4: null = r % 8 == 7; break;
				default: null = false; break;
			}
			for (uint32_t c = 0; c < 5; c++)
			{
				gen_value(m, types[c], 0, 0, &v[c]);
				v[c].is_null = null;
			}
			model_add(m, (int64_t) r * 1000, v);
		}
		round_trip(m, 0);
		model_free(m);
	}
}

static void
test_extreme_values(void **state)
{
	const ps_type types[] = {PS_TYPE_INTEGER, PS_TYPE_FLOAT, PS_TYPE_TIMESTAMP, PS_TYPE_FLOAT};

	(void) state;
	rng = 14;
	for (int iter = 0; iter < 4; iter++)
	{
		model	   *m = model_new(4, types);
		uint32_t	rows = iter < 2 ? 64 : N;

		for (uint32_t r = 0; r < rows; r++)
		{
			ps_value	v[4];

			memset(v, 0, sizeof v);
			v[0].v.i = int_specials[rnd() % 7];
			v[1].v.f = float_specials[rnd() % 14];
			v[2].v.i = r % 2 ? INT64_MIN : INT64_MAX;
			v[3].v.f = iter % 2 ? (double) (rnd() % 100000) / 100.0 : -0.0;	/* decimal or not */
			model_add(m, r % 3 ? INT64_MIN : INT64_MAX, v);
		}
		round_trip(m, rows <= 64 ? 1 : 0);
		model_free(m);
	}
}

/* Sums of INT64_MAX: 1024 of them overflow int64 but not the 128-bit sum. */
static void
test_int_sum_is_exact(void **state)
{
	const ps_type types[] = {PS_TYPE_INTEGER};
	model	   *m = model_new(1, types);
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_block_meta md;

	(void) state;
	for (uint32_t r = 0; r < N; r++)
	{
		ps_value	v = {.is_null = false, .v.i = INT64_MAX};

		model_add(m, r, &v);
	}
	model_sort(m);
	encode_model(m, &block, &meta);
	assert_int_equal(ps_block_meta_decode(meta.data, meta.len, &md, NULL), PS_OK);
	assert_true(md.cols[0].sum_i == (__int128) INT64_MAX * N);
	ps_block_meta_clear(&md);
	check_block(m, &block);
	ps_buf_free(&block);
	ps_buf_free(&meta);
	model_free(m);
}

/* The documented heads: block format, rows, ncols; meta at fixed offsets. */
static void
test_layout(void **state)
{
	const ps_type types[] = {PS_TYPE_INTEGER, PS_TYPE_STRING};
	ps_block_builder *b;
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_value	v[2] = {{.is_null = false, .v.i = 7}, {.is_null = true}};
	uint32_t	rows;
	int64_t		lo, hi;

	(void) state;
	assert_int_equal(ps_block_builder_new(types, 2, &b, NULL), PS_OK);
	for (int i = 0; i < 200; i++)
		assert_int_equal(ps_block_builder_append(b, -1000 + i, v, NULL), PS_OK);
	assert_true(ps_block_builder_min_time(b) == -1000);
	assert_int_equal(ps_block_builder_encode(b, &block, &meta, NULL), PS_OK);
	assert_int_equal(block.data[0], PS_BLOCK_FORMAT_V1);
	assert_int_equal(block.data[1], 0xC8);	/* varint 200 */
	assert_int_equal(block.data[2], 0x01);
	assert_int_equal(block.data[3], 2);		/* ncols */
	assert_int_equal(meta.data[0], PS_BLOCK_FORMAT_V1);
	assert_memory_equal(meta.data + 1, "\x00\x00\x00\xC8", 4);
	assert_memory_equal(meta.data + 5, "\xFF\xFF\xFF\xFF\xFF\xFF\xFC\x18", 8);	/* -1000 */
	assert_memory_equal(meta.data + 13, "\xFF\xFF\xFF\xFF\xFF\xFF\xFC\xDF", 8);	/* -801 */
	assert_int_equal(meta.data[21], 2);
	assert_int_equal(ps_block_meta_peek(meta.data, 21, &rows, &lo, &hi), PS_OK);
	assert_true(rows == 200 && lo == -1000 && hi == -801);
	assert_int_equal(ps_block_meta_peek(meta.data, 20, &rows, &lo, &hi), PS_ECORRUPT);
	meta.data[0] = 2;
	assert_int_equal(ps_block_meta_peek(meta.data, meta.len, &rows, &lo, &hi), PS_ECORRUPT);
	ps_block_builder_free(b);
	ps_buf_free(&block);
	ps_buf_free(&meta);
}

/* Appends to existing buffer contents, and a failure leaves them alone. */
static void
test_encode_appends(void **state)
{
	const ps_type types[] = {PS_TYPE_FLOAT};
	ps_block_builder *b;
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_value	v = {.is_null = false, .v.f = 2.5};
	ps_block_reader *r;
	ps_error	err;

	(void) state;
	assert_int_equal(ps_buf_append(&block, "abc", 3), PS_OK);
	assert_int_equal(ps_buf_append(&meta, "xy", 2), PS_OK);
	assert_int_equal(ps_block_builder_new(types, 1, &b, NULL), PS_OK);
	assert_int_equal(ps_block_builder_encode(b, &block, &meta, &err), PS_EINVAL);
	assert_int_equal(block.len, 3);
	assert_int_equal(meta.len, 2);
	assert_int_equal(ps_block_builder_append(b, 1, &v, NULL), PS_OK);
	assert_int_equal(ps_block_builder_encode(b, &block, &meta, NULL), PS_OK);
	assert_memory_equal(block.data, "abc", 3);
	assert_memory_equal(meta.data, "xy", 2);
	assert_int_equal(ps_block_reader_new(&r, NULL), PS_OK);
	assert_int_equal(ps_block_decode(r, block.data + 3, block.len - 3, types, 1, NULL, NULL), PS_OK);
	assert_true(ps_block_reader_column(r, 0)->f[0] == 2.5);
	ps_block_reader_free(r);
	ps_block_builder_free(b);
	ps_buf_free(&block);
	ps_buf_free(&meta);
}

static void
test_absent_and_mismatch(void **state)
{
	const ps_type old_types[] = {PS_TYPE_INTEGER, PS_TYPE_STRING};
	const ps_type new_types[] = {PS_TYPE_INTEGER, PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_BOOLEAN};
	const ps_type wrong[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING};
	const ps_type wrong2[] = {PS_TYPE_INTEGER, PS_TYPE_FLOAT};
	model	   *m = model_new(2, old_types);
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_block_reader *r;
	ps_error	err;

	(void) state;
	rng = 15;
	for (uint32_t i = 0; i < 50; i++)
	{
		ps_value	v[2];

		gen_value(m, PS_TYPE_INTEGER, 0, 10, &v[0]);
		gen_value(m, PS_TYPE_STRING, 0, 10, &v[1]);
		model_add(m, i, v);
	}
	model_sort(m);
	encode_model(m, &block, &meta);
	assert_int_equal(ps_block_reader_new(&r, &err), PS_OK);
	assert_int_equal(ps_block_decode(r, block.data, block.len, new_types, 4, NULL, &err), PS_OK);
	for (uint32_t c = 2; c < 4; c++)
	{
		const ps_block_column *col = ps_block_reader_column(r, c);

		assert_true(col->absent);
		assert_int_equal(col->type, new_types[c]);
		assert_null(col->i);
		assert_null(col->f);
		assert_null(col->b);
		assert_null(col->str_off);
		for (uint32_t i = 0; i < 50; i++)
		{
			ps_value	v;

			ps_block_reader_value(r, c, i, &v);
			assert_true(v.is_null);
		}
	}
	for (uint32_t i = 0; i < 50; i++)
	{
		ps_value	v;

		ps_block_reader_value(r, 1, i, &v);
		assert_true(value_equal(PS_TYPE_STRING, &v, &m->vals[m->order[i]][1]));
	}
	/* Fewer expected columns than held, or another type: corrupt. */
	assert_int_equal(ps_block_decode(r, block.data, block.len, new_types, 1, NULL, &err), PS_ECORRUPT);
	assert_int_equal(ps_block_reader_rows(r), 0);
	assert_null(ps_block_reader_column(r, 0));
	assert_int_equal(ps_block_decode(r, block.data, block.len, wrong, 2, NULL, &err), PS_ECORRUPT);
	assert_int_equal(ps_block_decode(r, block.data, block.len, wrong2, 2, NULL, &err), PS_ECORRUPT);
	/* The same reader still decodes afterwards. */
	assert_int_equal(ps_block_decode(r, block.data, block.len, old_types, 2, NULL, &err), PS_OK);
	assert_int_equal(ps_block_reader_rows(r), 50);
	ps_block_reader_free(r);
	ps_buf_free(&block);
	ps_buf_free(&meta);
	model_free(m);
}

static void
test_want_subset(void **state)
{
	model	   *m = model_new(MAXC, all_types);
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_block_reader *r;
	bool		want[MAXC] = {false, true, false, false, true, false, true, false};

	(void) state;
	rng = 16;
	for (uint32_t i = 0; i < 300; i++)
	{
		ps_value	v[MAXC];

		for (uint32_t c = 0; c < MAXC; c++)
			gen_value(m, all_types[c], 1, 20, &v[c]);
		model_add(m, (int64_t) (rnd() % 1000), v);
	}
	model_sort(m);
	encode_model(m, &block, &meta);
	assert_int_equal(ps_block_reader_new(&r, NULL), PS_OK);
	assert_int_equal(ps_block_decode(r, block.data, block.len, all_types, MAXC, want, NULL), PS_OK);
	for (uint32_t c = 0; c < MAXC; c++)
	{
		const ps_block_column *col = ps_block_reader_column(r, c);

		assert_int_equal(col->decoded, want[c]);
		assert_false(col->absent);
		if (!want[c])
		{
			assert_null(col->i);
			assert_null(col->f);
			assert_null(col->str_off);
			continue;
		}
		for (uint32_t i = 0; i < m->rows; i++)
		{
			ps_value	v;

			ps_block_reader_value(r, c, i, &v);
			assert_true(value_equal(all_types[c], &v, &m->vals[m->order[i]][c]));
		}
	}
	ps_block_reader_free(r);
	ps_buf_free(&block);
	ps_buf_free(&meta);
	model_free(m);
}

static void
test_builder_limits(void **state)
{
	const ps_type types[] = {PS_TYPE_STRING, PS_TYPE_INTEGER};
	const ps_type bad[] = {PS_TYPE_INTEGER, (ps_type) 9};
	ps_block_builder *b;
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_value	v[2] = {{.is_null = false}, {.is_null = false, .v.i = 1}};
	ps_error	err;
	char	   *big = malloc(300000);
	size_t		empty_bytes;

	(void) state;
	memset(big, 'a', 300000);
	assert_int_equal(ps_block_builder_new(bad, 2, &b, &err), PS_EINVAL);
	assert_null(b);
	assert_int_equal(ps_block_builder_new(types, 2, &b, &err), PS_OK);
	empty_bytes = ps_block_builder_bytes(b);
	/* Invalid UTF-8 and NUL bytes are refused and change nothing. */
	v[0].v.s.ptr = "\xff";
	v[0].v.s.len = 1;
	assert_int_equal(ps_block_builder_append(b, 0, v, &err), PS_EINVAL);
	v[0].v.s.ptr = "a\0b";
	v[0].v.s.len = 3;
	assert_int_equal(ps_block_builder_append(b, 0, v, &err), PS_EINVAL);
	assert_int_equal(ps_block_builder_rows(b), 0);
	/* Rows: full at PS_BLOCK_ROWS. */
	v[0].v.s.ptr = "x";
	v[0].v.s.len = 1;
	for (uint32_t i = 0; i < N; i++)
	{
		assert_false(ps_block_builder_full(b));
		assert_int_equal(ps_block_builder_append(b, N - i, v, &err), PS_OK);
	}
	assert_true(ps_block_builder_full(b));
	assert_int_equal(ps_block_builder_append(b, 0, v, &err), PS_ETOOBIG);
	assert_true(ps_block_builder_min_time(b) == 1);
	assert_true(ps_block_builder_bytes(b) > empty_bytes + N * 8);
	ps_block_builder_reset(b);
	assert_int_equal(ps_block_builder_rows(b), 0);
	assert_false(ps_block_builder_full(b));
	ps_block_builder_shrink(b);
	assert_int_equal(ps_block_builder_bytes(b), empty_bytes);
	/* Raw bytes: full once strings pass PS_BLOCK_RAW_BYTES_MAX. */
	v[0].v.s.ptr = big;
	v[0].v.s.len = 300000;
	for (int i = 0; i < 3; i++)
	{
		assert_int_equal(ps_block_builder_append(b, i, v, &err), PS_OK);
		assert_false(ps_block_builder_full(b));
	}
	assert_int_equal(ps_block_builder_append(b, 3, v, &err), PS_OK);
	assert_true(ps_block_builder_full(b));
	assert_int_equal(ps_block_builder_append(b, 4, v, &err), PS_ETOOBIG);
	assert_int_equal(ps_block_builder_encode(b, &block, &meta, &err), PS_OK);
	assert_false(ps_block_builder_full(b));
	/* Usable again after encode. */
	assert_int_equal(ps_block_builder_append(b, 4, v, &err), PS_OK);
	ps_block_builder_free(b);
	ps_block_builder_free(NULL);
	ps_buf_free(&block);
	ps_buf_free(&meta);
	free(big);
}

/*
 * The decoder's string bound at its edge: identical 2000-byte strings until
 * the builder is full (past PS_BLOCK_RAW_BYTES_MAX) make a dictionary block
 * that expands to more than the limit, which must still decode.
 */
static void
test_string_bound_edge(void **state)
{
	const ps_type types[] = {PS_TYPE_STRING, PS_TYPE_STRING};
	model	   *m = model_new(2, types);
	char		s[2000];
	ps_block_builder *b;
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_value	v[2];

	(void) state;
	memset(s, 'q', sizeof s);
	v[0].is_null = v[1].is_null = false;
	v[0].v.s.ptr = pool_str(m, s, sizeof s);
	v[0].v.s.len = sizeof s;
	v[1].v.s.ptr = "k";
	v[1].v.s.len = 1;
	assert_int_equal(ps_block_builder_new(types, 2, &b, NULL), PS_OK);
	while (!ps_block_builder_full(b))
	{
		assert_int_equal(ps_block_builder_append(b, m->rows, v, NULL), PS_OK);
		model_add(m, m->rows, v);
	}
	assert_true((size_t) m->rows * (sizeof s + 1) > PS_BLOCK_RAW_BYTES_MAX);
	assert_int_equal(ps_block_builder_encode(b, &block, &meta, NULL), PS_OK);
	assert_true(block.len < 10000);		/* the dictionary at work */
	model_sort(m);
	check_block(m, &block);
	ps_block_builder_free(b);
	ps_buf_free(&block);
	ps_buf_free(&meta);
	model_free(m);
}

/* Flipped bits, random bytes: PS_OK or PS_ECORRUPT, never a crash or overread. */
static void
test_corruption_never_crashes(void **state)
{
	model	   *m = model_new(MAXC, all_types);
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_block_reader *r;
	ps_block_meta md;

	(void) state;
	rng = 17;
	for (uint32_t i = 0; i < 40; i++)
	{
		ps_value	v[MAXC];

		for (uint32_t c = 0; c < MAXC; c++)
			gen_value(m, all_types[c], (int) (i % 3), 20, &v[c]);
		model_add(m, (int64_t) i * 1000, v);
	}
	model_sort(m);
	encode_model(m, &block, &meta);
	assert_int_equal(ps_block_reader_new(&r, NULL), PS_OK);
	for (size_t pos = 0; pos < block.len; pos++)
		for (int bit = 0; bit < 8; bit++)
		{
			uint8_t    *p = malloc(block.len);
			ps_status	st;

			memcpy(p, block.data, block.len);
			p[pos] ^= (uint8_t) (1 << bit);
			st = ps_block_decode(r, p, block.len, all_types, MAXC, NULL, NULL);
			assert_true(st == PS_OK || st == PS_ECORRUPT);
			if (st == PS_OK)
				for (uint32_t c = 0; c < MAXC; c++)
					for (uint32_t i = 0; i < ps_block_reader_rows(r); i++)
					{
						ps_value	v;

						ps_block_reader_value(r, c, i, &v);
						if (!v.is_null && all_types[c] == PS_TYPE_STRING && v.v.s.len)
							assert_true(v.v.s.ptr[0] || !v.v.s.ptr[0]);	/* readable */
					}
			free(p);
		}
	for (size_t pos = 0; pos < meta.len; pos++)
		for (int bit = 0; bit < 8; bit++)
		{
			uint8_t    *p = malloc(meta.len);
			ps_status	st;

			memcpy(p, meta.data, meta.len);
			p[pos] ^= (uint8_t) (1 << bit);
			st = ps_block_meta_decode(p, meta.len, &md, NULL);
			assert_true(st == PS_OK || st == PS_ECORRUPT);
			ps_block_meta_clear(&md);
			free(p);
		}
	for (int iter = 0; iter < 20000; iter++)
	{
		size_t		len = rnd() % 48;
		uint8_t    *p = malloc(len ? len : 1);

		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t) rnd();
		if (len)
			p[0] = PS_BLOCK_FORMAT_V1;
		if (len > 1 && iter % 2)
			p[1] = (uint8_t) (1 + p[1] % 16);
		(void) ps_block_decode(r, p, len, all_types, MAXC, NULL, NULL);
		(void) ps_block_meta_decode(p, len, &md, NULL);
		ps_block_meta_clear(&md);
		free(p);
	}
	ps_block_reader_free(r);
	ps_buf_free(&block);
	ps_buf_free(&meta);
	model_free(m);
}

/* A table of only a time column (every column a series key): rows and times alone. */
static void
test_no_columns(void **state)
{
	const ps_type later[] = {PS_TYPE_FLOAT, PS_TYPE_STRING};
	ps_block_builder *b;
	ps_block_reader *r;
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_block_meta md;

	(void) state;
	assert_int_equal(ps_block_builder_new(NULL, 0, &b, NULL), PS_OK);
	for (int i = 0; i < 30; i++)
		assert_int_equal(ps_block_builder_append(b, 30 - i, NULL, NULL), PS_OK);
	assert_int_equal(ps_block_builder_encode(b, &block, &meta, NULL), PS_OK);
	assert_int_equal(ps_block_reader_new(&r, NULL), PS_OK);
	assert_int_equal(ps_block_decode(r, block.data, block.len, NULL, 0, NULL, NULL), PS_OK);
	assert_int_equal(ps_block_reader_rows(r), 30);
	for (int i = 0; i < 30; i++)
		assert_true(ps_block_reader_times(r)[i] == i + 1);
	assert_int_equal(ps_block_decode(r, block.data, block.len, later, 2, NULL, NULL), PS_OK);
	assert_true(ps_block_reader_column(r, 1)->absent);
	assert_int_equal(ps_block_meta_decode(meta.data, meta.len, &md, NULL), PS_OK);
	assert_true(md.rows == 30 && md.ncols == 0 && md.min_time == 1 && md.max_time == 30);
	ps_block_meta_clear(&md);
	ps_block_reader_free(r);
	ps_block_builder_free(b);
	ps_buf_free(&block);
	ps_buf_free(&meta);
}

static void
test_meta_malformed(void **state)
{
	uint8_t		head[21 + 64];
	ps_block_meta md;
	size_t		n;

	(void) state;
	/* format 1, rows 2, min 5, max 9, 1 INTEGER column: nulls 0, flags 7, min 5 max 9 first 5 last 9, sum 14 */
	memset(head, 0, sizeof head);
	head[0] = 1;
	head[4] = 2;
	head[12] = 5;
	head[20] = 9;
	n = 21;
	head[n++] = 1;				/* ncols */
	head[n++] = PS_TYPE_INTEGER;
	head[n++] = 0;
	head[n++] = 7;
	head[n++] = 10;
	head[n++] = 18;
	head[n++] = 10;
	head[n++] = 18;
	memset(head + n, 0, 16);
	head[n + 15] = 14;
	n += 16;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_OK);
	assert_true(md.cols[0].min.v.i == 5 && md.cols[0].max.v.i == 9 && md.cols[0].sum_i == 14);
	ps_block_meta_clear(&md);
	/* Trailing byte. */
	assert_int_equal(ps_block_meta_decode(head, n + 1, &md, NULL), PS_ECORRUPT);
	/* min > max */
	head[25] = 20;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[25] = 10;
	/* flags without min/max although values exist */
	head[24] = 6;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[24] = 7;
	/* nulls > rows */
	head[23] = 3;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[23] = 0;
	/* huge column count */
	head[21] = 0x7f;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[21] = 1;
	/* rows 0, rows > PS_BLOCK_ROWS, min > max time */
	head[4] = 0;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[3] = 0x10;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[3] = 0;
	head[4] = 2;
	head[12] = 10;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[12] = 5;
	/* invalid type */
	head[22] = 6;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_ECORRUPT);
	head[22] = PS_TYPE_INTEGER;
	assert_int_equal(ps_block_meta_decode(head, n, &md, NULL), PS_OK);
	ps_block_meta_clear(&md);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_row),
		cmocka_unit_test(test_random_blocks),
		cmocka_unit_test(test_null_patterns),
		cmocka_unit_test(test_extreme_values),
		cmocka_unit_test(test_int_sum_is_exact),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_encode_appends),
		cmocka_unit_test(test_absent_and_mismatch),
		cmocka_unit_test(test_want_subset),
		cmocka_unit_test(test_builder_limits),
		cmocka_unit_test(test_string_bound_edge),
		cmocka_unit_test(test_corruption_never_crashes),
		cmocka_unit_test(test_no_columns),
		cmocka_unit_test(test_meta_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
