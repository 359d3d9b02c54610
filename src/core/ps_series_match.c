/*
 * ps_series_match.c — which series of a table a scan's series filters
 * select: filters naming every key column with few value combinations are
 * looked up in the dictionary tuple by tuple; others are checked against
 * every tuple.  Called under the store lock, so the dictionary holds still.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_series.h"
#include "ps_store_int.h"

typedef struct series_match {
	const ps_schema *schema;
	ps_value   *row;			/* one per schema column: decoded tuples */
	uint32_t   *ids;
	uint32_t	n;
	bool		all;
} series_match;

static bool
value_equal(ps_type t, const ps_value *a, const ps_value *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null;
	if (t == PS_TYPE_STRING)
		return a->v.s.len == b->v.s.len && memcmp(a->v.s.ptr, b->v.s.ptr, a->v.s.len) == 0;
	if (t == PS_TYPE_BOOLEAN)
		return a->v.b == b->v.b;
	return a->v.i == b->v.i;
}

#define LOOKUP_TUPLES_MAX 4096

/*
 * Does every key column have exactly one filter, with few value
 * combinations?  Then each combination is a tuple to look up.
 */
static bool
filters_name_each_key(const ps_schema *s, const ps_scan_spec *spec, const int *cols)
{
	uint64_t	combinations = 1;

	if (spec->nfilters != s->nseries)
		return false;
	for (uint32_t k = 0; k < s->nseries; k++)
	{
		uint32_t	hits = 0;

		for (uint32_t f = 0; f < spec->nfilters; f++)
			if ((uint32_t) cols[f] == s->series[k])
			{
				hits++;
				combinations *= spec->filters[f].nvalues ? spec->filters[f].nvalues : 1;
			}
		if (hits != 1 || combinations > LOOKUP_TUPLES_MAX)
			return false;
	}
	return true;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a, y = *(const uint32_t *) b;

	return x < y ? -1 : x > y;
}

/* The ids of every combination of filter values, looked up in the dictionary. */
static ps_status
lookup_series(series_match *m, const ps_table *t, const ps_scan_spec *spec, const int *cols,
			  ps_error *err)
{
	uint32_t	pick[PS_MAX_SERIES_COLUMNS] = {0};
	uint64_t	combinations = 1;
	ps_buf		tuple = PS_BUF_INIT;
	ps_status	rc = PS_OK;

	for (uint32_t f = 0; f < spec->nfilters; f++)
		combinations *= spec->filters[f].nvalues;
	if (!(m->ids = malloc((combinations + 1) * sizeof(uint32_t))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint64_t c = 0; c < combinations && rc == PS_OK; c++)
	{
		uint32_t	id;

		for (uint32_t f = 0; f < spec->nfilters; f++)
			m->row[cols[f]] = spec->filters[f].values[pick[f]];
		ps_buf_reset(&tuple);
		if (ps_series_tuple_encode(m->schema, m->row, &tuple) != PS_OK)
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
		else if ((id = ps_series_dict_find(&t->dict, tuple.data, tuple.len)) != UINT32_MAX)
			m->ids[m->n++] = id;
		/* The next combination, odometer style. */
		for (uint32_t f = 0; f < spec->nfilters && ++pick[f] == spec->filters[f].nvalues; f++)
			pick[f] = 0;
	}
	ps_buf_free(&tuple);
	qsort(m->ids, m->n, sizeof(uint32_t), u32_cmp);
	{
		uint32_t	n = 0;

		for (uint32_t i = 0; i < m->n; i++)
			if (n == 0 || m->ids[n - 1] != m->ids[i])
				m->ids[n++] = m->ids[i];
		m->n = n;
	}
	return rc;
}

/*
 * The ids of t's series that pass every filter, sorted.  Called under
 * st->lock, so the dictionary stays put while tuples are read.
 */
static ps_status
resolve_filters(series_match *m, const ps_table *t, const ps_scan_spec *spec, ps_error *err)
{
	const ps_schema *s = m->schema;
	int			cols[PS_MAX_SERIES_COLUMNS];

	if (spec->nfilters > PS_MAX_SERIES_COLUMNS)
		return ps_error_set(err, PS_EINVAL, "too many series filters (at most %d)",
							PS_MAX_SERIES_COLUMNS);
	for (uint32_t f = 0; f < spec->nfilters; f++)
	{
		const char *name = spec->filters[f].column;

		cols[f] = name ? ps_schema_find(s, name) : -1;
		if (cols[f] < 0 || !ps_schema_is_series(s, (uint32_t) cols[f]))
			return ps_error_set(err, PS_EINVAL,
								"column \"%s\" is not in the series key of table \"%s\"",
								name ? name : "", t->name);
	}
	if (spec->nfilters == 0)
	{
		m->all = true;
		return PS_OK;
	}
	if (filters_name_each_key(s, spec, cols))
		return lookup_series(m, t, spec, cols, err);
	if (!(m->ids = malloc(((size_t) t->dict.n + 1) * sizeof(uint32_t))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t id = 0; id < t->dict.n; id++)
	{
		const uint8_t *p;
		size_t		n;
		bool		pass = true;

		ps_series_dict_tuple(&t->dict, id, &p, &n);
		if (ps_series_tuple_decode(s, p, n, m->row, err) != PS_OK)
			return PS_ECORRUPT;
		for (uint32_t f = 0; f < spec->nfilters && pass; f++)
		{
			const ps_series_filter *flt = &spec->filters[f];
			bool		hit = false;

			for (uint32_t i = 0; i < flt->nvalues && !hit; i++)
				hit = value_equal(s->columns[cols[f]].type, &m->row[cols[f]], &flt->values[i]);
			pass = hit;
		}
		if (pass)
			m->ids[m->n++] = id;
	}
	return PS_OK;
}

ps_status
ps_series_match(const ps_table *t, const ps_schema *schema, const ps_scan_spec *spec,
				uint32_t **ids, uint32_t *n, bool *all, ps_error *err)
{
	series_match m = {.schema = schema};
	ps_status	rc;

	*ids = NULL;
	*n = 0;
	*all = false;
	if (!(m.row = calloc(schema->ncolumns, sizeof(ps_value))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	rc = resolve_filters(&m, t, spec, err);
	free(m.row);
	if (rc != PS_OK)
	{
		free(m.ids);
		return rc;
	}
	*ids = m.ids;
	*n = m.n;
	*all = m.all;
	return PS_OK;
}
