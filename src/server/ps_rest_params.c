/*
 * ps_rest_params.c — REST query-string parameters: collection by key, time
 * values, limits, formats, the columns list, series filters, an
 * aggregate's bucket, by and fields, %HH decoding.
 *
 * Invariants: nothing here allocates or keeps a pointer past the call
 * (ps_rest_args keeps borrowed ones, see the header); every input, however
 * long or malformed, gives PS_OK or PS_EINVAL with a message naming the
 * parameter; messages quote client text only through ps_error_quote or
 * bounded %.*s, so they stay within PS_ERROR_MESSAGE_MAX.
 */
#include "ps_rest_params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ps_time.h"
#include "core/ps_types.h"

/*
 * A query's own parameters.  Every other key of a query names a series-key
 * column (ps_rest_filters_parse); a key column named like one of these
 * cannot be filtered on over REST, so that a table's columns never change
 * what an existing URL means.
 */
static const char *const query_keys[] = {
	"start", "end", "limit", "offset", "order", "columns", "time_format", "format"
};
static const char *const delete_rows_keys[] = {"start", "end"};
/* An aggregate's own parameters; as for a query, every other key is a series filter. */
static const char *const aggregate_keys[] = {
	"start", "end", "bucket", "by", "fields", "format", "time_format"
};
/* GET /tables/{t}/latest's; every other key is a series filter too. */
static const char *const latest_keys[] = {"start", "end", "by", "columns", "format", "time_format"};

/* The keys of each ps_rest_args_kind, and whether other keys may be series filters. */
static const struct {
	const char *const *keys;
	size_t		nkeys;
	bool		others_allowed;
}			kinds[] = {
	[PS_REST_ARGS_QUERY] = {query_keys, sizeof query_keys / sizeof query_keys[0], true},
	[PS_REST_ARGS_DELETE_ROWS] = {delete_rows_keys, sizeof delete_rows_keys / sizeof delete_rows_keys[0], false},
	[PS_REST_ARGS_AGGREGATE] = {aggregate_keys, sizeof aggregate_keys / sizeof aggregate_keys[0], true},
	[PS_REST_ARGS_LATEST] = {latest_keys, sizeof latest_keys / sizeof latest_keys[0], true},
};

/* Names of ps_rest_time_format, in its order. */
static const char *const time_format_names[] = {"iso", "s", "ms", "us", "ns"};
#define NTIME_FORMATS (sizeof time_format_names / sizeof time_format_names[0])

void
ps_rest_args_init(ps_rest_args *a, ps_rest_args_kind kind)
{
	memset(a, 0, sizeof *a);
	a->keys = kinds[kind].keys;
	a->nkeys = kinds[kind].nkeys;
	a->others_allowed = kinds[kind].others_allowed;
	ps_error_clear(&a->error);
}

bool
ps_rest_args_add(ps_rest_args *a, const char *key, const char *value)
{
	for (size_t i = 0; i < a->nkeys; i++)
		if (strcmp(a->keys[i], key) == 0)
		{
			if (a->values[i] != NULL && a->error.code == PS_OK)
				ps_error_set(&a->error, PS_EINVAL, "parameter \"%s\" given twice", key);
			a->values[i] = value != NULL ? value : "";
			return true;
		}
	if (a->others_allowed)
		a->nothers++;
	else if (a->error.code == PS_OK)
		ps_error_set(&a->error, PS_EINVAL, "unknown parameter \"%.64s\"", key);
	return false;
}

const char *
ps_rest_args_get(const ps_rest_args *a, const char *key)
{
	for (size_t i = 0; i < a->nkeys; i++)
		if (strcmp(a->keys[i], key) == 0)
			return a->values[i];
	return NULL;
}

/* The first collection error, copied to err. */
static ps_status
args_error(const ps_rest_args *a, ps_error *err)
{
	if (a->error.code == PS_OK)
		return PS_OK;
	return ps_error_set(err, a->error.code, "%s", a->error.message);
}

bool
ps_rest_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char	   *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

ps_status
ps_rest_time_parse(const char *name, const char *s, int64_t *out, ps_error *err)
{
	ps_time_options topt;
	ps_error	terr;
	char		fixed[PS_TIME_ISO_MAX * 2];
	const char *space;
	size_t		len = strlen(s);

	ps_time_options_default(&topt);
	if (ps_time_parse(s, len, &topt, out, &terr) == PS_OK)
		return PS_OK;
	space = strrchr(s, ' ');
	if (space != NULL && space - s > 10 && len < sizeof fixed)
	{
		memcpy(fixed, s, len + 1);
		fixed[space - s] = '+';
		if (ps_time_parse(fixed, len, &topt, out, NULL) == PS_OK)
			return PS_OK;
	}
	return ps_error_set(err, PS_EINVAL, "parameter \"%s\": %s", name, terr.message);
}

bool
ps_rest_accept_has(const char *accept, const char *type)
{
	size_t		tlen = strlen(type);

	for (const char *p = accept; p != NULL && *p != '\0';)
	{
		size_t		len;

		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ";, ");
		if (len == tlen && strncasecmp(p, type, tlen) == 0)
			return true;
		p = strchr(p, ',');
	}
	return false;
}

static ps_status
parse_format(const char *v, const char *accept, ps_rest_format *format, ps_error *err)
{
	*format = PS_REST_FORMAT_JSON;
	if (v == NULL)
	{
		if (ps_rest_accept_has(accept, "text/csv"))
			*format = PS_REST_FORMAT_CSV;
		else if (ps_rest_accept_has(accept, "application/x-ndjson"))
			*format = PS_REST_FORMAT_NDJSON;
		return PS_OK;
	}
	if (strcmp(v, "csv") == 0)
		*format = PS_REST_FORMAT_CSV;
	else if (strcmp(v, "ndjson") == 0)
		*format = PS_REST_FORMAT_NDJSON;
	else if (strcmp(v, "json") != 0)
		return ps_error_set(err, PS_EINVAL, "parameter \"format\" must be json, csv or ndjson");
	return PS_OK;
}

/* start= and end= (exclusive) as the inclusive range [*lo, *hi], *empty when they are equal. */
static ps_status
parse_range(const ps_rest_args *a, int64_t *lo, int64_t *hi, bool *empty, ps_error *err)
{
	const char *v;
	int64_t		end;
	ps_status	st;

	*lo = PS_TIME_MIN;
	*hi = PS_TIME_MAX;
	*empty = false;
	if ((v = ps_rest_args_get(a, "start")) != NULL &&
		(st = ps_rest_time_parse("start", v, lo, err)) != PS_OK)
		return st;
	if ((v = ps_rest_args_get(a, "end")) != NULL)
	{
		if ((st = ps_rest_time_parse("end", v, &end, err)) != PS_OK)
			return st;
		if (end < *lo)
			return ps_error_set(err, PS_EINVAL, "parameter \"end\" is before \"start\"");
		/* [start, end): end is exclusive. */
		*empty = (end == *lo);
		*hi = end - (end > PS_TIME_MIN);
	}
	return PS_OK;
}

static ps_status
parse_time_format(const char *v, ps_rest_time_format *out, ps_error *err)
{
	size_t		i = 0;

	*out = PS_REST_TIME_ISO;
	if (v == NULL)
		return PS_OK;
	while (i < NTIME_FORMATS && strcmp(v, time_format_names[i]) != 0)
		i++;
	if (i == NTIME_FORMATS)
		return ps_error_set(err, PS_EINVAL, "parameter \"time_format\" must be iso, s, ms, us or ns");
	*out = (ps_rest_time_format) i;
	return PS_OK;
}

ps_status
ps_rest_query_parse(const ps_rest_args *a, const char *accept, ps_rest_query *q, ps_error *err)
{
	const char *v;
	ps_status	st;

	memset(q, 0, sizeof q[0]);
	if ((st = args_error(a, err)) != PS_OK ||
		(st = parse_format(ps_rest_args_get(a, "format"), accept, &q->format, err)) != PS_OK ||
		(st = parse_range(a, &q->lo, &q->hi, &q->empty, err)) != PS_OK)
		return st;
	if ((v = ps_rest_args_get(a, "limit")) != NULL)
	{
		bool		json = (q->format == PS_REST_FORMAT_JSON);
		uint64_t	max = json ? PS_REST_JSON_LIMIT_MAX : (uint64_t) INT64_MAX;

		if (!ps_rest_parse_u64(v, 1, max, &q->limit))
			return ps_error_set(err, PS_EINVAL,
								"parameter \"limit\" must be an integer from 1 to %llu%s",
								(unsigned long long) max,
								json ? " for JSON (use format=csv or ndjson for more)" : "");
	}
	else if (q->format == PS_REST_FORMAT_JSON)
		q->limit = PS_REST_JSON_LIMIT_DEFAULT;
	if ((v = ps_rest_args_get(a, "offset")) != NULL &&
		!ps_rest_parse_u64(v, 0, (uint64_t) INT64_MAX, &q->offset))
		return ps_error_set(err, PS_EINVAL, "parameter \"offset\" must be a non-negative integer");
	if ((v = ps_rest_args_get(a, "order")) != NULL)
	{
		if (strcmp(v, "desc") != 0 && strcmp(v, "asc") != 0)
			return ps_error_set(err, PS_EINVAL, "parameter \"order\" must be asc or desc");
		q->descending = (strcmp(v, "desc") == 0);
	}
	if ((st = parse_time_format(ps_rest_args_get(a, "time_format"), &q->time_format, err)) != PS_OK)
		return st;
	q->columns = ps_rest_args_get(a, "columns");
	return PS_OK;
}

/* The position in s's series key of the column named key, or -1. */
static int
series_position(const ps_schema *s, const char *key)
{
	for (uint32_t k = 0; k < s->nseries; k++)
		if (strcmp(s->columns[s->series[k]].name, key) == 0)
			return (int) k;
	return -1;
}

/* Why key is no series filter of s (it is not in the series key). */
static ps_status
unknown_filter(const ps_schema *s, const char *table, const char *key, ps_error *err)
{
	if (ps_schema_find(s, key) < 0)
		return ps_error_set(err, PS_EINVAL, "unknown parameter \"%.64s\"", key);
	if (s->nseries == 0)
		return ps_error_set(err, PS_EINVAL, "unknown parameter \"%.64s\": table %s has no "
							"series key to filter on", key, table);
	return ps_error_set(err, PS_EINVAL, "unknown parameter \"%.64s\": column \"%.64s\" is not "
						"in the series key of table %s", key, key, table);
}

/* Convert one filter argument to the type of series-key column k of s. */
static ps_status
filter_value(const ps_schema *s, uint32_t k, const ps_rest_arg *arg, ps_value *out, ps_error *err)
{
	const char *text = arg->value != NULL ? arg->value : "";
	ps_error	why;

	if (ps_value_from_text(s->columns[s->series[k]].type, text, strlen(text), NULL, out,
						   &why) != PS_OK)
		return ps_error_set(err, PS_EINVAL, "parameter \"%.64s\": %s", arg->key, why.message);
	return PS_OK;
}

ps_status
ps_rest_filters_parse(const ps_schema *s, const char *table, const ps_rest_arg *args, size_t n,
					  ps_series_filter *filters, uint32_t *nfilters, ps_value *values,
					  ps_error *err)
{
	size_t		count[PS_MAX_SERIES_COLUMNS] = {0};
	size_t		start[PS_MAX_SERIES_COLUMNS];
	size_t		filled[PS_MAX_SERIES_COLUMNS] = {0};
	uint32_t	nseries = s->nseries < PS_MAX_SERIES_COLUMNS ? s->nseries : PS_MAX_SERIES_COLUMNS;
	size_t		at = 0;
	ps_status	st;

	/*
	 * Two passes, allocating nothing: check every argument in request order
	 * and count the values of each key column; then convert each value again
	 * into its column's slice of values, so each filter's values lie
	 * together however the request interleaves the columns.
	 */
	for (size_t i = 0; i < n; i++)
	{
		int			k = series_position(s, args[i].key);
		ps_value	v;

		if (k < 0 || (uint32_t) k >= nseries)
			return unknown_filter(s, table, args[i].key, err);
		if ((st = filter_value(s, (uint32_t) k, &args[i], &v, err)) != PS_OK)
			return st;
		if (++count[k] > UINT32_MAX)
			return ps_error_set(err, PS_EINVAL, "parameter \"%.64s\" given too many times",
								args[i].key);
	}
	*nfilters = 0;
	for (uint32_t k = 0; k < nseries; k++)
	{
		start[k] = at;
		at += count[k];
		if (count[k] == 0)
			continue;
		filters[*nfilters] = (ps_series_filter) {
			.column = s->columns[s->series[k]].name,
			.values = values + start[k],
			.nvalues = (uint32_t) count[k]
		};
		(*nfilters)++;
	}
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	k = (uint32_t) series_position(s, args[i].key);

		if ((st = filter_value(s, k, &args[i], &values[start[k] + filled[k]++], err)) != PS_OK)
			return st;
	}
	return PS_OK;
}

/* ---------------------------------------------------------------- aggregates */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..*len) without the blanks at either end: the new start, *len its length. */
static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && is_blank(*s))
	{
		s++;
		(*len)--;
	}
	while (*len > 0 && is_blank(s[*len - 1]))
		(*len)--;
	return s;
}

/*
 * The next item of the comma-separated list at *p, less blanks at either
 * end, in *item[0..*len); *p moves past it (NULL after the last item).
 * False once the list is done.
 */
static bool
next_item(const char **p, const char **item, size_t *len)
{
	size_t		raw;

	if (*p == NULL)
		return false;
	raw = strcspn(*p, ",");
	*len = raw;
	*item = trim(*p, len);
	*p = (*p)[raw] == '\0' ? NULL : *p + raw + 1;
	return true;
}

ps_status
ps_rest_bucket_parse(const char *s, int64_t *ns, ps_error *err)
{
	static const struct {
		const char *name;
		int64_t		ns;
	}			units[] = {
		{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", PS_NS_PER_SEC},
		{"m", 60 * PS_NS_PER_SEC}, {"h", 3600 * PS_NS_PER_SEC}, {"d", 86400 * PS_NS_PER_SEC},
	};
	size_t		digits = strspn(s, "0123456789");
	const char *unit = s + digits;
	uint64_t	n = 0;
	bool		over = false;
	size_t		u = 0;

	for (size_t i = 0; i < digits; i++)
	{
		uint64_t	d = (uint64_t) (s[i] - '0');

		over = over || n > ((uint64_t) INT64_MAX - d) / 10;
		n = n * 10 + d;
	}
	while (u < sizeof units / sizeof units[0] && strcmp(unit, units[u].name) != 0)
		u++;
	if (digits > 0 && (strncasecmp(unit, "mo", 2) == 0 || strcmp(unit, "M") == 0 ||
					   unit[0] == 'y' || unit[0] == 'Y'))
		return ps_error_set(err, PS_EINVAL, "parameter \"bucket\": months and years have no "
							"fixed width; give ns, us, ms, s, m, h or d");
	if (digits == 0 || u == sizeof units / sizeof units[0])
		return ps_error_set(err, PS_EINVAL, "parameter \"bucket\" must be a whole number and a "
							"unit, ns, us, ms, s, m, h or d (500ms, 1m, 1d)");
	if (n == 0)
		return ps_error_set(err, PS_EINVAL, "parameter \"bucket\" must be above zero");
	if (over || n > (uint64_t) (INT64_MAX / units[u].ns))
		return ps_error_set(err, PS_EINVAL, "parameter \"bucket\" is wider than %lld ns",
							(long long) INT64_MAX);
	*ns = (int64_t) n * units[u].ns;
	return PS_OK;
}

ps_status
ps_rest_by_parse(const char *list, char (*cols)[PS_MAX_NAME + 1], uint32_t *n, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	const char *name;
	size_t		len;

	*n = 0;
	for (const char *p = list; next_item(&p, &name, &len);)
	{
		if (len == 0)
			return ps_error_set(err, PS_EINVAL, "parameter \"by\": empty column name");
		if (len > PS_MAX_NAME)
			return ps_error_set(err, PS_EINVAL, "parameter \"by\": column name %s is too long",
								ps_error_quote(name, len, q));
		if (*n == PS_AGG_MAX_GROUP_COLUMNS)
			return ps_error_set(err, PS_EINVAL, "parameter \"by\": at most %d columns",
								PS_AGG_MAX_GROUP_COLUMNS);
		memcpy(cols[*n], name, len);
		cols[*n][len] = '\0';
		for (uint32_t i = 0; i < *n; i++)
			if (strcmp(cols[i], cols[*n]) == 0)
				return ps_error_set(err, PS_EINVAL, "parameter \"by\": column %s listed twice",
									ps_error_quote(name, len, q));
		(*n)++;
	}
	return PS_OK;
}

static ps_status
bad_field(const char *item, size_t len, const char *why, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];

	return ps_error_set(err, PS_EINVAL, "parameter \"fields\": bad field %s: %s",
						ps_error_quote(item, len, q), why);
}

/* One item of fields=, item[0..len) (not empty, no blanks at either end). */
static ps_status
parse_field(const char *item, size_t len, ps_rest_agg_field *f, ps_error *err)
{
	static const struct {
		const char *name;
		ps_rest_agg_fn fn;
	}			fns[] = {
		{"count", PS_REST_AGG_COUNT}, {"sum", PS_REST_AGG_SUM}, {"avg", PS_REST_AGG_AVG},
		{"min", PS_REST_AGG_MIN}, {"max", PS_REST_AGG_MAX}, {"first", PS_REST_AGG_FIRST},
		{"last", PS_REST_AGG_LAST},
	};
	const char *open = memchr(item, '(', len);
	size_t		name_len;
	size_t		col_len;
	const char *col;
	size_t		i = 0;

	f->key = item;
	f->key_len = len;
	if (open == NULL || item[len - 1] != ')')
		return bad_field(item, len, "expected a function and a column in parentheses, as "
						 "max(price) or count()", err);
	name_len = (size_t) (open - item);
	trim(item, &name_len);
	while (i < sizeof fns / sizeof fns[0] &&
		   (strlen(fns[i].name) != name_len || strncasecmp(fns[i].name, item, name_len) != 0))
		i++;
	if (i == sizeof fns / sizeof fns[0])
		return bad_field(item, len, "unknown function (count, sum, avg, min, max, first and "
						 "last are known)", err);
	f->fn = fns[i].fn;
	col_len = (size_t) (item + len - 1 - (open + 1));
	col = trim(open + 1, &col_len);
	if (f->fn == PS_REST_AGG_COUNT && (col_len == 0 || (col_len == 1 && col[0] == '*')))
	{
		f->fn = PS_REST_AGG_COUNT_ALL;
		f->column[0] = '\0';
		return PS_OK;
	}
	if (col_len == 0)
		return bad_field(item, len, "a column is required", err);
	if (col_len > PS_MAX_NAME)
		return bad_field(item, len, "the column name is too long", err);
	memcpy(f->column, col, col_len);
	f->column[col_len] = '\0';
	return PS_OK;
}

ps_status
ps_rest_fields_parse(const char *list, ps_rest_agg_field *fields, uint32_t *n, ps_error *err)
{
	const char *text;
	size_t		len;
	ps_status	st;

	*n = 0;
	for (const char *p = list; next_item(&p, &text, &len);)
	{
		if (len == 0)
			return ps_error_set(err, PS_EINVAL, "parameter \"fields\": empty field");
		if (*n == PS_REST_AGG_MAX_FIELDS)
			return ps_error_set(err, PS_EINVAL, "parameter \"fields\": at most %d fields",
								PS_REST_AGG_MAX_FIELDS);
		if ((st = parse_field(text, len, &fields[*n], err)) != PS_OK)
			return st;
		/* Keys are the output's: one of them twice would make an object with a repeated key. */
		for (uint32_t i = 0; i < *n; i++)
			if (fields[i].key_len == len && memcmp(fields[i].key, text, len) == 0)
				return bad_field(text, len, "listed twice", err);
		(*n)++;
	}
	return PS_OK;
}

ps_status
ps_rest_aggregate_parse(const ps_rest_args *a, const char *accept, ps_rest_aggregate *q,
						ps_error *err)
{
	const char *v;
	ps_status	st;

	q->bucket = 0;
	q->nby = 0;
	q->nfields = 0;
	if ((st = args_error(a, err)) != PS_OK ||
		(st = parse_format(ps_rest_args_get(a, "format"), accept, &q->format, err)) != PS_OK ||
		(st = parse_range(a, &q->lo, &q->hi, &q->empty, err)) != PS_OK ||
		(st = parse_time_format(ps_rest_args_get(a, "time_format"), &q->time_format, err)) != PS_OK)
		return st;
	if ((v = ps_rest_args_get(a, "bucket")) != NULL &&
		(st = ps_rest_bucket_parse(v, &q->bucket, err)) != PS_OK)
		return st;
	if ((v = ps_rest_args_get(a, "by")) != NULL)
	{
		if ((st = ps_rest_by_parse(v, q->by, &q->nby, err)) != PS_OK)
			return st;
		for (uint32_t i = 0; i < q->nby && q->bucket > 0; i++)
			if (strcmp(q->by[i], "bucket") == 0)
				return ps_error_set(err, PS_EINVAL, "parameter \"by\": a column named \"bucket\" "
									"cannot be grouped by with a bucket (the key is the bucket's)");
	}
	if ((v = ps_rest_args_get(a, "fields")) == NULL)
		return ps_error_set(err, PS_EINVAL, "parameter \"fields\" is required "
							"(e.g. fields=count(),max(price))");
	return ps_rest_fields_parse(v, q->fields, &q->nfields, err);
}

ps_status
ps_rest_latest_parse(const ps_rest_args *a, const char *accept, ps_rest_latest *q, ps_error *err)
{
	const char *v;
	ps_status	st;

	q->nby = 0;
	if ((st = args_error(a, err)) != PS_OK ||
		(st = parse_format(ps_rest_args_get(a, "format"), accept, &q->format, err)) != PS_OK ||
		(st = parse_range(a, &q->lo, &q->hi, &q->empty, err)) != PS_OK ||
		(st = parse_time_format(ps_rest_args_get(a, "time_format"), &q->time_format, err)) != PS_OK)
		return st;
	if ((v = ps_rest_args_get(a, "by")) != NULL &&
		(st = ps_rest_by_parse(v, q->by, &q->nby, err)) != PS_OK)
		return st;
	q->columns = ps_rest_args_get(a, "columns");
	return PS_OK;
}

ps_status
ps_rest_delete_range_parse(const ps_rest_args *a, int64_t *start, int64_t *end, ps_error *err)
{
	const char *s = ps_rest_args_get(a, "start");
	const char *e = ps_rest_args_get(a, "end");
	ps_status	st;

	if ((st = args_error(a, err)) != PS_OK)
		return st;
	if (s == NULL || e == NULL)
		return ps_error_set(err, PS_EINVAL, "parameters \"start\" and \"end\" are required");
	if ((st = ps_rest_time_parse("start", s, start, err)) != PS_OK ||
		(st = ps_rest_time_parse("end", e, end, err)) != PS_OK)
		return st;
	if (*start >= *end)
		return ps_error_set(err, PS_EINVAL,
							"parameter \"end\" must be after \"start\" (the range is [start, end))");
	return PS_OK;
}

ps_status
ps_rest_columns_parse(const ps_schema *s, const char *table, const char *list,
					  uint32_t *cols, uint32_t *ncols, ps_error *err)
{
	bool		has_time = false;
	uint32_t	n = 0;

	if (list == NULL)
	{
		for (uint32_t i = 0; i < s->ncolumns; i++)
			cols[n++] = i;
		*ncols = n;
		return PS_OK;
	}
	/* Repeats are refused, so at most every column once: cols never overflows. */
	cols[n++] = s->time_index;
	for (const char *p = list;;)
	{
		size_t		len = strcspn(p, ",");
		char		name[PS_MAX_NAME + 1];
		int			idx;

		if (len == 0 || len > PS_MAX_NAME)
			return ps_error_set(err, PS_EINVAL,
								"parameter \"columns\": empty or too long column name");
		memcpy(name, p, len);
		name[len] = '\0';
		idx = ps_schema_find(s, name);
		if (idx < 0)
			return ps_error_set(err, PS_EINVAL, "parameter \"columns\": table %s has no column \"%s\"",
								table, name);
		for (uint32_t i = has_time ? 0 : 1; i < n; i++)
			if (cols[i] == (uint32_t) idx)
				return ps_error_set(err, PS_EINVAL,
									"parameter \"columns\": column \"%s\" listed twice", name);
		if ((uint32_t) idx == s->time_index)
		{
			/* Listed explicitly: drop the implicit leading copy, keep the listed place. */
			memmove(cols, cols + 1, (n - 1) * sizeof *cols);
			n--;
			has_time = true;
		}
		cols[n++] = (uint32_t) idx;
		p += len;
		if (*p == '\0')
			break;
		p++;
	}
	*ncols = n;
	return PS_OK;
}

size_t
ps_rest_unescape(char *s)
{
	char	   *out = s;

	for (char *p = s; *p; p++)
	{
		int			hi, lo;

		if (*p == '%' && (hi = ps_hex_digit(p[1])) >= 0 && (lo = ps_hex_digit(p[2])) >= 0 &&
			(hi | lo) != 0)
		{
			*out++ = (char) (hi * 16 + lo);
			p += 2;
		}
		else
			*out++ = *p;
	}
	*out = '\0';
	return (size_t) (out - s);
}
