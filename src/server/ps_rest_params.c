/*
 * ps_rest_params.c — REST query-string parameters: collection by key, time
 * values, limits, formats, the columns list, series filters, %HH decoding.
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

/* Names of ps_rest_time_format, in its order. */
static const char *const time_format_names[] = {"iso", "s", "ms", "us", "ns"};
#define NTIME_FORMATS (sizeof time_format_names / sizeof time_format_names[0])

void
ps_rest_args_init(ps_rest_args *a, ps_rest_args_kind kind)
{
	memset(a, 0, sizeof *a);
	if (kind == PS_REST_ARGS_QUERY)
	{
		a->keys = query_keys;
		a->nkeys = sizeof query_keys / sizeof query_keys[0];
		a->others_allowed = true;
	}
	else
	{
		a->keys = delete_rows_keys;
		a->nkeys = sizeof delete_rows_keys / sizeof delete_rows_keys[0];
	}
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

ps_status
ps_rest_query_parse(const ps_rest_args *a, const char *accept, ps_rest_query *q, ps_error *err)
{
	const char *v;
	int64_t		end;
	ps_status	st;

	memset(q, 0, sizeof q[0]);
	q->lo = PS_TIME_MIN;
	q->hi = PS_TIME_MAX;
	if ((st = args_error(a, err)) != PS_OK ||
		(st = parse_format(ps_rest_args_get(a, "format"), accept, &q->format, err)) != PS_OK)
		return st;
	if ((v = ps_rest_args_get(a, "start")) != NULL &&
		(st = ps_rest_time_parse("start", v, &q->lo, err)) != PS_OK)
		return st;
	if ((v = ps_rest_args_get(a, "end")) != NULL)
	{
		if ((st = ps_rest_time_parse("end", v, &end, err)) != PS_OK)
			return st;
		if (end < q->lo)
			return ps_error_set(err, PS_EINVAL, "parameter \"end\" is before \"start\"");
		/* [start, end): end is exclusive. */
		q->empty = (end == q->lo);
		q->hi = end - (end > PS_TIME_MIN);
	}
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
	if ((v = ps_rest_args_get(a, "time_format")) != NULL)
	{
		size_t		i = 0;

		while (i < NTIME_FORMATS && strcmp(v, time_format_names[i]) != 0)
			i++;
		if (i == NTIME_FORMATS)
			return ps_error_set(err, PS_EINVAL,
								"parameter \"time_format\" must be iso, s, ms, us or ns");
		q->time_format = (ps_rest_time_format) i;
	}
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
