/*
 * ps_rest_groups.c — plans of aggregate and latest answers, and groups
 * written as rows (ps_rest_groups.h).
 *
 * Invariants: the store's result columns are [bucket][group columns][per
 * item: one column, or two (high and low 64 bits) for the SUM of an
 * INTEGER column]; a plan knows the first part's width (nlead) and the
 * items, and ps_rest_groups_bind finds each item's first column from the
 * result types, checking that the widths add up.  A key reads either a
 * leading column or an item (or two: avg's sum and count).
 */
#include "ps_rest_groups.h"

#include <stdlib.h>
#include <string.h>

/* How a key's value is made from the result columns. */
typedef enum key_kind {
	KEY_LEAD,					/* a leading column (bucket, group column) as it is */
	KEY_ITEM,					/* an item's column as it is */
	KEY_SUM,					/* an item's sum: exact (two columns) when INTEGER */
	KEY_AVG						/* an item's sum / the count item's value */
} key_kind;

struct ps_rest_group_key {
	key_kind	kind;
	uint32_t	src;			/* KEY_LEAD: the column; else the item */
	uint32_t	count_item;		/* KEY_AVG */
	/* Bound: */
	uint32_t	col;
	uint32_t	count_col;
	bool		exact;			/* KEY_SUM, KEY_AVG: an INTEGER sum's two columns */
};

static ps_status
plan_init(ps_rest_groups *g, const ps_rest_formatter *fmt, uint32_t nkeys)
{
	memset(g, 0, sizeof *g);
	g->skip_col = UINT32_MAX;
	if ((g->keys = calloc(nkeys ? nkeys : 1, sizeof *g->keys)) == NULL)
		return PS_ENOMEM;
	return ps_rest_layout_init(&g->layout, fmt, nkeys);
}

static ps_status
add_key(ps_rest_groups *g, const char *name, size_t len, key_kind kind, uint32_t src)
{
	g->keys[g->nkeys++] = (ps_rest_group_key) {.kind = kind, .src = src};
	return ps_rest_layout_add(&g->layout, name, len);
}

/* The index of the store aggregate (fn, column) among g's items, added if new. */
static uint32_t
item_index(ps_rest_groups *g, ps_agg_fn fn, const char *column)
{
	for (uint32_t i = 0; i < g->nitems; i++)
		if (g->items[i].fn == fn && (column == NULL ? g->items[i].column == NULL :
									 g->items[i].column != NULL &&
									 strcmp(g->items[i].column, column) == 0))
			return i;
	g->items[g->nitems] = (ps_agg_item) {.fn = fn, .column = column};
	return g->nitems++;
}

ps_status
ps_rest_groups_aggregate(ps_rest_groups *g, const ps_rest_aggregate *q)
{
	/* Indexed by ps_rest_agg_fn; avg asks for the sum here and the count below. */
	static const ps_agg_fn store_fn[] = {
		[PS_REST_AGG_COUNT_ALL] = PS_AGG_COUNT_ALL, [PS_REST_AGG_COUNT] = PS_AGG_COUNT,
		[PS_REST_AGG_SUM] = PS_AGG_SUM, [PS_REST_AGG_AVG] = PS_AGG_SUM,
		[PS_REST_AGG_MIN] = PS_AGG_MIN, [PS_REST_AGG_MAX] = PS_AGG_MAX,
		[PS_REST_AGG_FIRST] = PS_AGG_FIRST, [PS_REST_AGG_LAST] = PS_AGG_LAST,
	};
	uint32_t	nlead = (q->bucket > 0 ? 1 : 0) + q->nby;
	ps_status	st;

	if ((st = plan_init(g, &(ps_rest_formatter) {q->format, q->time_format},
						nlead + q->nfields)) != PS_OK)
		return st;
	g->nlead = nlead;
	if (q->bucket > 0 && (st = add_key(g, "bucket", 6, KEY_LEAD, 0)) != PS_OK)
		return st;
	for (uint32_t i = 0; i < q->nby; i++)
		if ((st = add_key(g, q->by[i], strlen(q->by[i]), KEY_LEAD, g->nkeys)) != PS_OK)
			return st;
	for (uint32_t i = 0; i < q->nfields; i++)
	{
		const ps_rest_agg_field *f = &q->fields[i];
		const char *column = f->fn == PS_REST_AGG_COUNT_ALL ? NULL : f->column;
		key_kind	kind = f->fn == PS_REST_AGG_SUM ? KEY_SUM : f->fn == PS_REST_AGG_AVG ? KEY_AVG : KEY_ITEM;

		if ((st = add_key(g, f->key, f->key_len, kind, item_index(g, store_fn[f->fn], column))) != PS_OK)
			return st;
		if (kind == KEY_AVG)
			g->keys[g->nkeys - 1].count_item = item_index(g, PS_AGG_COUNT, column);
	}
	return PS_OK;
}

ps_status
ps_rest_groups_latest(ps_rest_groups *g, const ps_rest_formatter *fmt,
					  const char *const *names, uint32_t n, const char *time_column,
					  const char (*by)[PS_MAX_NAME + 1], uint32_t nby, ps_error *err)
{
	ps_status	st;

	if ((st = plan_init(g, fmt, n)) != PS_OK)
		return ps_error_set(err, st, "out of memory");
	g->nlead = nby;
	/* MAX(time) first, asked even when not shown: its NULL marks the group of no row. */
	g->skip_col = nby + item_index(g, PS_AGG_MAX, time_column);
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	j = 0;

		while (j < nby && strcmp(by[j], names[i]) != 0)
			j++;
		if (j == nby && strcmp(names[i], time_column) != 0 && g->nitems == PS_AGG_MAX_ITEMS)
			return ps_error_set(err, PS_EINVAL, "more than %d columns asked for", PS_AGG_MAX_ITEMS - 1);
		if (j < nby)
			st = add_key(g, names[i], strlen(names[i]), KEY_LEAD, j);
		else
			st = add_key(g, names[i], strlen(names[i]), KEY_ITEM,
						 item_index(g, strcmp(names[i], time_column) == 0 ? PS_AGG_MAX : PS_AGG_LAST,
									names[i]));
		if (st != PS_OK)
			return ps_error_set(err, st, "out of memory");
	}
	return PS_OK;
}

ps_status
ps_rest_groups_bind(ps_rest_groups *g, const ps_type *types, uint32_t ntypes, ps_error *err)
{
	uint32_t	first[PS_AGG_MAX_ITEMS];
	uint32_t	c = g->nlead;

	for (uint32_t i = 0; i < g->nitems; i++)
	{
		first[i] = c;
		c += g->items[i].fn == PS_AGG_SUM && c < ntypes && types[c] == PS_TYPE_INTEGER ? 2 : 1;
	}
	if (c != ntypes)
		return ps_error_set(err, PS_EINTERNAL, "an aggregate gave %u result columns, %u expected",
							ntypes, c);
	g->types = types;
	g->ntypes = ntypes;
	for (uint32_t k = 0; k < g->nkeys; k++)
	{
		ps_rest_group_key *key = &g->keys[k];

		key->col = key->kind == KEY_LEAD ? key->src : first[key->src];
		key->exact = key->kind != KEY_LEAD && types[key->col] == PS_TYPE_INTEGER;
		if (key->kind == KEY_AVG)
			key->count_col = first[key->count_item];
	}
	return PS_OK;
}

bool
ps_rest_groups_skip(const ps_rest_groups *g, const ps_value *row)
{
	return g->skip_col < g->ntypes && row[g->skip_col].is_null;
}

/* The exact sum whose halves are row[col] and row[col + 1]; false when NULL. */
static bool
sum128(const ps_value *row, uint32_t col, __int128 *out)
{
	if (row[col].is_null || row[col + 1].is_null)
		return false;
	*out = (__int128) (((unsigned __int128) (uint64_t) row[col].v.i << 64) |
					   (uint64_t) row[col + 1].v.i);
	return true;
}

static ps_status
format_key(const ps_rest_groups *g, ps_buf *b, const ps_rest_group_key *key, const ps_value *row)
{
	const ps_rest_formatter *fmt = &g->layout.fmt;
	const ps_value *count;
	__int128	sum;

	if (key->kind == KEY_LEAD || key->kind == KEY_ITEM || (key->kind == KEY_SUM && !key->exact))
		return ps_rest_format_value(fmt, b, g->types[key->col], &row[key->col]);
	if (key->kind == KEY_SUM)
		return sum128(row, key->col, &sum) ? ps_rest_format_int128(b, sum) :
			ps_rest_format_null(fmt, b);
	/* avg: no value, no average (as SQL's avg). */
	count = &row[key->count_col];
	if (count->is_null || count->v.i <= 0)
		return ps_rest_format_null(fmt, b);
	if (key->exact)
		return sum128(row, key->col, &sum) ?
			ps_rest_format_double(fmt, b, (double) sum / (double) count->v.i) :
			ps_rest_format_null(fmt, b);
	return row[key->col].is_null ? ps_rest_format_null(fmt, b) :
		ps_rest_format_double(fmt, b, row[key->col].v.f / (double) count->v.i);
}

ps_status
ps_rest_groups_row(ps_rest_groups *g, ps_buf *b, const ps_value *row)
{
	ps_status	st = PS_OK;

	for (uint32_t k = 0; k < g->nkeys && st == PS_OK; k++)
		if ((st = ps_rest_layout_cell(&g->layout, b, k)) == PS_OK)
			st = format_key(g, b, &g->keys[k], row);
	return st == PS_OK ? ps_rest_layout_row_end(&g->layout, b) : st;
}

void
ps_rest_groups_free(ps_rest_groups *g)
{
	ps_rest_layout_free(&g->layout);
	free(g->keys);
	g->keys = NULL;
	g->nkeys = 0;
}
