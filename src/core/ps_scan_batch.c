/*
 * ps_scan_batch.c — handing a scan's rows out: as column vectors
 * (ps_scan_next_batch), or one encoded row at a time (ps_scan_next, built
 * on the vectors, so both see the same rows in the same order).
 *
 * A batch is filled run by run: ps_scan_run says how many rows of the top
 * block come before any other block's, and those are copied column by
 * column (times and fixed-width values with one memcpy when ascending).
 * In time order over many interleaved series runs are short; an unordered
 * scan copies whole blocks.  Series-key columns are not in the blocks: each
 * run repeats its series' key tuple.  The scan's offset is skipped and its
 * limit counted here.
 *
 * Memory: the vectors are allocated for the largest batch asked for (at
 * most PS_SCAN_BATCH_ROWS_MAX rows) and reused; string bytes grow with
 * the batch, which stops past about max_bytes (one run may overshoot:
 * a run is at most one block, whose strings are capped by
 * PS_BLOCK_RAW_BYTES_MAX).  Null bitmaps are cleared only once a batch
 * meets its first NULL in that column.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_row.h"
#include "ps_scan_int.h"
#include "ps_series.h"

#define PS_SCAN_BATCH_ROWS_MAX 65536u
/* Rows ps_scan_next reads ahead. */
#define PS_SCAN_ROW_BATCH 256u

static inline bool
bit_get(const uint8_t *bm, uint32_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

static inline void
bit_put(uint8_t *bm, uint32_t i, bool on)
{
	if (on)
		bm[i >> 3] |= (uint8_t) (1u << (i & 7));
	else
		bm[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

void
ps_scan_vectors_free(batch_vectors *v, uint32_t ncolumns)
{
	free(v->times);
	for (uint32_t c = 0; v->cols && c < ncolumns; c++)
	{
		free((void *) v->cols[c].i);
		free((void *) v->cols[c].f);
		free((void *) v->cols[c].b);
		free((void *) v->cols[c].str_off);
		free(v->nulls[c]);
		ps_buf_free(&v->strings[c]);
	}
	free(v->cols);
	free(v->nulls);
	free(v->strings);
	memset(v, 0, sizeof(*v));
}

/* Make every wanted column's arrays hold rows rows. */
static ps_status
vectors_reserve(ps_scan *sc, uint32_t rows, ps_error *err)
{
	batch_vectors *v = &sc->vec;
	const ps_schema *s = sc->schema;

	if (!v->cols)
	{
		v->cols = calloc(s->ncolumns, sizeof(ps_scan_vector));
		v->nulls = calloc(s->ncolumns, sizeof(uint8_t *));
		v->strings = calloc(s->ncolumns, sizeof(ps_buf));
		if (!v->cols || !v->nulls || !v->strings)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		for (uint32_t c = 0; c < s->ncolumns; c++)
		{
			v->cols[c].type = s->columns[c].type;
			v->cols[c].wanted = sc->want[c];
		}
	}
	if (rows <= v->cap)
		return PS_OK;
	if (!(v->times = realloc(v->times, rows * sizeof(int64_t))))
		goto oom;
	for (uint32_t c = 0; c < s->ncolumns; c++)
	{
		ps_scan_vector *col = &v->cols[c];
		void	   *p;

		if (!col->wanted)
			continue;
		if (!(p = realloc(v->nulls[c], rows / 8 + 1)))
			goto oom;
		v->nulls[c] = p;
		switch (col->type)
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
				if (!(p = realloc((void *) col->i, rows * sizeof(int64_t))))
					goto oom;
				col->i = p;
				break;
			case PS_TYPE_FLOAT:
				if (!(p = realloc((void *) col->f, rows * sizeof(double))))
					goto oom;
				col->f = p;
				break;
			case PS_TYPE_BOOLEAN:
				if (!(p = realloc((void *) col->b, rows)))
					goto oom;
				col->b = p;
				break;
			case PS_TYPE_STRING:
				if (!(p = realloc((void *) col->str_off, (rows + 1) * sizeof(uint32_t))))
					goto oom;
				col->str_off = p;
				break;
		}
	}
	v->cap = rows;
	return PS_OK;
oom:
	return ps_error_set(err, PS_ENOMEM, "out of memory for a scan batch of %u rows", rows);
}

/* Start an empty batch. */
static void
vectors_reset(ps_scan *sc)
{
	batch_vectors *v = &sc->vec;

	for (uint32_t c = 0; c < sc->schema->ncolumns; c++)
	{
		v->cols[c].nulls = NULL;
		if (v->cols[c].wanted && v->cols[c].type == PS_TYPE_STRING)
		{
			ps_buf_reset(&v->strings[c]);
			((uint32_t *) v->cols[c].str_off)[0] = 0;
		}
	}
	sc->batch.rows = 0;
	sc->batch.bytes = 0;
}

/* Mark rows [at, at + n) of column c NULL (null) or not. */
static void
mark_nulls(batch_vectors *v, uint32_t c, uint32_t at, uint32_t n, bool null)
{
	uint8_t    *bm = v->nulls[c];

	if (!v->cols[c].nulls)
	{
		if (!null)
			return;
		memset(bm, 0, at / 8 + 1);
		v->cols[c].nulls = bm;
	}
	for (uint32_t k = 0; k < n; k++)
		bit_put(bm, at + k, null);
}

/* Row k of the run: its index in the block (runs go backwards when descending). */
static inline uint32_t
run_row(const ps_scan *sc, const cursor *cur, uint32_t k)
{
	return sc->descending ? cur->pos - 1 - k : cur->pos + k;
}

/* Append n rows of one series' key value (or NULL) to column c at row at. */
static ps_status
append_constant(ps_scan *sc, uint32_t c, const ps_value *val, uint32_t at, uint32_t n,
				ps_error *err)
{
	ps_scan_vector *col = &sc->vec.cols[c];

	mark_nulls(&sc->vec, c, at, n, val->is_null);
	for (uint32_t k = 0; k < n; k++)
		switch (col->type)
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
				((int64_t *) col->i)[at + k] = val->is_null ? 0 : val->v.i;
				break;
			case PS_TYPE_FLOAT:
				((double *) col->f)[at + k] = val->is_null ? 0 : val->v.f;
				break;
			case PS_TYPE_BOOLEAN:
				((uint8_t *) col->b)[at + k] = !val->is_null && val->v.b;
				break;
			case PS_TYPE_STRING:
				if (!val->is_null &&
					ps_buf_append(&sc->vec.strings[c], val->v.s.ptr, val->v.s.len) != PS_OK)
					return ps_error_set(err, PS_ENOMEM, "out of memory");
				((uint32_t *) col->str_off)[at + k + 1] = (uint32_t) sc->vec.strings[c].len;
				break;
		}
	return PS_OK;
}

/* Append n rows of block column bc (NULL: absent) to column c at row at. */
static ps_status
append_block_column(ps_scan *sc, const cursor *cur, uint32_t c, const ps_block_column *bc,
					uint32_t at, uint32_t n, ps_error *err)
{
	ps_scan_vector *col = &sc->vec.cols[c];
	bool		forward = !sc->descending;
	uint32_t	first = run_row(sc, cur, 0);

	if (!bc || bc->absent)
	{
		static const ps_value null_value = {.is_null = true};

		return append_constant(sc, c, &null_value, at, n, err);
	}
	if (bc->nulls)
		for (uint32_t k = 0; k < n; k++)
			mark_nulls(&sc->vec, c, at + k, 1, bit_get(bc->nulls, run_row(sc, cur, k)));
	else
		mark_nulls(&sc->vec, c, at, n, false);
	switch (col->type)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			if (forward)
				memcpy((int64_t *) col->i + at, bc->i + first, n * sizeof(int64_t));
			else
				for (uint32_t k = 0; k < n; k++)
					((int64_t *) col->i)[at + k] = bc->i[first - k];
			break;
		case PS_TYPE_FLOAT:
			if (forward)
				memcpy((double *) col->f + at, bc->f + first, n * sizeof(double));
			else
				for (uint32_t k = 0; k < n; k++)
					((double *) col->f)[at + k] = bc->f[first - k];
			break;
		case PS_TYPE_BOOLEAN:
			if (forward)
				memcpy((uint8_t *) col->b + at, bc->b + first, n);
			else
				for (uint32_t k = 0; k < n; k++)
					((uint8_t *) col->b)[at + k] = bc->b[first - k];
			break;
		case PS_TYPE_STRING:
			{
				ps_buf	   *sb = &sc->vec.strings[c];
				uint32_t   *off = (uint32_t *) col->str_off;

				for (uint32_t k = 0; k < n; k++)
				{
					uint32_t	r = run_row(sc, cur, k);
					uint32_t	len = bc->str_off[r + 1] - bc->str_off[r];

					if (ps_buf_append(sb, bc->str_data + bc->str_off[r], len) != PS_OK)
						return ps_error_set(err, PS_ENOMEM, "out of memory");
					off[at + k + 1] = (uint32_t) sb->len;
				}
				if (sb->len > UINT32_MAX / 2)
					return ps_error_set(err, PS_ETOOBIG, "a scan batch of more than 2 GB of strings");
			}
			break;
	}
	return PS_OK;
}

/* Copy n rows of the top cursor cur into the batch. */
static ps_status
append_run(ps_scan *sc, const cursor *cur, uint32_t n, ps_error *err)
{
	const ps_schema *s = sc->schema;
	const int64_t *times = ps_block_reader_times(cur->r);
	uint32_t	at = sc->batch.rows;
	size_t		string_bytes = 0;
	ps_status	rc;

	if (sc->descending)
		for (uint32_t k = 0; k < n; k++)
			sc->vec.times[at + k] = times[cur->pos - 1 - k];
	else
		memcpy(sc->vec.times + at, times + cur->pos, n * sizeof(int64_t));
	if (s->nseries > 0 &&
		(rc = ps_series_tuple_decode(s, sc->tuples.data + cur->tuple_off, cur->tuple_len, sc->row,
									 err)) != PS_OK)
		return rc;
	for (uint32_t k = 0; k < sc->nblock; k++)
	{
		uint32_t	c = sc->block_cols[k];

		if (sc->want[c] &&
			(rc = append_block_column(sc, cur, c, ps_block_reader_column(cur->r, k), at, n,
									  err)) != PS_OK)
			return rc;
	}
	for (uint32_t c = 0; c < s->ncolumns; c++)
		if (sc->want[c] && ps_schema_is_series(s, c) &&
			(rc = append_constant(sc, c, &sc->row[c], at, n, err)) != PS_OK)
			return rc;
	for (uint32_t c = 0; c < s->ncolumns; c++)
		if (sc->want[c])
		{
			if (s->columns[c].type == PS_TYPE_STRING)
				string_bytes += sc->vec.cols[c].str_off[at + n] - sc->vec.cols[c].str_off[at] +
					(size_t) n * sizeof(uint32_t);
			else
				string_bytes += (size_t) n * (s->columns[c].type == PS_TYPE_BOOLEAN ? 1 : 8);
		}
	sc->batch.rows += n;
	sc->batch.bytes += (size_t) n * sizeof(int64_t) + string_bytes;
	return PS_OK;
}

ps_status
ps_scan_next_batch(ps_scan *sc, uint32_t max_rows, size_t max_bytes,
				   const ps_scan_batch **out, bool *done, ps_error *err)
{
	ps_status	rc;
	cursor	   *cur;

	*out = &sc->batch;
	*done = false;
	if (max_rows == 0)
		return ps_error_set(err, PS_EINVAL, "a scan batch of 0 rows");
	if (max_rows > PS_SCAN_BATCH_ROWS_MAX)
		max_rows = PS_SCAN_BATCH_ROWS_MAX;
	if ((rc = vectors_reserve(sc, max_rows, err)) != PS_OK)
		return rc;
	vectors_reset(sc);
	sc->batch.times = sc->vec.times;
	sc->batch.ncolumns = sc->schema->ncolumns;
	sc->batch.columns = sc->vec.cols;
	while (sc->batch.rows < max_rows && sc->remaining > 0 &&
		   (sc->batch.rows == 0 || sc->batch.bytes < max_bytes))
	{
		uint32_t	n;

		if ((rc = ps_scan_top(sc, &cur, err)) != PS_OK)
		{
			sc->batch.rows = 0;
			return rc;
		}
		if (!cur)
			break;
		n = ps_scan_run(sc, cur, max_rows - sc->batch.rows);
		if (sc->to_skip > 0)
		{
			if (n > sc->to_skip)
				n = (uint32_t) sc->to_skip;
			sc->to_skip -= n;
			ps_scan_consume(sc, n);
			continue;
		}
		if (n > sc->remaining)
			n = (uint32_t) sc->remaining;
		if ((rc = append_run(sc, cur, n, err)) != PS_OK)
		{
			sc->batch.rows = 0;
			return rc;
		}
		ps_scan_consume(sc, n);
		if (sc->remaining != UINT64_MAX)
			sc->remaining -= n;
	}
	for (uint32_t c = 0; c < sc->schema->ncolumns; c++)
		if (sc->vec.cols[c].wanted && sc->vec.cols[c].type == PS_TYPE_STRING)
			sc->vec.cols[c].str_data = (const char *) sc->vec.strings[c].data;
	*done = sc->finished || sc->remaining == 0;
	return PS_OK;
}

/* Encode row r of the current batch into sc->out (every value column). */
static ps_status
encode_row(ps_scan *sc, uint32_t r, ps_error *err)
{
	const ps_schema *s = sc->schema;

	for (uint32_t c = 0; c < s->ncolumns; c++)
	{
		const ps_scan_vector *col = &sc->vec.cols[c];
		ps_value   *v;

		if (c == s->time_index)
			continue;
		v = &sc->vals[sc->value_pos[c]];
		memset(v, 0, sizeof(*v));
		v->is_null = !col->wanted || (col->nulls && bit_get(col->nulls, r));
		if (v->is_null)
			continue;
		switch (col->type)
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
				v->v.i = col->i[r];
				break;
			case PS_TYPE_FLOAT:
				v->v.f = col->f[r];
				break;
			case PS_TYPE_BOOLEAN:
				v->v.b = col->b[r] != 0;
				break;
			case PS_TYPE_STRING:
				v->v.s.len = col->str_off[r + 1] - col->str_off[r];
				/* (A batch of empty strings may have no string bytes at all.) */
				v->v.s.ptr = v->v.s.len > 0 ? col->str_data + col->str_off[r] : "";
				break;
		}
	}
	ps_buf_reset(&sc->out);
	return ps_row_encode_stored(sc->value_types, sc->nvalue, sc->vals, &sc->out, err);
}

ps_status
ps_scan_next(ps_scan *sc, ps_scan_row *row, bool *done, ps_error *err)
{
	ps_status	rc;

	*done = false;
	if (sc->batch_pos >= sc->batch.rows)
	{
		const ps_scan_batch *b;

		if (sc->batch_done)
		{
			*done = true;
			return PS_OK;
		}
		if ((rc = ps_scan_next_batch(sc, PS_SCAN_ROW_BATCH, SIZE_MAX, &b, &sc->batch_done,
									 err)) != PS_OK)
			return rc;
		sc->batch_pos = 0;
		if (b->rows == 0)
		{
			*done = true;
			return PS_OK;
		}
	}
	if ((rc = encode_row(sc, sc->batch_pos, err)) != PS_OK)
		return rc;
	row->time = sc->vec.times[sc->batch_pos++];
	row->value = sc->out.data;
	row->value_len = sc->out.len;
	return PS_OK;
}
