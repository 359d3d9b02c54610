/*
 * ps_block.c — blocks of one series: the builder that collects rows and
 * encodes them into block bytes and meta bytes (layouts in ps_block.h and
 * ps_codec.h; the statistics in the meta bytes are ps_block_meta.c's, the
 * reader of block bytes is ps_block_reader.c).
 *
 * Builder invariants: every column keeps only its non-NULL values, densely,
 * in arrival order, plus a row bitmap of NULLs allocated at the first NULL;
 * all arrays hold `cap` rows and grow geometrically, because a load keeps
 * one builder per series and most series never fill a block.  Strings are
 * copied into one arena and referred to by offset (the arena moves when it
 * grows); "raw bytes" are the arena's.  `sorted` records whether times
 * arrived non-decreasing: then encoding hands the arrays to the codecs as
 * they are; otherwise it sorts row numbers by (time, arrival), the stable
 * order, and gathers.  Encoding builds each column's payload apart (its
 * length precedes it) and the column's statistics in the same pass; on any
 * failure both output buffers are cut back to their old length and the
 * rows stay.

 */
#include "ps_block.h"

#include <stdlib.h>
#include <string.h>

#include "ps_codec.h"
#include "ps_schema.h"			/* PS_MAX_COLUMNS */

#define BUILDER_MIN_CAP 16

typedef struct strslot {
	uint32_t	off;			/* into the arena */
	uint32_t	len;
} strslot;

typedef struct bcol {
	void	   *vals;			/* int64_t, double, uint8_t or strslot */
	uint8_t    *nulls;			/* cap bits; NULL until the first NULL */
	uint32_t	nvals;
} bcol;

struct ps_block_builder {
	uint32_t	ncols;
	uint32_t	rows;
	uint32_t	cap;
	bool		sorted;
	int64_t		min_time;
	ps_type    *types;
	bcol	   *cols;
	int64_t    *times;
	char	   *arena;
	size_t		arena_len;
	size_t		arena_cap;
	ps_buf		payload;		/* one column's payload during encode */
};

static size_t
value_size(ps_type t)
{
	switch (t)
	{
		case PS_TYPE_BOOLEAN:
			return 1;
		case PS_TYPE_STRING:
			return sizeof(strslot);
		default:
			return 8;
	}
}

static inline bool
bit_get(const uint8_t *bm, uint32_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

static inline void
bit_set(uint8_t *bm, uint32_t i)
{
	bm[i >> 3] |= (uint8_t) (1u << (i & 7));
}

ps_status
ps_block_builder_new(const ps_type *types, uint32_t ncols, ps_block_builder **out,
					 ps_error *err)
{
	ps_block_builder *b;

	*out = NULL;
	if (ncols > PS_MAX_COLUMNS)
		return ps_error_set(err, PS_EINVAL, "block: %u columns (at most %d)", ncols,
							PS_MAX_COLUMNS);
	for (uint32_t c = 0; c < ncols; c++)
		if (!ps_type_valid((int) types[c]))
			return ps_error_set(err, PS_EINVAL, "block: column %u: invalid type code %d",
								c + 1, (int) types[c]);
	b = calloc(1, sizeof(*b));
	if (b == NULL ||
		(ncols && ((b->types = malloc(ncols * sizeof(ps_type))) == NULL ||
				   (b->cols = calloc(ncols, sizeof(bcol))) == NULL)))
	{
		ps_block_builder_free(b);
		return ps_error_set(err, PS_ENOMEM, "out of memory for a block builder");
	}
	if (ncols)
		memcpy(b->types, types, ncols * sizeof(ps_type));
	b->ncols = ncols;
	b->sorted = true;
	*out = b;
	return PS_OK;
}

/* Everything but the struct and its type list. */
static void
release_arrays(ps_block_builder *b)
{
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		free(b->cols[c].vals);
		free(b->cols[c].nulls);
		b->cols[c].vals = NULL;
		b->cols[c].nulls = NULL;
	}
	free(b->times);
	free(b->arena);
	b->times = NULL;
	b->arena = NULL;
	b->arena_cap = 0;
	b->cap = 0;
	ps_buf_free(&b->payload);
}

void
ps_block_builder_free(ps_block_builder *b)
{
	if (b == NULL)
		return;
	release_arrays(b);
	free(b->cols);
	free(b->types);
	free(b);
}

/* Room for one more row.  A failure leaves cap as it was (some arrays may be larger). */
static ps_status
grow_rows(ps_block_builder *b)
{
	uint32_t	cap = b->cap ? b->cap * 2 : BUILDER_MIN_CAP;
	void	   *p;

	if (cap > PS_BLOCK_ROWS)
		cap = PS_BLOCK_ROWS;
	if ((p = realloc(b->times, cap * sizeof(int64_t))) == NULL)
		return PS_ENOMEM;
	b->times = p;
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		bcol	   *col = &b->cols[c];

		if ((p = realloc(col->vals, cap * value_size(b->types[c]))) == NULL)
			return PS_ENOMEM;
		col->vals = p;
		if (col->nulls)
		{
			if ((p = realloc(col->nulls, cap / 8)) == NULL)
				return PS_ENOMEM;
			col->nulls = p;
			memset(col->nulls + b->cap / 8, 0, (cap - b->cap) / 8);
		}
	}
	b->cap = cap;
	return PS_OK;
}

ps_status
ps_block_builder_append(ps_block_builder *b, int64_t time, const ps_value *values,
						ps_error *err)
{
	uint32_t	row = b->rows;
	size_t		strbytes = 0;

	if (ps_block_builder_full(b))
		return ps_error_set(err, PS_ETOOBIG, "block is full");
	/* Check and allocate everything first, so a failure changes nothing. */
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		const ps_value *v = &values[c];

		if (v->is_null || b->types[c] != PS_TYPE_STRING)
			continue;
		if (!ps_utf8_valid(v->v.s.ptr, v->v.s.len))
			return ps_error_set(err, PS_EINVAL,
								"column %u: string is not valid UTF-8 (or contains a NUL byte)",
								c + 1);
		strbytes += v->v.s.len;
	}
	if (strbytes > UINT32_MAX - b->arena_len)
		return ps_error_set(err, PS_ETOOBIG, "block strings exceed 4 GiB");
	if (b->arena_len + strbytes > b->arena_cap)
	{
		size_t		cap = b->arena_cap ? b->arena_cap : 256;
		char	   *p;

		while (cap < b->arena_len + strbytes)
			cap *= 2;
		if ((p = realloc(b->arena, cap)) == NULL)
			return ps_error_set(err, PS_ENOMEM, "out of memory in a block builder");
		b->arena = p;
		b->arena_cap = cap;
	}
	if (row == b->cap && grow_rows(b) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "out of memory in a block builder");
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		const ps_value *v = &values[c];
		bcol	   *col = &b->cols[c];

		if (v->is_null && col->nulls == NULL &&
			(col->nulls = calloc(b->cap / 8, 1)) == NULL)
			return ps_error_set(err, PS_ENOMEM, "out of memory in a block builder");
	}

	for (uint32_t c = 0; c < b->ncols; c++)
	{
		const ps_value *v = &values[c];
		bcol	   *col = &b->cols[c];

		if (v->is_null)
		{
			bit_set(col->nulls, row);
			continue;
		}
		switch (b->types[c])
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
				((int64_t *) col->vals)[col->nvals] = v->v.i;
				break;
			case PS_TYPE_FLOAT:
				((double *) col->vals)[col->nvals] = v->v.f;
				break;
			case PS_TYPE_BOOLEAN:
				((uint8_t *) col->vals)[col->nvals] = v->v.b ? 1 : 0;
				break;
			case PS_TYPE_STRING:
				{
					strslot    *s = &((strslot *) col->vals)[col->nvals];

					s->off = (uint32_t) b->arena_len;
					s->len = v->v.s.len;
					if (s->len)
						memcpy(b->arena + b->arena_len, v->v.s.ptr, s->len);
					b->arena_len += s->len;
				}
				break;
		}
		col->nvals++;
	}
	if (row == 0 || time < b->min_time)
		b->min_time = time;
	if (row > 0 && time < b->times[row - 1])
		b->sorted = false;
	b->times[row] = time;
	b->rows++;
	return PS_OK;
}

uint32_t
ps_block_builder_rows(const ps_block_builder *b)
{
	return b->rows;
}

size_t
ps_block_builder_bytes(const ps_block_builder *b)
{
	size_t		n = sizeof(*b) + b->ncols * (sizeof(ps_type) + sizeof(bcol));

	n += (size_t) b->cap * sizeof(int64_t) + b->arena_cap + b->payload.cap;
	for (uint32_t c = 0; c < b->ncols; c++)
		n += (size_t) b->cap * value_size(b->types[c]) + (b->cols[c].nulls ? b->cap / 8 : 0);
	return n;
}

bool
ps_block_builder_full(const ps_block_builder *b)
{
	return b->rows >= PS_BLOCK_ROWS || b->arena_len > PS_BLOCK_RAW_BYTES_MAX;
}

int64_t
ps_block_builder_min_time(const ps_block_builder *b)
{
	return b->min_time;
}

void
ps_block_builder_reset(ps_block_builder *b)
{
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		b->cols[c].nvals = 0;
		if (b->cols[c].nulls)
			memset(b->cols[c].nulls, 0, b->cap / 8);
	}
	b->rows = 0;
	b->arena_len = 0;
	b->sorted = true;
}

void
ps_block_builder_shrink(ps_block_builder *b)
{
	if (b->rows == 0)
	{
		release_arrays(b);
		return;
	}
	ps_buf_free(&b->payload);
}

/* ---------------------------------------------------------------- encode */

typedef struct encode_scratch {
	uint32_t   *perm;			/* sorted position -> arrival row, NULL when sorted */
	uint32_t   *rank;			/* arrival row -> dense index, for a column with NULLs */
	uint32_t   *order;			/* sorted dense position -> arrival dense index */
	int64_t    *times;
	void	   *vals;			/* PS_BLOCK_ROWS x 16 bytes */
} encode_scratch;

typedef struct time_row {
	int64_t		t;
	uint32_t	row;
} time_row;

static int
time_row_cmp(const void *a, const void *b)
{
	const time_row *x = a;
	const time_row *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

/* Sorted null bitmap of column c into bm, and its dense values in time order. */
static const void *
sorted_column(const ps_block_builder *b, uint32_t c, const encode_scratch *s, uint8_t *bm)
{
	const bcol *col = &b->cols[c];
	const uint32_t n = b->rows;
	uint32_t	k = 0;
	size_t		size = value_size(b->types[c]);

	memset(bm, 0, ps_bits_bytes(n, 1));
	if (s->perm == NULL)
	{
		if (col->nulls)
			memcpy(bm, col->nulls, ps_bits_bytes(n, 1));
		if (b->types[c] != PS_TYPE_STRING)
			return col->vals;
		for (uint32_t i = 0; i < col->nvals; i++)
			s->order[i] = i;
	}
	else
	{
		if (col->nulls)
			for (uint32_t r = 0, d = 0; r < n; r++)
			{
				s->rank[r] = d;
				d += !bit_get(col->nulls, r);
			}
		for (uint32_t p = 0; p < n; p++)
		{
			uint32_t	row = s->perm[p];

			if (col->nulls && bit_get(col->nulls, row))
				bit_set(bm, p);
			else
				s->order[k++] = col->nulls ? s->rank[row] : row;
		}
	}
	switch (b->types[c])
	{
		case PS_TYPE_STRING:
			{
				const strslot *src = col->vals;
				ps_strref  *dst = s->vals;
				const char *arena = b->arena ? b->arena : "";	/* only empty strings */

				for (uint32_t i = 0; i < col->nvals; i++)
				{
					dst[i].ptr = arena + src[s->order[i]].off;
					dst[i].len = src[s->order[i]].len;
				}
			}
			break;
		case PS_TYPE_BOOLEAN:
			for (uint32_t i = 0; i < col->nvals; i++)
				((uint8_t *) s->vals)[i] = ((const uint8_t *) col->vals)[s->order[i]];
			break;
		default:
			for (uint32_t i = 0; i < col->nvals; i++)
				memcpy((char *) s->vals + i * size, (const char *) col->vals + s->order[i] * size,
					   size);
			break;
	}
	return s->vals;
}

static ps_status
encode_column(ps_block_builder *b, uint32_t c, const void *vals, const uint8_t *bm,
			  ps_buf *block, ps_buf *meta)
{
	const uint32_t n = b->rows;
	const uint32_t m = b->cols[c].nvals;
	ps_type		t = b->types[c];
	ps_buf	   *pl = &b->payload;
	uint8_t		codec = 0;
	ps_status	st;

	ps_buf_reset(pl);
	if (m < n && (st = ps_buf_append(pl, bm, ps_bits_bytes(n, 1))) != PS_OK)
		return st;
	switch (t)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			codec = PS_CODEC_INT;
			st = ps_codec_int_encode(pl, vals, m, PS_CODEC_AUTO);
			break;
		case PS_TYPE_FLOAT:
			st = ps_codec_float_encode(pl, vals, m, PS_CODEC_AUTO, &codec);
			break;
		case PS_TYPE_BOOLEAN:
			codec = PS_CODEC_BITMAP;
			st = ps_codec_bool_encode(pl, vals, m);
			break;
		default:
			st = ps_codec_str_encode(pl, vals, m, PS_CODEC_AUTO, &codec);
			break;
	}
	if (st != PS_OK)
		return st;
	if (m < n)
		codec |= PS_CODEC_NULLS;
	if ((st = ps_buf_append_u8(block, (uint8_t) t)) != PS_OK ||
		(st = ps_buf_append_u8(block, codec)) != PS_OK ||
		(st = ps_buf_append_varint(block, pl->len)) != PS_OK ||
		(st = ps_buf_append(block, pl->data, pl->len)) != PS_OK)
		return st;
	return ps_block_stats_put(meta, t, vals, n, m, m > 0 && !bit_get(bm, 0),
							  m > 0 && !bit_get(bm, n - 1));
}

ps_status
ps_block_builder_encode(ps_block_builder *b, ps_buf *block, ps_buf *meta, ps_error *err)
{
	const uint32_t n = b->rows;
	const size_t block0 = block->len;
	const size_t meta0 = meta->len;
	encode_scratch s = {0};
	uint8_t		bm[PS_BLOCK_ROWS / 8];
	const int64_t *times = b->times;
	char	   *mem;
	ps_status	st = PS_ENOMEM;

	if (n == 0)
		return ps_error_set(err, PS_EINVAL, "block: nothing to encode");
	mem = malloc((size_t) n * (4 + 4 + 4 + 8 + 16 + sizeof(time_row)));
	if (mem == NULL)
		goto fail;
	/* 8-byte aligned arrays first. */
	s.vals = mem;
	s.times = (int64_t *) (mem + (size_t) n * 16);
	s.order = (uint32_t *) (mem + (size_t) n * (24 + sizeof(time_row)));
	s.rank = s.order + n;
	if (!b->sorted)
	{
		time_row   *tr = (time_row *) (mem + (size_t) n * 24);

		s.perm = s.rank + n;
		for (uint32_t i = 0; i < n; i++)
		{
			tr[i].t = b->times[i];
			tr[i].row = i;
		}
		qsort(tr, n, sizeof(time_row), time_row_cmp);
		for (uint32_t i = 0; i < n; i++)
		{
			s.times[i] = tr[i].t;
			s.perm[i] = tr[i].row;
		}
		times = s.times;
	}

	if ((st = ps_buf_append_u8(block, PS_BLOCK_FORMAT_V1)) != PS_OK ||
		(st = ps_buf_append_varint(block, n)) != PS_OK ||
		(st = ps_buf_append_varint(block, b->ncols)) != PS_OK ||
		(st = ps_codec_time_encode(block, times, n, PS_CODEC_AUTO)) != PS_OK ||
		(st = ps_buf_append_u8(meta, PS_BLOCK_FORMAT_V1)) != PS_OK ||
		(st = ps_buf_append_u32be(meta, n)) != PS_OK ||
		(st = ps_buf_append_u64be(meta, (uint64_t) times[0])) != PS_OK ||
		(st = ps_buf_append_u64be(meta, (uint64_t) times[n - 1])) != PS_OK ||
		(st = ps_buf_append_varint(meta, b->ncols)) != PS_OK)
		goto fail;
	for (uint32_t c = 0; c < b->ncols; c++)
	{
		const void *vals = sorted_column(b, c, &s, bm);

		if ((st = encode_column(b, c, vals, bm, block, meta)) != PS_OK)
			goto fail;
	}
	free(mem);
	ps_block_builder_reset(b);
	return PS_OK;

fail:
	free(mem);
	block->len = block0;
	meta->len = meta0;
	return ps_error_set(err, st, "block: encoding failed: %s", ps_strerror(st));
}

