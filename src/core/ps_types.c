/*
 * ps_types.c — names of the store types, strict UTF-8 validation, and the
 * text of numbers for exports.
 *
 * Type names are static strings.  ps_utf8_valid implements the well-formed
 * byte sequences of Unicode table 3-7 exactly: no overlong forms, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence
 * at the end, and additionally no NUL byte (PostgreSQL text cannot hold one).
 * Runs of ASCII are checked eight bytes at a time because most market data
 * strings (symbols, venues) are pure ASCII.
 *
 * Number formatting must give exactly the bytes printf would (exports have
 * always been written with it), only faster: integers are converted digit
 * by digit, and doubles that are short decimals (prices, quantities) take
 * the exact fast path described at g15_short_decimal; every other double
 * goes to snprintf.
 */
#include "ps_types.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fast path compares doubles exactly: no excess precision (x87) allowed. */
#if FLT_EVAL_METHOD != 0 || DBL_DIG != 15
#error "ps_format_g15 assumes IEEE-754 binary64 arithmetic without excess precision"
#endif

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

/* Write the decimal digits of u (at least one) ending just before end; return where they start. */
static char *
digits_backwards(char *end, uint64_t u)
{
	do
	{
		*--end = (char) ('0' + u % 10);
		u /= 10;
	} while (u != 0);
	return end;
}

size_t
ps_format_int64(int64_t v, char out[PS_INT64_TEXT_MAX])
{
	char		tmp[PS_INT64_TEXT_MAX];
	char	   *end = tmp + sizeof tmp;
	/* Negate in unsigned arithmetic: -INT64_MIN overflows int64. */
	char	   *start = digits_backwards(end, v < 0 ? 0 - (uint64_t) v : (uint64_t) v);
	size_t		n = 0;

	if (v < 0)
		out[n++] = '-';
	memcpy(out + n, start, (size_t) (end - start));
	n += (size_t) (end - start);
	out[n] = '\0';
	return n;
}

/* Powers of ten, all exact as doubles (below 2^53). */
static const double pow10_exact[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
#define SHORT_DECIMAL_MAX_PLACES 8
#define G15_LIMIT 1e15			/* 10^15: the first 16-digit integer */

/*
 * d as %.15g writes it when d is the double nearest to a short decimal
 * D = m / 10^k (k <= SHORT_DECIMAL_MAX_PLACES decimal places, 0 < m <
 * 10^15, so at most 15 significant digits); 0 (nothing written) otherwise.
 *
 * Why this equals %.15g.  The check (double) m / 10^k == |d| is exact
 * arithmetic: m and 10^k are exact doubles and IEEE division rounds
 * correctly, so it holds exactly when |d| is the double nearest to D.
 * %.15g rounds d to 15 significant digits; since D has at most 15 and
 * DBL_DIG is 15, the decimal -> nearest double -> 15 digits round trip
 * gives D back (the C standard's definition of DBL_DIG), so that rounding
 * is D.  %g then uses fixed notation when D's decimal exponent X satisfies
 * -4 <= X < 15: D < 10^15 gives X <= 14, and |d| >= 1e-4 gives X >= -4
 * (were D < 10^-4, its nearest double could not exceed that of the 15-digit
 * decimal 10^-4, and by DBL_DIG two such decimals with the same nearest
 * double are equal).  Fixed notation prints 14 - X decimals of D with
 * trailing zeros dropped, which is D written with its k places, because
 * the loop finds the smallest k: with a trailing zero, m / 10 would have
 * passed at k - 1.  Zero, NaN, infinities, |d| < 1e-4 and |d| >= 10^15
 * (exponent forms, or 16+ digits) never get here.
 */
static size_t
g15_short_decimal(double d, char out[PS_DOUBLE_TEXT_MAX])
{
	double		a = fabs(d);

	/* False for NaN too. */
	if (!(a >= 1e-4 && a < G15_LIMIT))
		return 0;
	for (int k = 0; k <= SHORT_DECIMAL_MAX_PLACES; k++)
	{
		double		scaled = a * pow10_exact[k];
		uint64_t	m;
		char		tmp[PS_INT64_TEXT_MAX];
		char	   *end = tmp + sizeof tmp;
		char	   *digits;
		size_t		ndigits;
		size_t		n = 0;

		if (scaled >= G15_LIMIT)
			return 0;			/* 16 or more significant digits */
		/* Any candidate will do: the exact check below decides. */
		m = (uint64_t) (scaled + 0.5);
		if ((double) m / pow10_exact[k] != a)
			continue;
		digits = digits_backwards(end, m);
		ndigits = (size_t) (end - digits);
		if (d < 0)
			out[n++] = '-';
		if (ndigits > (size_t) k)
		{
			/* Integer part, then the k places. */
			memcpy(out + n, digits, ndigits - (size_t) k);
			n += ndigits - (size_t) k;
			if (k > 0)
			{
				out[n++] = '.';
				memcpy(out + n, end - k, (size_t) k);
				n += (size_t) k;
			}
		}
		else
		{
			/* 0.000ddd: leading zeros of the places first. */
			out[n++] = '0';
			out[n++] = '.';
			memset(out + n, '0', (size_t) k - ndigits);
			n += (size_t) k - ndigits;
			memcpy(out + n, digits, ndigits);
			n += ndigits;
		}
		out[n] = '\0';
		return n;
	}
	return 0;
}

size_t
ps_format_g15(double d, char out[PS_DOUBLE_TEXT_MAX])
{
	size_t		n = g15_short_decimal(d, out);

	if (n > 0)
		return n;
	return (size_t) snprintf(out, PS_DOUBLE_TEXT_MAX, "%.15g", d);
}

size_t
ps_format_double(double d, char out[PS_DOUBLE_TEXT_MAX])
{
	size_t		n = g15_short_decimal(d, out);

	/* The decimal it wrote has d as its nearest double: strtod gives d back. */
	if (n > 0)
		return n;
	for (int prec = 15;; prec++)
	{
		n = (size_t) snprintf(out, PS_DOUBLE_TEXT_MAX, "%.*g", prec, d);
		if (prec == 17 || strtod(out, NULL) == d)
			return n;
	}
}
