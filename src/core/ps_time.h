/*
 * ps_time.h — exact, allocation-free parsing and formatting of time values.
 *
 * All times are int64 nanoseconds since 1970-01-01T00:00:00Z.  The
 * representable range is [PS_TIME_MIN, PS_TIME_MAX] =
 * 1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z; anything
 * outside is PS_ETIME, never a wrapped value.  The parser uses pure integer
 * arithmetic (days-from-civil), never strptime/mktime/locale, so it is fast,
 * thread-safe and independent of the process time zone.  No function here
 * allocates or keeps a pointer to its arguments past the call.
 */
#ifndef PS_TIME_H
#define PS_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ps_error.h"

#define PS_TIME_MIN INT64_MIN
#define PS_TIME_MAX INT64_MAX
#define PS_NS_PER_SEC  INT64_C(1000000000)

typedef enum ps_time_unit {
	PS_UNIT_AUTO = 0,	/* by digit count: <=10 s, <=13 ms, <=16 us, more ns */
	PS_UNIT_S,
	PS_UNIT_MS,
	PS_UNIT_US,
	PS_UNIT_NS
} ps_time_unit;

/* An IANA time zone (ps_tz.h) and a compiled time_format (ps_time_format.h). */
typedef struct ps_tz ps_tz;
typedef struct ps_time_format ps_time_format;

typedef struct ps_time_options {
	ps_time_unit unit;			/* for plain integers (epoch values) */
	int32_t		default_offset_s;	/* applied when text has no offset; 0 = UTC */
	bool		allow_epoch;	/* accept plain integers (epoch) */
	/*
	 * Both borrowed and NULL by default; whoever sets them (a CSV load)
	 * keeps them alive while these options are in use.  tz: text without an
	 * offset is local time in this zone (default_offset_s is then unused).
	 * format: text must match this pattern instead of ISO-8601 or epoch.
	 */
	const ps_tz *tz;
	const ps_time_format *format;
} ps_time_options;

/* unit AUTO, offset UTC, epoch allowed, no zone, no format.  o must be non-NULL. */
void		ps_time_options_default(ps_time_options *o);

/*
 * A date-time as read from text, before validation: the common ground of
 * the ISO-8601 parser and time_format patterns.  Fields are what the text
 * said (month 1..12 and so on once valid); has_offset: the text carried its
 * own UTC offset (offset_s, seconds east), else it is local time.
 */
typedef struct ps_time_fields {
	unsigned	year;			/* 0..9999 */
	unsigned	month, day, hour, minute, second;
	int64_t		frac_ns;		/* 0..999999999 */
	bool		has_offset;
	int32_t		offset_s;
} ps_time_fields;

/*
 * Check the fields (year 0..9999, month, day of that month, hour 0..23,
 * minute, second 0..59) and convert them to ns: with their own offset, else local time in
 * o->tz, else at o->default_offset_s (o non-NULL).  PS_EINVAL with *reason
 * naming the bad field ("day out of range for the month"), PS_ETIME (reason
 * NULL) outside the int64 range; *out_ns is written only on success.
 */
ps_status	ps_time_from_fields(const ps_time_fields *f, const ps_time_options *o,
								int64_t *out_ns, const char **reason);

/*
 * A UTC offset at the start of s[0..len): Z|z|±hh:mm|±hhmm|±hh, at most
 * ±18:00.  Returns the bytes it took (0: none there) and sets *offset_s.
 */
size_t		ps_time_scan_offset(const char *s, size_t len, int32_t *offset_s);

/*
 * s[0..len) = "UTC" (any case), "Z"/"z", "+05:30", "-0500" or "+05" ->
 * seconds east of UTC.  A sign is required and |offset| <= 18:00; anything
 * else is PS_EINVAL and *offset_s is left untouched.
 */
ps_status	ps_time_parse_offset(const char *s, size_t len, int32_t *offset_s);
/*
 * NUL-terminated "s", "ms", "us" (or "µs"), "ns" or "auto", any ASCII case ->
 * unit; PS_EINVAL otherwise (also for NULL), *unit left untouched.
 */
ps_status	ps_time_parse_unit(const char *s, ps_time_unit *unit);

/*
 * Parse s[0..len) (not NUL-terminated) by o->format when set
 * (ps_time_format_parse), else as:
 *   YYYY-MM-DD
 *   YYYY-MM-DD[T| ]hh:mm[:ss[.f{1,9}]][Z|z|±hh:mm|±hhmm|±hh]
 *   an integer with optional leading '-' of epoch seconds/ms/us/ns
 *     (if allow_epoch; unit AUTO decides by the digit count, sign excluded)
 * Fields are fixed width (4-digit year, 2-digit others); seconds 60 (leap
 * seconds) and hour 24 are rejected.  Text without an offset is local time
 * in o->tz, or at o->default_offset_s without a zone.  o == NULL means
 * ps_time_options_default().
 * Leading/trailing spaces are not accepted (the caller trims if it wants).
 * On error returns PS_ETIME (well-formed but outside the int64 range) or
 * PS_EINVAL (malformed, or a field out of its range such as month 13) and
 * sets err with a message quoting the input (truncated to 64 bytes,
 * non-printable bytes escaped); *out_ns is written only on success.
 */
ps_status	ps_time_parse(const char *s, size_t len, const ps_time_options *o,
						  int64_t *out_ns, ps_error *err);

/*
 * Fill err (if non-NULL) for text s[0..len) whose fields are valid but whose
 * instant lies outside [PS_TIME_MIN, PS_TIME_MAX]; returns PS_ETIME.
 */
ps_status	ps_time_range_error(ps_error *err, const char *s, size_t len);

/*
 * True when s[0..len) is an ISO-8601 date or date-time that ps_time_parse
 * accepts with epoch numbers disallowed and a UTC default offset (used by
 * schema inference, so plain numbers are never "ISO").
 */
bool		ps_time_is_iso(const char *s, size_t len);

/*
 * Format ns as ISO-8601 UTC "YYYY-MM-DDThh:mm:ss[.fffffffff]Z" with the
 * fraction trimmed of trailing zeros in groups of 3 (ms, us, ns), omitted
 * when zero.  buf must hold PS_TIME_ISO_MAX bytes; returns the length written
 * (NUL-terminated).
 */
#define PS_TIME_ISO_MAX 40
size_t		ps_time_format_iso(int64_t ns, char *buf);

/*
 * floor(a / b) for b > 0 (rounds toward minus infinity, unlike C's `/`); used
 * for unit conversion (ns -> us for PostgreSQL) of negative times.
 */
int64_t		ps_time_floor_div(int64_t a, int64_t b);

/*
 * a[0..n) equals b[0..n) with ASCII letters compared without case: for the
 * English words and zone abbreviations of time text, whatever the locale.
 */
bool		ps_ascii_equal_ci(const char *a, const char *b, size_t n);

/*
 * Civil date helpers (proleptic Gregorian, day 0 = 1970-01-01; H. Hinnant's
 * algorithms).  Exact for |y| and |z| below 2^40; m in 1..12, d in 1..31
 * (not checked against the month length).
 */
int64_t		ps_days_from_civil(int64_t y, unsigned m, unsigned d);
void		ps_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
