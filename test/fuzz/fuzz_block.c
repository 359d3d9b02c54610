/*
 * fuzz_block.c — libFuzzer target for blocks and their metadata (ps_block).
 *
 * Input layout: byte 0 = mode, byte 1 = column count (mod 9), then one
 * type byte per column (1 + b % 5), then the rest.
 *   mode even (decode): the rest is block bytes for ps_block_decode (when
 *     mode bit 7 is set, column c is wanted if mode bit 1 + c % 7 is), and
 *     also meta bytes for ps_block_meta_decode and ps_block_meta_peek.  A block that
 *     decodes is re-encoded from what was decoded and must decode to the
 *     same rows again.
 *   mode odd (round trip): the rest drives rows (times and values, NULLs,
 *     specials, raw bit patterns) into a builder; decode(encode(rows)) must
 *     equal the rows stable-sorted by time, bit for bit, and the metadata
 *     must agree on rows, time bounds and NULL counts; every truncation of
 *     the block at a few lengths must be PS_ECORRUPT.
 * Invariants are checked with abort(); sanitizers catch the rest.
 *
 * Build and run:
 *   make build/fuzz/fuzz_block
 *   build/fuzz/fuzz_block -max_total_time=60 test/fuzz/corpus/block
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXC 8

static ps_block_reader *reader, *reader2;
static ps_buf block, meta;

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "fuzz_block: invariant broken: %s\n", what);
		abort();
	}
}

static bool
same_value(ps_type t, const ps_value *a, const ps_value *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null;
	switch (t)
	{
		case PS_TYPE_FLOAT:
			return memcmp(&a->v.f, &b->v.f, 8) == 0;
		case PS_TYPE_BOOLEAN:
			return a->v.b == b->v.b;
		case PS_TYPE_STRING:
			return a->v.s.len == b->v.s.len &&
				(a->v.s.len == 0 || memcmp(a->v.s.ptr, b->v.s.ptr, a->v.s.len) == 0);
		default:
			return a->v.i == b->v.i;
	}
}

/* A decoded block is sane, and re-encodes to the same rows. */
static void
check_decoded(const ps_type *types, uint32_t ncols, const bool *want)
{
	uint32_t	rows = ps_block_reader_rows(reader);
	const int64_t *t = ps_block_reader_times(reader);
	ps_block_builder *b;
	ps_value	v[MAXC];

	check(rows >= 1 && rows <= PS_BLOCK_ROWS, "row count in range");
	for (uint32_t i = 1; i < rows; i++)
		check(t[i - 1] <= t[i], "times ascending");
	for (uint32_t c = 0; c < ncols; c++)
	{
		const ps_block_column *col = ps_block_reader_column(reader, c);

		check(col != NULL && col->type == types[c], "column type");
		if (col->absent || !col->decoded)
			continue;
		if (types[c] == PS_TYPE_STRING)
			for (uint32_t i = 0; i < rows; i++)
				check(col->str_off[i] <= col->str_off[i + 1], "string offsets ascending");
		for (uint32_t i = 0; i < rows; i++)
			ps_block_reader_value(reader, c, i, &v[c]);
	}
	if (want != NULL)
		return;
	/* Strings borrow from reader, which stays untouched until reader2 has decoded. */
	check(ps_block_builder_new(types, ncols, &b, NULL) == PS_OK, "builder");
	for (uint32_t i = 0; i < rows; i++)
	{
		for (uint32_t c = 0; c < ncols; c++)
			ps_block_reader_value(reader, c, i, &v[c]);
		if (ps_block_builder_append(b, t[i], v, NULL) != PS_OK)
		{
			/* Only hostile strings (bad UTF-8) are refused. */
			ps_block_builder_free(b);
			return;
		}
	}
	ps_buf_reset(&block);
	ps_buf_reset(&meta);
	check(ps_block_builder_encode(b, &block, &meta, NULL) == PS_OK, "re-encode");
	ps_block_builder_free(b);
	check(ps_block_decode(reader2, block.data, block.len, types, ncols, NULL, NULL) == PS_OK,
		  "re-encoded block decodes");
	check(ps_block_reader_rows(reader2) == rows, "re-encoded rows");
	for (uint32_t i = 0; i < rows; i++)
	{
		check(ps_block_reader_times(reader2)[i] == t[i], "re-encoded times");
		for (uint32_t c = 0; c < ncols; c++)
		{
			ps_value	a, bv;

			ps_block_reader_value(reader, c, i, &a);
			ps_block_reader_value(reader2, c, i, &bv);
			check(same_value(types[c], &a, &bv), "re-encoded values");
		}
	}
}

static void
check_meta(const uint8_t *p, size_t n)
{
	ps_block_meta md;
	uint32_t	rows;
	int64_t		lo, hi;
	ps_status	st = ps_block_meta_decode(p, n, &md, NULL);

	check(st == PS_OK || st == PS_ECORRUPT, "meta status");
	if (st == PS_OK)
	{
		check(ps_block_meta_peek(p, n, &rows, &lo, &hi) == PS_OK, "peek agrees");
		check(rows == md.rows && lo == md.min_time && hi == md.max_time, "peek values");
		check(md.rows >= 1 && md.rows <= PS_BLOCK_ROWS && md.min_time <= md.max_time, "meta head");
		for (uint32_t c = 0; c < md.ncols; c++)
			check(md.cols[c].nulls <= md.rows, "meta nulls");
	}
	else
		check(md.cols == NULL && md.ncols == 0, "failed meta is zeroed");
	ps_block_meta_clear(&md);
}

/* ---------------------------------------------------------------- round trip */

typedef struct src {
	const uint8_t *p, *end;
} src;

static uint8_t
next8(src *s)
{
	return s->p < s->end ? *s->p++ : 0;
}

static uint64_t
next64(src *s)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | next8(s);
	return v;
}

static const int64_t int_specials[] = {0, 1, -1, INT64_MIN, INT64_MAX, 1000000, -1000000, 42};
static const double float_specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 4.9e-324, 1e300,
	150.25};
static const char *const words[] = {"", "NASDAQ", "NYSE", "\xc3\xa9t\xc3\xa9"};

typedef struct row {
	int64_t		t;
	uint32_t	arrival;
	ps_value	v[MAXC];
} row;

static row rows_in[PS_BLOCK_ROWS];
static char strbuf[PS_BLOCK_ROWS * MAXC * 16];

static int
row_cmp(const void *a, const void *b)
{
	const row  *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->arrival > y->arrival) - (x->arrival < y->arrival);
}

static void
gen_value(src *s, ps_type t, ps_value *v, size_t *strpos)
{
	uint8_t		sel = next8(s);

	memset(v, 0, sizeof(*v));
	if (sel >= 224)
	{
		v->is_null = true;
		return;
	}
	switch (t)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			v->v.i = sel < 96 ? (int64_t) sel - 48 : sel < 160 ? int_specials[sel % 8] :
				(int64_t) next64(s);
			break;
		case PS_TYPE_FLOAT:
			if (sel < 96)
				v->v.f = (double) ((int16_t) (next8(s) << 8 | sel)) / 100.0;
			else if (sel < 160)
				v->v.f = float_specials[sel % 8];
			else
			{
				uint64_t	u = next64(s);

				memcpy(&v->v.f, &u, 8);
			}
			break;
		case PS_TYPE_BOOLEAN:
			v->v.b = sel & 1;
			break;
		case PS_TYPE_STRING:
			if (sel < 128)
			{
				v->v.s.ptr = words[sel % 4];
				v->v.s.len = (uint32_t) strlen(words[sel % 4]);
			}
			else
			{
				uint32_t	len = sel % 16;

				for (uint32_t i = 0; i < len; i++)
					strbuf[*strpos + i] = (char) ('a' + next8(s) % 26);
				v->v.s.ptr = strbuf + *strpos;
				v->v.s.len = len;
				*strpos += len;
			}
			break;
	}
}

static void
round_trip(const ps_type *types, uint32_t ncols, const uint8_t *p, size_t n)
{
	src			s = {p, p + n};
	ps_block_builder *b;
	ps_block_meta md;
	uint32_t	nrows = 0;
	size_t		strpos = 0;
	int64_t		t = 0;

	check(ps_block_builder_new(types, ncols, &b, NULL) == PS_OK, "builder");
	while (s.p < s.end && nrows < PS_BLOCK_ROWS)
	{
		row		   *r = &rows_in[nrows];
		uint8_t		sel = next8(&s);

		/* Times: small steps, repeats, jumps back, raw 64-bit values. */
		if (sel < 128)
			t = (int64_t) ((uint64_t) t + sel % 4 * 1000000u);	/* wraps, as int64 times may */
		else if (sel < 192)
			t = (int64_t) ((uint64_t) t - sel);
		else if (sel < 224)
			t = (int64_t) next64(&s);
		r->t = t;
		r->arrival = nrows;
		for (uint32_t c = 0; c < ncols; c++)
			gen_value(&s, types[c], &r->v[c], &strpos);
		check(ps_block_builder_append(b, r->t, r->v, NULL) == PS_OK, "append");
		nrows++;
	}
	if (nrows == 0)
	{
		ps_block_builder_free(b);
		return;
	}
	ps_buf_reset(&block);
	ps_buf_reset(&meta);
	check(ps_block_builder_encode(b, &block, &meta, NULL) == PS_OK, "encode");
	ps_block_builder_free(b);
	qsort(rows_in, nrows, sizeof(row), row_cmp);

	check(ps_block_decode(reader, block.data, block.len, types, ncols, NULL, NULL) == PS_OK,
		  "decode of an encoded block");
	check(ps_block_reader_rows(reader) == nrows, "rows");
	for (uint32_t i = 0; i < nrows; i++)
	{
		check(ps_block_reader_times(reader)[i] == rows_in[i].t, "times");
		for (uint32_t c = 0; c < ncols; c++)
		{
			ps_value	v;

			ps_block_reader_value(reader, c, i, &v);
			check(same_value(types[c], &v, &rows_in[i].v[c]), "values");
		}
	}
	check(ps_block_meta_decode(meta.data, meta.len, &md, NULL) == PS_OK, "meta decodes");
	check(md.rows == nrows && md.min_time == rows_in[0].t && md.max_time == rows_in[nrows - 1].t,
		  "meta head");
	check(md.ncols == ncols, "meta columns");
	for (uint32_t c = 0; c < ncols; c++)
	{
		uint32_t	nulls = 0;

		for (uint32_t i = 0; i < nrows; i++)
			nulls += rows_in[i].v[c].is_null;
		check(md.cols[c].nulls == nulls && md.cols[c].type == types[c], "meta column stats");
	}
	ps_block_meta_clear(&md);
	/* A few truncations, the last byte included. */
	{
		const size_t cuts[] = {block.len - 1, block.len / 2, block.len / 3, 1, 0};

		for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
			check(ps_block_decode(reader, block.data, cuts[i], types, ncols, NULL, NULL) ==
				  PS_ECORRUPT, "truncated block is corrupt");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ps_type		types[MAXC];
	bool		want[MAXC];
	uint32_t	ncols;
	uint8_t		mode;
	ps_status	st;

	if (reader == NULL)
		check(ps_block_reader_new(&reader, NULL) == PS_OK &&
			  ps_block_reader_new(&reader2, NULL) == PS_OK, "readers");
	if (size < 2)
		return 0;
	mode = data[0];
	ncols = data[1] % (MAXC + 1);
	if (size < 2 + (size_t) ncols)
		return 0;
	for (uint32_t c = 0; c < ncols; c++)
	{
		types[c] = (ps_type) (1 + data[2 + c] % 5);
		want[c] = (mode >> (1 + c % 7)) & 1;
	}
	data += 2 + ncols;
	size -= 2 + ncols;
	if (mode & 1)
	{
		round_trip(types, ncols, data, size);
		return 0;
	}
	/* Exact-size copy, so reads past the end are caught. */
	{
		uint8_t    *copy = malloc(size ? size : 1);
		bool		use_want = (mode >> 7) & 1;

		if (size)
			memcpy(copy, data, size);
		st = ps_block_decode(reader, copy, size, types, ncols, use_want ? want : NULL, NULL);
		check(st == PS_OK || st == PS_ECORRUPT, "decode status");
		if (st == PS_OK)
			check_decoded(types, ncols, use_want ? want : NULL);
		else
			check(ps_block_reader_rows(reader) == 0, "failed decode leaves no rows");
		check_meta(copy, size);
		free(copy);
	}
	return 0;
}
