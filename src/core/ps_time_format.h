/*
 * ps_time_format.h — strptime-style patterns for the `time_format` load
 * option ("%Y/%m/%d %H:%M:%S", "%b %e %Y", "%d.%m.%y %I:%M %p").
 *
 * A pattern is compiled once into a small program (ps_time_format_compile);
 * parsing runs that program over the text with integer arithmetic only: no
 * strptime, no locale, no allocation, no global state, so one compiled
 * pattern serves any number of threads at once.
 *
 * Directives (everything else, and %%, is literal text matched exactly):
 *   %Y  year, 1-4 digits          %y  year, 2 digits: 69-99 -> 19xx, 00-68 -> 20xx (POSIX)
 *   %m  month, 1-2 digits         %b %B  English month name, full or 3-letter, any case
 *   %d  day, 1-2 digits           %e  day, 1-2 digits, a leading space allowed (" 7")
 *   %j  day of the year, 1-3 digits (1..365, 366 in leap years)
 *   %H  hour 0-23, 1-2 digits     %I  hour 1-12, 1-2 digits, with %p (AM/PM, any case):
 *                                     12 AM = 00, 12 PM = 12
 *   %M  minute, 1-2 digits        %S  second 0-59, 1-2 digits
 *   %f  fraction of a second, 1-9 digits
 *   %z  UTC offset: Z, ±hh, ±hhmm, ±hh:mm
 *   %Z  zone abbreviation, letters: UTC, GMT, UT, Z, or one of the load's
 *       IANA zone (EST, EDT with America/New_York), which also settles a
 *       repeated local hour
 * Numbers are read greedily, at most as many digits as listed, so
 * "%Y%m%d" reads 20240102.  A pattern needs a year; month and day default
 * to 1, the time of day to 00:00:00.  A field may be given once (%Y and %y
 * both give the year; %j excludes %m, %b, %d, %e; %H excludes %I; %z
 * excludes %Z), %I needs %p and %p needs %I.  Text without %z or %Z is local
 * time (the load's timezone).  Patterns are at most PS_TIME_FORMAT_MAX bytes.
 */
#ifndef PS_TIME_FORMAT_H
#define PS_TIME_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "ps_error.h"
#include "ps_time.h"

#define PS_TIME_FORMAT_MAX 256

/*
 * Compile the NUL-terminated pattern.  *out is set only on success, owned by
 * the caller (ps_time_format_free).  PS_EINVAL with a message naming the
 * problem (an unknown directive and where, a field given twice, no year, a
 * pattern longer than PS_TIME_FORMAT_MAX bytes); PS_ENOMEM.
 */
ps_status	ps_time_format_compile(const char *pattern, ps_time_format **out, ps_error *err);

void		ps_time_format_free(ps_time_format *f);	/* NULL ok */

/* The pattern as compiled (owned by f). */
const char *ps_time_format_pattern(const ps_time_format *f);

/*
 * Parse s[0..len) (borrowed; NULL when len is 0) by f.  Local times are
 * converted with o->tz, or at o->default_offset_s (o non-NULL; its unit and
 * format are not used).  On error: PS_EINVAL, with a message quoting the
 * text and the pattern and saying what did not match and at which character
 * (or which field is out of range), or PS_ETIME outside the int64 range;
 * *out_ns is written only on success.
 */
ps_status	ps_time_format_parse(const ps_time_format *f, const char *s, size_t len,
								 const ps_time_options *o, int64_t *out_ns, ps_error *err);

#endif
