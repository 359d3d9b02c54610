/*
 * ps_agg.c — aggregates computed in the store (ps_agg.h): resolving the
 * request against the table's schema, walking the range block by block on
 * an unordered scan (ps_scan_int.h), and the arithmetic, from a block's
 * metadata or from its decoded column vectors.
 *
 * Invariants: a block's rows are in time order and of one series, so a
 * bucket's rows in it are one run, and the series-key columns are
 * constant over it.  A block is answered from metadata only when every
 * row of it is in the range and in one bucket, no group column is a stored
 * column, and each aggregate's figure is in the metadata (FIRST and LAST
 * of STRING columns are not); otherwise it is decoded, with only the
 * columns the request uses.  Either way each row is counted exactly once.
 * A request for nothing but the newest (oldest) row of each series reads
 * only the blocks that may hold it (latest_direction, ps_scan_latest): a
 * LAST or MAX kept over a subset of blocks that holds that row is the one
 * kept over all of them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps_agg_int.h"
#include "ps_block.h"
#include "ps_scan_int.h"
#include "ps_series.h"

/* ---------------------------------------------------------------- the request */

/* Where column `name` of schema s comes from; PS_EINVAL naming it when unknown. */
static ps_status
resolve_column(const ps_scan *sc, const char *name, agg_col *out, ps_error *err)
{
	const ps_schema *s = sc->schema;
	int			c = name ? ps_schema_find(s, name) : -1;

	if (c < 0)
		return ps_error_set(err, PS_EINVAL, "column \"%s\" does not exist", name ? name : "");
	out->schema = (uint32_t) c;
	out->type = s->columns[c].type;
	out->block = 0;
	if ((uint32_t) c == s->time_index)
		out->src = AGG_SRC_TIME;
	else if (ps_schema_is_series(s, (uint32_t) c))
		out->src = AGG_SRC_SERIES;
	else
	{
		out->src = AGG_SRC_BLOCK;
		for (uint32_t k = 0; k < sc->nblock; k++)
			if (sc->block_cols[k] == (uint32_t) c)
				out->block = k;
	}
	return PS_OK;
}

static ps_status
resolve_item(ps_agg *a, const ps_scan *sc, uint32_t i, const ps_agg_item *item, ps_error *err)
{
	agg_col    *col = &a->item_cols[i];
	const char *fn = ps_agg_fn_name(item->fn);
	ps_status	rc;

	if (!fn)
		return ps_error_set(err, PS_EINVAL, "unknown aggregate %d", (int) item->fn);
	a->fns[i] = item->fn;
	if (item->fn == PS_AGG_COUNT_ALL)
	{
		memset(col, 0, sizeof(*col));
		col->src = AGG_SRC_NONE;
		col->type = PS_TYPE_INTEGER;
		return PS_OK;
	}
	if ((rc = resolve_column(sc, item->column, col, err)) != PS_OK)
		return rc;
	if (item->fn == PS_AGG_SUM_PRODUCT)
	{
		agg_col    *col2 = &a->item_cols2[i];

		if ((rc = resolve_column(sc, item->column2, col2, err)) != PS_OK)
			return rc;
		if ((col->type != PS_TYPE_INTEGER && col->type != PS_TYPE_FLOAT) ||
			(col2->type != PS_TYPE_INTEGER && col2->type != PS_TYPE_FLOAT))
			return ps_error_set(err, PS_EINVAL, "sum(%s * %s): both factors must be numbers",
								item->column, item->column2 ? item->column2 : "");
		return PS_OK;
	}
	if (item->fn == PS_AGG_SUM && col->type != PS_TYPE_INTEGER && col->type != PS_TYPE_FLOAT)
		return ps_error_set(err, PS_EINVAL, "sum(%s): column \"%s\" is of type %s, not a number",
							item->column, item->column, ps_type_name(col->type));
	if ((item->fn == PS_AGG_MIN || item->fn == PS_AGG_MAX) &&
		(col->type == PS_TYPE_STRING || col->type == PS_TYPE_BOOLEAN))
		return ps_error_set(err, PS_EINVAL, "%s(%s): column \"%s\" is of type %s; min and max take numbers and timestamps",
							fn, item->column, item->column, ps_type_name(col->type));
	return PS_OK;
}

static ps_status
resolve(ps_agg *a, ps_scan *sc, const ps_agg_spec *spec, ps_error *err)
{
	bool	   *want;
	ps_status	rc = PS_OK;

	if (spec->nitems == 0 || spec->nitems > PS_AGG_MAX_ITEMS)
		return ps_error_set(err, PS_EINVAL, "an aggregate request names %u aggregates; 1 to %d are allowed",
							spec->nitems, PS_AGG_MAX_ITEMS);
	if (spec->ngroup > PS_AGG_MAX_GROUP_COLUMNS)
		return ps_error_set(err, PS_EINVAL, "an aggregate request groups by %u columns; at most %d are allowed",
							spec->ngroup, PS_AGG_MAX_GROUP_COLUMNS);
	if (spec->bucket_width < 0)
		return ps_error_set(err, PS_EINVAL, "the bucket width is negative");
	a->nitems = spec->nitems;
	a->ngroup = spec->ngroup;
	a->width = spec->bucket_width;
	a->origin = spec->bucket_origin;
	a->max_groups = spec->max_groups ? spec->max_groups : PS_AGG_MAX_GROUPS;
	if (!(a->fns = calloc(a->nitems, sizeof(ps_agg_fn))) ||
		!(a->item_cols = calloc(a->nitems, sizeof(agg_col))) ||
		!(a->item_cols2 = calloc(a->nitems, sizeof(agg_col))) ||
		!(a->group_cols = calloc(a->ngroup + 1, sizeof(agg_col))) ||
		!(want = calloc(sc->schema->ncolumns, sizeof(bool))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < a->nitems && rc == PS_OK; i++)
		if ((rc = resolve_item(a, sc, i, &spec->items[i], err)) == PS_OK)
		{
			if (a->item_cols[i].src == AGG_SRC_BLOCK)
				want[a->item_cols[i].schema] = true;
			if (a->fns[i] == PS_AGG_SUM_PRODUCT && a->item_cols2[i].src == AGG_SRC_BLOCK)
				want[a->item_cols2[i].schema] = true;
		}
	for (uint32_t c = 0; c < a->ngroup && rc == PS_OK; c++)
	{
		agg_col    *col = &a->group_cols[c];

		if ((rc = resolve_column(sc, spec->group_by[c], col, err)) != PS_OK)
			break;
		if (col->src == AGG_SRC_TIME)
			rc = ps_error_set(err, PS_EINVAL, "cannot group by the time column \"%s\"; use a bucket",
							  spec->group_by[c]);
		else if (col->src == AGG_SRC_SERIES)
			a->nseries_group++;
		else
		{
			a->nextra++;
			want[col->schema] = true;
		}
	}
	if (rc == PS_OK)
		ps_scan_want(sc, want);
	free(want);
	if (rc == PS_OK && (rc = agg_columns(a, err)) == PS_OK)
		rc = agg_sort_set(a, spec, err);
	return rc;
}

/* ---------------------------------------------------------------- buckets */

static inline int64_t
bucket_of(const ps_agg *a, int64_t t)
{
	__int128	d = (__int128) t - a->origin;
	__int128	q = d / a->width;

	if (d % a->width < 0)
		q--;
	return (int64_t) (a->origin + q * a->width);
}

/* ---------------------------------------------------------------- updating states */

static inline bool
float_lt(double a, double b)	/* PostgreSQL's order: NaN above everything */
{
	return !isnan(a) && (isnan(b) || a < b);
}

/* Does value v (non-NULL, of type t) beat the kept s->v for MIN (want_min) or MAX? */
static inline bool
beats(ps_type t, const ps_value *v, const ps_value *kept, bool want_min)
{
	if (t == PS_TYPE_FLOAT)
		return want_min ? float_lt(v->v.f, kept->v.f) : float_lt(kept->v.f, v->v.f);
	return want_min ? v->v.i < kept->v.i : v->v.i > kept->v.i;
}

static void
minmax_put(agg_state *s, ps_agg_fn fn, ps_type t, const ps_value *v, uint64_t n)
{
	if (v->is_null || n == 0)
		return;
	if (s->count == 0 || beats(t, v, &s->v, fn == PS_AGG_MIN))
		s->v = *v;
	s->count += n;
}

/* FIRST/LAST: keep v, of the row at time t, if it wins. */
static ps_status
firstlast_put(agg_state *s, ps_agg_fn fn, ps_type t, int64_t time, const ps_value *v,
			  ps_error *err)
{
	if (s->have && (fn == PS_AGG_FIRST ? time >= s->t : time <= s->t))
		return PS_OK;
	if (t == PS_TYPE_STRING)
	{
		char	   *copy = NULL;

		if (!v->is_null && !(copy = malloc(v->v.s.len + 1)))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		if (copy)
			memcpy(copy, v->v.s.ptr, v->v.s.len);
		if (s->have)
			free((void *) s->v.v.s.ptr);
		s->v = *v;
		s->v.v.s.ptr = copy;
		if (v->is_null)
			s->v.v.s.len = 0;
	}
	else
		s->v = *v;
	s->t = time;
	s->have = true;
	return PS_OK;
}

/* A decoded block, and the series-key values of its series. */
typedef struct block_rows {
	const ps_block_reader *r;
	const int64_t *times;
	const ps_value *series_row;	/* per schema column */
} block_rows;

static inline bool
null_at(const ps_block_column *bc, uint32_t row)
{
	return !bc || bc->absent || (bc->nulls && ((bc->nulls[row >> 3] >> (row & 7)) & 1));
}

static void
column_value(const block_rows *b, const agg_col *col, uint32_t row, ps_value *out)
{
	switch (col->src)
	{
		case AGG_SRC_TIME:
			out->is_null = false;
			out->v.i = b->times[row];
			break;
		case AGG_SRC_SERIES:
			*out = b->series_row[col->schema];
			break;
		case AGG_SRC_BLOCK:
			ps_block_reader_value(b->r, col->block, row, out);
			break;
		default:
			out->is_null = true;
			break;
	}
}

/* A numeric column's value at row as a double; false when NULL. */
static bool
factor_at(const block_rows *b, const agg_col *col, uint32_t row, double *out)
{
	ps_value	v;

	column_value(b, col, row, &v);
	if (v.is_null)
		return false;
	*out = col->type == PS_TYPE_FLOAT ? v.v.f : (double) v.v.i;
	return true;
}

/* Aggregate rows [lo, hi) of a decoded block into the states s of one group. */
static ps_status
update_rows(const ps_agg *a, agg_state *states, const block_rows *b, uint32_t lo, uint32_t hi,
			ps_error *err)
{
	uint32_t	n = hi - lo;
	ps_status	rc;

	for (uint32_t i = 0; i < a->nitems; i++)
	{
		const agg_col *col = &a->item_cols[i];
		agg_state  *s = &states[i];
		const ps_block_column *bc = col->src == AGG_SRC_BLOCK ?
			ps_block_reader_column(b->r, col->block) : NULL;
		ps_value	v;

		switch (a->fns[i])
		{
			case PS_AGG_COUNT_ALL:
				s->count += n;
				break;
			case PS_AGG_COUNT:
			case PS_AGG_SUM:
			case PS_AGG_MIN:
			case PS_AGG_MAX:
				if (col->src != AGG_SRC_BLOCK)
				{
					column_value(b, col, lo, &v);
					if (a->fns[i] == PS_AGG_MIN || a->fns[i] == PS_AGG_MAX)
					{
						if (col->src == AGG_SRC_TIME)
						{
							ps_value	last = {.is_null = false, .v.i = b->times[hi - 1]};

							minmax_put(s, a->fns[i], col->type, a->fns[i] == PS_AGG_MIN ? &v : &last, n);
						}
						else
							minmax_put(s, a->fns[i], col->type, &v, n);
					}
					else if (!v.is_null)
					{
						s->count += n;
						if (a->fns[i] == PS_AGG_SUM)
							s->sum_i += (__int128) v.v.i * n;
					}
					break;
				}
				if (!bc || bc->absent)
					break;		/* the block predates the column: every row NULL */
				for (uint32_t r = lo; r < hi; r++)
				{
					ps_value	x = {.is_null = false};

					if (null_at(bc, r))
						continue;
					if (a->fns[i] == PS_AGG_COUNT)
					{
						s->count++;
						continue;
					}
					if (col->type == PS_TYPE_FLOAT)
						x.v.f = bc->f[r];
					else
						x.v.i = bc->i[r];
					if (a->fns[i] == PS_AGG_MIN || a->fns[i] == PS_AGG_MAX)
						minmax_put(s, a->fns[i], col->type, &x, 1);
					else
					{
						s->count++;
						if (a->fns[i] == PS_AGG_SUM && col->type == PS_TYPE_FLOAT)
							s->sum_f += x.v.f;
						else if (a->fns[i] == PS_AGG_SUM)
							s->sum_i += x.v.i;
					}
				}
				break;
			case PS_AGG_SUM_PRODUCT:
				for (uint32_t r = lo; r < hi; r++)
				{
					double		x, y;

					if (factor_at(b, col, r, &x) && factor_at(b, &a->item_cols2[i], r, &y))
					{
						s->sum_f += x * y;
						s->count++;
					}
				}
				break;
			case PS_AGG_FIRST:
			case PS_AGG_LAST:
				{
					uint32_t	row = a->fns[i] == PS_AGG_FIRST ? lo : hi - 1;

					column_value(b, col, row, &v);
					if ((rc = firstlast_put(s, a->fns[i], col->type, b->times[row], &v, err)) != PS_OK)
						return rc;
				}
				break;
		}
	}
	return PS_OK;
}

/*
 * Aggregate a whole block from its metadata into states s; false (nothing
 * changed) when some figure is not in it.
 */
static bool
meta_usable(const ps_agg *a, const ps_block_meta *m)
{
	for (uint32_t i = 0; i < a->nitems; i++)
	{
		const agg_col *col = &a->item_cols[i];

		if (a->fns[i] == PS_AGG_SUM_PRODUCT)
			return false;		/* a per-row product */
		if (col->src != AGG_SRC_BLOCK || col->block >= m->ncols)
			continue;			/* (past ncols: the block predates the column) */
		if ((a->fns[i] == PS_AGG_FIRST || a->fns[i] == PS_AGG_LAST) &&
			!m->cols[col->block].has_firstlast)
			return false;
	}
	return true;
}

static ps_status
update_meta(const ps_agg *a, agg_state *states, const ps_block_meta *m, const ps_value *series_row,
			ps_error *err)
{
	ps_status	rc;

	for (uint32_t i = 0; i < a->nitems; i++)
	{
		const agg_col *col = &a->item_cols[i];
		agg_state  *s = &states[i];
		const ps_block_colstats *cs = col->src == AGG_SRC_BLOCK && col->block < m->ncols ?
			&m->cols[col->block] : NULL;
		bool		absent = col->src == AGG_SRC_BLOCK && !cs;
		uint64_t	nonnull = absent ? 0 : cs ? m->rows - cs->nulls : m->rows;
		ps_value	v = {.is_null = true};

		if (col->src == AGG_SRC_SERIES)
		{
			v = series_row[col->schema];
			if (v.is_null)
				nonnull = 0;
		}
		switch (a->fns[i])
		{
			case PS_AGG_COUNT_ALL:
				s->count += m->rows;
				break;
			case PS_AGG_COUNT:
				s->count += nonnull;
				break;
			case PS_AGG_SUM:
				s->count += nonnull;
				if (cs)
				{
					s->sum_i += cs->sum_i;
					s->sum_f += cs->sum_f;
				}
				else if (nonnull > 0)
					s->sum_i += (__int128) v.v.i * nonnull;
				break;
			case PS_AGG_MIN:
			case PS_AGG_MAX:
				if (col->src == AGG_SRC_TIME)
				{
					v.is_null = false;
					v.v.i = a->fns[i] == PS_AGG_MIN ? m->min_time : m->max_time;
				}
				else if (cs && cs->has_minmax)
					v = a->fns[i] == PS_AGG_MIN ? cs->min : cs->max;
				else if (cs)
					v.is_null = true;
				minmax_put(s, a->fns[i], col->type, &v, nonnull);
				break;
			case PS_AGG_SUM_PRODUCT:
				break;			/* (meta_usable refuses blocks for it) */
			case PS_AGG_FIRST:
			case PS_AGG_LAST:
				{
					bool		first = a->fns[i] == PS_AGG_FIRST;
					int64_t		t = first ? m->min_time : m->max_time;

					if (col->src == AGG_SRC_TIME)
					{
						v.is_null = false;
						v.v.i = t;
					}
					else if (cs)
						v = first ? cs->first : cs->last;
					else if (absent)
						v.is_null = true;
					if ((rc = firstlast_put(s, a->fns[i], col->type, t, &v, err)) != PS_OK)
						return rc;
				}
				break;
		}
	}
	return PS_OK;
}

/* ---------------------------------------------------------------- the walk */

/* Key prefix of a series' group: the id of its series-group tuple (0 when none). */
static ps_status
series_group(ps_agg *a, ps_scan *sc, uint32_t series, ps_value *row, uint32_t *id, ps_error *err)
{
	uint32_t	off, len;
	bool		added;
	ps_status	rc;

	if (sc->schema->nseries == 0)
	{
		*id = 0;
		return PS_OK;
	}
	if ((rc = ps_scan_series_tuple(sc, series, &off, &len, err)) != PS_OK ||
		(rc = ps_series_tuple_decode(sc->schema, sc->tuples.data + off, len, row, err)) != PS_OK)
		return rc;
	if (a->nseries_group == 0)
	{
		*id = 0;
		return PS_OK;
	}
	ps_buf_reset(&a->scratch);
	for (uint32_t c = 0; c < a->ngroup; c++)
		if (a->group_cols[c].src == AGG_SRC_SERIES &&
			agg_value_put(&a->scratch, a->group_cols[c].type, &row[a->group_cols[c].schema]) != PS_OK)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
	return agg_intern_put(&a->tuples, a->scratch.data, a->scratch.len, id, &added, err);
}

/* The states of the group (bucket, series group sg, and the extra columns at row). */
static ps_status
group_at(ps_agg *a, int64_t bucket, uint32_t sg, const block_rows *b, uint32_t row,
		 agg_state **out, ps_error *err)
{
	uint8_t		key[12 + 4 * PS_AGG_MAX_GROUP_COLUMNS];
	size_t		len = 12;
	ps_status	rc;

	memcpy(key, &bucket, 8);
	memcpy(key + 8, &sg, 4);
	for (uint32_t c = 0; c < a->ngroup; c++)
	{
		const agg_col *col = &a->group_cols[c];
		ps_value	v;
		uint32_t	id;
		bool		added;

		if (col->src != AGG_SRC_BLOCK)
			continue;
		column_value(b, col, row, &v);
		ps_buf_reset(&a->scratch);
		if (agg_value_put(&a->scratch, col->type, &v) != PS_OK)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		if ((rc = agg_intern_put(&a->values, a->scratch.data, a->scratch.len, &id, &added, err)) != PS_OK)
			return rc;
		memcpy(key + len, &id, 4);
		len += 4;
	}
	return agg_group(a, key, len, out, err);
}

/* Aggregate the rows in range of the top cursor's decoded block. */
static ps_status
aggregate_block(ps_agg *a, ps_scan *sc, cursor *c, uint32_t sg, ps_error *err)
{
	block_rows	b = {.r = c->r, .times = ps_block_reader_times(c->r), .series_row = sc->row};
	agg_state  *states;
	ps_status	rc;
	uint32_t	lo = c->pos;

	a->stats.blocks_decoded++;
	a->stats.rows_read += c->end - c->pos;
	while (lo < c->end)
	{
		uint32_t	hi = lo + 1;
		int64_t		bucket = 0;

		if (a->width > 0)
		{
			int64_t		next;

			bucket = bucket_of(a, b.times[lo]);
			/* The bucket's rows run to the first time at or past its end. */
			next = bucket > INT64_MAX - a->width ? INT64_MAX : bucket + a->width;
			hi = c->end;
			if (b.times[c->end - 1] >= next)
			{
				uint32_t	x = lo + 1;

				while (x < hi)
				{
					uint32_t	m = x + (hi - x) / 2;

					if (b.times[m] < next)
						x = m + 1;
					else
						hi = m;
				}
			}
		}
		else
			hi = c->end;
		if (a->nextra > 0)
		{
			/* Stored group columns: row by row. */
			for (uint32_t r = lo; r < hi; r++)
				if ((rc = group_at(a, bucket, sg, &b, r, &states, err)) != PS_OK ||
					(rc = update_rows(a, states, &b, r, r + 1, err)) != PS_OK)
					return rc;
		}
		else if ((rc = group_at(a, bucket, sg, &b, lo, &states, err)) != PS_OK ||
				 (rc = update_rows(a, states, &b, lo, hi, err)) != PS_OK)
			return rc;
		lo = hi;
	}
	ps_scan_consume(sc, c->end - c->pos);
	return PS_OK;
}

/* Is the block of ref wholly inside the range and one bucket? */
static bool
block_inside(const ps_agg *a, const ps_scan *sc, const block_ref *ref)
{
	return a->nextra == 0 && ref->min_time >= sc->lo && ref->max_time <= sc->hi &&
		(a->width == 0 || bucket_of(a, ref->min_time) == bucket_of(a, ref->max_time));
}

static ps_status
walk(ps_agg *a, ps_scan *sc, ps_error *err)
{
	ps_block_meta meta;
	ps_status	rc = PS_OK;

	memset(&meta, 0, sizeof(meta));
	for (;;)
	{
		cursor	   *c;
		uint32_t	sg;

		if ((rc = ps_scan_peek(sc, &c, err)) != PS_OK || c == NULL)
			break;
		if ((rc = series_group(a, sc, c->ref->series, sc->row, &sg, err)) != PS_OK)
			break;
		if (!c->r && block_inside(a, sc, c->ref))
		{
			agg_state  *states;

			ps_block_meta_clear(&meta);
			if ((rc = ps_block_meta_decode(sc->metas.data + c->ref->meta_off, c->ref->meta_len,
										   &meta, err)) != PS_OK)
				break;
			if (meta_usable(a, &meta))
			{
				if ((rc = group_at(a, a->width ? bucket_of(a, meta.min_time) : 0, sg, NULL, 0,
								   &states, err)) != PS_OK ||
					(rc = update_meta(a, states, &meta, sc->row, err)) != PS_OK)
					break;
				a->stats.blocks_from_meta++;
				ps_scan_pass(sc);
				continue;
			}
		}
		if ((rc = ps_scan_top(sc, &c, err)) != PS_OK || c == NULL)
			break;
		/* (Decoding may have passed a block with no row in range: another cursor is on top.) */
		if ((rc = series_group(a, sc, c->ref->series, sc->row, &sg, err)) != PS_OK ||
			(rc = aggregate_block(a, sc, c, sg, err)) != PS_OK)
			break;
	}
	ps_block_meta_clear(&meta);
	return rc;
}

/*
 * 1 when every aggregate is a value of the newest row (last, max of the
 * time) and the groups are series-key columns or none, without a bucket;
 * -1 likewise for the oldest row (first, min of the time); else 0.  Then
 * the blocks holding each series' newest (oldest) row in range give the
 * same answer as every block, and the scan reads only those
 * (ps_scan_latest).
 */
static int
latest_direction(const ps_agg *a)
{
	int			dir = 0;

	if (a->width > 0 || a->nextra > 0)
		return 0;
	for (uint32_t i = 0; i < a->nitems; i++)
	{
		bool		time = a->item_cols[i].src == AGG_SRC_TIME;
		int			d = a->fns[i] == PS_AGG_LAST || (a->fns[i] == PS_AGG_MAX && time) ? 1
			: a->fns[i] == PS_AGG_FIRST || (a->fns[i] == PS_AGG_MIN && time) ? -1 : 0;

		if (d == 0 || (dir != 0 && d != dir))
			return 0;
		dir = d;
	}
	return dir;
}

ps_status
ps_agg_run(ps_store *st, const ps_agg_spec *spec, ps_agg **out, ps_error *err)
{
	ps_scan_spec ss = {
		.table = spec->table, .lo = spec->lo, .hi = spec->hi, .unordered = true,
		.filters = spec->filters, .nfilters = spec->nfilters,
	};
	ps_agg	   *a;
	ps_scan    *sc = NULL;
	ps_status	rc;

	*out = NULL;
	if (!(a = calloc(1, sizeof(*a))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (spec->lo > spec->hi)
	{
		/* An empty range: no row, and (without groups) one group of nothing, as SQL says. */
		ss.lo = ss.hi = 0;
	}
	rc = ps_scan_open(st, &ss, &sc, err);
	if (rc == PS_OK)
		rc = resolve(a, sc, spec, err);
	if (rc == PS_OK && latest_direction(a) != 0)
		rc = ps_scan_latest(sc, latest_direction(a) > 0, err);
	if (rc == PS_OK)
	{
		ps_scan_keep_meta(sc);
		if (spec->lo <= spec->hi)
			rc = walk(a, sc, err);
	}
	/* Without bucket or groups there is always one group, if only of nothing. */
	if (rc == PS_OK && a->width == 0 && a->ngroup == 0 && a->groups.n == 0)
	{
		uint8_t		key[12] = {0};
		agg_state  *states;

		rc = agg_group(a, key, sizeof(key), &states, err);
	}
	ps_scan_close(sc);
	if (rc == PS_OK)
		rc = agg_order(a, err);
	if (rc != PS_OK)
	{
		ps_agg_free(a);
		return rc;
	}
	*out = a;
	return PS_OK;
}
