/*
 * ps_agg_order.c — which groups of a store aggregate come out, and in which
 * order (ps_agg.h): the request's sort keys, compared as PostgreSQL
 * compares the values, then the group columns (NULLs last) and the bucket;
 * past an offset, at most a limit of them.
 *
 * The default order is a total order on groups (no two share their group
 * values and bucket), so ties of the sort keys fall the same way however
 * the walk happened to make the groups, and a limit keeps the same ones.
 * The sort keys' values of a group are taken from its key and states once
 * into a flat entry, so a comparison decodes nothing.  With a limit only
 * offset + limit entries exist: a heap of them whose root is the last one
 * in order, which a group coming before it replaces, so the memory and the
 * final sort are those of offset + limit groups, and the work n log of it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps_agg_int.h"
#include "ps_time.h"

/* A sort key's value in a group: every kind but FLOAT and STRING compares as an integer. */
typedef struct sort_value {
	union {
		__int128	w;			/* INTEGER, BOOLEAN, TIMESTAMP (us), an integer SUM */
		double		f;
		struct {
			const char *p;
			uint32_t	len;
		}			s;
	}			u;
	bool		null;
} sort_value;

typedef struct order_ctx {
	const ps_agg *a;
	uint32_t   *group;			/* per entry: its group */
	sort_value *vals;			/* per entry: nsort values */
} order_ctx;

ps_status
agg_sort_set(ps_agg *a, const ps_agg_spec *spec, ps_error *err)
{
	if (spec->nsort > PS_AGG_MAX_SORT)
		return ps_error_set(err, PS_EINVAL, "an aggregate request has %u sort keys; at most %d are allowed",
							spec->nsort, PS_AGG_MAX_SORT);
	for (uint32_t k = 0; k < spec->nsort; k++)
	{
		uint32_t	col = spec->sort[k].column;

		if (col >= a->ncols)
			return ps_error_set(err, PS_EINVAL, "sort key %u names result column %u; there are %u",
								k + 1, col, a->ncols);
		if (a->col_item[col] == AGG_COL_SUM_LOW)
			return ps_error_set(err, PS_EINVAL, "sort key %u names the low half of an integer sum (result column %u); name its first column",
								k + 1, col);
		if (spec->sort[k].flags & ~(PS_AGG_SORT_DESC | PS_AGG_SORT_NULLS_FIRST))
			return ps_error_set(err, PS_EINVAL, "sort key %u has unknown flags 0x%x", k + 1,
								(unsigned) spec->sort[k].flags);
	}
	if (spec->nsort > 0)
	{
		if (!(a->sort = malloc(spec->nsort * sizeof(ps_agg_sort))))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		memcpy(a->sort, spec->sort, spec->nsort * sizeof(ps_agg_sort));
	}
	a->nsort = spec->nsort;
	a->offset = spec->offset;
	a->limit = spec->limit;
	return PS_OK;
}

/* PostgreSQL's float8 order: NaN after every number and equal to itself; -0 equal to 0. */
static int
float_cmp(double x, double y)
{
	if (isnan(x) || isnan(y))
		return (int) isnan(x) - (int) isnan(y);
	return (x > y) - (x < y);
}

static int
bytes_cmp(const char *x, uint32_t xlen, const char *y, uint32_t ylen)
{
	int			c = memcmp(x, y, xlen < ylen ? xlen : ylen);

	return c ? c : (xlen > ylen) - (xlen < ylen);
}

/* Group values of type t, NULLs last. */
static int
value_cmp(ps_type t, const ps_value *x, const ps_value *y)
{
	if (x->is_null || y->is_null)
		return (int) x->is_null - (int) y->is_null;
	switch (t)
	{
		case PS_TYPE_STRING:
			return bytes_cmp(x->v.s.ptr, x->v.s.len, y->v.s.ptr, y->v.s.len);
		case PS_TYPE_FLOAT:
			return float_cmp(x->v.f, y->v.f);
		case PS_TYPE_BOOLEAN:
			return (int) x->v.b - (int) y->v.b;
		default:
			return (x->v.i > y->v.i) - (x->v.i < y->v.i);
	}
}

/* The default order: group columns, then the bucket. */
static int
group_cmp(const ps_agg *a, uint32_t gx, uint32_t gy)
{
	ps_value	x[PS_AGG_MAX_GROUP_COLUMNS], y[PS_AGG_MAX_GROUP_COLUMNS];
	int64_t		bx, by;

	agg_group_values(a, gx, x, &bx);
	agg_group_values(a, gy, y, &by);
	for (uint32_t c = 0; c < a->ngroup; c++)
	{
		int			r = value_cmp(a->group_cols[c].type, &x[c], &y[c]);

		if (r)
			return r;
	}
	return (bx > by) - (bx < by);
}

/* Entries ex and ey: their sort keys, then their groups' default order. */
static int
entry_cmp(const order_ctx *o, uint32_t ex, uint32_t ey)
{
	const ps_agg *a = o->a;

	for (uint32_t k = 0; k < a->nsort; k++)
	{
		const sort_value *x = &o->vals[(size_t) ex * a->nsort + k];
		const sort_value *y = &o->vals[(size_t) ey * a->nsort + k];
		uint8_t		flags = a->sort[k].flags;
		int			c;

		if (x->null || y->null)
		{
			c = (int) x->null - (int) y->null;
			c = flags & PS_AGG_SORT_NULLS_FIRST ? -c : c;
		}
		else
		{
			switch (a->types[a->sort[k].column])
			{
				case PS_TYPE_FLOAT:
					c = float_cmp(x->u.f, y->u.f);
					break;
				case PS_TYPE_STRING:
					c = bytes_cmp(x->u.s.p, x->u.s.len, y->u.s.p, y->u.s.len);
					break;
				default:
					c = (x->u.w > y->u.w) - (x->u.w < y->u.w);
					break;
			}
			c = flags & PS_AGG_SORT_DESC ? -c : c;
		}
		if (c)
			return c;
	}
	return group_cmp(a, o->group[ex], o->group[ey]);
}

static int
entry_qsort_cmp(const void *x, const void *y, void *arg)
{
	return entry_cmp(arg, *(const uint32_t *) x, *(const uint32_t *) y);
}

/* Make entry e group g: its sort keys' values. */
static void
entry_set(order_ctx *o, uint32_t e, uint32_t g)
{
	const ps_agg *a = o->a;
	ps_value	vals[PS_AGG_MAX_GROUP_COLUMNS];
	int64_t		bucket;

	o->group[e] = g;
	if (a->nsort == 0)
		return;
	agg_group_values(a, g, vals, &bucket);
	for (uint32_t k = 0; k < a->nsort; k++)
	{
		sort_value *out = &o->vals[(size_t) e * a->nsort + k];
		uint32_t	col = a->sort[k].column;
		int32_t		item = a->col_item[col];
		ps_value	v = {.is_null = false};

		if (item == AGG_COL_BUCKET)
			v.v.i = bucket;
		else if (item < 0)
			v = vals[AGG_COL_GROUP(0) - item];
		else
		{
			const agg_state *s = &a->states[(size_t) g * a->nitems + item];

			if (a->fns[item] == PS_AGG_SUM && a->item_cols[item].type == PS_TYPE_INTEGER)
			{
				out->null = s->count == 0;
				out->u.w = s->sum_i;
				continue;
			}
			agg_item_value(a, (uint32_t) item, s, &v);
		}
		out->null = v.is_null;
		if (v.is_null)
			continue;
		switch (a->types[col])
		{
			case PS_TYPE_FLOAT:
				out->u.f = v.v.f;
				break;
			case PS_TYPE_STRING:
				out->u.s.p = v.v.s.ptr;
				out->u.s.len = v.v.s.len;
				break;
			case PS_TYPE_BOOLEAN:
				out->u.w = v.v.b;
				break;
			case PS_TYPE_TIMESTAMP:
				out->u.w = ps_time_floor_div(v.v.i, 1000);
				break;
			default:
				out->u.w = v.v.i;
				break;
		}
	}
}

/* The heap of kept entries heap[0..n): the root comes last in order. */
static void
heap_sift_down(const order_ctx *o, uint32_t *heap, uint32_t n, uint32_t i)
{
	for (;;)
	{
		uint32_t	l = 2 * i + 1, worst = i, tmp;

		if (l < n && entry_cmp(o, heap[l], heap[worst]) > 0)
			worst = l;
		if (l + 1 < n && entry_cmp(o, heap[l + 1], heap[worst]) > 0)
			worst = l + 1;
		if (worst == i)
			return;
		tmp = heap[i];
		heap[i] = heap[worst];
		heap[worst] = tmp;
		i = worst;
	}
}

static void
heap_sift_up(const order_ctx *o, uint32_t *heap, uint32_t i)
{
	while (i > 0 && entry_cmp(o, heap[i], heap[(i - 1) / 2]) > 0)
	{
		uint32_t	parent = (i - 1) / 2, tmp = heap[i];

		heap[i] = heap[parent];
		heap[parent] = tmp;
		i = parent;
	}
}

ps_status
agg_order(ps_agg *a, ps_error *err)
{
	uint32_t	n = a->groups.n;
	/* Entries: every group, or with a limit the first offset + limit and a spare one. */
	uint64_t	want = a->limit && a->offset < n && a->limit < n - a->offset ? a->offset + a->limit : n;
	uint32_t	kept = (uint32_t) want;
	uint32_t	nentries = kept < n ? kept + 1 : n;
	order_ctx	o = {.a = a};
	ps_status	rc = PS_OK;

	a->stats.groups = n;
	if (!(a->order = malloc(((size_t) nentries + 1) * sizeof(uint32_t))) ||
		!(o.group = malloc(((size_t) nentries + 1) * sizeof(uint32_t))) ||
		(a->nsort > 0 && !(o.vals = malloc(((size_t) nentries * a->nsort + 1) * sizeof(sort_value)))))
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	else if (kept == n)
	{
		for (uint32_t g = 0; g < n; g++)
		{
			entry_set(&o, g, g);
			a->order[g] = g;
		}
	}
	else
	{
		/* order[0..kept) is the heap of entries 0..kept-1; entry kept takes each candidate. */
		for (uint32_t g = 0; g < n; g++)
		{
			uint32_t	e = g < kept ? g : kept;

			entry_set(&o, e, g);
			if (g < kept)
			{
				a->order[g] = e;
				heap_sift_up(&o, a->order, g);
			}
			else if (entry_cmp(&o, kept, a->order[0]) < 0)
			{
				uint32_t	root = a->order[0];

				o.group[root] = g;
				if (a->nsort > 0)
					memcpy(&o.vals[(size_t) root * a->nsort], &o.vals[(size_t) kept * a->nsort],
						   a->nsort * sizeof(sort_value));
				heap_sift_down(&o, a->order, kept, 0);
			}
		}
	}
	if (rc == PS_OK)
	{
		if (kept > 1)
			qsort_r(a->order, kept, sizeof(uint32_t), entry_qsort_cmp, &o);
		for (uint32_t i = 0; i < kept; i++)
			a->order[i] = o.group[a->order[i]];
		a->nout = kept;
		a->next_out = a->offset < kept ? (uint32_t) a->offset : kept;
	}
	free(o.group);
	free(o.vals);
	return rc;
}
