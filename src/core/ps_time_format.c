/*
 * ps_time_format.c — time_format patterns: compiling a pattern into a
 * program of operations, and running it over a time text.
 *
 * A compiled pattern is one allocation holding its operations: a literal run
 * (its bytes in `lits`), a number into one of the slots below (at most
 * `width` digits), a fraction, a month name, AM/PM, a UTC offset or a zone
 * abbreviation.  Compiling checks everything that can be checked once (known
 * directives, each field at most once, a year, %I with %p, %j without a
 * month or day), so parsing only reads text: one pass, no allocation, the
 * numbers into a stack array, and ps_time_from_fields (ps_time.c) for the
 * range checks, the offset or zone and the conversion, as ISO-8601 text gets.
 *
 * Invariants: nops <= strlen(pattern) <= PS_TIME_FORMAT_MAX (a directive
 * takes two bytes, a literal byte at least one), literal bytes fit in lits;
 * parsing never reads past s[len).  Messages are built only on failure.
 */
#include "ps_time_format.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_tz.h"

/* Where OP_NUMBER puts what it reads. */
enum slot
{
	SLOT_YEAR, SLOT_YEAR2, SLOT_MONTH, SLOT_DAY, SLOT_YDAY, SLOT_HOUR, SLOT_HOUR12,
	SLOT_MINUTE, SLOT_SECOND, NSLOTS
};

/* What a directive gives: each at most once per pattern. */
enum field
{
	FIELD_YEAR, FIELD_MONTH, FIELD_DAY, FIELD_YDAY, FIELD_HOUR, FIELD_MINUTE, FIELD_SECOND,
	FIELD_FRACTION, FIELD_AMPM, FIELD_OFFSET, NFIELDS
};

static const char *const field_names[NFIELDS] = {
	"year", "month", "day", "day of the year", "hour", "minute", "second",
	"fraction", "AM/PM", "UTC offset"
};

typedef enum op_kind
{
	OP_LITERAL, OP_NUMBER, OP_FRACTION, OP_MONTH_NAME, OP_AMPM, OP_OFFSET, OP_ZONE
} op_kind;

typedef struct fmt_op
{
	uint8_t		kind;			/* op_kind */
	uint8_t		slot;			/* OP_NUMBER: enum slot */
	uint8_t		width;			/* OP_NUMBER, OP_FRACTION: most digits */
	char		letter;			/* the directive, for messages */
	uint16_t	off;			/* OP_LITERAL: bytes lits[off, off + len) */
	uint16_t	len;
} fmt_op;

struct ps_time_format
{
	char		pattern[PS_TIME_FORMAT_MAX + 1];
	char		lits[PS_TIME_FORMAT_MAX];
	unsigned	slots;			/* 1 << slot for every slot a number goes to */
	uint16_t	nops;
	fmt_op		ops[PS_TIME_FORMAT_MAX];
};

static const struct directive
{
	char		letter;
	uint8_t		kind;
	uint8_t		slot;
	uint8_t		width;
	uint8_t		field;
}			directives[] = {
	{'Y', OP_NUMBER, SLOT_YEAR, 4, FIELD_YEAR},
	{'y', OP_NUMBER, SLOT_YEAR2, 2, FIELD_YEAR},
	{'m', OP_NUMBER, SLOT_MONTH, 2, FIELD_MONTH},
	{'b', OP_MONTH_NAME, SLOT_MONTH, 0, FIELD_MONTH},
	{'B', OP_MONTH_NAME, SLOT_MONTH, 0, FIELD_MONTH},
	{'d', OP_NUMBER, SLOT_DAY, 2, FIELD_DAY},
	{'e', OP_NUMBER, SLOT_DAY, 2, FIELD_DAY},
	{'j', OP_NUMBER, SLOT_YDAY, 3, FIELD_YDAY},
	{'H', OP_NUMBER, SLOT_HOUR, 2, FIELD_HOUR},
	{'I', OP_NUMBER, SLOT_HOUR12, 2, FIELD_HOUR},
	{'M', OP_NUMBER, SLOT_MINUTE, 2, FIELD_MINUTE},
	{'S', OP_NUMBER, SLOT_SECOND, 2, FIELD_SECOND},
	{'f', OP_FRACTION, 0, 9, FIELD_FRACTION},
	{'p', OP_AMPM, 0, 0, FIELD_AMPM},
	{'z', OP_OFFSET, 0, 0, FIELD_OFFSET},
	{'Z', OP_ZONE, 0, 0, FIELD_OFFSET},
};

static const char month_names[12][10] = {
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december"
};

/* ---------------------------------------------------------------- compile */

/* Free f and fail with the pattern quoted before the reason. */
static ps_status __attribute__((format(printf, 3, 4)))
compile_error(ps_time_format *f, ps_error *err, const char *fmt, ...)
{
	char		q[PS_ERROR_QUOTE_MAX];
	char		reason[PS_ERROR_MESSAGE_MAX / 2];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	ps_error_set(err, PS_EINVAL, "time_format %s: %s",
				 ps_error_quote(f->pattern, strlen(f->pattern), q), reason);
	free(f);
	return PS_EINVAL;
}

static const struct directive *
find_directive(char letter)
{
	for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
		if (directives[i].letter == letter)
			return &directives[i];
	return NULL;
}

/* Append literal byte c, extending the literal run the program ends with. */
static void
add_literal(ps_time_format *f, char c, uint16_t nlits)
{
	fmt_op	   *last = f->nops > 0 ? &f->ops[f->nops - 1] : NULL;

	if (last == NULL || last->kind != OP_LITERAL)
	{
		last = &f->ops[f->nops++];
		memset(last, 0, sizeof *last);
		last->kind = OP_LITERAL;
		last->off = nlits;
	}
	f->lits[nlits] = c;
	last->len++;
}

ps_status
ps_time_format_compile(const char *pattern, ps_time_format **out, ps_error *err)
{
	char		given_by[NFIELDS] = {0};	/* the letter that gave each field */
	ps_time_format *f;
	size_t		plen;
	uint16_t	nlits = 0;

	if (pattern == NULL || (plen = strlen(pattern)) == 0)
		return ps_error_set(err, PS_EINVAL, "time_format is empty");
	if (plen > PS_TIME_FORMAT_MAX)
		return ps_error_set(err, PS_EINVAL, "time_format is longer than %d bytes",
							PS_TIME_FORMAT_MAX);
	if ((f = calloc(1, sizeof *f)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	memcpy(f->pattern, pattern, plen + 1);
	for (size_t i = 0; i < plen;)
	{
		const struct directive *d;
		fmt_op	   *op;

		if (pattern[i] != '%' || pattern[i + 1] == '%')
		{
			add_literal(f, pattern[i], nlits++);
			i += pattern[i] == '%' ? 2 : 1;
			continue;
		}
		if (i + 1 == plen)
			return compile_error(f, err, "ends with a lone %%");
		if ((d = find_directive(pattern[i + 1])) == NULL)
		{
			char		q[PS_ERROR_QUOTE_MAX];

			return compile_error(f, err, "unknown directive %s at character %zu (known: %%Y %%y "
								 "%%m %%b %%B %%d %%e %%j %%H %%I %%M %%S %%f %%p %%z %%Z %%%%)",
								 ps_error_quote(pattern + i, 2, q), i + 1);
		}
		if (given_by[d->field] != 0)
			return compile_error(f, err, "%%%c and %%%c both give the %s", given_by[d->field],
								 d->letter, field_names[d->field]);
		given_by[d->field] = d->letter;
		op = &f->ops[f->nops++];
		op->kind = d->kind;
		op->slot = d->slot;
		op->width = d->width;
		op->letter = d->letter;
		if (d->kind == OP_NUMBER || d->kind == OP_MONTH_NAME)
			f->slots |= 1u << d->slot;
		i += 2;
	}
	if (given_by[FIELD_YEAR] == 0)
		return compile_error(f, err, "needs a year (%%Y or %%y)");
	if (given_by[FIELD_YDAY] != 0 && (given_by[FIELD_MONTH] != 0 || given_by[FIELD_DAY] != 0))
		return compile_error(f, err, "%%j (day of the year) excludes a month or day");
	if ((given_by[FIELD_HOUR] == 'I') != (given_by[FIELD_AMPM] != 0))
		return compile_error(f, err, "%%I (hour 1-12) and %%p (AM/PM) go together");
	*out = f;
	return PS_OK;
}

void
ps_time_format_free(ps_time_format *f)
{
	free(f);
}

const char *
ps_time_format_pattern(const ps_time_format *f)
{
	return f->pattern;
}

/* ---------------------------------------------------------------- parse */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A month name at s (full, else three letters): 1..12 and *used, or 0. */
static unsigned
match_month(const char *s, size_t len, size_t *used)
{
	for (unsigned m = 0; m < 12; m++)
	{
		size_t		n = strlen(month_names[m]);

		if (len >= n && ps_ascii_equal_ci(s, month_names[m], n))
		{
			*used = n;
			return m + 1;
		}
	}
	for (unsigned m = 0; m < 12; m++)
		if (len >= 3 && ps_ascii_equal_ci(s, month_names[m], 3))
		{
			*used = 3;
			return m + 1;
		}
	return 0;
}

/* A zone abbreviation s[0..n) (letters): UTC names, else the load's zone's. */
static bool
zone_offset(const char *s, size_t n, const ps_time_options *o, int32_t *offset_s)
{
	static const char *const utc_names[] = {"utc", "gmt", "ut", "z"};

	for (size_t i = 0; i < sizeof utc_names / sizeof utc_names[0]; i++)
		if (strlen(utc_names[i]) == n && ps_ascii_equal_ci(s, utc_names[i], n))
		{
			*offset_s = 0;
			return true;
		}
	return o->tz != NULL && ps_tz_abbrev_offset(o->tz, s, n, offset_s);
}

/* What op expected, for a message. */
static void
describe_op(const ps_time_format *f, const fmt_op *op, char *buf, size_t size)
{
	char		q[PS_ERROR_QUOTE_MAX];

	switch ((op_kind) op->kind)
	{
		case OP_LITERAL:
			snprintf(buf, size, "expected %s", ps_error_quote(f->lits + op->off, op->len, q));
			return;
		case OP_NUMBER:
		case OP_FRACTION:
			snprintf(buf, size, "expected 1 to %u digits (%%%c)", op->width, op->letter);
			return;
		case OP_MONTH_NAME:
			snprintf(buf, size, "expected an English month name (%%%c)", op->letter);
			return;
		case OP_AMPM:
			snprintf(buf, size, "expected AM or PM (%%p)");
			return;
		case OP_OFFSET:
			snprintf(buf, size, "expected a UTC offset Z, ±hh, ±hhmm or ±hh:mm (%%z)");
			return;
		case OP_ZONE:
			snprintf(buf, size, "expected UTC, GMT or an abbreviation of the load's time zone (%%Z)");
			return;
	}
	snprintf(buf, size, "unexpected text");
}

/* The text stops matching at s[pos]: op (NULL: past the pattern's end). */
static ps_status
no_match(const ps_time_format *f, const char *s, size_t len, size_t pos, const fmt_op *op,
		 ps_error *err)
{
	char		qs[PS_ERROR_QUOTE_MAX];
	char		qp[PS_ERROR_QUOTE_MAX];
	char		what[PS_ERROR_QUOTE_MAX + 64];

	if (err == NULL)
		return PS_EINVAL;
	if (op == NULL)
		snprintf(what, sizeof what, "unexpected text after the pattern");
	else
		describe_op(f, op, what, sizeof what);
	return ps_error_set(err, PS_EINVAL, "time %s does not match time_format %s: %s at character %zu",
						ps_error_quote(s, len, qs), ps_error_quote(f->pattern, strlen(f->pattern), qp),
						what, pos + 1);
}

static ps_status
out_of_range(const ps_time_format *f, const char *s, size_t len, const char *reason, ps_error *err)
{
	char		qs[PS_ERROR_QUOTE_MAX];
	char		qp[PS_ERROR_QUOTE_MAX];

	if (err == NULL)
		return PS_EINVAL;
	return ps_error_set(err, PS_EINVAL, "invalid time %s for time_format %s: %s",
						ps_error_quote(s, len, qs), ps_error_quote(f->pattern, strlen(f->pattern), qp),
						reason);
}

/*
 * Run op at s[*pos]: numbers into v, the rest into tf and *pm.  False when
 * the text does not match there.
 */
static inline bool
run_op(const ps_time_format *f, const fmt_op *op, const char *s, size_t len, size_t *pos,
	   const ps_time_options *o, unsigned v[NSLOTS], ps_time_fields *tf, bool *pm)
{
	size_t		p = *pos;
	size_t		n = 0;

	switch ((op_kind) op->kind)
	{
		case OP_LITERAL:
			if (len - p < op->len || memcmp(s + p, f->lits + op->off, op->len) != 0)
				return false;
			p += op->len;
			break;
		case OP_NUMBER:
			{
				unsigned	value = 0;

				if (op->letter == 'e' && p < len && s[p] == ' ')
					p++;		/* %e: " 7" */
				for (; n < op->width && p < len && is_digit(s[p]); n++)
					value = value * 10 + (unsigned) (s[p++] - '0');
				if (n == 0)
					return false;
				v[op->slot] = value;
				break;
			}
		case OP_FRACTION:
			{
				int64_t		scale = PS_NS_PER_SEC;

				for (; n < op->width && p < len && is_digit(s[p]); n++)
				{
					scale /= 10;
					tf->frac_ns += (s[p++] - '0') * scale;
				}
				if (n == 0)
					return false;
				break;
			}
		case OP_MONTH_NAME:
			if ((v[SLOT_MONTH] = match_month(s + p, len - p, &n)) == 0)
				return false;
			p += n;
			break;
		case OP_AMPM:
			if (len - p < 2 || (!ps_ascii_equal_ci(s + p, "am", 2) && !ps_ascii_equal_ci(s + p, "pm", 2)))
				return false;
			*pm = s[p] == 'p' || s[p] == 'P';
			p += 2;
			break;
		case OP_OFFSET:
			if ((n = ps_time_scan_offset(s + p, len - p, &tf->offset_s)) == 0)
				return false;
			tf->has_offset = true;
			p += n;
			break;
		case OP_ZONE:
			while (p + n < len && is_letter(s[p + n]))
				n++;
			if (n == 0 || !zone_offset(s + p, n, o, &tf->offset_s))
				return false;
			tf->has_offset = true;
			p += n;
			break;
	}
	*pos = p;
	return true;
}

ps_status
ps_time_format_parse(const ps_time_format *f, const char *s, size_t len, const ps_time_options *o,
					 int64_t *out_ns, ps_error *err)
{
	unsigned	v[NSLOTS] = {0};
	ps_time_fields tf = {0};
	size_t		pos = 0;
	bool		pm = false;
	const char *reason = NULL;
	ps_status	rc;

	v[SLOT_MONTH] = v[SLOT_DAY] = 1;	/* a pattern without them means the 1st, January */
	for (uint16_t i = 0; i < f->nops; i++)
		if (!run_op(f, &f->ops[i], s, len, &pos, o, v, &tf, &pm))
			return no_match(f, s, len, pos, &f->ops[i], err);
	if (pos != len)
		return no_match(f, s, len, pos, NULL, err);

	/* POSIX: %y 69-99 are 1969-1999, 00-68 are 2000-2068. */
	tf.year = (f->slots & (1u << SLOT_YEAR2)) ? v[SLOT_YEAR2] + (v[SLOT_YEAR2] < 69 ? 2000 : 1900)
		: v[SLOT_YEAR];
	tf.month = v[SLOT_MONTH];
	tf.day = v[SLOT_DAY];
	tf.hour = v[SLOT_HOUR];
	tf.minute = v[SLOT_MINUTE];
	tf.second = v[SLOT_SECOND];
	if (f->slots & (1u << SLOT_HOUR12))
	{
		if (v[SLOT_HOUR12] < 1 || v[SLOT_HOUR12] > 12)
			return out_of_range(f, s, len, "hour out of range 01..12 (%I)", err);
		/* 12 AM is 00, 12 PM is 12. */
		tf.hour = v[SLOT_HOUR12] % 12 + (pm ? 12 : 0);
	}
	if (f->slots & (1u << SLOT_YDAY))
	{
		int64_t		jan1 = ps_days_from_civil(tf.year, 1, 1);
		int64_t		year;

		if (v[SLOT_YDAY] < 1 || v[SLOT_YDAY] > ps_days_from_civil(tf.year + 1, 1, 1) - jan1)
			return out_of_range(f, s, len, "day of the year out of range for the year (%j)", err);
		ps_civil_from_days(jan1 + v[SLOT_YDAY] - 1, &year, &tf.month, &tf.day);
	}
	rc = ps_time_from_fields(&tf, o, out_ns, &reason);
	if (rc == PS_ETIME)
		return ps_time_range_error(err, s, len);
	if (rc != PS_OK)
		return out_of_range(f, s, len, reason, err);
	return PS_OK;
}
