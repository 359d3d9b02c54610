/*
 * ps_series.c — choosing a table's series key, and the byte form of a
 * series's key values.  See ps_series.h.
 */
#include "ps_series.h"

#include <string.h>
#include <strings.h>

static const char *const inferred_names[] = {
	"symbol", "ticker", "instrument", "sym", "ric", "isin", "security", NULL
};

static bool
keyable_type(ps_type t)
{
	return t == PS_TYPE_STRING || t == PS_TYPE_INTEGER || t == PS_TYPE_BOOLEAN;
}

ps_status
ps_series_key_set(ps_schema *s, const char *list, ps_error *err)
{
	uint32_t	cols[PS_MAX_SERIES_COLUMNS];
	uint32_t	n = 0;
	const char *p = list;

	while (*list && *p)
	{
		const char *end = strchr(p, ',');
		size_t		len = end ? (size_t) (end - p) : strlen(p);
		char		name[PS_MAX_NAME + 1];
		int			idx;

		if (len == 0 || len > PS_MAX_NAME)
			return ps_error_set(err, PS_EINVAL, "option \"series_key\": empty or too long column name in \"%.200s\"",
								list);
		memcpy(name, p, len);
		name[len] = '\0';
		if ((idx = ps_schema_find(s, name)) < 0)
			return ps_error_set(err, PS_EINVAL, "option \"series_key\": column \"%s\" does not exist",
								name);
		if ((uint32_t) idx == s->time_index)
			return ps_error_set(err, PS_EINVAL,
								"option \"series_key\": the time column \"%s\" cannot be part of the series key",
								name);
		if (!keyable_type(s->columns[idx].type))
			return ps_error_set(err, PS_EINVAL,
								"option \"series_key\": column \"%s\" has type %s; a series key takes text, integer or boolean columns",
								name, ps_type_name(s->columns[idx].type));
		for (uint32_t i = 0; i < n; i++)
			if (cols[i] == (uint32_t) idx)
				return ps_error_set(err, PS_EINVAL, "option \"series_key\": column \"%s\" is named twice",
									name);
		if (n == PS_MAX_SERIES_COLUMNS)
			return ps_error_set(err, PS_EINVAL, "option \"series_key\": at most %d columns",
								PS_MAX_SERIES_COLUMNS);
		cols[n++] = (uint32_t) idx;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return ps_error_set(err, PS_EINVAL, "option \"series_key\": empty column name in \"%.200s\"",
								list);
	}
	s->nseries = n;
	memcpy(s->series, cols, n * sizeof(uint32_t));
	return PS_OK;
}

void
ps_series_key_infer(ps_schema *s)
{
	s->nseries = 0;
	for (uint32_t c = 0; c < s->ncolumns; c++)
	{
		if (c == s->time_index || s->columns[c].type != PS_TYPE_STRING)
			continue;
		for (int k = 0; inferred_names[k]; k++)
			if (strcasecmp(s->columns[c].name, inferred_names[k]) == 0)
			{
				s->series[0] = c;
				s->nseries = 1;
				return;
			}
	}
}

ps_status
ps_series_tuple_encode(const ps_schema *s, const ps_value *values, ps_buf *out)
{
	size_t		start = out->len;
	ps_status	st = PS_OK;

	for (uint32_t k = 0; k < s->nseries && st == PS_OK; k++)
	{
		uint32_t	c = s->series[k];
		const ps_value *v = &values[c];

		if (v->is_null)
		{
			st = ps_buf_append_u8(out, 0);
			continue;
		}
		st = ps_buf_append_u8(out, 1);
		if (st != PS_OK)
			break;
		switch (s->columns[c].type)
		{
			case PS_TYPE_STRING:
				st = ps_buf_append_varint(out, v->v.s.len);
				if (st == PS_OK)
					st = ps_buf_append(out, v->v.s.ptr, v->v.s.len);
				break;
			case PS_TYPE_INTEGER:
				st = ps_buf_append_u64be(out, (uint64_t) v->v.i ^ (UINT64_C(1) << 63));
				break;
			default:
				st = ps_buf_append_u8(out, v->v.b ? 1 : 0);
				break;
		}
	}
	if (st != PS_OK)
		out->len = start;
	return st;
}

ps_status
ps_series_tuple_decode(const ps_schema *s, const void *p, size_t n, ps_value *values,
					   ps_error *err)
{
	ps_reader	r;

	ps_reader_init(&r, p, n);
	for (uint32_t k = 0; k < s->nseries; k++)
	{
		uint32_t	c = s->series[k];
		ps_value   *v = &values[c];
		uint8_t		present, b;
		uint64_t	u, len;
		const uint8_t *bytes;

		if (ps_read_u8(&r, &present) != PS_OK || present > 1)
			goto corrupt;
		v->is_null = present == 0;
		if (!present)
			continue;
		switch (s->columns[c].type)
		{
			case PS_TYPE_STRING:
				if (ps_read_varint(&r, &len) != PS_OK || len > UINT32_MAX ||
					ps_read_bytes(&r, (size_t) len, &bytes) != PS_OK)
					goto corrupt;
				v->v.s.ptr = (const char *) bytes;
				v->v.s.len = (uint32_t) len;
				break;
			case PS_TYPE_INTEGER:
				if (ps_read_u64be(&r, &u) != PS_OK)
					goto corrupt;
				v->v.i = (int64_t) (u ^ (UINT64_C(1) << 63));
				break;
			default:
				if (ps_read_u8(&r, &b) != PS_OK || b > 1)
					goto corrupt;
				v->v.b = b != 0;
				break;
		}
	}
	if (ps_reader_left(&r) == 0)
		return PS_OK;
corrupt:
	return ps_error_set(err, PS_ECORRUPT, "corrupt series key in the series dictionary");
}
