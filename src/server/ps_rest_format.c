/*
 * ps_rest_format.c — values and rows of REST answers (ps_rest_format.h).
 *
 * Invariants: numbers and times are formatted in place after one reserve
 * (their terminators land past len); a string goes out as it is when it
 * needs no escaping or quoting, which is the common case (symbols,
 * venues), and through jansson or libcsv otherwise.  A layout's prefixes
 * and head are built once, at init, so formatting a row allocates nothing
 * once the output buffer has grown to a row's size.
 */
#include "ps_rest_format.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "core/ps_time.h"
#include "ps_float_text.h"

/* -2^127 has 39 digits, a sign and a NUL. */
#define INT128_TEXT_MAX 41

static int
append_to_buf(const char *p, size_t n, void *cls)
{
	return ps_buf_append(cls, p, n) == PS_OK ? 0 : -1;
}

/*
 * Printable ASCII other than '"' and '\\' is written as it is, as jansson
 * would write it; the rest is escaped by jansson, which costs an allocation.
 */
ps_status
ps_rest_format_json_string(ps_buf *b, const char *s, size_t len)
{
	json_t	   *j;
	int			rc;
	size_t		plain = 0;

	while (plain < len && (unsigned char) s[plain] >= 0x20 && (unsigned char) s[plain] < 0x80 &&
		   s[plain] != '"' && s[plain] != '\\')
		plain++;
	if (plain == len)
	{
		if (ps_buf_reserve(b, len + 2) != PS_OK)
			return PS_ENOMEM;
		b->data[b->len++] = '"';
		if (len > 0)
			memcpy(b->data + b->len, s, len);
		b->len += len;
		b->data[b->len++] = '"';
		return PS_OK;
	}
	j = json_stringn_nocheck(s, len);
	if (j == NULL)
		return PS_ENOMEM;
	rc = json_dump_callback(j, append_to_buf, b, JSON_ENCODE_ANY);
	json_decref(j);
	return rc == 0 ? PS_OK : PS_ENOMEM;
}

static bool
csv_needs_quotes(const char *s, size_t len)
{
	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ')
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return true;
	return false;
}

ps_status
ps_rest_format_csv_field(ps_buf *b, const char *s, size_t len)
{
	ps_status	st;

	if (!csv_needs_quotes(s, len))
		return ps_buf_append(b, s, len);
	if ((st = ps_buf_reserve(b, 2 * len + 2)) != PS_OK)
		return st;
	b->len += csv_write2(b->data + b->len, 2 * len + 2, s, len, CSV_QUOTE);
	return PS_OK;
}

ps_status
ps_rest_format_int64(ps_buf *b, int64_t v)
{
	if (ps_buf_reserve(b, PS_INT64_TEXT_MAX) != PS_OK)
		return PS_ENOMEM;
	b->len += ps_format_int64(v, (char *) b->data + b->len);
	return PS_OK;
}

ps_status
ps_rest_format_int128(ps_buf *b, __int128 v)
{
	char		text[INT128_TEXT_MAX];
	char	   *end = text + sizeof text;
	char	   *p = end;
	/* The magnitude as unsigned: negating -2^127 as signed would overflow. */
	unsigned __int128 m = v < 0 ? 0 - (unsigned __int128) v : (unsigned __int128) v;

	do
		*--p = (char) ('0' + (int) (m % 10));
	while ((m /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return ps_buf_append(b, p, (size_t) (end - p));
}

ps_status
ps_rest_format_null(const ps_rest_formatter *f, ps_buf *b)
{
	return f->format == PS_REST_FORMAT_CSV ? PS_OK : ps_buf_append(b, "null", 4);
}

ps_status
ps_rest_format_double(const ps_rest_formatter *f, ps_buf *b, double d)
{
	if (f->format != PS_REST_FORMAT_CSV && !isfinite(d))
		return ps_buf_append(b, "null", 4);
	if (ps_buf_reserve(b, PS_DOUBLE_TEXT_MAX) != PS_OK)
		return PS_ENOMEM;
	b->len += ps_float_text(d, (char *) b->data + b->len);
	return PS_OK;
}

ps_status
ps_rest_format_time(const ps_rest_formatter *f, ps_buf *b, int64_t ns)
{
	/* Indexed by ps_rest_time_format. */
	static const int64_t divisors[] = {0, PS_NS_PER_SEC, 1000000, 1000, 1};
	bool		quoted = f->format != PS_REST_FORMAT_CSV;

	if (f->time_format != PS_REST_TIME_ISO)
		return ps_rest_format_int64(b, ps_time_floor_div(ns, divisors[f->time_format]));
	if (ps_buf_reserve(b, PS_TIME_ISO_MAX + 2) != PS_OK)
		return PS_ENOMEM;
	if (quoted)
		b->data[b->len++] = '"';
	b->len += ps_time_format_iso(ns, (char *) b->data + b->len);
	if (quoted)
		b->data[b->len++] = '"';
	return PS_OK;
}

ps_status
ps_rest_format_value(const ps_rest_formatter *f, ps_buf *b, ps_type type, const ps_value *v)
{
	if (v->is_null)
		return ps_rest_format_null(f, b);
	switch (type)
	{
		case PS_TYPE_INTEGER:
			return ps_rest_format_int64(b, v->v.i);
		case PS_TYPE_TIMESTAMP:
			return ps_rest_format_time(f, b, v->v.i);
		case PS_TYPE_BOOLEAN:
			return v->v.b ? ps_buf_append(b, "true", 4) : ps_buf_append(b, "false", 5);
		case PS_TYPE_FLOAT:
			return ps_rest_format_double(f, b, v->v.f);
		case PS_TYPE_STRING:
			return f->format == PS_REST_FORMAT_CSV ?
				ps_rest_format_csv_field(b, v->v.s.ptr, v->v.s.len) :
				ps_rest_format_json_string(b, v->v.s.ptr, v->v.s.len);
	}
	return PS_EINTERNAL;
}

/* ---------------------------------------------------------------- rows */

ps_status
ps_rest_layout_init(ps_rest_layout *l, const ps_rest_formatter *fmt, uint32_t ncolumns)
{
	memset(l, 0, sizeof *l);
	l->fmt = *fmt;
	l->ncolumns = ncolumns;
	l->row_end = fmt->format == PS_REST_FORMAT_JSON ? "}" :
		fmt->format == PS_REST_FORMAT_NDJSON ? "}\n" : "\n";
	if ((l->prefix_at = calloc((size_t) ncolumns + 1, sizeof *l->prefix_at)) == NULL)
		return PS_ENOMEM;
	if (fmt->format == PS_REST_FORMAT_JSON)
		return ps_buf_printf(&l->head, "{\"success\":true,\"data\":[");
	return PS_OK;
}

/*
 * A key's prefix: "," between columns and, in the JSON formats, "{" (first)
 * and the escaped "key":.  In CSV the key joins the header line instead.
 */
ps_status
ps_rest_layout_add(ps_rest_layout *l, const char *name, size_t len)
{
	bool		json = l->fmt.format != PS_REST_FORMAT_CSV;
	uint32_t	i = l->nadded;
	ps_status	st = PS_OK;

	if (i == l->ncolumns)
		return PS_EINTERNAL;
	if (i > 0 || json)
		st = ps_buf_append_u8(&l->prefixes, i == 0 ? '{' : ',');
	if (json && st == PS_OK && (st = ps_rest_format_json_string(&l->prefixes, name, len)) == PS_OK)
		st = ps_buf_append_u8(&l->prefixes, ':');
	if (!json && st == PS_OK && i > 0)
		st = ps_buf_append_u8(&l->head, ',');
	if (!json && st == PS_OK)
		st = ps_rest_format_csv_field(&l->head, name, len);
	if (!json && st == PS_OK && i + 1 == l->ncolumns)
		st = ps_buf_append_u8(&l->head, '\n');
	if (st != PS_OK)
		return st;
	l->prefix_at[++l->nadded] = l->prefixes.len;
	return PS_OK;
}

ps_status
ps_rest_layout_head(const ps_rest_layout *l, ps_buf *out)
{
	return ps_buf_append(out, l->head.data, l->head.len);
}

ps_status
ps_rest_layout_cell(const ps_rest_layout *l, ps_buf *out, uint32_t i)
{
	size_t		len = l->prefix_at[i + 1] - l->prefix_at[i];
	ps_status	st = PS_OK;

	/* Objects in the envelope's array are separated by commas. */
	if (i == 0 && l->rows > 0 && l->fmt.format == PS_REST_FORMAT_JSON)
		st = ps_buf_append_u8(out, ',');
	/* (A CSV row's first cell has no prefix, and prefixes.data may still be NULL.) */
	if (st != PS_OK || len == 0)
		return st;
	return ps_buf_append(out, l->prefixes.data + l->prefix_at[i], len);
}

ps_status
ps_rest_layout_row_end(ps_rest_layout *l, ps_buf *out)
{
	ps_status	st = ps_buf_append(out, l->row_end, strlen(l->row_end));

	if (st == PS_OK)
		l->rows++;
	return st;
}

ps_status
ps_rest_layout_tail(const ps_rest_layout *l, ps_buf *out)
{
	if (l->fmt.format != PS_REST_FORMAT_JSON)
		return PS_OK;
	return ps_buf_append(out, "],\"error\":null}\n", 16);
}

void
ps_rest_layout_free(ps_rest_layout *l)
{
	free(l->prefix_at);
	ps_buf_free(&l->prefixes);
	ps_buf_free(&l->head);
	memset(l, 0, sizeof *l);
}
