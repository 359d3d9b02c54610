/*
 * ps_block_meta.c — a block's metadata: writing each column's statistics
 * when a block is encoded (ps_block.c), and reading meta bytes back
 * (ps_block_meta_peek, ps_block_meta_decode), without the block.
 *
 * Meta bytes, after the fixed head (big-endian, as ps_buf writes them):
 * per column u8 type | varint nulls | u8 flags (1 min/max present, 2 first
 * non-NULL, 4 last non-NULL; 0 for STRING) | min | max | first | last
 * (each only when present; INTEGER and TIMESTAMP as varint zz(v), FLOAT
 * as its u64 bits, BOOLEAN as a byte 0/1) | sum (INTEGER: i128 as two
 * u64, FLOAT: u64 bits, BOOLEAN: varint count of true, else nothing).
 * Float sums add the values in time order.  The reader treats meta bytes
 * as hostile, as every decoder here does.
 */
#include "ps_block.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps_codec.h"
#include "ps_schema.h"			/* PS_MAX_COLUMNS */

/* PostgreSQL's float order: NaN above everything, -0.0 == 0.0. */
static inline bool
float_lt(double a, double b)
{
	return !isnan(a) && (isnan(b) || a < b);
}

static ps_status put_value(ps_buf *m, ps_type t, const ps_value *v);

#define FLAG_MINMAX 1
#define FLAG_FIRST 2
#define FLAG_LAST 4

ps_status
ps_block_stats_put(ps_buf *meta, ps_type t, const void *vals, uint32_t n, uint32_t m,
				   bool first_ok, bool last_ok)
{
	ps_value	mn = {.is_null = true}, mx = {.is_null = true};
	ps_value	first = {.is_null = true}, last = {.is_null = true};
	__int128	sum = 0;
	uint64_t	count = 0;
	double		fsum = 0;
	uint8_t		flags = 0;
	uint8_t		tmp[16];
	ps_status	st;

	if ((st = ps_buf_append_u8(meta, (uint8_t) t)) != PS_OK ||
		(st = ps_buf_append_varint(meta, n - m)) != PS_OK)
		return st;
	if (t == PS_TYPE_STRING)
		return ps_buf_append_u8(meta, 0);
	if (m > 0)
	{
		mn.is_null = mx.is_null = false;
		if (t == PS_TYPE_FLOAT)
		{
			const double *f = vals;

			mn.v.f = mx.v.f = f[0];
			for (uint32_t i = 0; i < m; i++)
			{
				if (float_lt(f[i], mn.v.f))
					mn.v.f = f[i];
				if (float_lt(mx.v.f, f[i]))
					mx.v.f = f[i];
				fsum += f[i];
			}
			first.v.f = f[0];
			last.v.f = f[m - 1];
		}
		else if (t == PS_TYPE_BOOLEAN)
		{
			const uint8_t *bv = vals;

			for (uint32_t i = 0; i < m; i++)
				count += bv[i];
			mn.v.b = count == m;
			mx.v.b = count > 0;
			first.v.b = bv[0];
			last.v.b = bv[m - 1];
		}
		else
		{
			const int64_t *iv = vals;
			int64_t		lo = iv[0], hi = iv[0];

			for (uint32_t i = 0; i < m; i++)
			{
				lo = iv[i] < lo ? iv[i] : lo;
				hi = iv[i] > hi ? iv[i] : hi;
				sum += iv[i];
			}
			mn.v.i = lo;
			mx.v.i = hi;
			first.v.i = iv[0];
			last.v.i = iv[m - 1];
		}
		flags = FLAG_MINMAX;
	}
	first.is_null = !first_ok;
	last.is_null = !last_ok;
	flags |= (first_ok ? FLAG_FIRST : 0) | (last_ok ? FLAG_LAST : 0);
	if ((st = ps_buf_append_u8(meta, flags)) != PS_OK ||
		(st = put_value(meta, t, &mn)) != PS_OK || (st = put_value(meta, t, &mx)) != PS_OK ||
		(st = put_value(meta, t, &first)) != PS_OK || (st = put_value(meta, t, &last)) != PS_OK)
		return st;
	switch (t)
	{
		case PS_TYPE_INTEGER:
			for (int i = 0; i < 16; i++)
				tmp[i] = (uint8_t) ((unsigned __int128) sum >> (8 * (15 - i)));
			return ps_buf_append(meta, tmp, 16);
		case PS_TYPE_FLOAT:
			{
				uint64_t	u;

				memcpy(&u, &fsum, 8);
				return ps_buf_append_u64be(meta, u);
			}
		case PS_TYPE_BOOLEAN:
			return ps_buf_append_varint(meta, count);
		default:
			return PS_OK;
	}
}

/* A non-NULL min/max/first/last (NULLs are implied by the flags and write nothing). */
static ps_status
put_value(ps_buf *m, ps_type t, const ps_value *v)
{
	uint64_t	u;

	if (v->is_null)
		return PS_OK;
	switch (t)
	{
		case PS_TYPE_FLOAT:
			memcpy(&u, &v->v.f, 8);
			return ps_buf_append_u64be(m, u);
		case PS_TYPE_BOOLEAN:
			return ps_buf_append_u8(m, v->v.b ? 1 : 0);
		default:
			return ps_buf_append_varint(m, ps_zigzag(v->v.i));
	}
}

/* ---------------------------------------------------------------- metadata */

#define META_HEAD 21			/* u8 format | u32 rows | i64 min | i64 max */

ps_status
ps_block_meta_peek(const void *p, size_t n, uint32_t *rows, int64_t *min_time,
				   int64_t *max_time)
{
	ps_reader	rd;
	uint8_t		format;
	uint32_t	nrows;
	uint64_t	lo, hi;

	ps_reader_init(&rd, p, n);
	if (ps_read_u8(&rd, &format) != PS_OK || format != PS_BLOCK_FORMAT_V1 ||
		ps_read_u32be(&rd, &nrows) != PS_OK || ps_read_u64be(&rd, &lo) != PS_OK ||
		ps_read_u64be(&rd, &hi) != PS_OK ||
		nrows == 0 || nrows > PS_BLOCK_ROWS || (int64_t) lo > (int64_t) hi)
		return PS_ECORRUPT;
	*rows = nrows;
	*min_time = (int64_t) lo;
	*max_time = (int64_t) hi;
	return PS_OK;
}

static ps_status
get_value(ps_reader *rd, ps_type t, ps_value *v)
{
	uint64_t	u;
	uint8_t		b;

	v->is_null = false;
	switch (t)
	{
		case PS_TYPE_FLOAT:
			if (ps_read_u64be(rd, &u) != PS_OK)
				return PS_ECORRUPT;
			memcpy(&v->v.f, &u, 8);
			return PS_OK;
		case PS_TYPE_BOOLEAN:
			if (ps_read_u8(rd, &b) != PS_OK || b > 1)
				return PS_ECORRUPT;
			v->v.b = b;
			return PS_OK;
		default:
			if (ps_read_varint(rd, &u) != PS_OK)
				return PS_ECORRUPT;
			v->v.i = ps_unzigzag(u);
			return PS_OK;
	}
}

static bool
value_le(ps_type t, const ps_value *a, const ps_value *b)
{
	switch (t)
	{
		case PS_TYPE_FLOAT:
			return !float_lt(b->v.f, a->v.f);
		case PS_TYPE_BOOLEAN:
			return a->v.b <= b->v.b;
		default:
			return a->v.i <= b->v.i;
	}
}

static ps_status
get_stats(ps_reader *rd, uint32_t rows, ps_block_colstats *cs)
{
	uint8_t		type;
	uint8_t		flags;
	uint64_t	nulls;
	uint64_t	u;
	uint32_t	nonnull;

	if (ps_read_u8(rd, &type) != PS_OK || !ps_type_valid(type) ||
		ps_read_varint(rd, &nulls) != PS_OK || nulls > rows || ps_read_u8(rd, &flags) != PS_OK)
		return PS_ECORRUPT;
	cs->type = (ps_type) type;
	cs->nulls = (uint32_t) nulls;
	cs->min.is_null = cs->max.is_null = cs->first.is_null = cs->last.is_null = true;
	if (cs->type == PS_TYPE_STRING)
		return flags == 0 ? PS_OK : PS_ECORRUPT;
	nonnull = rows - cs->nulls;
	/* Flags must agree with the null count: one encoding per content. */
	if ((flags & ~(FLAG_MINMAX | FLAG_FIRST | FLAG_LAST)) != 0 ||
		!!(flags & FLAG_MINMAX) != (nonnull > 0) ||
		(nonnull == 0 && (flags & (FLAG_FIRST | FLAG_LAST))) ||
		(cs->nulls == 0 && (flags & (FLAG_FIRST | FLAG_LAST)) != (FLAG_FIRST | FLAG_LAST)))
		return PS_ECORRUPT;
	cs->has_minmax = flags & FLAG_MINMAX;
	cs->has_firstlast = true;
	if (cs->has_minmax &&
		(get_value(rd, cs->type, &cs->min) != PS_OK || get_value(rd, cs->type, &cs->max) != PS_OK ||
		 !value_le(cs->type, &cs->min, &cs->max)))
		return PS_ECORRUPT;
	if ((flags & FLAG_FIRST) && get_value(rd, cs->type, &cs->first) != PS_OK)
		return PS_ECORRUPT;
	if ((flags & FLAG_LAST) && get_value(rd, cs->type, &cs->last) != PS_OK)
		return PS_ECORRUPT;
	switch (cs->type)
	{
		case PS_TYPE_INTEGER:
			{
				uint64_t	hi, lo;

				if (ps_read_u64be(rd, &hi) != PS_OK || ps_read_u64be(rd, &lo) != PS_OK)
					return PS_ECORRUPT;
				cs->sum_i = (__int128) (((unsigned __int128) hi << 64) | lo);
			}
			break;
		case PS_TYPE_FLOAT:
			if (ps_read_u64be(rd, &u) != PS_OK)
				return PS_ECORRUPT;
			memcpy(&cs->sum_f, &u, 8);
			break;
		case PS_TYPE_BOOLEAN:
			if (ps_read_varint(rd, &u) != PS_OK || u > nonnull)
				return PS_ECORRUPT;
			cs->sum_i = (__int128) u;
			break;
		default:
			break;
	}
	return PS_OK;
}

ps_status
ps_block_meta_decode(const void *p, size_t n, ps_block_meta *out, ps_error *err)
{
	ps_reader	rd;
	uint64_t	ncols;

	memset(out, 0, sizeof(*out));
	if (ps_block_meta_peek(p, n, &out->rows, &out->min_time, &out->max_time) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block metadata: bad head");
	ps_reader_init(&rd, p, n);
	rd.p += META_HEAD;
	/* Each column takes at least 3 bytes: the count cannot ask for more than that. */
	if (ps_read_varint(&rd, &ncols) != PS_OK || ncols > ps_reader_left(&rd) / 3)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block metadata: bad column count");
	if (ncols && (out->cols = calloc((size_t) ncols, sizeof(ps_block_colstats))) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory decoding block metadata");
	out->ncols = (uint32_t) ncols;
	for (uint32_t c = 0; c < ncols; c++)
		if (get_stats(&rd, out->rows, &out->cols[c]) != PS_OK)
		{
			ps_block_meta_clear(out);
			return ps_error_set(err, PS_ECORRUPT, "corrupt block metadata: column %u", c + 1);
		}
	if (rd.p != rd.end)
	{
		ps_block_meta_clear(out);
		return ps_error_set(err, PS_ECORRUPT, "corrupt block metadata: trailing bytes");
	}
	return PS_OK;
}

void
ps_block_meta_clear(ps_block_meta *m)
{
	free(m->cols);
	memset(m, 0, sizeof(*m));
}
