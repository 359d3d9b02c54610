/*
 * ps_buf.c — growable byte buffer and bounds-checked reader.
 *
 * Invariants: len <= cap; data is NULL only while cap == 0; a failed append
 * or reserve leaves the buffer exactly as it was.  Size arithmetic is checked
 * so that a huge request fails with PS_ENOMEM rather than wrapping around.
 * Readers advance only on success, so a failed read leaves both the reader
 * and the output untouched.  Varints are unsigned LEB128: at most 10 bytes,
 * and only the canonical (shortest) encoding of a value below 2^64 is
 * accepted on read, so every value has exactly one byte representation.
 */
#include "ps_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_BUF_MIN_CAP 64

void
ps_buf_free(ps_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

ps_status
ps_buf_reserve(ps_buf *b, size_t extra)
{
	size_t		need;
	size_t		cap;
	uint8_t    *data;

	if (extra <= b->cap - b->len)
		return PS_OK;
	if (extra > SIZE_MAX - b->len)
		return PS_ENOMEM;
	need = b->len + extra;
	cap = b->cap < PS_BUF_MIN_CAP ? PS_BUF_MIN_CAP : b->cap;
	/* Doubling keeps appends amortised O(1); stop doubling before it wraps. */
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	data = realloc(b->data, cap);
	if (data == NULL)
		return PS_ENOMEM;
	b->data = data;
	b->cap = cap;
	return PS_OK;
}

ps_status
ps_buf_append(ps_buf *b, const void *p, size_t n)
{
	ps_status	st;

	if (n == 0)
		return PS_OK;
	if ((st = ps_buf_reserve(b, n)) != PS_OK)
		return st;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return PS_OK;
}

ps_status
ps_buf_append_u8(ps_buf *b, uint8_t v)
{
	return ps_buf_append(b, &v, 1);
}

ps_status
ps_buf_append_u32be(ps_buf *b, uint32_t v)
{
	uint8_t		tmp[4];

	for (int i = 3; i >= 0; i--)
	{
		tmp[i] = (uint8_t) v;
		v >>= 8;
	}
	return ps_buf_append(b, tmp, sizeof tmp);
}

ps_status
ps_buf_append_u64be(ps_buf *b, uint64_t v)
{
	uint8_t		tmp[8];

	for (int i = 7; i >= 0; i--)
	{
		tmp[i] = (uint8_t) v;
		v >>= 8;
	}
	return ps_buf_append(b, tmp, sizeof tmp);
}

size_t
ps_varint_encode(uint8_t out[PS_VARINT_MAX], uint64_t v)
{
	size_t		n = 0;

	while (v >= 0x80)
	{
		out[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t) v;
	return n;
}

ps_status
ps_buf_append_varint(ps_buf *b, uint64_t v)
{
	uint8_t		tmp[PS_VARINT_MAX];

	return ps_buf_append(b, tmp, ps_varint_encode(tmp, v));
}

ps_status
ps_buf_printf(ps_buf *b, const char *fmt, ...)
{
	va_list		ap;
	int			n;
	size_t		room = b->cap - b->len;
	ps_status	st;

	/* First try the space already there; most messages fit. */
	va_start(ap, fmt);
	n = vsnprintf(room ? (char *) b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PS_EINVAL;
	if ((size_t) n >= room)
	{
		/* +1 for the terminator vsnprintf writes; it is not counted in len. */
		if ((st = ps_buf_reserve(b, (size_t) n + 1)) != PS_OK)
			return st;
		va_start(ap, fmt);
		n = vsnprintf((char *) b->data + b->len, (size_t) n + 1, fmt, ap);
		va_end(ap);
		if (n < 0)
			return PS_EINVAL;
	}
	b->len += (size_t) n;
	return PS_OK;
}

ps_status
ps_read_u8(ps_reader *r, uint8_t *out)
{
	if (r->p >= r->end)
		return PS_ECORRUPT;
	*out = *r->p++;
	return PS_OK;
}

ps_status
ps_read_u32be(ps_reader *r, uint32_t *out)
{
	uint32_t	v = 0;

	if (ps_reader_left(r) < 4)
		return PS_ECORRUPT;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | r->p[i];
	r->p += 4;
	*out = v;
	return PS_OK;
}

ps_status
ps_read_u64be(ps_reader *r, uint64_t *out)
{
	uint64_t	v = 0;

	if (ps_reader_left(r) < 8)
		return PS_ECORRUPT;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | r->p[i];
	r->p += 8;
	*out = v;
	return PS_OK;
}

ps_status
ps_read_varint(ps_reader *r, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		left = ps_reader_left(r);

	for (size_t i = 0; i < PS_VARINT_MAX; i++)
	{
		uint8_t		byte;

		if (i == left)
			return PS_ECORRUPT;		/* truncated */
		byte = r->p[i];
		/* The 10th byte holds bit 63 only: anything more overflows uint64. */
		if (i == PS_VARINT_MAX - 1 && byte > 1)
			return PS_ECORRUPT;
		v |= (uint64_t) (byte & 0x7f) << (7 * i);
		if ((byte & 0x80) == 0)
		{
			/* A final zero byte after the first adds nothing: overlong. */
			if (byte == 0 && i > 0)
				return PS_ECORRUPT;
			r->p += i + 1;
			*out = v;
			return PS_OK;
		}
	}
	/* Not reached: the 10th byte is at most 1, so it always ends the loop. */
	return PS_ECORRUPT;
}

ps_status
ps_read_bytes(ps_reader *r, size_t n, const uint8_t **out)
{
	if (n > ps_reader_left(r))
		return PS_ECORRUPT;
	*out = r->p;
	r->p += n;
	return PS_OK;
}
