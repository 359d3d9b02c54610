/*
 * ps_types.c — names of the store types and strict UTF-8 validation.
 *
 * Type names are static strings.  ps_utf8_valid implements the well-formed
 * byte sequences of Unicode table 3-7 exactly: no overlong forms, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence
 * at the end, and additionally no NUL byte (PostgreSQL text cannot hold one).
 * Runs of ASCII are checked eight bytes at a time because most market data
 * strings (symbols, venues) are pure ASCII.
 */
#include "ps_types.h"

#include <string.h>

const char *
ps_type_name(ps_type t)
{
	switch (t)
	{
		case PS_TYPE_INTEGER: return "Integer";
		case PS_TYPE_FLOAT: return "Float";
		case PS_TYPE_STRING: return "String";
		case PS_TYPE_BOOLEAN: return "Boolean";
		case PS_TYPE_TIMESTAMP: return "Timestamp";
	}
	return NULL;
}

const char *
ps_type_sql_name(ps_type t)
{
	switch (t)
	{
		case PS_TYPE_INTEGER: return "bigint";
		case PS_TYPE_FLOAT: return "double precision";
		case PS_TYPE_STRING: return "text";
		case PS_TYPE_BOOLEAN: return "boolean";
		case PS_TYPE_TIMESTAMP: return "timestamptz";
	}
	return NULL;
}

bool
ps_type_valid(int t)
{
	return t >= PS_TYPE_INTEGER && t <= PS_TYPE_TIMESTAMP;
}

/* True when all eight bytes of w are in 0x01..0x7F. */
static inline bool
word_is_ascii_nonzero(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;

	/* (w - ones) & ~w & highs is non-zero exactly when some byte is zero. */
	return (w & highs) == 0 && ((w - ones) & ~w & highs) == 0;
}

static inline bool
is_cont(uint8_t c)
{
	return (c & 0xC0) == 0x80;
}

bool
ps_utf8_valid(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *) str;
	const uint8_t *end;

	if (len == 0)
		return true;			/* str may be NULL then */
	end = s + len;

	while (s < end)
	{
		uint8_t		c;
		uint8_t		lo = 0x80;	/* allowed range of the second byte */
		uint8_t		hi = 0xBF;
		size_t		n;			/* continuation bytes expected */

		while (end - s >= 8)
		{
			uint64_t	w;

			memcpy(&w, s, 8);
			if (!word_is_ascii_nonzero(w))
				break;
			s += 8;
		}
		if (s == end)
			break;
		c = *s;
		if (c >= 0x01 && c <= 0x7F)
		{
			s++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;		/* below: overlong */
			else if (c == 0xED)
				hi = 0x9F;		/* above: surrogates */
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			n = 3;
			if (c == 0xF0)
				lo = 0x90;		/* below: overlong */
			else if (c == 0xF4)
				hi = 0x8F;		/* above: beyond U+10FFFF */
		}
		else
			return false;		/* NUL, stray continuation, C0/C1, F5..FF */
		if ((size_t) (end - s) <= n)
			return false;		/* truncated */
		if (s[1] < lo || s[1] > hi)
			return false;
		for (size_t i = 2; i <= n; i++)
			if (!is_cont(s[i]))
				return false;
		s += n + 1;
	}
	return true;
}

int
ps_hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}
