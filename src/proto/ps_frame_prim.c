/*
 * ps_frame_prim.c — the payload primitives of the native protocol (layout
 * in ps_frame.h): fixed-width integers, booleans, byte strings, strings,
 * item counts, errors and rows, appended to a ps_buf or read from a
 * ps_reader.  The message codecs (ps_frame_msg.c, ps_frame_filter.c) are
 * built on them.
 *
 * Invariants: a getter never reads outside its payload and returns
 * PS_EPROTO on malformed input (never PS_ECORRUPT, the core readers' word
 * for it); a count is checked against the bytes left and its cap before
 * the caller can allocate for it; a string with a NUL inside is malformed.
 * This file is linked into the PostgreSQL extension: it uses only libc and
 * the client-side core (ps_error, ps_buf), and declares variables at the top
 * of blocks as PostgreSQL's compiler flags require.
 */
#include "ps_frame_int.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

ps_status
ps_frame_put_u16(ps_buf *b, uint16_t v)
{
	uint8_t		tmp[2];

	tmp[0] = (uint8_t) (v >> 8);
	tmp[1] = (uint8_t) v;
	return ps_buf_append(b, tmp, sizeof tmp);
}

ps_status
ps_frame_put_i32(ps_buf *b, int32_t v)
{
	return ps_buf_append_u32be(b, (uint32_t) v);
}

ps_status
ps_frame_put_i64(ps_buf *b, int64_t v)
{
	return ps_buf_append_u64be(b, (uint64_t) v);
}

ps_status
ps_frame_put_bytes(ps_buf *b, const void *p, size_t n)
{
	ps_status	st;

	if ((st = ps_buf_append_varint(b, n)) != PS_OK)
		return st;
	return ps_buf_append(b, p, n);
}

ps_status
ps_frame_put_str(ps_buf *b, const char *s)
{
	return ps_frame_put_bytes(b, s, strlen(s));
}

ps_status
ps_frame_put_error(ps_buf *b, const ps_error *e)
{
	if (ps_frame_put_u16(b, (uint16_t) e->code) != PS_OK ||
		ps_frame_put_i64(b, e->line) != PS_OK ||
		ps_frame_put_i32(b, e->column) != PS_OK)
		return PS_ENOMEM;
	/* strnlen: a message is bounded by its array even if unterminated. */
	return ps_frame_put_bytes(b, e->message, strnlen(e->message, sizeof e->message - 1));
}

ps_status
ps_frame_put_row(ps_buf *b, int64_t time, const void *value, size_t len)
{
	if (ps_frame_put_i64(b, time) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_bytes(b, value, len);
}

/* The core readers report PS_ECORRUPT; on the wire that is PS_EPROTO. */
static ps_status
wire(ps_status st)
{
	return st == PS_OK ? PS_OK : PS_EPROTO;
}

ps_status
ps_frame_get_u8(ps_reader *r, uint8_t *v)
{
	return wire(ps_read_u8(r, v));
}

ps_status
ps_frame_get_u16(ps_reader *r, uint16_t *v)
{
	const uint8_t *p;

	if (ps_read_bytes(r, 2, &p) != PS_OK)
		return PS_EPROTO;
	*v = (uint16_t) ((p[0] << 8) | p[1]);
	return PS_OK;
}

ps_status
ps_frame_get_u32(ps_reader *r, uint32_t *v)
{
	return wire(ps_read_u32be(r, v));
}

ps_status
ps_frame_get_i32(ps_reader *r, int32_t *v)
{
	uint32_t	u;

	if (ps_read_u32be(r, &u) != PS_OK)
		return PS_EPROTO;
	*v = (int32_t) u;
	return PS_OK;
}

ps_status
ps_frame_get_u64(ps_reader *r, uint64_t *v)
{
	return wire(ps_read_u64be(r, v));
}

ps_status
ps_frame_get_i64(ps_reader *r, int64_t *v)
{
	uint64_t	u;

	if (ps_read_u64be(r, &u) != PS_OK)
		return PS_EPROTO;
	*v = (int64_t) u;
	return PS_OK;
}

ps_status
ps_frame_get_bool(ps_reader *r, bool *v)
{
	uint8_t		u;

	if (ps_read_u8(r, &u) != PS_OK || u > 1)
		return PS_EPROTO;
	*v = u == 1;
	return PS_OK;
}

ps_status
ps_frame_get_bytes(ps_reader *r, const uint8_t **p, size_t *n)
{
	uint64_t	len;
	ps_reader	save = *r;

	if (ps_read_varint(r, &len) != PS_OK || len > ps_reader_left(r) ||
		ps_read_bytes(r, (size_t) len, p) != PS_OK)
	{
		*r = save;
		return PS_EPROTO;
	}
	*n = (size_t) len;
	return PS_OK;
}

/* A string's bytes: like get_bytes, but a NUL inside is malformed. */
ps_status
ps_frame_get_str_bytes(ps_reader *r, const uint8_t **p, size_t *n)
{
	ps_reader	save = *r;

	if (ps_frame_get_bytes(r, p, n) != PS_OK)
		return PS_EPROTO;
	if (memchr(*p, '\0', *n) != NULL)
	{
		*r = save;
		return PS_EPROTO;
	}
	return PS_OK;
}

ps_status
ps_frame_get_strdup(ps_reader *r, char **out)
{
	const uint8_t *p;
	size_t		n;
	char	   *s;

	if (ps_frame_get_str_bytes(r, &p, &n) != PS_OK)
		return PS_EPROTO;
	if ((s = malloc(n + 1)) == NULL)
		return PS_ENOMEM;
	memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	return PS_OK;
}

ps_status
ps_frame_get_strbuf(ps_reader *r, char *out, size_t outsz)
{
	const uint8_t *p;
	size_t		n;
	ps_reader	save = *r;

	if (ps_frame_get_str_bytes(r, &p, &n) != PS_OK)
		return PS_EPROTO;
	if (n >= outsz)
	{
		*r = save;
		return PS_EPROTO;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return PS_OK;
}

ps_status
ps_frame_get_count(ps_reader *r, size_t min_item_bytes, uint32_t max_items, uint32_t *n)
{
	uint64_t	v;
	ps_reader	save = *r;

	if (ps_read_varint(r, &v) != PS_OK || v > max_items ||
		(min_item_bytes > 0 && v > ps_reader_left(r) / min_item_bytes))
	{
		*r = save;
		return PS_EPROTO;
	}
	*n = (uint32_t) v;
	return PS_OK;
}

ps_status
ps_frame_get_error(ps_reader *r, ps_error *e)
{
	uint16_t	code;
	int64_t		line;
	int32_t		column;

	if (ps_frame_get_u16(r, &code) != PS_OK ||
		ps_frame_get_i64(r, &line) != PS_OK ||
		ps_frame_get_i32(r, &column) != PS_OK ||
		ps_frame_get_strbuf(r, e->message, sizeof e->message) != PS_OK)
		return PS_EPROTO;
	e->code = (ps_status) code;
	e->line = line;
	e->column = column;
	return PS_OK;
}

ps_status
ps_frame_get_row(ps_reader *r, int64_t *time, const uint8_t **value, size_t *len)
{
	ps_reader	save = *r;
	uint64_t	t;

	/*
	 * Scans read every row twice (ROWS validation, then iteration): the
	 * usual row, with a one-byte length, is read here without the general
	 * primitives' calls.
	 */
	if (ps_reader_left(r) >= 9 && r->p[8] < 0x80 && (size_t) r->p[8] <= ps_reader_left(r) - 9)
	{
		memcpy(&t, r->p, 8);
		*time = (int64_t) be64toh(t);
		*len = r->p[8];
		*value = r->p + 9;
		r->p += 9 + *len;
		return PS_OK;
	}
	if (ps_frame_get_i64(r, time) != PS_OK || ps_frame_get_bytes(r, value, len) != PS_OK)
	{
		*r = save;
		return PS_EPROTO;
	}
	return PS_OK;
}

ps_status
ps_frame_get_end(const ps_reader *r)
{
	return ps_reader_left(r) == 0 ? PS_OK : PS_EPROTO;
}
