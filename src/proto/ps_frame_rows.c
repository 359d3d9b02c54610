/*
 * ps_frame_rows.c — encoding and decoding of the columnar ROWS payload
 * (layout in ps_frame_rows.h).
 *
 * The encoder copies the store's vectors as they are on little-endian
 * machines and swaps them elsewhere; it writes 0 for the values of NULL
 * rows, whatever the store's vectors hold there, so a batch's bytes depend
 * only on its rows.  The decoder trusts nothing: every count is checked
 * against the bytes left before anything is read or allocated, so a
 * hostile payload costs at most a few bytes of offsets per byte received.
 */
#include "ps_frame_rows.h"

#include <stdlib.h>

#define LITTLE_ENDIAN_HOST (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

static inline bool
null_at(const uint8_t *nulls, uint32_t r)
{
	return nulls && ((nulls[r >> 3] >> (r & 7)) & 1);
}

/* Append n 8-byte values (int64 or double bits) little-endian, NULL rows as 0. */
static ps_status
put_words(ps_buf *b, const void *src, uint32_t n, const uint8_t *nulls)
{
	size_t		bytes = (size_t) n * 8;
	uint8_t    *dst;

	if (n == 0)
		return PS_OK;			/* src may be NULL: an empty batch has no arrays */
	if (ps_buf_reserve(b, bytes) != PS_OK)
		return PS_ENOMEM;
	dst = b->data + b->len;
	if (LITTLE_ENDIAN_HOST && !nulls)
		memcpy(dst, src, bytes);
	else
		for (uint32_t r = 0; r < n; r++)
		{
			uint64_t	v;

			memcpy(&v, (const uint8_t *) src + (size_t) r * 8, 8);
			v = null_at(nulls, r) ? 0 : htole64(v);
			memcpy(dst + (size_t) r * 8, &v, 8);
		}
	b->len += bytes;
	return PS_OK;
}

static ps_status
put_column(ps_buf *b, const ps_scan_vector *v, uint32_t n)
{
	size_t		bitmap = (n + 7) / 8;

	if (ps_buf_append_u8(b, v->nulls ? 1 : 0) != PS_OK ||
		(v->nulls && ps_buf_append(b, v->nulls, bitmap) != PS_OK))
		return PS_ENOMEM;
	if (v->nulls && n % 8 != 0)
		b->data[b->len - 1] &= (uint8_t) ((1u << (n % 8)) - 1);	/* no stray bits past count */
	switch (v->type)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			return put_words(b, v->i, n, v->nulls);
		case PS_TYPE_FLOAT:
			return put_words(b, v->f, n, v->nulls);
		case PS_TYPE_BOOLEAN:
			if (ps_buf_reserve(b, n) != PS_OK)
				return PS_ENOMEM;
			for (uint32_t r = 0; r < n; r++)
				b->data[b->len + r] = !null_at(v->nulls, r) && v->b[r] ? 1 : 0;
			b->len += n;
			return PS_OK;
		case PS_TYPE_STRING:
			if (ps_buf_reserve(b, (size_t) n * 4) != PS_OK)
				return PS_ENOMEM;
			for (uint32_t r = 0; r < n; r++)
			{
				uint32_t	len = null_at(v->nulls, r) ? 0 : v->str_off[r + 1] - v->str_off[r];
				uint32_t	le = htole32(len);

				memcpy(b->data + b->len + (size_t) r * 4, &le, 4);
			}
			b->len += (size_t) n * 4;
			for (uint32_t r = 0; r < n; r++)
			{
				uint32_t	len = v->str_off[r + 1] - v->str_off[r];

				/* (A batch of empty strings may have no string bytes at all.) */
				if (!null_at(v->nulls, r) && len > 0 &&
					ps_buf_append(b, v->str_data + v->str_off[r], len) != PS_OK)
					return PS_ENOMEM;
			}
			return PS_OK;
	}
	return PS_EINVAL;
}

ps_status
ps_frame_rows_encode(ps_buf *b, const ps_scan_batch *batch, const uint32_t *cols, uint32_t ncols,
					 bool with_times, bool done)
{
	uint32_t	n = batch ? batch->rows : 0;
	ps_status	st;

	if (ps_buf_append_u32be(b, n) != PS_OK ||
		ps_buf_append_u8(b, done ? 1 : 0) != PS_OK ||
		ps_buf_append_u8(b, with_times ? 1 : 0) != PS_OK)
		return PS_ENOMEM;
	if (with_times && n > 0 && (st = put_words(b, batch->times, n, NULL)) != PS_OK)
		return st;
	for (uint32_t i = 0; i < ncols; i++)
	{
		static const ps_scan_vector empty = {.type = PS_TYPE_INTEGER};
		const ps_scan_vector *v = n > 0 ? &batch->columns[cols[i]] : &empty;

		if ((st = put_column(b, v, n)) != PS_OK)
			return st;
	}
	return PS_OK;
}

/* Take n bytes from r, or PS_EPROTO. */
static ps_status
take(ps_reader *r, size_t n, const uint8_t **out)
{
	if (ps_reader_left(r) < n)
		return PS_EPROTO;
	*out = r->p;
	r->p += n;
	return PS_OK;
}

static ps_status
get_column(ps_reader *r, ps_type t, uint32_t n, ps_frame_rows *out, ps_frame_column *c,
		   size_t *off_at)
{
	uint8_t		has_nulls;
	const uint8_t *lens;
	size_t		total = 0;

	memset(c, 0, sizeof(*c));
	if (ps_read_u8(r, &has_nulls) != PS_OK || has_nulls > 1)
		return PS_EPROTO;
	if (has_nulls && take(r, ((size_t) n + 7) / 8, &c->nulls) != PS_OK)
		return PS_EPROTO;
	switch (t)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
		case PS_TYPE_FLOAT:
			return take(r, (size_t) n * 8, &c->values);
		case PS_TYPE_BOOLEAN:
			if (take(r, n, &c->values) != PS_OK)
				return PS_EPROTO;
			for (uint32_t i = 0; i < n; i++)
				if (c->values[i] > 1)
					return PS_EPROTO;
			return PS_OK;
		case PS_TYPE_STRING:
			{
				uint32_t   *off;
				const uint8_t *data;

				if (take(r, (size_t) n * 4, &lens) != PS_OK)
					return PS_EPROTO;
				/* Offsets go in out->offsets; pointers are set once it stops moving. */
				if (ps_buf_reserve(&out->offsets, ((size_t) n + 1) * 4) != PS_OK)
					return PS_ENOMEM;
				off = (uint32_t *) (void *) (out->offsets.data + out->offsets.len);
				off[0] = 0;
				for (uint32_t i = 0; i < n; i++)
				{
					uint32_t	le;

					memcpy(&le, lens + (size_t) i * 4, 4);
					total += le32toh(le);
					if (total > ps_reader_left(r))
						return PS_EPROTO;
					off[i + 1] = (uint32_t) total;
				}
				*off_at = out->offsets.len;
				out->offsets.len += ((size_t) n + 1) * 4;
				if (take(r, total, &data) != PS_OK)
					return PS_EPROTO;
				c->str_data = (const char *) data;
				return PS_OK;
			}
	}
	return PS_EPROTO;
}

ps_status
ps_frame_rows_decode(ps_reader *r, const ps_type *types, uint32_t ntypes, ps_frame_rows *out)
{
	uint32_t	n;
	uint8_t		done, has_times;
	size_t	   *off_at = NULL;
	ps_status	st = PS_OK;

	out->count = 0;
	out->ncolumns = 0;
	out->times = NULL;
	ps_buf_reset(&out->offsets);
	if (ps_read_u32be(r, &n) != PS_OK || ps_read_u8(r, &done) != PS_OK || done > 1 ||
		ps_read_u8(r, &has_times) != PS_OK || has_times > 1 || n > PS_FRAME_ROWS_MAX)
		return PS_EPROTO;
	/* Every column takes at least one byte per row but booleans' 1/8 (nulls) + 1. */
	if (ntypes > 0 && ps_reader_left(r) < (size_t) n * ntypes)
		return PS_EPROTO;
	if (has_times && take(r, (size_t) n * 8, &out->times) != PS_OK)
		return PS_EPROTO;
	if (ntypes > out->columns_cap)
	{
		ps_frame_column *cols = realloc(out->columns, ntypes * sizeof(*cols));

		if (!cols)
			return PS_ENOMEM;
		out->columns = cols;
		out->columns_cap = ntypes;
	}
	if (ntypes > 0 && !(off_at = calloc(ntypes, sizeof(size_t))))
		return PS_ENOMEM;
	for (uint32_t i = 0; i < ntypes && st == PS_OK; i++)
		st = get_column(r, types[i], n, out, &out->columns[i], &off_at[i]);
	if (st == PS_OK)
	{
		for (uint32_t i = 0; i < ntypes; i++)
			if (types[i] == PS_TYPE_STRING)
				out->columns[i].str_off = (const uint32_t *) (void *) (out->offsets.data + off_at[i]);
		if (r->p != r->end)
			st = PS_EPROTO;
	}
	free(off_at);
	if (st != PS_OK)
		return st;
	out->count = n;
	out->done = done;
	out->ncolumns = ntypes;
	return PS_OK;
}

void
ps_frame_rows_value(const ps_frame_rows *rows, uint32_t c, ps_type t, uint32_t row,
					ps_value *out)
{
	const ps_frame_column *col = &rows->columns[c];

	memset(out, 0, sizeof(*out));
	out->is_null = ps_frame_is_null(col, row);
	if (out->is_null)
		return;
	switch (t)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			out->v.i = ps_frame_le_i64(col->values, row);
			break;
		case PS_TYPE_FLOAT:
			out->v.f = ps_frame_le_f64(col->values, row);
			break;
		case PS_TYPE_BOOLEAN:
			out->v.b = col->values[row] != 0;
			break;
		case PS_TYPE_STRING:
			out->v.s.ptr = col->str_data + col->str_off[row];
			out->v.s.len = col->str_off[row + 1] - col->str_off[row];
			break;
	}
}

void
ps_frame_rows_free(ps_frame_rows *rows)
{
	free(rows->columns);
	ps_buf_free(&rows->offsets);
	memset(rows, 0, sizeof(*rows));
}
