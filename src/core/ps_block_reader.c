/*
 * ps_block_reader.c — decoding of block bytes (layout in ps_block.h and
 * ps_codec.h) into per-column arrays.
 *
 * Invariants: a failed decode leaves the reader empty (rows 0), so no
 * caller sees half a block; column arrays are allocated once, at
 * PS_BLOCK_ROWS values, by type, and reused from block to block.  Unwanted
 * columns are skipped by their length without being decoded (their type
 * and codec are still checked).  A column with NULLs is decoded densely
 * into the front of its array and spread to row positions from the back,
 * in place.  Times must come out ascending: a block that says otherwise is
 * corrupt.  A column's string bytes are bounded by PS_BLOCK_RAW_BYTES_MAX
 * plus the column's payload length: a builder stops taking rows once its
 * strings pass PS_BLOCK_RAW_BYTES_MAX, so only the last row's strings, each
 * stored whole at least once in the payload, can add to that.
 */
#include "ps_block.h"

#include <stdlib.h>
#include <string.h>

#include "ps_codec.h"

static inline bool
bit_get(const uint8_t *bm, uint32_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

typedef struct rcol {
	ps_block_column pub;
	int64_t    *i;				/* PS_BLOCK_ROWS each, allocated by type on first use */
	double	   *f;
	uint8_t    *b;
	uint32_t   *off;			/* PS_BLOCK_ROWS + 1 */
	ps_buf		data;
	uint8_t		nulls[PS_BLOCK_ROWS / 8];
} rcol;

struct ps_block_reader {
	uint32_t	rows;
	uint32_t	ncols;
	uint32_t	cap;			/* rcol slots */
	rcol	   *cols;
	int64_t		times[PS_BLOCK_ROWS];
};

ps_status
ps_block_reader_new(ps_block_reader **out, ps_error *err)
{
	*out = calloc(1, sizeof(ps_block_reader));
	if (*out == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for a block reader");
	return PS_OK;
}

void
ps_block_reader_free(ps_block_reader *r)
{
	if (r == NULL)
		return;
	for (uint32_t c = 0; c < r->cap; c++)
	{
		free(r->cols[c].i);
		free(r->cols[c].f);
		free(r->cols[c].b);
		free(r->cols[c].off);
		ps_buf_free(&r->cols[c].data);
	}
	free(r->cols);
	free(r);
}

/* Spread m dense values over rows, NULL rows zero, from the back so it works in place. */
#define DEFINE_SPREAD(name, T) \
static void \
name(T *a, const uint8_t *nulls, uint32_t rows, uint32_t m) \
{ \
	for (uint32_t r = rows; r-- > 0;) \
		a[r] = bit_get(nulls, r) ? (T) 0 : a[--m]; \
}
DEFINE_SPREAD(spread_i, int64_t)
DEFINE_SPREAD(spread_f, double)
DEFINE_SPREAD(spread_b, uint8_t)

static void
spread_off(uint32_t *off, const uint8_t *nulls, uint32_t rows, uint32_t m)
{
	off[rows] = off[m];
	for (uint32_t r = rows; r-- > 0;)
		off[r] = bit_get(nulls, r) ? off[r + 1] : off[--m];
}

static void *
col_array(void **slot, size_t size)
{
	if (*slot == NULL)
		*slot = malloc(size);
	return *slot;
}

/* Payload of one wanted column: [null bitmap] then its codec's. */
static ps_status
decode_column(rcol *col, ps_reader *pr, uint8_t codec, uint32_t rows, size_t len)
{
	uint32_t	m = rows;
	const uint8_t *bm;
	ps_status	st;

	if (codec & PS_CODEC_NULLS)
	{
		uint32_t	nulls;

		if (ps_read_bytes(pr, ps_bits_bytes(rows, 1), &bm) != PS_OK ||
			!ps_bitmap_padding_ok(bm, rows) || (nulls = ps_bitmap_count(bm, rows)) == 0)
			return PS_ECORRUPT;
		memcpy(col->nulls, bm, ps_bits_bytes(rows, 1));
		col->pub.nulls = col->nulls;
		m = rows - nulls;
	}
	codec &= (uint8_t) ~PS_CODEC_NULLS;
	switch (col->pub.type)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			if (col_array((void **) &col->i, PS_BLOCK_ROWS * sizeof(int64_t)) == NULL)
				return PS_ENOMEM;
			if (codec != PS_CODEC_INT || ps_codec_int_decode(pr, m, col->i) != PS_OK)
				return PS_ECORRUPT;
			if (m < rows)
				spread_i(col->i, col->nulls, rows, m);
			col->pub.i = col->i;
			break;
		case PS_TYPE_FLOAT:
			if (col_array((void **) &col->f, PS_BLOCK_ROWS * sizeof(double)) == NULL)
				return PS_ENOMEM;
			if (ps_codec_float_decode(pr, codec, m, col->f) != PS_OK)
				return PS_ECORRUPT;
			if (m < rows)
				spread_f(col->f, col->nulls, rows, m);
			col->pub.f = col->f;
			break;
		case PS_TYPE_BOOLEAN:
			if (col_array((void **) &col->b, PS_BLOCK_ROWS) == NULL)
				return PS_ENOMEM;
			if (codec != PS_CODEC_BITMAP || ps_codec_bool_decode(pr, m, col->b) != PS_OK)
				return PS_ECORRUPT;
			if (m < rows)
				spread_b(col->b, col->nulls, rows, m);
			col->pub.b = col->b;
			break;
		case PS_TYPE_STRING:
			if (col_array((void **) &col->off, (PS_BLOCK_ROWS + 1) * sizeof(uint32_t)) == NULL)
				return PS_ENOMEM;
			st = ps_codec_str_decode(pr, codec, m, col->off, &col->data,
									 PS_BLOCK_RAW_BYTES_MAX + len);
			if (st != PS_OK)
				return st;
			if (m < rows)
				spread_off(col->off, col->nulls, rows, m);
			col->pub.str_off = col->off;
			col->pub.str_data = (const char *) col->data.data;
			break;
	}
	return PS_OK;
}

static bool
codec_fits(ps_type t, uint8_t codec)
{
	switch (codec & (uint8_t) ~PS_CODEC_NULLS)
	{
		case PS_CODEC_INT:
			return t == PS_TYPE_INTEGER || t == PS_TYPE_TIMESTAMP;
		case PS_CODEC_GORILLA:
		case PS_CODEC_DECIMAL:
			return t == PS_TYPE_FLOAT;
		case PS_CODEC_BITMAP:
			return t == PS_TYPE_BOOLEAN;
		case PS_CODEC_DICT:
		case PS_CODEC_PLAIN:
			return t == PS_TYPE_STRING;
		default:
			return false;
	}
}

ps_status
ps_block_decode(ps_block_reader *r, const void *data, size_t len, const ps_type *types,
				uint32_t ncols, const bool *want, ps_error *err)
{
	ps_reader	rd;
	uint8_t		format;
	uint64_t	rows;
	uint64_t	bncols;
	uint32_t	c;
	ps_status	st;

	r->rows = 0;
	r->ncols = 0;
	if (ncols > r->cap)
	{
		rcol	   *p = realloc(r->cols, ncols * sizeof(rcol));

		if (p == NULL)
			return ps_error_set(err, PS_ENOMEM, "out of memory decoding a block");
		memset(p + r->cap, 0, (ncols - r->cap) * sizeof(rcol));
		r->cols = p;
		r->cap = ncols;
	}
	ps_reader_init(&rd, data, len);
	if (ps_read_u8(&rd, &format) != PS_OK || format != PS_BLOCK_FORMAT_V1)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block: empty or of an unknown format");
	if (ps_read_varint(&rd, &rows) != PS_OK || rows == 0 || rows > PS_BLOCK_ROWS ||
		ps_read_varint(&rd, &bncols) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block: bad head");
	if (bncols > ncols)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block: %llu columns, %u expected",
							(unsigned long long) bncols, ncols);
	if (ps_codec_time_decode(&rd, (uint32_t) rows, r->times) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block: bad time column");
	for (uint32_t i = 1; i < rows; i++)
		if (r->times[i] < r->times[i - 1])
			return ps_error_set(err, PS_ECORRUPT, "corrupt block: times not ascending");

	for (c = 0; c < ncols; c++)
	{
		rcol	   *col = &r->cols[c];
		uint8_t		type;
		uint8_t		codec;
		uint64_t	plen;
		ps_reader	pr;

		memset(&col->pub, 0, sizeof(col->pub));
		col->pub.type = types[c];
		col->pub.decoded = want == NULL || want[c];
		if (c >= bncols)
		{
			col->pub.absent = true;
			continue;
		}
		if (ps_read_u8(&rd, &type) != PS_OK || ps_read_u8(&rd, &codec) != PS_OK ||
			ps_read_varint(&rd, &plen) != PS_OK || plen > ps_reader_left(&rd))
			return ps_error_set(err, PS_ECORRUPT, "corrupt block: column %u truncated", c + 1);
		if (type != types[c] || !codec_fits((ps_type) type, codec))
			return ps_error_set(err, PS_ECORRUPT,
								"corrupt block: column %u has type %u codec %u, expected type %d",
								c + 1, type, codec, (int) types[c]);
		ps_reader_init(&pr, rd.p, (size_t) plen);
		rd.p += plen;
		if (!col->pub.decoded)
			continue;
		st = decode_column(col, &pr, codec, (uint32_t) rows, (size_t) plen);
		if (st == PS_ENOMEM)
			return ps_error_set(err, st, "out of memory decoding a block");
		if (st != PS_OK || pr.p != pr.end)
			return ps_error_set(err, PS_ECORRUPT, "corrupt block: column %u malformed", c + 1);
	}
	if (rd.p != rd.end)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block: %zu trailing bytes",
							ps_reader_left(&rd));
	r->rows = (uint32_t) rows;
	r->ncols = ncols;
	return PS_OK;
}

uint32_t
ps_block_reader_rows(const ps_block_reader *r)
{
	return r->rows;
}

const int64_t *
ps_block_reader_times(const ps_block_reader *r)
{
	return r->times;
}

size_t
ps_block_reader_bytes(const ps_block_reader *r)
{
	size_t		n = sizeof(*r) + (size_t) r->cap * sizeof(rcol);

	for (uint32_t c = 0; c < r->cap; c++)
	{
		const rcol *col = &r->cols[c];

		n += (col->i ? PS_BLOCK_ROWS * sizeof(int64_t) : 0) +
			(col->f ? PS_BLOCK_ROWS * sizeof(double) : 0) +
			(col->b ? PS_BLOCK_ROWS : 0) +
			(col->off ? (PS_BLOCK_ROWS + 1) * sizeof(uint32_t) : 0) + col->data.cap;
	}
	return n;
}

const ps_block_column *
ps_block_reader_column(const ps_block_reader *r, uint32_t c)
{
	return c < r->ncols ? &r->cols[c].pub : NULL;
}

void
ps_block_reader_value(const ps_block_reader *r, uint32_t c, uint32_t row, ps_value *out)
{
	const ps_block_column *col;

	memset(out, 0, sizeof(*out));
	out->is_null = true;
	if (c >= r->ncols || row >= r->rows)
		return;
	col = &r->cols[c].pub;
	if (col->absent || !col->decoded || (col->nulls && bit_get(col->nulls, row)))
		return;
	out->is_null = false;
	switch (col->type)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			out->v.i = col->i[row];
			break;
		case PS_TYPE_FLOAT:
			out->v.f = col->f[row];
			break;
		case PS_TYPE_BOOLEAN:
			out->v.b = col->b[row] != 0;
			break;
		case PS_TYPE_STRING:
			out->v.s.ptr = col->str_data + col->str_off[row];
			out->v.s.len = col->str_off[row + 1] - col->str_off[row];
			break;
	}
}

