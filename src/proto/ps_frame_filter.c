/*
 * ps_frame_filter.c — the series filters of SCAN_OPEN and SCAN_START on
 * the wire (layout in ps_frame.h): the kind of a column's filter values,
 * checking and encoding the filters a client sends, and decoding them for
 * the owner (the rest of those messages is in ps_frame_msg.c).
 *
 * Invariants: filters that break the caps, or whose kinds or arrays are
 * missing or wrong, are refused before anything is appended
 * (ps_frame_check_filters, then ps_frame_put_filters).  The decoder
 * checks every count against the bytes left and the caps
 * (PS_FRAME_MAX_FILTERS filters, PS_FRAME_MAX_FILTER_VALUES values in all)
 * before it allocates, validates a filter's values before copying them, and
 * copies its strings into one block.
 * This file is linked into the PostgreSQL extension: it uses only libc and
 * the client-side core (ps_error, ps_buf), and declares variables at the top
 * of blocks as PostgreSQL's compiler flags require.
 */
#include "ps_frame_int.h"

#include <stdlib.h>
#include <string.h>

int
ps_filter_kind(ps_type t)
{
	switch (t)
	{
		case PS_TYPE_INTEGER:
			return PS_FILTER_INTEGER;
		case PS_TYPE_STRING:
			return PS_FILTER_STRING;
		case PS_TYPE_BOOLEAN:
			return PS_FILTER_BOOLEAN;
		default:
			return -1;
	}
}

/* PS_EINVAL when filters cannot be sent (caps, types, missing arrays). */
ps_status
ps_frame_check_filters(const ps_filter_spec *filters, uint32_t n)
{
	uint64_t	total = 0;

	if (n > PS_FRAME_MAX_FILTERS || (n > 0 && filters == NULL))
		return PS_EINVAL;
	for (uint32_t f = 0; f < n; f++)
	{
		total += filters[f].nvalues;
		if (filters[f].column == NULL ||
			(filters[f].kinds == NULL && ps_filter_kind(filters[f].type) < 0) ||
			(filters[f].nvalues > 0 && filters[f].values == NULL) ||
			total > PS_FRAME_MAX_FILTER_VALUES)
			return PS_EINVAL;
		if (filters[f].kinds != NULL)
			for (uint32_t i = 0; i < filters[f].nvalues; i++)
				if (filters[f].kinds[i] > PS_FILTER_BOOLEAN)
					return PS_EINVAL;
	}
	return PS_OK;
}

/* Filters that passed ps_frame_check_filters. */
ps_status
ps_frame_put_filters(ps_buf *b, const ps_filter_spec *filters, uint32_t n)
{
	if (ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t f = 0; f < n; f++)
	{
		const ps_filter_spec *fs = &filters[f];

		if (ps_frame_put_str(b, fs->column) != PS_OK ||
			ps_buf_append_varint(b, fs->nvalues) != PS_OK)
			return PS_ENOMEM;
		for (uint32_t i = 0; i < fs->nvalues; i++)
		{
			const ps_value *v = &fs->values[i];
			int			kind = fs->kinds ? fs->kinds[i]
				: v->is_null ? PS_FILTER_NULL : ps_filter_kind(fs->type);
			ps_status	st;

			if (ps_buf_append_u8(b, (uint8_t) kind) != PS_OK)
				return PS_ENOMEM;
			if (kind == PS_FILTER_NULL)
				continue;
			if (kind == PS_FILTER_INTEGER)
				st = ps_frame_put_i64(b, v->v.i);
			else if (kind == PS_FILTER_STRING)
				st = ps_frame_put_bytes(b, v->v.s.ptr, v->v.s.len);
			else
				st = ps_buf_append_u8(b, v->v.b ? 1 : 0);
			if (st != PS_OK)
				return PS_ENOMEM;
		}
	}
	return PS_OK;
}

/*
 * One value of a filter; a string's bytes are only located (*str, *len),
 * for the caller to copy.  Kinds other than PS_FILTER_* are malformed.
 */
static ps_status
get_filter_value(ps_reader *r, uint8_t *kind, ps_value *v, const uint8_t **str, size_t *len)
{
	memset(v, 0, sizeof *v);
	*str = NULL;
	*len = 0;
	if (ps_frame_get_u8(r, kind) != PS_OK)
		return PS_EPROTO;
	switch (*kind)
	{
		case PS_FILTER_NULL:
			v->is_null = true;
			return PS_OK;
		case PS_FILTER_INTEGER:
			return ps_frame_get_i64(r, &v->v.i);
		case PS_FILTER_STRING:
			if (ps_frame_get_str_bytes(r, str, len) != PS_OK || *len > UINT32_MAX)
				return PS_EPROTO;
			v->v.s.len = (uint32_t) *len;
			return PS_OK;
		case PS_FILTER_BOOLEAN:
			return ps_frame_get_bool(r, &v->v.b);
		default:
			return PS_EPROTO;
	}
}

/*
 * One filter.  Two passes over its values: the first validates them and
 * sums their string bytes, so the second copies into one block.
 * *budget is how many values the message may still hold.
 */
static ps_status
get_filter(ps_reader *r, ps_msg_filter *f, uint32_t *budget)
{
	ps_reader	walk;
	size_t		bytes = 0;
	size_t		used = 0;
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &f->column)) != PS_OK)
		return st;
	/* Each value takes at least its kind byte. */
	if (ps_frame_get_count(r, 1, *budget, &f->nvalues) != PS_OK)
		return PS_EPROTO;
	*budget -= f->nvalues;
	walk = *r;
	for (uint32_t i = 0; i < f->nvalues; i++)
	{
		uint8_t		kind;
		ps_value	v;
		const uint8_t *str;
		size_t		len;

		if (get_filter_value(&walk, &kind, &v, &str, &len) != PS_OK)
			return PS_EPROTO;
		bytes += len;
	}
	if ((f->kinds = ps_frame_alloc_array(f->nvalues, 1)) == NULL ||
		(f->values = ps_frame_alloc_array(f->nvalues, sizeof(ps_value))) == NULL ||
		(f->strings = malloc(bytes ? bytes : 1)) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < f->nvalues; i++)
	{
		const uint8_t *str;
		size_t		len;

		(void) get_filter_value(r, &f->kinds[i], &f->values[i], &str, &len);
		if (f->kinds[i] == PS_FILTER_STRING)
		{
			if (len > 0)
				memcpy(f->strings + used, str, len);
			f->values[i].v.s.ptr = f->strings + used;
			used += len;
		}
	}
	return PS_OK;
}

ps_status
ps_frame_get_filters(ps_reader *r, ps_msg_scan_open *m)
{
	uint32_t	budget = PS_FRAME_MAX_FILTER_VALUES;
	ps_status	st;

	/* A filter takes at least a column (1 byte) and a count (1 byte). */
	if (ps_frame_get_count(r, MIN_STR + 1, PS_FRAME_MAX_FILTERS, &m->nfilters) != PS_OK)
		return PS_EPROTO;
	if ((m->filters = ps_frame_alloc_array(m->nfilters, sizeof(ps_msg_filter))) == NULL)
		return PS_ENOMEM;
	for (uint32_t f = 0; f < m->nfilters; f++)
		if ((st = get_filter(r, &m->filters[f], &budget)) != PS_OK)
			return st;
	return PS_OK;
}
