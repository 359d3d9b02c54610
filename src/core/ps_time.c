/*
 * ps_time.c — exact, allocation-free parsing and formatting of time values.
 *
 * Every time is an int64 count of nanoseconds since 1970-01-01T00:00:00Z, and
 * every conversion into that count is overflow-checked (__builtin_*_overflow),
 * so an out-of-range input is PS_ETIME and never a wrapped value.  The parser
 * is a hand-written scanner over fixed-width fields plus Hinnant's
 * days-from-civil arithmetic: no libc time functions, no locale, no heap, no
 * global state, hence thread-safe and independent of TZ.  Error messages
 * (the only costly part) are built only on failure and only when the caller
 * asked for them.  ISO-8601 text and time_format patterns (ps_time_format.c)
 * both end in ps_time_from_fields, which checks the fields and applies the
 * offset or the IANA zone (ps_tz.c), so the two agree on every rule.
 */
#include "ps_time.h"
#include "ps_time_format.h"
#include "ps_tz.h"

#include <string.h>

#define SECONDS_PER_DAY INT64_C(86400)
#define MAX_OFFSET_S (18 * 3600)
#define MAX_FRACTION_DIGITS 9

#define EXPECTED_ISO "expected ISO-8601 date/time"

void
ps_time_options_default(ps_time_options *o)
{
	o->unit = PS_UNIT_AUTO;
	o->default_offset_s = 0;
	o->allow_epoch = true;
	o->tz = NULL;
	o->format = NULL;
}

int64_t
ps_time_floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	/* C truncates toward zero; a negative remainder means we rounded up. */
	if (a % b < 0)
		q--;
	return q;
}

int64_t
ps_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	/* Count years from March so the leap day is the last day of a year. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? (int64_t) m - 3 : (int64_t) m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
ps_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned) (doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

bool
ps_ascii_equal_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* s[0..len) equals word, ignoring ASCII case. */
static bool
equals_word(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && ps_ascii_equal_ci(s, word, len);
}

/* Read exactly n digits at s[*pos] into *value, advancing *pos. */
static bool
read_digits(const char *s, size_t len, size_t *pos, unsigned n, unsigned *value)
{
	unsigned	v = 0;
	unsigned	i;

	if (len - *pos < n)
		return false;
	for (i = 0; i < n; i++)
	{
		char		c = s[*pos + i];

		if (!is_digit(c))
			return false;
		v = v * 10 + (unsigned) (c - '0');
	}
	*pos += n;
	*value = v;
	return true;
}

/* Read the character c at s[*pos], advancing *pos. */
static bool
read_char(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos >= len || s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

size_t
ps_time_scan_offset(const char *s, size_t len, int32_t *offset_s)
{
	size_t		pos = 1;
	size_t		after_minutes;
	unsigned	hours;
	unsigned	minutes = 0;
	int32_t		total;

	if (len >= 1 && (s[0] == 'Z' || s[0] == 'z'))
	{
		*offset_s = 0;
		return 1;
	}
	if (len == 0 || (s[0] != '+' && s[0] != '-'))
		return 0;
	if (!read_digits(s, len, &pos, 2, &hours))
		return 0;
	after_minutes = pos;
	(void) read_char(s, len, &after_minutes, ':');	/* ±hh:mm or ±hhmm */
	if (read_digits(s, len, &after_minutes, 2, &minutes))
		pos = after_minutes;
	if (minutes > 59)
		return 0;
	total = (int32_t) (hours * 3600 + minutes * 60);
	if (total > MAX_OFFSET_S)
		return 0;
	*offset_s = s[0] == '-' ? -total : total;
	return pos;
}

/*
 * The whole of s[0..len) as an offset — shared by the offset suffix of a
 * date-time and the `timezone` option.
 */
static bool
parse_offset_text(const char *s, size_t len, int32_t *offset_s)
{
	int32_t		offset;

	if (ps_time_scan_offset(s, len, &offset) != len || len == 0)
		return false;
	*offset_s = offset;
	return true;
}

ps_status
ps_time_parse_offset(const char *s, size_t len, int32_t *offset_s)
{
	if (s == NULL)
		return PS_EINVAL;
	if (equals_word(s, len, "utc"))
	{
		*offset_s = 0;
		return PS_OK;
	}
	return parse_offset_text(s, len, offset_s) ? PS_OK : PS_EINVAL;
}

ps_status
ps_time_parse_unit(const char *s, ps_time_unit *unit)
{
	static const struct
	{
		const char *name;
		ps_time_unit unit;
	}			units[] = {
		{"auto", PS_UNIT_AUTO}, {"s", PS_UNIT_S}, {"ms", PS_UNIT_MS},
		{"us", PS_UNIT_US}, {"\xc2\xb5s", PS_UNIT_US}, {"ns", PS_UNIT_NS},
	};
	size_t		i;
	size_t		len;

	if (s == NULL)
		return PS_EINVAL;
	len = strlen(s);
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
	{
		if (equals_word(s, len, units[i].name))
		{
			*unit = units[i].unit;
			return PS_OK;
		}
	}
	return PS_EINVAL;
}

/*
 * secs * 1e9 + frac_ns without overflow.  Near PS_TIME_MIN the whole second
 * (secs * 1e9) lies below INT64_MIN although the instant does not, so a
 * negative second borrows its fraction first: (secs + 1) s - (1e9 - frac) ns.
 */
static bool
combine_seconds(int64_t secs, int64_t frac_ns, int64_t *out_ns)
{
	int64_t		whole;
	int64_t		total;

	if (secs < 0 && frac_ns > 0)
	{
		secs += 1;
		frac_ns -= PS_NS_PER_SEC;
	}
	/* The builtins store the wrapped value on overflow: keep it local. */
	if (__builtin_mul_overflow(secs, PS_NS_PER_SEC, &whole) ||
		__builtin_add_overflow(whole, frac_ns, &total))
		return false;
	*out_ns = total;
	return true;
}

static bool
is_leap_year(unsigned y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
	static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap_year(y)) ? 29 : days[m - 1];
}

ps_status
ps_time_from_fields(const ps_time_fields *f, const ps_time_options *o, int64_t *out_ns,
					const char **reason)
{
	int64_t		secs;

	*reason = NULL;
	if (f->year > 9999)
		*reason = "year out of range 0000..9999";
	else if (f->month < 1 || f->month > 12)
		*reason = "month out of range 01..12";
	else if (f->day < 1 || f->day > days_in_month(f->year, f->month))
		*reason = "day out of range for the month";
	else if (f->hour > 23)
		*reason = "hour out of range 00..23";
	else if (f->minute > 59)
		*reason = "minute out of range 00..59";
	else if (f->second > 59)
		*reason = "second out of range 00..59 (leap seconds are not supported)";
	if (*reason != NULL)
		return PS_EINVAL;

	/* At most ~3.2e11 s for years 0000..9999: no overflow before combining. */
	secs = ps_days_from_civil(f->year, f->month, f->day) * SECONDS_PER_DAY +
		(int64_t) f->hour * 3600 + (int64_t) f->minute * 60 + (int64_t) f->second;
	if (f->has_offset)
		secs -= f->offset_s;
	else if (o->tz != NULL)
		secs = ps_tz_local_to_utc(o->tz, secs);
	else
		secs -= o->default_offset_s;
	return combine_seconds(secs, f->frac_ns, out_ns) ? PS_OK : PS_ETIME;
}

/*
 * A date or date-time (see ps_time.h for the grammar).  On failure returns
 * the status and sets *reason to a short explanation for the message, or to
 * NULL when the text does not have the shape of a date at all.
 */
static ps_status
parse_iso(const char *s, size_t len, const ps_time_options *o, int64_t *out_ns,
		  const char **reason)
{
	size_t		pos = 0;
	ps_time_fields f = {0};

	*reason = NULL;
	if (!read_digits(s, len, &pos, 4, &f.year) || !read_char(s, len, &pos, '-') ||
		!read_digits(s, len, &pos, 2, &f.month) || !read_char(s, len, &pos, '-') ||
		!read_digits(s, len, &pos, 2, &f.day))
		return PS_EINVAL;
	if (pos < len)
	{
		if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
			return PS_EINVAL;
		pos++;
		if (!read_digits(s, len, &pos, 2, &f.hour) || !read_char(s, len, &pos, ':') ||
			!read_digits(s, len, &pos, 2, &f.minute))
			return PS_EINVAL;
		if (read_char(s, len, &pos, ':'))
		{
			if (!read_digits(s, len, &pos, 2, &f.second))
				return PS_EINVAL;
			if (read_char(s, len, &pos, '.'))
			{
				unsigned	digits = 0;
				int64_t		scale = PS_NS_PER_SEC;

				while (pos < len && is_digit(s[pos]))
				{
					if (++digits > MAX_FRACTION_DIGITS)
					{
						*reason = "more than 9 fraction digits";
						return PS_EINVAL;
					}
					scale /= 10;
					f.frac_ns += (s[pos++] - '0') * scale;
				}
				if (digits == 0)
					return PS_EINVAL;
			}
		}
		if (pos < len)
		{
			if (s[pos] != 'Z' && s[pos] != 'z' && s[pos] != '+' && s[pos] != '-')
				return PS_EINVAL;
			if (!parse_offset_text(s + pos, len - pos, &f.offset_s))
			{
				*reason = "invalid UTC offset (expected Z, ±hh:mm, ±hhmm or ±hh, at most ±18:00)";
				return PS_EINVAL;
			}
			f.has_offset = true;
		}
	}
	return ps_time_from_fields(&f, o, out_ns, reason);
}

/* s[0..len) is '-'? digit+ — the only shape treated as an epoch number. */
static bool
is_epoch_number(const char *s, size_t len)
{
	size_t		i = (len > 0 && s[0] == '-') ? 1 : 0;

	if (i == len)
		return false;
	for (; i < len; i++)
	{
		if (!is_digit(s[i]))
			return false;
	}
	return true;
}

/* An is_epoch_number() text in the given unit; false when out of range. */
static bool
parse_epoch(const char *s, size_t len, ps_time_unit unit, int64_t *out_ns)
{
	bool		negative = s[0] == '-';
	size_t		i = negative ? 1 : 0;
	size_t		digits = len - i;
	int64_t		value = 0;
	int64_t		scale;
	int64_t		total;

	if (unit == PS_UNIT_AUTO)
		unit = digits <= 10 ? PS_UNIT_S : digits <= 13 ? PS_UNIT_MS :
			digits <= 16 ? PS_UNIT_US : PS_UNIT_NS;
	switch (unit)
	{
		case PS_UNIT_S: scale = PS_NS_PER_SEC; break;
		case PS_UNIT_MS: scale = 1000000; break;
		case PS_UNIT_US: scale = 1000; break;
		default: scale = 1; break;
	}
	/* Accumulate with the final sign so INT64_MIN itself is reachable. */
	for (; i < len; i++)
	{
		int64_t		digit = s[i] - '0';

		if (__builtin_mul_overflow(value, 10, &value) ||
			(negative ? __builtin_sub_overflow(value, digit, &value)
			 : __builtin_add_overflow(value, digit, &value)))
			return false;
	}
	if (__builtin_mul_overflow(value, scale, &total))
		return false;
	*out_ns = total;
	return true;
}

ps_status
ps_time_range_error(ps_error *err, const char *s, size_t len)
{
	char		quoted[PS_ERROR_QUOTE_MAX];

	if (err == NULL)
		return PS_ETIME;
	return ps_error_set(err, PS_ETIME, "time %s out of range: representable "
						"times are 1677-09-21T00:12:43.145224192Z .. "
						"2262-04-11T23:47:16.854775807Z", ps_error_quote(s, len, quoted));
}

/* Report a failed parse of s; reason NULL means out of range (PS_ETIME). */
static ps_status
fail(ps_error *err, ps_status code, const char *s, size_t len, const char *reason)
{
	char		quoted[PS_ERROR_QUOTE_MAX];

	/* Only range errors come without a reason. */
	if (reason == NULL)
		return ps_time_range_error(err, s, len);
	if (err == NULL)
		return code;
	return ps_error_set(err, code, "invalid time %s: %s", ps_error_quote(s, len, quoted), reason);
}

ps_status
ps_time_parse(const char *s, size_t len, const ps_time_options *o,
			  int64_t *out_ns, ps_error *err)
{
	ps_time_options defaults;
	const char *reason;
	ps_status	status;

	if (o == NULL)
	{
		ps_time_options_default(&defaults);
		o = &defaults;
	}
	if (s == NULL)
		len = 0;
	if (o->format != NULL)
		return ps_time_format_parse(o->format, s, len, o, out_ns, err);
	if (is_epoch_number(s, len))
	{
		if (!o->allow_epoch)
			return fail(err, PS_EINVAL, s, len,
						EXPECTED_ISO " (epoch numbers are not allowed here)");
		if (!parse_epoch(s, len, o->unit, out_ns))
			return fail(err, PS_ETIME, s, len, NULL);
		return PS_OK;
	}
	status = parse_iso(s, len, o, out_ns, &reason);
	if (status == PS_OK)
		return PS_OK;
	/* A text of no known shape may have been meant as a number: name both. */
	if (status == PS_EINVAL && reason == NULL)
		reason = o->allow_epoch ? EXPECTED_ISO " or epoch number" : EXPECTED_ISO;
	return fail(err, status, s, len, reason);
}

bool
ps_time_is_iso(const char *s, size_t len)
{
	static const ps_time_options iso_only = {PS_UNIT_AUTO, 0, false, NULL, NULL};
	int64_t		ignored;

	return ps_time_parse(s, len, &iso_only, &ignored, NULL) == PS_OK;
}

/* Write v (0 <= v < 10^width) as exactly width digits; returns the end. */
static char *
put_digits(char *p, int64_t v, int width)
{
	int			i;

	for (i = width - 1; i >= 0; i--)
	{
		p[i] = (char) ('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

size_t
ps_time_format_iso(int64_t ns, char *buf)
{
	int64_t		secs = ps_time_floor_div(ns, PS_NS_PER_SEC);
	int64_t		frac_ns = ns % PS_NS_PER_SEC;
	int64_t		days = ps_time_floor_div(secs, SECONDS_PER_DAY);
	int64_t		second_of_day = secs - days * SECONDS_PER_DAY;
	int64_t		year;
	unsigned	month;
	unsigned	day;
	char	   *p = buf;

	if (frac_ns < 0)
		frac_ns += PS_NS_PER_SEC;
	ps_civil_from_days(days, &year, &month, &day);
	/* The int64 range spans years 1677..2262: always four digits. */
	p = put_digits(p, year, 4);
	*p++ = '-';
	p = put_digits(p, month, 2);
	*p++ = '-';
	p = put_digits(p, day, 2);
	*p++ = 'T';
	p = put_digits(p, second_of_day / 3600, 2);
	*p++ = ':';
	p = put_digits(p, second_of_day / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, second_of_day % 60, 2);
	if (frac_ns != 0)
	{
		*p++ = '.';
		if (frac_ns % 1000000 == 0)
			p = put_digits(p, frac_ns / 1000000, 3);
		else if (frac_ns % 1000 == 0)
			p = put_digits(p, frac_ns / 1000, 6);
		else
			p = put_digits(p, frac_ns, 9);
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t) (p - buf);
}
