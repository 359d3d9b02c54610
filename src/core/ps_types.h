/*
 * ps_types.h — the five store types, a tagged value, and the text forms of
 * numbers used by exports.
 *
 * A ps_value never owns memory: a String value points into a buffer owned by
 * whoever produced it (a CSV field, a decoded row, a protocol frame) and is
 * valid only as long as that buffer.  Timestamp values are int64 nanoseconds
 * since the Unix epoch, UTC.  Type codes are stored on disk and sent over the
 * wire: never renumber them.
 */
#ifndef PS_TYPES_H
#define PS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ps_type {
	PS_TYPE_INTEGER = 1,	/* int64 */
	PS_TYPE_FLOAT = 2,		/* double, NaN and infinities allowed */
	PS_TYPE_STRING = 3,		/* valid UTF-8 */
	PS_TYPE_BOOLEAN = 4,
	PS_TYPE_TIMESTAMP = 5	/* int64 ns since epoch, UTC */
} ps_type;

typedef struct ps_value {
	bool		is_null;
	union {
		int64_t		i;		/* INTEGER and TIMESTAMP */
		double		f;
		bool		b;
		struct {
			const char *ptr;	/* not NUL-terminated, borrowed */
			uint32_t	len;
		}			s;
	}			v;
} ps_value;

/* "Integer", "Float", "String", "Boolean", "Timestamp" (REST data_type); NULL if invalid. */
const char *ps_type_name(ps_type t);
/* "bigint", "double precision", "text", "boolean", "timestamptz" (SQL). */
const char *ps_type_sql_name(ps_type t);
bool		ps_type_valid(int t);

/* Value 0..15 of a hexadecimal digit (either case), or -1. */
int			ps_hex_digit(char ch);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates); NUL bytes are rejected. */
bool		ps_utf8_valid(const char *s, size_t len);

/*
 * Text of numbers, written NUL-terminated into the caller's array; each
 * returns the length (terminator not counted).  The printf named is
 * printf in the "C" locale (decimal point '.'), which pulsorad never leaves.
 */
#define PS_INT64_TEXT_MAX 21		/* "-9223372036854775808" + NUL */
#define PS_DOUBLE_TEXT_MAX 32		/* "-1.2345678901234567e-308" + NUL, rounded up */

/* Exactly what snprintf("%lld", v) writes. */
size_t		ps_format_int64(int64_t v, char out[PS_INT64_TEXT_MAX]);
/* Exactly what snprintf("%.15g", d) writes, NaN and infinities included. */
size_t		ps_format_g15(double d, char out[PS_DOUBLE_TEXT_MAX]);
/*
 * The first of "%.15g", "%.16g", "%.17g" that strtod reads back as d (the
 * 17-digit form always does), byte for byte: the shortest of the usual
 * precisions that loses nothing.  NaN and infinities: as "%.15g".
 */
size_t		ps_format_double(double d, char out[PS_DOUBLE_TEXT_MAX]);

#endif
