/*
 * ps_block.c — STAND-IN block codec (plain varint/raw columns) used until the
 * real codecs land; same format byte and API as ps_block.h.
 */
#include "ps_block.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct col_buf {
	uint8_t    *nulls;			/* byte per row */
	int64_t    *i;
	double	   *f;
	uint32_t   *soff, *slen;	/* into arena */
} col_buf;

struct ps_block_builder {
	ps_type    *types;
	uint32_t	ncols, rows, cap;	/* arrays hold cap rows, grown by doubling */
	int64_t    *times;
	col_buf    *cols;
	ps_buf		arena;
	uint32_t   *order;
	int64_t		min_time;
};

static uint64_t zz(int64_t v) { return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63); }
static int64_t unzz(uint64_t v) { return (int64_t) (v >> 1) ^ -(int64_t) (v & 1); }

ps_status
ps_block_builder_new(const ps_type *types, uint32_t ncols, ps_block_builder **out, ps_error *err)
{
	ps_block_builder *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	b->ncols = ncols;
	b->types = malloc((ncols + 1) * sizeof(ps_type));
	b->cols = calloc(ncols + 1, sizeof(col_buf));
	if (!b->types || !b->cols)
	{
		ps_block_builder_free(b);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	for (uint32_t c = 0; c < ncols; c++)
	{
		if (!ps_type_valid(types[c]))
		{
			ps_block_builder_free(b);
			return ps_error_set(err, PS_EINVAL, "invalid column type %d", (int) types[c]);
		}
		b->types[c] = types[c];
	}
	*out = b;
	return PS_OK;
}

#define GROW(p, n) do { void *np_ = realloc((p), (size_t) (n) * sizeof(*(p))); if (!np_) return false; (p) = np_; } while (0)

/* Room for one more row: arrays double from 16 rows up to PS_BLOCK_ROWS. */
static bool
builder_grow(ps_block_builder *b)
{
	uint32_t	cap = b->cap ? b->cap * 2 : 16;

	if (cap > PS_BLOCK_ROWS)
		cap = PS_BLOCK_ROWS;
	GROW(b->times, cap);
	GROW(b->order, cap);
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		GROW(b->cols[c].nulls, cap);
		if (b->types[c] == PS_TYPE_FLOAT)
			GROW(b->cols[c].f, cap);
		else if (b->types[c] == PS_TYPE_STRING)
		{
			GROW(b->cols[c].soff, cap);
			GROW(b->cols[c].slen, cap);
		}
		else
			GROW(b->cols[c].i, cap);
	}
	b->cap = cap;
	return true;
}

void
ps_block_builder_free(ps_block_builder *b)
{
	if (!b)
		return;
	for (uint32_t c = 0; c < b->ncols && b->cols; c++)
	{
		free(b->cols[c].nulls);
		free(b->cols[c].i);
		free(b->cols[c].f);
		free(b->cols[c].soff);
		free(b->cols[c].slen);
	}
	free(b->cols);
	free(b->types);
	free(b->times);
	free(b->order);
	ps_buf_free(&b->arena);
	free(b);
}

uint32_t ps_block_builder_rows(const ps_block_builder *b) { return b->rows; }
size_t ps_block_builder_bytes(const ps_block_builder *b) { return sizeof(*b) + (size_t) b->cap * (12 + (size_t) b->ncols * 9) + b->arena.cap; }
bool ps_block_builder_full(const ps_block_builder *b) { return b->rows >= PS_BLOCK_ROWS || b->arena.len >= PS_BLOCK_RAW_BYTES_MAX; }
int64_t ps_block_builder_min_time(const ps_block_builder *b) { return b->min_time; }
void ps_block_builder_reset(ps_block_builder *b) { b->rows = 0; ps_buf_reset(&b->arena); }
void ps_block_builder_shrink(ps_block_builder *b) { (void) b; }

ps_status
ps_block_builder_append(ps_block_builder *b, int64_t time, const ps_value *values, ps_error *err)
{
	uint32_t	r = b->rows;

	if (ps_block_builder_full(b))
		return ps_error_set(err, PS_ETOOBIG, "block is full");
	if (r == b->cap && !builder_grow(b))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		col_buf    *cb = &b->cols[c];

		cb->nulls[r] = values[c].is_null;
		if (values[c].is_null)
			continue;
		switch (b->types[c])
		{
			case PS_TYPE_FLOAT: cb->f[r] = values[c].v.f; break;
			case PS_TYPE_BOOLEAN: cb->i[r] = values[c].v.b; break;
			case PS_TYPE_STRING:
				cb->soff[r] = (uint32_t) b->arena.len;
				cb->slen[r] = values[c].v.s.len;
				if (ps_buf_append(&b->arena, values[c].v.s.ptr, values[c].v.s.len) != PS_OK)
					return ps_error_set(err, PS_ENOMEM, "out of memory");
				break;
			default: cb->i[r] = values[c].v.i; break;
		}
	}
	b->times[r] = time;
	if (r == 0 || time < b->min_time)
		b->min_time = time;
	b->rows++;
	return PS_OK;
}

static int
order_cmp(const void *a, const void *b, void *arg)
{
	const int64_t *sort_times = arg;
	uint32_t	x = *(const uint32_t *) a, y = *(const uint32_t *) b;

	if (sort_times[x] != sort_times[y])
		return sort_times[x] < sort_times[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int
float_cmp(double a, double b)	/* NaN largest, as PostgreSQL */
{
	if (isnan(a))
		return isnan(b) ? 0 : 1;
	if (isnan(b))
		return -1;
	return a < b ? -1 : a > b;
}

static ps_status
put_i64(ps_buf *m, int64_t v)
{
	return ps_buf_append_u64be(m, (uint64_t) v);
}

ps_status
ps_block_builder_encode(ps_block_builder *b, ps_buf *block, ps_buf *meta, ps_error *err)
{
	size_t		b0 = block->len, m0 = meta->len;
	ps_status	st = PS_OK;
	int64_t		prev = 0;
	ps_buf		col = PS_BUF_INIT;

	if (b->rows == 0)
		return ps_error_set(err, PS_EINVAL, "empty block");
	for (uint32_t r = 0; r < b->rows; r++)
		b->order[r] = r;
	qsort_r(b->order, b->rows, sizeof(uint32_t), order_cmp, b->times);
	st |= ps_buf_append_u8(block, PS_BLOCK_FORMAT_V1);
	st |= ps_buf_append_varint(block, b->rows);
	st |= ps_buf_append_varint(block, b->ncols);
	for (uint32_t k = 0; k < b->rows; k++)
	{
		int64_t		t = b->times[b->order[k]];

		st |= ps_buf_append_varint(block, zz((int64_t) ((uint64_t) t - (uint64_t) prev)));
		prev = t;
	}
	st |= ps_buf_append_u8(meta, PS_BLOCK_FORMAT_V1);
	{
		uint8_t		r4[4] = {(uint8_t) (b->rows >> 24), (uint8_t) (b->rows >> 16), (uint8_t) (b->rows >> 8), (uint8_t) b->rows};

		st |= ps_buf_append(meta, r4, 4);
	}
	st |= put_i64(meta, b->times[b->order[0]]);
	st |= put_i64(meta, b->times[b->order[b->rows - 1]]);
	st |= ps_buf_append_varint(meta, b->ncols);
	for (uint32_t c = 0; c < b->ncols && st == PS_OK; c++)
	{
		col_buf    *cb = &b->cols[c];
		ps_type		t = b->types[c];
		uint32_t	nulls = 0;
		int64_t		pv = 0, imin = 0, imax = 0;
		double		fmin = 0, fmax = 0, fsum = 0;
		__int128	isum = 0;
		bool		any = false;

		ps_buf_reset(&col);
		for (uint32_t k = 0; k < b->rows; k++)
			nulls += cb->nulls[b->order[k]];
		st |= ps_buf_append_u8(&col, nulls ? 1 : 0);
		if (nulls)
			for (uint32_t k = 0; k < b->rows; k += 8)
			{
				uint8_t		byte = 0;

				for (uint32_t j = 0; j < 8 && k + j < b->rows; j++)
					byte |= (uint8_t) (cb->nulls[b->order[k + j]] << j);
				st |= ps_buf_append_u8(&col, byte);
			}
		for (uint32_t k = 0; k < b->rows; k++)
		{
			uint32_t	r = b->order[k];

			if (cb->nulls[r])
				continue;
			switch (t)
			{
				case PS_TYPE_FLOAT:
					{
						uint64_t	u;

						memcpy(&u, &cb->f[r], 8);
						for (int s = 0; s < 64; s += 8)
							st |= ps_buf_append_u8(&col, (uint8_t) (u >> s));
						if (!any || float_cmp(cb->f[r], fmin) < 0)
							fmin = cb->f[r];
						if (!any || float_cmp(cb->f[r], fmax) > 0)
							fmax = cb->f[r];
						fsum += cb->f[r];
					}
					break;
				case PS_TYPE_STRING:
					st |= ps_buf_append_varint(&col, cb->slen[r]);
					st |= ps_buf_append(&col, b->arena.data + cb->soff[r], cb->slen[r]);
					break;
				default:
					st |= ps_buf_append_varint(&col, zz((int64_t) ((uint64_t) cb->i[r] - (uint64_t) pv)));
					pv = cb->i[r];
					if (!any || cb->i[r] < imin)
						imin = cb->i[r];
					if (!any || cb->i[r] > imax)
						imax = cb->i[r];
					isum += cb->i[r];
					break;
			}
			any = true;
		}
		st |= ps_buf_append_u8(block, (uint8_t) t);
		st |= ps_buf_append_u8(block, 0);
		st |= ps_buf_append_varint(block, col.len);
		st |= ps_buf_append(block, col.data, col.len);
		/* meta: type | nulls | has_minmax | [min max sum] | first/last (non-string) */
		st |= ps_buf_append_u8(meta, (uint8_t) t);
		st |= ps_buf_append_varint(meta, nulls);
		st |= ps_buf_append_u8(meta, (t != PS_TYPE_STRING && any) ? 1 : 0);
		if (t != PS_TYPE_STRING && any)
		{
			if (t == PS_TYPE_FLOAT)
			{
				uint64_t	u;

				memcpy(&u, &fmin, 8);
				st |= ps_buf_append_u64be(meta, u);
				memcpy(&u, &fmax, 8);
				st |= ps_buf_append_u64be(meta, u);
				memcpy(&u, &fsum, 8);
				st |= ps_buf_append_u64be(meta, u);
			}
			else
			{
				st |= put_i64(meta, imin);
				st |= put_i64(meta, imax);
				st |= ps_buf_append_u64be(meta, (uint64_t) (isum >> 64));
				st |= ps_buf_append_u64be(meta, (uint64_t) isum);
			}
		}
		if (t != PS_TYPE_STRING)
			for (int e = 0; e < 2; e++)
			{
				uint32_t	r = b->order[e ? b->rows - 1 : 0];
				uint64_t	u;

				st |= ps_buf_append_u8(meta, cb->nulls[r]);
				if (t == PS_TYPE_FLOAT)
					memcpy(&u, &cb->f[r], 8);
				else
					u = (uint64_t) cb->i[r];
				st |= ps_buf_append_u64be(meta, cb->nulls[r] ? 0 : u);
			}
	}
	ps_buf_free(&col);
	if (st != PS_OK)
	{
		block->len = b0;
		meta->len = m0;
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	ps_block_builder_reset(b);
	return PS_OK;
}

/* ------------------------------------------------------------------ reader */

struct ps_block_reader {
	uint32_t	rows, ncols, cap_cols;
	int64_t		times[PS_BLOCK_ROWS];
	ps_block_column *cols;
	col_buf    *bufs;
	uint8_t   (*bitmaps)[PS_BLOCK_ROWS / 8];
	uint8_t    *bools;
	ps_buf		strings;
	uint32_t   *str_offs;
};

ps_status
ps_block_reader_new(ps_block_reader **out, ps_error *err)
{
	*out = calloc(1, sizeof(**out));
	return *out ? PS_OK : ps_error_set(err, PS_ENOMEM, "out of memory");
}

void
ps_block_reader_free(ps_block_reader *r)
{
	if (!r)
		return;
	for (uint32_t c = 0; c < r->cap_cols; c++)
	{
		free(r->bufs[c].i);
		free(r->bufs[c].f);
	}
	free(r->bufs);
	free(r->cols);
	free(r->bitmaps);
	free(r->bools);
	free(r->str_offs);
	ps_buf_free(&r->strings);
	free(r);
}

uint32_t ps_block_reader_rows(const ps_block_reader *r) { return r->rows; }
const int64_t *ps_block_reader_times(const ps_block_reader *r) { return r->times; }
const ps_block_column *ps_block_reader_column(const ps_block_reader *r, uint32_t c) { return &r->cols[c]; }

#define CORRUPT() do { return ps_error_set(err, PS_ECORRUPT, "corrupt block"); } while (0)

ps_status
ps_block_decode(ps_block_reader *r, const void *data, size_t len, const ps_type *types,
				uint32_t ncols, const bool *want, ps_error *err)
{
	ps_reader	rd;
	uint8_t		fmt;
	uint64_t	rows, held, v;
	int64_t		prev = 0;

	ps_reader_init(&rd, data, len);
	if (ps_read_u8(&rd, &fmt) || fmt != PS_BLOCK_FORMAT_V1 || ps_read_varint(&rd, &rows) ||
		rows == 0 || rows > PS_BLOCK_ROWS || ps_read_varint(&rd, &held) || held > ncols)
		CORRUPT();
	if (ncols > r->cap_cols)
	{
		ps_block_column *cols = realloc(r->cols, ncols * sizeof(*cols));
		col_buf    *bufs;

		if (!cols)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		r->cols = cols;
		bufs = realloc(r->bufs, ncols * sizeof(*bufs));
		if (!bufs)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		r->bufs = bufs;
		for (uint32_t c = r->cap_cols; c < ncols; c++)
		{
			memset(&bufs[c], 0, sizeof(bufs[c]));
			bufs[c].i = malloc(PS_BLOCK_ROWS * sizeof(int64_t));
			bufs[c].f = malloc(PS_BLOCK_ROWS * sizeof(double));
			r->cap_cols = c + 1;
			if (!bufs[c].i || !bufs[c].f)
				return ps_error_set(err, PS_ENOMEM, "out of memory");
		}
		free(r->bitmaps);
		free(r->bools);
		free(r->str_offs);
		r->bitmaps = malloc((size_t) ncols * sizeof(*r->bitmaps));
		r->bools = malloc((size_t) ncols * PS_BLOCK_ROWS);
		r->str_offs = malloc((size_t) ncols * (PS_BLOCK_ROWS + 1) * sizeof(uint32_t));
		if (!r->bitmaps || !r->bools || !r->str_offs)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	r->rows = 0;
	r->ncols = ncols;
	for (uint64_t k = 0; k < rows; k++)
	{
		if (ps_read_varint(&rd, &v))
			CORRUPT();
		prev = (int64_t) ((uint64_t) prev + (uint64_t) unzz(v));
		if (k > 0 && prev < r->times[k - 1])
			CORRUPT();
		r->times[k] = prev;
	}
	ps_buf_reset(&r->strings);
	for (uint32_t c = 0; c < ncols; c++)
	{
		ps_block_column *bc = &r->cols[c];
		uint8_t		type, codec, has_nulls;
		uint64_t	clen;
		const uint8_t *payload;
		ps_reader	cr;
		int64_t		pv = 0;
		uint8_t    *bm = r->bitmaps[c];

		memset(bc, 0, sizeof(*bc));
		bc->type = types[c];
		if (c >= held)
		{
			bc->absent = true;
			continue;
		}
		if (ps_read_u8(&rd, &type) || type != (uint8_t) types[c] || ps_read_u8(&rd, &codec) ||
			codec != 0 || ps_read_varint(&rd, &clen) || clen > ps_reader_left(&rd) ||
			ps_read_bytes(&rd, (size_t) clen, &payload))
			CORRUPT();
		if (want && !want[c])
			continue;
		bc->decoded = true;
		ps_reader_init(&cr, payload, (size_t) clen);
		if (ps_read_u8(&cr, &has_nulls) || has_nulls > 1)
			CORRUPT();
		memset(bm, 0, PS_BLOCK_ROWS / 8);
		if (has_nulls)
		{
			const uint8_t *p;

			if (ps_read_bytes(&cr, (size_t) ((rows + 7) / 8), &p))
				CORRUPT();
			memcpy(bm, p, (size_t) ((rows + 7) / 8));
			bc->nulls = bm;
		}
		if (types[c] == PS_TYPE_STRING)
			r->str_offs[(size_t) c * (PS_BLOCK_ROWS + 1)] = (uint32_t) r->strings.len;
		for (uint64_t k = 0; k < rows; k++)
		{
			bool		isnull = has_nulls && (bm[k / 8] >> (k % 8) & 1);

			switch (types[c])
			{
				case PS_TYPE_FLOAT:
					{
						const uint8_t *p;
						uint64_t	u = 0;

						if (isnull)
							break;
						if (ps_read_bytes(&cr, 8, &p))
							CORRUPT();
						for (int s = 0; s < 8; s++)
							u |= (uint64_t) p[s] << (8 * s);
						memcpy(&r->bufs[c].f[k], &u, 8);
					}
					break;
				case PS_TYPE_STRING:
					if (!isnull)
					{
						const uint8_t *p;

						if (ps_read_varint(&cr, &v) || v > ps_reader_left(&cr) || ps_read_bytes(&cr, (size_t) v, &p) ||
							ps_buf_append(&r->strings, p, (size_t) v))
							CORRUPT();
					}
					r->str_offs[(size_t) c * (PS_BLOCK_ROWS + 1) + k + 1] = (uint32_t) r->strings.len;
					break;
				default:
					if (isnull)
						break;
					if (ps_read_varint(&cr, &v))
						CORRUPT();
					pv = (int64_t) ((uint64_t) pv + (uint64_t) unzz(v));
					r->bufs[c].i[k] = pv;
					if (types[c] == PS_TYPE_BOOLEAN)
					{
						if (pv != 0 && pv != 1)
							CORRUPT();
						r->bools[(size_t) c * PS_BLOCK_ROWS + k] = (uint8_t) pv;
					}
					break;
			}
		}
		if (ps_reader_left(&cr) != 0)
			CORRUPT();
		if (types[c] == PS_TYPE_FLOAT)
			bc->f = r->bufs[c].f;
		else if (types[c] == PS_TYPE_BOOLEAN)
			bc->b = r->bools + (size_t) c * PS_BLOCK_ROWS;
		else if (types[c] != PS_TYPE_STRING)
			bc->i = r->bufs[c].i;
	}
	if (ps_reader_left(&rd) != 0)
		CORRUPT();
	/* String pointers only once the arena stopped moving. */
	for (uint32_t c = 0; c < ncols; c++)
		if (r->cols[c].decoded && types[c] == PS_TYPE_STRING)
		{
			r->cols[c].str_off = r->str_offs + (size_t) c * (PS_BLOCK_ROWS + 1);
			r->cols[c].str_data = (const char *) r->strings.data;
		}
	r->rows = (uint32_t) rows;
	return PS_OK;
}

void
ps_block_reader_value(const ps_block_reader *r, uint32_t c, uint32_t row, ps_value *out)
{
	const ps_block_column *bc = &r->cols[c];

	out->is_null = bc->absent || (bc->nulls && (bc->nulls[row / 8] >> (row % 8) & 1));
	if (out->is_null)
		return;
	switch (bc->type)
	{
		case PS_TYPE_FLOAT: out->v.f = bc->f[row]; break;
		case PS_TYPE_BOOLEAN: out->v.b = bc->b[row] != 0; break;
		case PS_TYPE_STRING:
			out->v.s.ptr = bc->str_data + bc->str_off[row];
			out->v.s.len = bc->str_off[row + 1] - bc->str_off[row];
			break;
		default: out->v.i = bc->i[row]; break;
	}
}

ps_status
ps_block_meta_peek(const void *p, size_t n, uint32_t *rows, int64_t *min_time, int64_t *max_time)
{
	const uint8_t *b = p;
	uint64_t	mn = 0, mx = 0;

	if (n < 21 || b[0] != PS_BLOCK_FORMAT_V1)
		return PS_ECORRUPT;
	*rows = ((uint32_t) b[1] << 24) | ((uint32_t) b[2] << 16) | ((uint32_t) b[3] << 8) | b[4];
	for (int i = 0; i < 8; i++)
	{
		mn = mn << 8 | b[5 + i];
		mx = mx << 8 | b[13 + i];
	}
	*min_time = (int64_t) mn;
	*max_time = (int64_t) mx;
	return PS_OK;
}

ps_status
ps_block_meta_decode(const void *p, size_t n, ps_block_meta *out, ps_error *err)
{
	(void) p;
	(void) n;
	memset(out, 0, sizeof(*out));
	return ps_error_set(err, PS_EINTERNAL, "stand-in codec: meta decode not implemented");
}

void
ps_block_meta_clear(ps_block_meta *m)
{
	free(m->cols);
	memset(m, 0, sizeof(*m));
}
