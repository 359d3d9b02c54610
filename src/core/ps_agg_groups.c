/*
 * ps_agg_groups.c — the groups of a store aggregate (ps_agg.h): interning
 * the byte strings that make up group keys, the per-group states, the
 * result columns, and the groups handed out as column vectors in the order
 * ps_agg_order.c gives them.
 *
 * Invariants: a group's id is its interned key's id, so its states sit at
 * states[id * nitems]; ids and key bytes never move once given (offsets,
 * not pointers); the number of groups never passes max_groups.  Output
 * decodes each group's key back into values; strings in a batch are
 * copies, so the batch does not depend on the interners' buffers moving.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_agg_int.h"

/* ---------------------------------------------------------------- interning */

static uint64_t
hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ull;	/* FNV-1a: keys are a few dozen bytes */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static ps_status
intern_grow(agg_intern *in, ps_error *err)
{
	uint32_t	nslots = in->nslots ? in->nslots * 2 : 64;
	uint32_t   *slots = calloc(nslots, sizeof(uint32_t));

	if (!slots)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t id = 0; id < in->n; id++)
	{
		uint32_t	i = (uint32_t) in->hashes[id] & (nslots - 1);

		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = id + 1;
	}
	free(in->slots);
	in->slots = slots;
	in->nslots = nslots;
	return PS_OK;
}

ps_status
agg_intern_put(agg_intern *in, const void *p, size_t len, uint32_t *id, bool *added, ps_error *err)
{
	uint64_t	h = hash_bytes(p, len);
	uint32_t	i;
	ps_status	rc;

	*added = false;
	if ((in->n + 1) * 2 > in->nslots && (rc = intern_grow(in, err)) != PS_OK)
		return rc;
	for (i = (uint32_t) h & (in->nslots - 1); in->slots[i]; i = (i + 1) & (in->nslots - 1))
	{
		uint32_t	k = in->slots[i] - 1;

		if (in->hashes[k] == h && in->offs[k + 1] - in->offs[k] == len &&
			memcmp(in->bytes.data + in->offs[k], p, len) == 0)
		{
			*id = k;
			return PS_OK;
		}
	}
	if (in->n == UINT32_MAX - 1)
		return ps_error_set(err, PS_ETOOBIG, "too many distinct group values");
	if (in->n == in->cap)
	{
		size_t		cap = in->cap ? in->cap * 2 : 64;
		size_t	   *offs = realloc(in->offs, (cap + 1) * sizeof(size_t));
		uint64_t   *hashes;

		if (!offs)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		in->offs = offs;
		if (!(hashes = realloc(in->hashes, cap * sizeof(uint64_t))))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		in->hashes = hashes;
		in->cap = cap;
	}
	if (ps_buf_append(&in->bytes, p, len) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (in->n == 0)
		in->offs[0] = 0;
	in->offs[in->n + 1] = in->bytes.len;
	in->hashes[in->n] = h;
	in->slots[i] = in->n + 1;
	*id = in->n++;
	*added = true;
	return PS_OK;
}

void
agg_intern_get(const agg_intern *in, uint32_t id, const uint8_t **p, size_t *len)
{
	*p = (const uint8_t *) in->bytes.data + in->offs[id];
	*len = in->offs[id + 1] - in->offs[id];
}

void
agg_intern_free(agg_intern *in)
{
	free(in->slots);
	free(in->offs);
	free(in->hashes);
	ps_buf_free(&in->bytes);
	memset(in, 0, sizeof(*in));
}

/* ---------------------------------------------------------------- key values */

ps_status
agg_value_put(ps_buf *b, ps_type t, const ps_value *v)
{
	uint64_t	u = 0;
	uint32_t	len;

	if (ps_buf_append_u8(b, v->is_null ? 0 : 1) != PS_OK)
		return PS_ENOMEM;
	if (v->is_null)
		return PS_OK;
	switch (t)
	{
		case PS_TYPE_STRING:
			len = v->v.s.len;
			if (ps_buf_append(b, &len, 4) != PS_OK)
				return PS_ENOMEM;
			return ps_buf_append(b, v->v.s.ptr, len);
		case PS_TYPE_FLOAT:
			/* -0.0 and 0.0 are one group, as PostgreSQL's float equality says. */
			{
				double		f = v->v.f == 0 ? 0.0 : v->v.f;

				memcpy(&u, &f, 8);
			}
			break;
		case PS_TYPE_BOOLEAN:
			u = v->v.b ? 1 : 0;
			break;
		default:
			u = (uint64_t) v->v.i;
			break;
	}
	return ps_buf_append(b, &u, 8);
}

/* Read back a value agg_value_put wrote (trusted bytes); returns what follows. */
static const uint8_t *
value_get(const uint8_t *p, ps_type t, ps_value *v)
{
	uint64_t	u;
	uint32_t	len;

	v->is_null = *p++ == 0;
	if (v->is_null)
		return p;
	if (t == PS_TYPE_STRING)
	{
		memcpy(&len, p, 4);
		v->v.s.ptr = (const char *) p + 4;
		v->v.s.len = len;
		return p + 4 + len;
	}
	memcpy(&u, p, 8);
	if (t == PS_TYPE_FLOAT)
		memcpy(&v->v.f, &u, 8);
	else if (t == PS_TYPE_BOOLEAN)
		v->v.b = u != 0;
	else
		v->v.i = (int64_t) u;
	return p + 8;
}

/* ---------------------------------------------------------------- groups */

ps_status
agg_group(ps_agg *a, const uint8_t *key, size_t len, agg_state **out, ps_error *err)
{
	uint32_t	id;
	bool		added;
	ps_status	rc;

	if ((rc = agg_intern_put(&a->groups, key, len, &id, &added, err)) != PS_OK)
		return rc;
	if (added)
	{
		if (a->groups.n > a->states_cap)
		{
			size_t		cap = a->states_cap ? a->states_cap * 2 : 64;
			agg_state  *n = realloc(a->states, cap * a->nitems * sizeof(agg_state));

			if (!n)
			{
				a->groups.n--;	/* (so that ps_agg_free sees only states that exist) */
				return ps_error_set(err, PS_ENOMEM, "out of memory");
			}
			a->states = n;
			a->states_cap = cap;
		}
		memset(&a->states[(size_t) id * a->nitems], 0, a->nitems * sizeof(agg_state));
		if (a->groups.n > a->max_groups)
			return ps_error_set(err, PS_ETOOBIG,
								"the aggregate has more than %llu groups; group by fewer values or narrow the range",
								(unsigned long long) a->max_groups);
	}
	*out = &a->states[(size_t) id * a->nitems];
	return PS_OK;
}

void
agg_group_values(const ps_agg *a, uint32_t g, ps_value *vals, int64_t *bucket)
{
	const uint8_t *key, *p;
	size_t		len;
	uint32_t	id, extra = 0;
	const uint8_t *tuple = NULL;

	agg_intern_get(&a->groups, g, &key, &len);
	memcpy(bucket, key, 8);
	memcpy(&id, key + 8, 4);
	if (a->nseries_group > 0)
		agg_intern_get(&a->tuples, id, &tuple, &len);
	for (uint32_t c = 0; c < a->ngroup; c++)
	{
		const agg_col *col = &a->group_cols[c];

		if (col->src == AGG_SRC_SERIES)
			tuple = value_get(tuple, col->type, &vals[c]);
		else
		{
			memcpy(&id, key + 12 + 4 * extra++, 4);
			agg_intern_get(&a->values, id, &p, &len);
			value_get(p, col->type, &vals[c]);
		}
	}
}

ps_status
agg_columns(ps_agg *a, ps_error *err)
{
	uint32_t	n = 0;

	a->ncols = (a->width > 0) + a->ngroup;
	for (uint32_t i = 0; i < a->nitems; i++)
		a->ncols += a->fns[i] == PS_AGG_SUM && a->item_cols[i].type == PS_TYPE_INTEGER ? 2 : 1;
	if (!(a->types = malloc(a->ncols * sizeof(ps_type))) ||
		!(a->col_item = malloc(a->ncols * sizeof(int32_t))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (a->width > 0)
	{
		a->col_item[n] = AGG_COL_BUCKET;
		a->types[n++] = PS_TYPE_TIMESTAMP;
	}
	for (uint32_t c = 0; c < a->ngroup; c++)
	{
		a->col_item[n] = AGG_COL_GROUP(c);
		a->types[n++] = a->group_cols[c].type;
	}
	for (uint32_t i = 0; i < a->nitems; i++)
	{
		a->col_item[n] = (int32_t) i;
		switch (a->fns[i])
		{
			case PS_AGG_COUNT_ALL:
			case PS_AGG_COUNT:
				a->types[n++] = PS_TYPE_INTEGER;
				break;
			case PS_AGG_SUM:
				a->types[n++] = a->item_cols[i].type;
				if (a->item_cols[i].type == PS_TYPE_INTEGER)
				{
					a->col_item[n] = AGG_COL_SUM_LOW;
					a->types[n++] = PS_TYPE_INTEGER;
				}
				break;
			case PS_AGG_SUM_PRODUCT:
				a->types[n++] = PS_TYPE_FLOAT;
				break;
			default:
				a->types[n++] = a->item_cols[i].type;
				break;
		}
	}
	return PS_OK;
}

/* ---------------------------------------------------------------- output */

/* The value array of an output column, whatever its type. */
static void *
vector_values(const ps_scan_vector *v)
{
	switch (v->type)
	{
		case PS_TYPE_STRING:
			return (void *) v->str_off;
		case PS_TYPE_BOOLEAN:
			return (void *) v->b;
		case PS_TYPE_FLOAT:
			return (void *) v->f;
		default:
			return (void *) v->i;
	}
}

static void
vector_set_values(ps_scan_vector *v, void *values)
{
	switch (v->type)
	{
		case PS_TYPE_STRING:
			v->str_off = values;
			break;
		case PS_TYPE_BOOLEAN:
			v->b = values;
			break;
		case PS_TYPE_FLOAT:
			v->f = values;
			break;
		default:
			v->i = values;
			break;
	}
}

static ps_status
output_reserve(ps_agg *a, uint32_t rows, ps_error *err)
{
	if (rows <= a->out_cap)
		return PS_OK;
	if (!a->vec)
	{
		if (!(a->vec = calloc(a->ncols, sizeof(ps_scan_vector))) ||
			!(a->strings = calloc(a->ncols, sizeof(ps_buf))))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		for (uint32_t c = 0; c < a->ncols; c++)
		{
			a->vec[c].type = a->types[c];
			a->vec[c].wanted = true;
		}
	}
	for (uint32_t c = 0; c < a->ncols; c++)
	{
		ps_scan_vector *v = &a->vec[c];
		size_t		width = v->type == PS_TYPE_STRING ? 4 : v->type == PS_TYPE_BOOLEAN ? 1 : 8;
		void	   *values = realloc(vector_values(v), ((size_t) rows + 1) * width);
		uint8_t    *nulls;

		if (!values)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		vector_set_values(v, values);
		if (!(nulls = realloc((void *) v->nulls, rows / 8 + 1)))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		v->nulls = nulls;
	}
	a->out_cap = rows;
	return PS_OK;
}

/* Put v (of column c's type) at row r of output column c. */
static ps_status
output_put(ps_agg *a, uint32_t c, uint32_t r, const ps_value *v, ps_error *err)
{
	ps_scan_vector *vec = &a->vec[c];
	uint8_t    *nulls = (uint8_t *) vec->nulls;

	if (v->is_null)
		nulls[r / 8] |= (uint8_t) (1u << (r % 8));
	switch (vec->type)
	{
		case PS_TYPE_STRING:
			if (!v->is_null && ps_buf_append(&a->strings[c], v->v.s.ptr, v->v.s.len) != PS_OK)
				return ps_error_set(err, PS_ENOMEM, "out of memory");
			((uint32_t *) vec->str_off)[r + 1] = (uint32_t) a->strings[c].len;
			break;
		case PS_TYPE_FLOAT:
			((double *) vec->f)[r] = v->is_null ? 0 : v->v.f;
			break;
		case PS_TYPE_BOOLEAN:
			((uint8_t *) vec->b)[r] = !v->is_null && v->v.b;
			break;
		default:
			((int64_t *) vec->i)[r] = v->is_null ? 0 : v->v.i;
			break;
	}
	return PS_OK;
}

static ps_value
int_value(int64_t i)
{
	ps_value	v = {.is_null = false};

	v.v.i = i;
	return v;
}

void
agg_item_value(const ps_agg *a, uint32_t i, const agg_state *s, ps_value *v)
{
	v->is_null = true;
	switch (a->fns[i])
	{
		case PS_AGG_COUNT_ALL:
		case PS_AGG_COUNT:
			*v = int_value((int64_t) s->count);
			break;
		case PS_AGG_SUM:
		case PS_AGG_SUM_PRODUCT:
			v->is_null = s->count == 0;
			if (a->fns[i] == PS_AGG_SUM && a->item_cols[i].type == PS_TYPE_INTEGER)
				v->v.i = (int64_t) (uint64_t) s->sum_i;
			else
				v->v.f = s->sum_f;
			break;
		case PS_AGG_MIN:
		case PS_AGG_MAX:
			if (s->count > 0)
				*v = s->v;
			break;
		default:
			if (s->have)
				*v = s->v;
			break;
	}
}

/* The result columns of one aggregate state, from output column c on; returns the next column. */
static ps_status
output_state(ps_agg *a, uint32_t i, const agg_state *s, uint32_t *c, uint32_t r, ps_error *err)
{
	ps_value	v;
	ps_status	rc;

	agg_item_value(a, i, s, &v);
	if (a->fns[i] == PS_AGG_SUM && a->item_cols[i].type == PS_TYPE_INTEGER)
	{
		ps_value	hi = int_value((int64_t) (s->sum_i >> 64));

		hi.is_null = v.is_null;
		if ((rc = output_put(a, (*c)++, r, &hi, err)) != PS_OK)
			return rc;
	}
	return output_put(a, (*c)++, r, &v, err);
}

ps_status
ps_agg_next_batch(ps_agg *a, uint32_t max_rows, size_t max_bytes, const ps_scan_batch **out,
				  bool *done, ps_error *err)
{
	size_t		bytes = 0;
	uint32_t	n = a->nout - a->next_out;
	ps_value	vals[PS_AGG_MAX_GROUP_COLUMNS];
	ps_status	rc;

	if (n > max_rows)
		n = max_rows;
	if ((rc = output_reserve(a, n ? n : 1, err)) != PS_OK)
		return rc;
	for (uint32_t c = 0; c < a->ncols; c++)
	{
		memset((void *) a->vec[c].nulls, 0, n / 8 + 1);
		ps_buf_reset(&a->strings[c]);
		if (a->types[c] == PS_TYPE_STRING)
			((uint32_t *) a->vec[c].str_off)[0] = 0;
	}
	for (uint32_t r = 0; r < n; r++)
	{
		uint32_t	g = a->order[a->next_out + r];

		if (r > 0 && bytes >= max_bytes)
		{
			n = r;
			break;
		}
		const agg_state *s = &a->states[(size_t) g * a->nitems];
		int64_t		bucket;
		uint32_t	c = 0;

		agg_group_values(a, g, vals, &bucket);
		if (a->width > 0)
		{
			ps_value	b = int_value(bucket);

			if ((rc = output_put(a, c++, r, &b, err)) != PS_OK)
				return rc;
		}
		for (uint32_t k = 0; k < a->ngroup; k++)
			if ((rc = output_put(a, c++, r, &vals[k], err)) != PS_OK)
				return rc;
		for (uint32_t i = 0; i < a->nitems; i++)
			if ((rc = output_state(a, i, &s[i], &c, r, err)) != PS_OK)
				return rc;
		bytes = (size_t) (r + 1) * a->ncols * 8;
		for (uint32_t k = 0; k < a->ncols; k++)
			bytes += a->strings[k].len;
	}
	for (uint32_t c = 0; c < a->ncols; c++)
		a->vec[c].str_data = (const char *) a->strings[c].data;
	a->next_out += n;
	a->batch.rows = n;
	a->batch.times = NULL;
	a->batch.ncolumns = a->ncols;
	a->batch.columns = a->vec;
	a->batch.bytes = bytes;
	*out = &a->batch;
	*done = a->next_out == a->nout;
	return PS_OK;
}

uint32_t
ps_agg_ncolumns(const ps_agg *a)
{
	return a->ncols;
}

const ps_type *
ps_agg_types(const ps_agg *a)
{
	return a->types;
}

void
ps_agg_stats_get(const ps_agg *a, ps_agg_stats *out)
{
	*out = a->stats;
}

void
ps_agg_free(ps_agg *a)
{
	if (!a)
		return;
	if (a->states)
		for (size_t s = 0; s < (size_t) a->groups.n * a->nitems; s++)
			if (a->states[s].have && a->states[s].v.v.s.ptr &&
				a->item_cols[s % a->nitems].type == PS_TYPE_STRING)
				free((void *) a->states[s].v.v.s.ptr);
	for (uint32_t c = 0; a->vec && c < a->ncols; c++)
	{
		ps_scan_vector *v = &a->vec[c];

		free((void *) v->nulls);
		free(vector_values(v));
		ps_buf_free(&a->strings[c]);
	}
	free(a->vec);
	free(a->strings);
	agg_intern_free(&a->tuples);
	agg_intern_free(&a->values);
	agg_intern_free(&a->groups);
	free(a->states);
	free(a->fns);
	free(a->item_cols);
	free(a->item_cols2);
	free(a->group_cols);
	free(a->types);
	free(a->col_item);
	free(a->sort);
	free(a->order);
	ps_buf_free(&a->scratch);
	free(a);
}
