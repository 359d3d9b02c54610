/*
 * ps_tz.h — IANA time zones read from the system's TZif files
 * (/usr/share/zoneinfo, package tzdata), for the `timezone` load option.
 *
 * A ps_tz is a zone compiled once (ps_tz_load reads and checks the file,
 * then extends its transitions with the POSIX TZ footer rule up to year
 * 2263, past the last time Pulsora can store), so every conversion after
 * that is a binary search over an array: no file I/O, no allocation, no
 * locks; one ps_tz may be used by any number of threads at once.
 *
 * Local time to UTC follows PostgreSQL's rule for `timestamp AT TIME ZONE`
 * (DetermineTimeZoneOffset): a local time in a spring-forward gap is read
 * with the offset in effect just before the transition (02:30 on the day New
 * York springs forward is 02:30 EST = 03:30 EDT); a local time repeated by a
 * fall-back is read with the offset in effect after the transition (01:30 on
 * the day New York falls back is 01:30 EST, the second 01:30).
 *
 * Only TZif version 2 or later is read (its 64-bit section and footer);
 * zones with leap-second records (the "right/" tree) are refused.
 */
#ifndef PS_TZ_H
#define PS_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ps_error.h"
#include "ps_time.h"

/* Longest zone name accepted (the longest IANA name has 32 bytes). */
#define PS_TZ_NAME_MAX 64
/* Where ps_tz_load looks for zones. */
#define PS_TZ_DIR "/usr/share/zoneinfo"

/*
 * True when name may be looked up: 1..PS_TZ_NAME_MAX bytes of
 * [A-Za-z0-9_+-/], not starting with '/', no empty component ("//", a
 * trailing '/').  '.' is never allowed, so no name climbs out of PS_TZ_DIR.
 * NULL is invalid.
 */
bool		ps_tz_name_valid(const char *name);

/*
 * Read and compile the zone PS_TZ_DIR/name.  *out is set only on success and
 * is owned by the caller (ps_tz_free).  Errors: PS_EINVAL for an invalid
 * name ("invalid time zone name \"../x\"", see ps_tz_name_valid) or one
 * with no zone file ("unknown time zone \"Mars/Olympus\""),
 * PS_ECORRUPT for a file that is not valid TZif v2+ (or has leap seconds),
 * PS_EIO for a read error, PS_ENOMEM.  The message names the zone.
 */
ps_status	ps_tz_load(const char *name, ps_tz **out, ps_error *err);

/*
 * The same from TZif bytes data[0..len) (borrowed for the call), the zone
 * being called name in messages.  Same errors but the file ones.
 */
ps_status	ps_tz_from_tzif(const char *name, const void *data, size_t len, ps_tz **out,
							ps_error *err);

void		ps_tz_free(ps_tz *tz);	/* NULL ok */

/* The name the zone was loaded under (owned by tz). */
const char *ps_tz_name(const ps_tz *tz);

/* Seconds east of UTC in effect at utc_s (seconds since the epoch). */
int32_t		ps_tz_utc_offset(const ps_tz *tz, int64_t utc_s);

/*
 * The UTC instant (seconds) of local wall-clock time local_s (seconds since
 * 1970-01-01 00:00 local), with PostgreSQL's rule for gaps and repeats (see
 * above).  |local_s| below 2^62.
 */
int64_t		ps_tz_local_to_utc(const ps_tz *tz, int64_t local_s);

/*
 * The offset (seconds east of UTC) that the zone's abbreviation abbr[0..len)
 * stands for, ASCII case ignored ("EST", "edt", "BST"): the offset of its
 * latest use (the footer rule's names first, then the transitions from the
 * newest).  False when the zone has no such abbreviation.
 */
bool		ps_tz_abbrev_offset(const ps_tz *tz, const char *abbr, size_t len, int32_t *offset_s);

#endif
