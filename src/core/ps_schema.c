/*
 * ps_schema.c — table schemas, their catalog serialization, type inference
 * and conversion of text fields into typed values.
 *
 * Invariants of every ps_schema this module hands out: 1..PS_MAX_COLUMNS
 * columns with valid, unique names; time_index < ncolumns; the time column is
 * TIMESTAMP and the only non-nullable column.  ps_schema_new, _add_column and
 * _deserialize all enforce them through the same checks, so a schema read
 * from the catalog is as trustworthy as a freshly built one.
 *
 * Serialized layout (version 2; version 1 lacks the series key and is still
 * read, for stores being upgraded):
 *   u8 version (2) | varint ncolumns | varint time_index
 *   | ncolumns x (varint name length | name bytes | u8 type)
 *   | varint nseries | nseries x varint column index
 * Nullability is not stored: it follows from time_index.
 *
 * Text conversion is strict: no surrounding spaces, no hex, no trailing
 * garbage.  Floats with at most 2^53 as their digits and a decimal exponent
 * within +-22 (prices, sizes: nearly all market data) are computed exactly
 * with one IEEE operation (Clinger's fast path); the rest go through strtod_l
 * in the "C" locale, so the process locale can never change how "1.5" reads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE			/* strtod_l, newlocale */
#endif
#include "ps_schema.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PS_SCHEMA_FORMAT_V1 1
#define PS_SCHEMA_FORMAT_V2 2
/* Longer text is not a number worth reading (and is not copied). */
#define PS_FLOAT_TEXT_MAX 400

/* ---------------------------------------------------------------- names */

bool
ps_table_name_valid(const char *name)
{
	size_t		i;

	if (name == NULL)
		return false;
	for (i = 0; name[i] != '\0'; i++)
	{
		char		c = name[i];

		if (i == PS_MAX_NAME)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

bool
ps_column_name_valid(const char *name, size_t len)
{
	const uint8_t *s = (const uint8_t *) name;

	if (name == NULL || len == 0 || len > PS_MAX_NAME || !ps_utf8_valid(name, len))
		return false;
	for (size_t i = 0; i < len; i++)
	{
		/* C0 controls and DEL; C1 controls U+0080..U+009F are C2 80..C2 9F. */
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == 0xC2 && s[i + 1] <= 0x9F)	/* UTF-8 valid: s[i+1] exists */
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- schemas */

void
ps_schema_free(ps_schema *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->ncolumns; i++)
		free(s->columns[i].name);
	free(s->columns);
	free(s);
}

/* An empty schema with room for n columns (names NULL, so freeable). */
static ps_schema *
schema_alloc(uint32_t n)
{
	ps_schema  *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->columns = calloc(n ? n : 1, sizeof *s->columns);
	if (s->columns == NULL)
	{
		free(s);
		return NULL;
	}
	return s;
}

/* Validate and append one column (the array has room); copies the name. */
static ps_status
schema_push_column(ps_schema *s, const char *name, size_t len, ps_type type,
				   ps_status code, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	ps_column  *c = &s->columns[s->ncolumns];

	if (!ps_column_name_valid(name, len))
		return ps_error_set(err, code,
							"invalid column name %s: names are 1 to %d bytes of UTF-8 without control characters",
							ps_error_quote(name, len, q), PS_MAX_NAME);
	if (!ps_type_valid((int) type))
		return ps_error_set(err, code, "column %s: invalid type code %d",
							ps_error_quote(name, len, q), (int) type);
	if ((c->name = strndup(name, len)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	c->type = type;
	c->nullable = true;
	s->ncolumns++;
	return PS_OK;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Unique names and a TIMESTAMP time column; sets nullability. */
static ps_status
schema_check(ps_schema *s, ps_status code, ps_error *err)
{
	const char **sorted;
	char		q[PS_ERROR_QUOTE_MAX];
	ps_column  *tc;

	if (s->time_index >= s->ncolumns)
		return ps_error_set(err, code, "time column index %u out of range (%u columns)",
							s->time_index, s->ncolumns);
	tc = &s->columns[s->time_index];
	if (tc->type != PS_TYPE_TIMESTAMP)
		return ps_error_set(err, code, "time column %s must be of type Timestamp, not %s",
							ps_error_quote(tc->name, strlen(tc->name), q), ps_type_name(tc->type));
	tc->nullable = false;

	/* Sort a copy of the name pointers: O(n log n) for up to 1600 columns. */
	if ((sorted = malloc(s->ncolumns * sizeof *sorted)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < s->ncolumns; i++)
		sorted[i] = s->columns[i].name;
	qsort(sorted, s->ncolumns, sizeof *sorted, compare_names);
	for (uint32_t i = 1; i < s->ncolumns; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
		{
			ps_error_set(err, code, "duplicate column name %s",
						 ps_error_quote(sorted[i], strlen(sorted[i]), q));
			free(sorted);
			return code;
		}
	free(sorted);
	return PS_OK;
}

ps_status
ps_schema_new(const char *const *names, const ps_type *types, uint32_t n,
			  uint32_t time_index, ps_schema **out, ps_error *err)
{
	ps_schema  *s;
	ps_status	st = PS_OK;

	if (n == 0)
		return ps_error_set(err, PS_EINVAL, "a table needs at least one column (its time column)");
	if (n > PS_MAX_COLUMNS)
		return ps_error_set(err, PS_ETOOBIG, "too many columns (%u, at most %d)", n, PS_MAX_COLUMNS);
	if ((s = schema_alloc(n)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	s->time_index = time_index;
	for (uint32_t i = 0; i < n && st == PS_OK; i++)
	{
		if (names[i] == NULL)
			st = ps_error_set(err, PS_EINVAL, "column %u has no name", i + 1);
		else
			st = schema_push_column(s, names[i], strlen(names[i]), types[i], PS_EINVAL, err);
	}
	if (st == PS_OK)
		st = schema_check(s, PS_EINVAL, err);
	if (st != PS_OK)
	{
		ps_schema_free(s);
		return st;
	}
	*out = s;
	return PS_OK;
}

ps_schema *
ps_schema_copy(const ps_schema *src)
{
	ps_schema  *s = schema_alloc(src->ncolumns);

	if (s == NULL)
		return NULL;
	s->time_index = src->time_index;
	s->nseries = src->nseries;
	memcpy(s->series, src->series, sizeof(s->series));
	for (uint32_t i = 0; i < src->ncolumns; i++)
	{
		s->columns[i] = src->columns[i];
		if ((s->columns[i].name = strdup(src->columns[i].name)) == NULL)
		{
			ps_schema_free(s);
			return NULL;
		}
		s->ncolumns++;
	}
	return s;
}

ps_status
ps_schema_add_column(ps_schema *s, const char *name, ps_type type, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	ps_column  *cols;

	if (name == NULL)
		return ps_error_set(err, PS_EINVAL, "column has no name");
	if (s->ncolumns >= PS_MAX_COLUMNS)
		return ps_error_set(err, PS_ETOOBIG, "too many columns (at most %d)", PS_MAX_COLUMNS);
	if (ps_schema_find(s, name) >= 0)
		return ps_error_set(err, PS_EEXISTS, "column %s already exists",
							ps_error_quote(name, strlen(name), q));
	if ((cols = realloc(s->columns, (s->ncolumns + 1) * sizeof *cols)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	s->columns = cols;
	/* On failure ncolumns is unchanged: the schema is as it was. */
	return schema_push_column(s, name, strlen(name), type, PS_EINVAL, err);
}

bool
ps_schema_is_series(const ps_schema *s, uint32_t column)
{
	for (uint32_t i = 0; i < s->nseries; i++)
		if (s->series[i] == column)
			return true;
	return false;
}

int
ps_schema_find(const ps_schema *s, const char *name)
{
	for (uint32_t i = 0; i < s->ncolumns; i++)
		if (strcmp(s->columns[i].name, name) == 0)
			return (int) i;
	return -1;
}

uint32_t
ps_schema_value_count(const ps_schema *s)
{
	return s->ncolumns - 1;
}

void
ps_schema_value_types(const ps_schema *s, ps_type *types)
{
	uint32_t	j = 0;

	for (uint32_t i = 0; i < s->ncolumns; i++)
		if (i != s->time_index)
			types[j++] = s->columns[i].type;
}

uint32_t
ps_schema_value_index(const ps_schema *s, uint32_t column)
{
	if (column == s->time_index)
		return UINT32_MAX;
	return column < s->time_index ? column : column - 1;
}

/* ---------------------------------------------------------------- serialization */

ps_status
ps_schema_serialize(const ps_schema *s, ps_buf *out)
{
	size_t		start = out->len;
	ps_status	st;

	st = ps_buf_append_u8(out, PS_SCHEMA_FORMAT_V2);
	if (st == PS_OK)
		st = ps_buf_append_varint(out, s->ncolumns);
	if (st == PS_OK)
		st = ps_buf_append_varint(out, s->time_index);
	for (uint32_t i = 0; i < s->ncolumns && st == PS_OK; i++)
	{
		size_t		len = strlen(s->columns[i].name);

		st = ps_buf_append_varint(out, len);
		if (st == PS_OK)
			st = ps_buf_append(out, s->columns[i].name, len);
		if (st == PS_OK)
			st = ps_buf_append_u8(out, (uint8_t) s->columns[i].type);
	}
	if (st == PS_OK)
		st = ps_buf_append_varint(out, s->nseries);
	for (uint32_t i = 0; i < s->nseries && st == PS_OK; i++)
		st = ps_buf_append_varint(out, s->series[i]);
	if (st != PS_OK)
		out->len = start;
	return st;
}

/* The series key of a version-2 schema: valid, distinct key-able columns. */
static ps_status
read_series_key(ps_reader *r, ps_schema *s, ps_error *err)
{
	uint64_t	n, col;

	if (ps_read_varint(r, &n) != PS_OK || n > PS_MAX_SERIES_COLUMNS)
		return ps_error_set(err, PS_ECORRUPT, "corrupt schema: bad series key");
	for (uint64_t i = 0; i < n; i++)
	{
		ps_type		t;

		if (ps_read_varint(r, &col) != PS_OK || col >= s->ncolumns || col == s->time_index ||
			ps_schema_is_series(s, (uint32_t) col))
			return ps_error_set(err, PS_ECORRUPT, "corrupt schema: bad series key column");
		t = s->columns[col].type;
		if (t != PS_TYPE_STRING && t != PS_TYPE_INTEGER && t != PS_TYPE_BOOLEAN)
			return ps_error_set(err, PS_ECORRUPT, "corrupt schema: series key column of type %s",
								ps_type_name(t));
		s->series[s->nseries++] = (uint32_t) col;
	}
	return PS_OK;
}

ps_status
ps_schema_deserialize(const void *p, size_t n, ps_schema **out, ps_error *err)
{
	ps_reader	r;
	uint8_t		version;
	uint64_t	ncolumns;
	uint64_t	time_index;
	ps_schema  *s;
	ps_status	st = PS_OK;

	ps_reader_init(&r, p, n);
	if (ps_read_u8(&r, &version) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt schema: empty");
	if (version != PS_SCHEMA_FORMAT_V1 && version != PS_SCHEMA_FORMAT_V2)
		return ps_error_set(err, PS_ECORRUPT, "corrupt schema: unknown format version %u", version);
	if (ps_read_varint(&r, &ncolumns) != PS_OK || ps_read_varint(&r, &time_index) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt schema: truncated header");
	/* Each column takes at least 3 bytes: bound the allocation by the input. */
	if (ncolumns == 0 || ncolumns > PS_MAX_COLUMNS || ncolumns > ps_reader_left(&r) / 3)
		return ps_error_set(err, PS_ECORRUPT, "corrupt schema: bad column count %llu",
							(unsigned long long) ncolumns);
	if (time_index >= ncolumns)
		return ps_error_set(err, PS_ECORRUPT, "corrupt schema: bad time column index %llu",
							(unsigned long long) time_index);
	if ((s = schema_alloc((uint32_t) ncolumns)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	s->time_index = (uint32_t) time_index;

	for (uint64_t i = 0; i < ncolumns && st == PS_OK; i++)
	{
		uint64_t	len;
		const uint8_t *name;
		uint8_t		type;

		if (ps_read_varint(&r, &len) != PS_OK || len > PS_MAX_NAME ||
			ps_read_bytes(&r, (size_t) len, &name) != PS_OK ||
			ps_read_u8(&r, &type) != PS_OK)
			st = ps_error_set(err, PS_ECORRUPT, "corrupt schema: column %llu truncated",
							  (unsigned long long) i + 1);
		else
			st = schema_push_column(s, (const char *) name, (size_t) len, (ps_type) type,
									PS_ECORRUPT, err);
	}
	if (st == PS_OK && version == PS_SCHEMA_FORMAT_V2)
		st = read_series_key(&r, s, err);
	if (st == PS_OK)
		st = schema_check(s, PS_ECORRUPT, err);
	if (st == PS_OK && ps_reader_left(&r) != 0)
		st = ps_error_set(err, PS_ECORRUPT, "corrupt schema: %zu trailing bytes", ps_reader_left(&r));
	if (st != PS_OK)
	{
		ps_schema_free(s);
		return st;
	}
	*out = s;
	return PS_OK;
}

/* ---------------------------------------------------------------- text parsing */

typedef enum parse_result
{
	PARSE_OK,
	PARSE_SYNTAX,				/* not of the type at all */
	PARSE_RANGE					/* of the type, but not representable */
} parse_result;

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [+-]?[0-9]+ into int64. */
static parse_result
parse_int(const char *s, size_t len, int64_t *out)
{
	size_t		i = 0;
	bool		neg = false;
	uint64_t	mag = 0;
	/* Magnitude limit: 2^63 for negatives, 2^63-1 otherwise. */
	uint64_t	limit;

	if (len > 0 && (s[0] == '+' || s[0] == '-'))
	{
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return PARSE_SYNTAX;
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; i < len; i++)
	{
		unsigned	d;

		if (!is_digit(s[i]))
			return PARSE_SYNTAX;
		d = (unsigned) (s[i] - '0');
		if (mag > (limit - d) / 10)
		{
			/* Keep scanning: "99999999999999999999x" is a syntax error. */
			for (i++; i < len; i++)
				if (!is_digit(s[i]))
					return PARSE_SYNTAX;
			return PARSE_RANGE;
		}
		mag = mag * 10 + d;
	}
	*out = neg ? (int64_t) (0 - mag) : (int64_t) mag;
	return PARSE_OK;
}

/* Case-insensitive whole-field comparison with a lower-case word. */
static bool
equals_word(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

typedef enum decimal_float
{
	DECIMAL_INVALID,			/* not decimal float syntax */
	DECIMAL_EXACT,				/* computed exactly: *out holds it */
	DECIMAL_NEEDS_STRTOD		/* valid, but beyond the fast path */
} decimal_float;

/* Powers of ten that a double holds exactly (10^22 < 2^53 * 2^22). */
static const double exact_powers_of_ten[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

#define EXACT_MANTISSA_MAX (UINT64_C(1) << 53)
#define EXACT_EXPONENT_MAX 22

/*
 * Check decimal float syntax, so strtod's extras (hex, leading spaces,
 * "nan(...)") are refused before it runs: [+-]? (digits [. digits?] |
 * . digits) ([eE] [+-]? digits)?  Meanwhile gather the digits as an integer
 * m and a decimal exponent e.  When m <= 2^53 and |e| <= 22, both m and
 * 10^|e| are exact doubles, so the one multiplication or division that
 * combines them is correctly rounded: the same double strtod returns.
 */
static decimal_float
decimal_float_parse(const char *s, size_t len, double *out)
{
	size_t		i = 0;
	size_t		mantissa_digits = 0;
	uint64_t	m = 0;
	int64_t		e = 0;
	bool		exact = true;
	bool		negative = false;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		negative = s[i++] == '-';
	for (; i < len && is_digit(s[i]); i++, mantissa_digits++)
	{
		if (m > (EXACT_MANTISSA_MAX - 9) / 10)
			exact = false;		/* m would pass 2^53: leave it to strtod */
		else
			m = m * 10 + (uint64_t) (s[i] - '0');
	}
	if (i < len && s[i] == '.')
		for (i++; i < len && is_digit(s[i]); i++, mantissa_digits++)
		{
			if (m > (EXACT_MANTISSA_MAX - 9) / 10)
				exact = false;
			else
			{
				m = m * 10 + (uint64_t) (s[i] - '0');
				e--;
			}
		}
	if (mantissa_digits == 0)
		return DECIMAL_INVALID;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		exp_start;
		bool		exp_negative = false;
		int64_t		x = 0;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			exp_negative = s[i++] == '-';
		exp_start = i;
		for (; i < len && is_digit(s[i]); i++)
			if (x < 100000)		/* beyond, only strtod can say (0, inf or a value) */
				x = x * 10 + (s[i] - '0');
		if (i == exp_start)
			return DECIMAL_INVALID;
		e += exp_negative ? -x : x;
	}
	if (i != len)
		return DECIMAL_INVALID;
	if (!exact || e < -EXACT_EXPONENT_MAX || e > EXACT_EXPONENT_MAX)
		return DECIMAL_NEEDS_STRTOD;
	*out = e < 0 ? (double) m / exact_powers_of_ten[-e] : (double) m * exact_powers_of_ten[e];
	if (negative)
		*out = -*out;
	return DECIMAL_EXACT;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
}

/* NaN and [+-]Inf/Infinity, any case. */
static parse_result
parse_float_word(const char *s, size_t len, double *out)
{
	const char *word = s;
	size_t		wlen = len;

	if (len > 0 && (s[0] == '+' || s[0] == '-'))
	{
		word++;
		wlen--;
	}
	if (equals_word(word, wlen, "nan"))
	{
		*out = NAN;
		return PARSE_OK;
	}
	if (equals_word(word, wlen, "inf") || equals_word(word, wlen, "infinity"))
	{
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return PARSE_OK;
	}
	return PARSE_SYNTAX;
}

/*
 * Decimal floats, NaN and [+-]Inf/Infinity (any case) into a double.  The
 * words are looked for only in what is not decimal syntax: numbers, the
 * common case, skip them.
 */
static parse_result
parse_float(const char *s, size_t len, double *out)
{
	char		buf[PS_FLOAT_TEXT_MAX + 1];
	char	   *end;
	double		d;

	if (len > PS_FLOAT_TEXT_MAX)
		return PARSE_SYNTAX;
	switch (decimal_float_parse(s, len, out))
	{
		case DECIMAL_INVALID:
			return parse_float_word(s, len, out);
		case DECIMAL_EXACT:
			return PARSE_OK;
		case DECIMAL_NEEDS_STRTOD:
			break;
	}
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale == (locale_t) 0)
		return PARSE_SYNTAX;	/* newlocale failed: cannot read safely */
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	d = strtod_l(buf, &end, c_locale);
	if (end != buf + len)
		return PARSE_SYNTAX;
	/* ERANGE also reports underflow to zero/denormals, which is accepted. */
	if (errno == ERANGE && isinf(d))
		return PARSE_RANGE;
	*out = d;
	return PARSE_OK;
}

/*
 * Boolean literals as PostgreSQL's boolin takes them.  Inference accepts only
 * the words: a column of 0/1 (or y/n, on/off) is more likely a count or a
 * code than a flag, so it is inferred INTEGER (or STRING) instead.
 */
static const struct bool_word
{
	const char *word;
	bool		value;
	bool		inferable;
} bool_words[] = {
	{"t", true, true}, {"true", true, true}, {"yes", true, true},
	{"f", false, true}, {"false", false, true}, {"no", false, true},
	{"y", true, false}, {"on", true, false}, {"1", true, false},
	{"n", false, false}, {"off", false, false}, {"0", false, false},
};

static bool
parse_bool(const char *s, size_t len, bool inference, bool *out)
{
	for (size_t i = 0; i < sizeof bool_words / sizeof bool_words[0]; i++)
		if ((!inference || bool_words[i].inferable) && equals_word(s, len, bool_words[i].word))
		{
			*out = bool_words[i].value;
			return true;
		}
	return false;
}

/* ---------------------------------------------------------------- inference */

void
ps_infer_init(ps_infer *inf)
{
	inf->seen = 0;
	inf->can_bool = inf->can_int = inf->can_float = inf->can_iso = true;
	inf->time = NULL;
}

void
ps_infer_feed(ps_infer *inf, const char *s, size_t len)
{
	bool		b;
	int64_t		i;
	double		d;

	inf->seen++;
	/* Once a candidate type is ruled out it is never tested again. */
	if (inf->can_bool)
		inf->can_bool = parse_bool(s, len, true, &b);
	if (inf->can_int)
		inf->can_int = parse_int(s, len, &i) == PARSE_OK;
	if (inf->can_float)
		inf->can_float = parse_float(s, len, &d) == PARSE_OK;
	if (inf->can_iso)
		inf->can_iso = inf->time != NULL ? ps_time_parse(s, len, inf->time, &i, NULL) == PS_OK
			: ps_time_is_iso(s, len);
}

ps_type
ps_infer_result(const ps_infer *inf)
{
	if (inf->seen == 0)
		return PS_TYPE_STRING;
	if (inf->can_bool)
		return PS_TYPE_BOOLEAN;
	if (inf->can_int)
		return PS_TYPE_INTEGER;
	if (inf->can_float)
		return PS_TYPE_FLOAT;
	if (inf->can_iso)
		return PS_TYPE_TIMESTAMP;
	return PS_TYPE_STRING;
}

bool
ps_infer_all_iso(const ps_infer *inf)
{
	return inf->seen > 0 && inf->can_iso;
}

/* ---------------------------------------------------------------- conversion */

ps_status
ps_value_from_text(ps_type type, const char *s, size_t len,
				   const ps_time_options *topt, ps_value *out, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	parse_result pr;

	if (s == NULL)
	{
		out->is_null = true;
		return PS_OK;
	}
	out->is_null = false;
	switch (type)
	{
		case PS_TYPE_INTEGER:
			pr = parse_int(s, len, &out->v.i);
			if (pr == PARSE_RANGE)
				return ps_error_set(err, PS_EBADROW, "integer out of range: %s",
									ps_error_quote(s, len, q));
			if (pr != PARSE_OK)
				return ps_error_set(err, PS_EBADROW, "invalid integer: %s",
									ps_error_quote(s, len, q));
			return PS_OK;
		case PS_TYPE_FLOAT:
			pr = parse_float(s, len, &out->v.f);
			if (pr == PARSE_RANGE)
				return ps_error_set(err, PS_EBADROW, "float out of range: %s",
									ps_error_quote(s, len, q));
			if (pr != PARSE_OK)
				return ps_error_set(err, PS_EBADROW, "invalid float: %s",
									ps_error_quote(s, len, q));
			return PS_OK;
		case PS_TYPE_BOOLEAN:
			if (!parse_bool(s, len, false, &out->v.b))
				return ps_error_set(err, PS_EBADROW, "invalid boolean: %s",
									ps_error_quote(s, len, q));
			return PS_OK;
		case PS_TYPE_TIMESTAMP:
			if (ps_time_parse(s, len, topt, &out->v.i, err) != PS_OK)
				return err ? ps_error_set(err, PS_EBADROW, "%s", err->message) : PS_EBADROW;
			return PS_OK;
		case PS_TYPE_STRING:
			if (len > UINT32_MAX)
				return ps_error_set(err, PS_EBADROW, "string of %zu bytes is too long", len);
			if (!ps_utf8_valid(s, len))
				return ps_error_set(err, PS_EBADROW, "invalid UTF-8 (or a NUL byte) in string %s",
									ps_error_quote(s, len, q));
			out->v.s.ptr = s;
			out->v.s.len = (uint32_t) len;
			return PS_OK;
	}
	return ps_error_set(err, PS_EINVAL, "invalid type code %d", (int) type);
}
