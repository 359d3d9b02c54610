/*
 * ps_tz.c — IANA time zones from TZif files (RFC 8536): reading a zone's
 * 64-bit transitions and its POSIX TZ footer, compiling both into one sorted
 * array of transitions, and converting between UTC and local time with it.
 *
 * Compiling.  The version-1 section is skipped; the version-2+ section gives
 * the transitions (strictly increasing UTC seconds, each with the offset in
 * effect from then on) and the local time types.  The footer rule (e.g.
 * "EST5EDT,M3.2.0,M11.1.0") describes the years after the last transition:
 * its transitions are generated, year by year, from the year of the last
 * transition to TZ_LAST_YEAR, past the last instant Pulsora stores, so no
 * lookup ever needs the rule again.  Before the first transition the zone
 * is at its lowest-numbered standard-time type, as PostgreSQL takes it.
 *
 * Invariants: at[] strictly increases and utoff[i] is the offset from at[i]
 * until at[i + 1]; every offset is within ±TZ_MAX_UTOFF; the arrays are
 * allocated once, sized for the worst case of the rule's expansion, and
 * never change after ps_tz_from_tzif returns, so lookups need no locks.
 * Everything read from a file is bounds-checked (counts, indexes, the
 * abbreviation strings, the footer): a bad file is PS_ECORRUPT, never a
 * read out of bounds.
 */
#include "ps_tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_buf.h"

#define TZIF_MAX_BYTES (256 * 1024)
#define TZIF_MAX_TIMES 2000		/* PostgreSQL's TZ_MAX_TIMES */
#define TZIF_MAX_TYPES 256		/* RFC 8536 */
#define TZ_ABBR_MAX 15
#define TZ_MAX_UTOFF (26 * 3600)
/* Footer rules are expanded from the year of the last transition (no earlier than TZ_FIRST_YEAR) on. */
#define TZ_FIRST_YEAR 1677
#define TZ_LAST_YEAR 2263
#define SECONDS_PER_DAY INT64_C(86400)

typedef struct tz_abbr
{
	int32_t		utoff;
	char		name[TZ_ABBR_MAX + 1];
} tz_abbr;

struct ps_tz
{
	char		name[PS_TZ_NAME_MAX + 1];
	int32_t		first_utoff;	/* before at[0] */
	uint32_t	ntrans;
	int64_t    *at;				/* UTC seconds */
	int32_t    *utoff;			/* seconds east of UTC from at[i] on */
	/* Each distinct abbreviation once, with the offset of its latest use. */
	uint32_t	nabbrs;
	tz_abbr		abbrs[TZIF_MAX_TYPES + 2];	/* every type, and the footer's two names */
};

/* A day of a footer rule: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d, and a local time. */
typedef struct tz_rule_day
{
	char		kind;			/* 'J', 'N' or 'M' */
	int			n, month, week, weekday;
	int32_t		secs;			/* local time of day, -167..167 hours */
} tz_rule_day;

/* A footer: std offset [dst [offset] [,start[/time],end[/time]]]. */
typedef struct tz_rule
{
	char		std_name[TZ_ABBR_MAX + 1];
	char		dst_name[TZ_ABBR_MAX + 1];
	int32_t		std_utoff, dst_utoff;
	bool		has_dst;
	tz_rule_day start, end;
} tz_rule;

/* The v2+ section of a TZif file, pointing into the file's bytes. */
typedef struct tzif
{
	uint32_t	timecnt, typecnt, charcnt;
	const uint8_t *times;		/* timecnt big-endian i64 */
	const uint8_t *idx;			/* timecnt type indexes */
	const uint8_t *types;		/* typecnt x (i32 utoff, u8 isdst, u8 abbrind) */
	const char *chars;			/* charcnt abbreviation bytes */
	const char *footer;			/* the TZ string, maybe empty */
	size_t		footer_len;
} tzif;

/* ---------------------------------------------------------------- names */

bool
ps_tz_name_valid(const char *name)
{
	size_t		n;

	if (name == NULL || (n = strnlen(name, PS_TZ_NAME_MAX + 1)) == 0 || n > PS_TZ_NAME_MAX ||
		name[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
	{
		char		c = name[i];

		if (c == '/' && (i + 1 == n || name[i + 1] == '/'))
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '+' || c == '-' || c == '/'))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- TZif */

/* n big-endian bytes at p. */
static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static bool
read_counts(ps_reader *r, uint8_t *version, uint32_t c[6])
{
	const uint8_t *bytes;

	if (ps_read_bytes(r, 4, &bytes) != PS_OK || memcmp(bytes, "TZif", 4) != 0 ||
		ps_read_u8(r, version) != PS_OK || ps_read_bytes(r, 15, &bytes) != PS_OK)
		return false;
	for (int i = 0; i < 6; i++)
		if (ps_read_u32be(r, &c[i]) != PS_OK)
			return false;
	return true;
}

/* Counts in header order. */
enum { C_ISUT, C_ISSTD, C_LEAP, C_TIME, C_TYPE, C_CHAR };

/* Bytes of a data section with counts c and times of tsize bytes. */
static uint64_t
section_size(const uint32_t c[6], unsigned tsize)
{
	return (uint64_t) c[C_TIME] * (tsize + 1) + (uint64_t) c[C_TYPE] * 6 + c[C_CHAR] +
		(uint64_t) c[C_LEAP] * (tsize + 4) + c[C_ISSTD] + c[C_ISUT];
}

static int32_t
type_utoff(const tzif *z, uint32_t type)
{
	return (int32_t) (uint32_t) get_be(z->types + 6 * type, 4);
}

static bool
type_isdst(const tzif *z, uint32_t type)
{
	return z->types[6 * type + 4] != 0;
}

static const char *
type_abbr(const tzif *z, uint32_t type)
{
	return z->chars + z->types[6 * type + 5];
}

/* Split data into z, checking every count and index; a reason on failure. */
static const char *
tzif_read(const void *data, size_t len, tzif *z)
{
	ps_reader	r;
	uint8_t		version;
	uint32_t	c[6];
	const uint8_t *bytes;

	memset(z, 0, sizeof *z);
	ps_reader_init(&r, data, len);
	if (!read_counts(&r, &version, c))
		return "not a TZif file";
	if (version < '2')
		return "TZif version 1 is not supported (version 2 or later is)";
	if (section_size(c, 4) > ps_reader_left(&r) ||
		ps_read_bytes(&r, (size_t) section_size(c, 4), &bytes) != PS_OK ||
		!read_counts(&r, &version, c))
		return "truncated TZif header";
	if (c[C_LEAP] != 0)
		return "leap-second zones are not supported";
	if (c[C_TYPE] == 0 || c[C_TYPE] > TZIF_MAX_TYPES || c[C_CHAR] == 0 ||
		c[C_TIME] > TZIF_MAX_TIMES || (c[C_ISSTD] != 0 && c[C_ISSTD] != c[C_TYPE]) ||
		(c[C_ISUT] != 0 && c[C_ISUT] != c[C_TYPE]))
		return "invalid TZif counts";
	if (section_size(c, 8) > ps_reader_left(&r))
		return "truncated TZif data";
	z->timecnt = c[C_TIME];
	z->typecnt = c[C_TYPE];
	z->charcnt = c[C_CHAR];
	(void) ps_read_bytes(&r, (size_t) z->timecnt * 8, &z->times);
	(void) ps_read_bytes(&r, z->timecnt, &z->idx);
	(void) ps_read_bytes(&r, (size_t) z->typecnt * 6, &z->types);
	(void) ps_read_bytes(&r, z->charcnt, &bytes);
	z->chars = (const char *) bytes;
	(void) ps_read_bytes(&r, (size_t) c[C_ISSTD] + c[C_ISUT], &bytes);
	for (uint32_t i = 0; i < z->timecnt; i++)
	{
		if (z->idx[i] >= z->typecnt)
			return "a transition names a type that does not exist";
		if (i > 0 && (int64_t) get_be(z->times + 8 * i, 8) <=
			(int64_t) get_be(z->times + 8 * (i - 1), 8))
			return "transitions are not in increasing order";
	}
	for (uint32_t t = 0; t < z->typecnt; t++)
	{
		int32_t		utoff = type_utoff(z, t);
		uint8_t		abbrind = z->types[6 * t + 5];

		if (utoff < -TZ_MAX_UTOFF || utoff > TZ_MAX_UTOFF || z->types[6 * t + 4] > 1 ||
			abbrind >= z->charcnt || memchr(z->chars + abbrind, '\0', z->charcnt - abbrind) == NULL)
			return "invalid local time type";
	}
	/* The footer, required from version 2 on: "\n" TZ string "\n" (RFC 8536 §3.3). */
	{
		const char *p = (const char *) r.p;
		const char *nl;

		if (ps_reader_left(&r) < 2 || p[0] != '\n' ||
			(nl = memchr(p + 1, '\n', ps_reader_left(&r) - 1)) == NULL)
			return "missing or invalid TZif footer";
		z->footer = p + 1;
		z->footer_len = (size_t) (nl - p - 1);
	}
	return NULL;
}

/* ---------------------------------------------------------------- footer */

typedef struct cursor
{
	const char *p;
	const char *end;
} cursor;

static bool
at_char(const cursor *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

static bool
is_alpha(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A zone name: <...> of letters, digits, + and -, or 3+ letters.  Too long: kept as "". */
static bool
parse_name(cursor *c, char out[TZ_ABBR_MAX + 1])
{
	const char *start;
	size_t		n;

	if (at_char(c, '<'))
	{
		start = ++c->p;
		while (c->p < c->end && (is_alpha(*c->p) || is_digit(*c->p) || *c->p == '+' || *c->p == '-'))
			c->p++;
		n = (size_t) (c->p - start);
		if (!at_char(c, '>'))
			return false;
		c->p++;
	}
	else
	{
		start = c->p;
		while (c->p < c->end && is_alpha(*c->p))
			c->p++;
		n = (size_t) (c->p - start);
	}
	if (n < 3)
		return false;
	n = n <= TZ_ABBR_MAX ? n : 0;
	memcpy(out, start, n);
	out[n] = '\0';
	return true;
}

/* A number of 1 to 3 digits within [0, hi]. */
static bool
parse_number(cursor *c, int hi, int *out)
{
	int			v = 0;
	int			n = 0;

	while (n < 3 && c->p < c->end && is_digit(*c->p))
	{
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	if (n == 0 || v > hi)
		return false;
	*out = v;
	return true;
}

/* [+-]hh[:mm[:ss]], hh at most max_hours, as signed seconds. */
static bool
parse_hms(cursor *c, int max_hours, int32_t *out)
{
	int			sign = 1;
	int			h;
	int			m = 0;
	int			s = 0;

	if (at_char(c, '+') || at_char(c, '-'))
		sign = *c->p++ == '-' ? -1 : 1;
	if (!parse_number(c, max_hours, &h))
		return false;
	if (at_char(c, ':'))
	{
		c->p++;
		if (!parse_number(c, 59, &m))
			return false;
		if (at_char(c, ':'))
		{
			c->p++;
			if (!parse_number(c, 59, &s))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return true;
}

/* Jn, n or Mm.w.d, then an optional /time (default 02:00; up to ±167 h, RFC 8536). */
static bool
parse_rule_day(cursor *c, tz_rule_day *d)
{
	memset(d, 0, sizeof *d);
	if (at_char(c, 'J'))
	{
		c->p++;
		d->kind = 'J';
		if (!parse_number(c, 365, &d->n) || d->n < 1)
			return false;
	}
	else if (at_char(c, 'M'))
	{
		c->p++;
		d->kind = 'M';
		if (!parse_number(c, 12, &d->month) || d->month < 1 || !at_char(c, '.'))
			return false;
		c->p++;
		if (!parse_number(c, 5, &d->week) || d->week < 1 || !at_char(c, '.'))
			return false;
		c->p++;
		if (!parse_number(c, 6, &d->weekday))
			return false;
	}
	else
	{
		d->kind = 'N';
		if (!parse_number(c, 365, &d->n))
			return false;
	}
	d->secs = 2 * 3600;
	if (at_char(c, '/'))
	{
		c->p++;
		return parse_hms(c, 167, &d->secs);
	}
	return true;
}

/*
 * The footer's TZ string; POSIX offsets count west, utoff east.  Offsets of
 * at most 24:59:59 stay within TZ_MAX_UTOFF.
 */
static bool
parse_rule(const char *s, size_t len, tz_rule *r)
{
	cursor		c = {s, s + len};
	int32_t		west;

	memset(r, 0, sizeof *r);
	if (!parse_name(&c, r->std_name) || !parse_hms(&c, 24, &west))
		return false;
	r->std_utoff = -west;
	if (c.p == c.end)
		return true;
	if (!parse_name(&c, r->dst_name))
		return false;
	r->has_dst = true;
	r->dst_utoff = r->std_utoff + 3600;
	if (c.p < c.end && !at_char(&c, ','))
	{
		if (!parse_hms(&c, 24, &west))
			return false;
		r->dst_utoff = -west;
	}
	if (c.p == c.end)
	{
		/* No rule given: the US rule, as tzcode assumes. */
		r->start = (tz_rule_day) {'M', 0, 3, 2, 0, 2 * 3600};
		r->end = (tz_rule_day) {'M', 0, 11, 1, 0, 2 * 3600};
		return true;
	}
	if (!at_char(&c, ','))
		return false;
	c.p++;
	if (!parse_rule_day(&c, &r->start) || !at_char(&c, ','))
		return false;
	c.p++;
	return parse_rule_day(&c, &r->end) && c.p == c.end;
}

/* The day (days since 1970-01-01) a rule day falls on in year. */
static int64_t
rule_day(const tz_rule_day *d, int64_t year)
{
	int64_t		jan1 = ps_days_from_civil(year, 1, 1);
	bool		leap = ps_days_from_civil(year, 3, 1) - jan1 == 60;
	int64_t		first;
	int64_t		next_month;
	int64_t		day;
	int			weekday_first;

	if (d->kind == 'J')
		return jan1 + d->n - 1 + (leap && d->n >= 60);
	if (d->kind == 'N')
		return jan1 + d->n;
	first = ps_days_from_civil(year, (unsigned) d->month, 1);
	next_month = d->month == 12 ? ps_days_from_civil(year + 1, 1, 1)
		: ps_days_from_civil(year, (unsigned) d->month + 1, 1);
	weekday_first = (int) (((first + 4) % 7 + 7) % 7);	/* 1970-01-01 was a Thursday */
	day = first + (d->weekday - weekday_first + 7) % 7 + 7 * (d->week - 1);
	while (day >= next_month)	/* week 5 means the last such day */
		day -= 7;
	return day;
}

/* ---------------------------------------------------------------- compiling */

/*
 * Append a transition.  One at or before the last is dropped, except that
 * one at the same instant replaces its offset: a rule whose end and the
 * next start coincide (all-year DST) leaves the later one in effect.
 */
static void
push_transition(ps_tz *tz, int64_t at, int32_t utoff)
{
	if (tz->ntrans > 0 && at <= tz->at[tz->ntrans - 1])
	{
		if (at == tz->at[tz->ntrans - 1])
			tz->utoff[tz->ntrans - 1] = utoff;
		return;
	}
	tz->at[tz->ntrans] = at;
	tz->utoff[tz->ntrans++] = utoff;
}

/* Register an abbreviation unless known (names too long to match are skipped). */
static void
add_abbr(ps_tz *tz, const char *name, int32_t utoff)
{
	size_t		n = strlen(name);

	if (n == 0 || n > TZ_ABBR_MAX)
		return;
	for (uint32_t i = 0; i < tz->nabbrs; i++)
		if (strlen(tz->abbrs[i].name) == n && ps_ascii_equal_ci(tz->abbrs[i].name, name, n))
			return;
	/* At most one per type and per footer name: abbrs has room for all. */
	tz->abbrs[tz->nabbrs].utoff = utoff;
	memcpy(tz->abbrs[tz->nabbrs++].name, name, n + 1);
}

/* The year of the last transition, clamped to the years the rule is expanded over. */
static int64_t
expansion_start(const ps_tz *tz)
{
	int64_t		last;
	int64_t		year;
	unsigned	month;
	unsigned	day;

	if (tz->ntrans == 0)
		return TZ_FIRST_YEAR;
	last = tz->at[tz->ntrans - 1];
	/* Beyond these, civil_from_days loses exactness; the clamp decides anyway. */
	if (last < -(INT64_C(1) << 40))
		return TZ_FIRST_YEAR;
	if (last > (INT64_C(1) << 40))
		return TZ_LAST_YEAR + 1;
	ps_civil_from_days(ps_time_floor_div(last, SECONDS_PER_DAY), &year, &month, &day);
	return year < TZ_FIRST_YEAR ? TZ_FIRST_YEAR : year;
}

static void
expand_rule(ps_tz *tz, const tz_rule *r, int64_t from_year)
{
	for (int64_t y = from_year; y <= TZ_LAST_YEAR; y++)
	{
		/* The start is in standard local time, the end in daylight time. */
		int64_t		start = rule_day(&r->start, y) * SECONDS_PER_DAY + r->start.secs - r->std_utoff;
		int64_t		end = rule_day(&r->end, y) * SECONDS_PER_DAY + r->end.secs - r->dst_utoff;

		if (start < end)
		{
			push_transition(tz, start, r->dst_utoff);
			push_transition(tz, end, r->std_utoff);
		}
		else
		{
			push_transition(tz, end, r->std_utoff);
			push_transition(tz, start, r->dst_utoff);
		}
	}
}

ps_status
ps_tz_from_tzif(const char *name, const void *data, size_t len, ps_tz **out, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	tzif		z;
	tz_rule		rule;
	const char *reason = tzif_read(data, len, &z);
	bool		has_rule;
	size_t		cap;
	ps_tz	   *tz;
	uint32_t	std_type = 0;

	ps_error_quote(name, strlen(name), q);
	if (reason != NULL)
		return ps_error_set(err, PS_ECORRUPT, "time zone %s: %s", q, reason);
	has_rule = z.footer_len > 0;
	if (has_rule && !parse_rule(z.footer, z.footer_len, &rule))
		return ps_error_set(err, PS_ECORRUPT, "time zone %s: invalid TZ rule in the TZif footer", q);
	if ((tz = calloc(1, sizeof *tz)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	snprintf(tz->name, sizeof tz->name, "%s", name);
	/* The file's transitions, and two per year of the rule at most. */
	cap = (size_t) z.timecnt + 2 * (TZ_LAST_YEAR - TZ_FIRST_YEAR + 1) + 1;
	tz->at = malloc(cap * sizeof *tz->at);
	tz->utoff = malloc(cap * sizeof *tz->utoff);
	if (tz->at == NULL || tz->utoff == NULL)
	{
		ps_tz_free(tz);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < z.timecnt; i++)
		push_transition(tz, (int64_t) get_be(z.times + 8 * i, 8), type_utoff(&z, z.idx[i]));
	/* Before the first transition: the lowest-numbered standard type (else type 0). */
	while (std_type < z.typecnt && type_isdst(&z, std_type))
		std_type++;
	tz->first_utoff = type_utoff(&z, std_type < z.typecnt ? std_type : 0);
	if (has_rule)
	{
		add_abbr(tz, rule.std_name, rule.std_utoff);
		if (rule.has_dst)
		{
			add_abbr(tz, rule.dst_name, rule.dst_utoff);
			expand_rule(tz, &rule, expansion_start(tz));
		}
	}
	for (uint32_t i = z.timecnt; i-- > 0;)
		add_abbr(tz, type_abbr(&z, z.idx[i]), type_utoff(&z, z.idx[i]));
	for (uint32_t t = 0; t < z.typecnt; t++)
		add_abbr(tz, type_abbr(&z, t), type_utoff(&z, t));
	*out = tz;
	return PS_OK;
}

ps_status
ps_tz_load(const char *name, ps_tz **out, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	char		path[sizeof PS_TZ_DIR + PS_TZ_NAME_MAX + 1];
	struct stat sb;
	char	   *buf;
	size_t		got = 0;
	ps_status	rc;
	int			fd;

	if (!ps_tz_name_valid(name))
		return ps_error_set(err, PS_EINVAL, "invalid time zone name %s",
							ps_error_quote(name, name ? strnlen(name, PS_TZ_NAME_MAX + 1) : 0, q));
	ps_error_quote(name, strlen(name), q);
	snprintf(path, sizeof path, "%s/%s", PS_TZ_DIR, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return ps_error_set(err, PS_EINVAL, "unknown time zone %s", q);
		return ps_error_set(err, PS_EIO, "cannot open time zone file %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
	{
		close(fd);
		return ps_error_set(err, PS_EINVAL, "unknown time zone %s", q);
	}
	if (sb.st_size > TZIF_MAX_BYTES)
	{
		close(fd);
		return ps_error_set(err, PS_ECORRUPT, "time zone %s: file larger than %d bytes", q,
							TZIF_MAX_BYTES);
	}
	if ((buf = malloc((size_t) sb.st_size + 1)) == NULL)
	{
		close(fd);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	while (got < (size_t) sb.st_size)
	{
		ssize_t		n = read(fd, buf + got, (size_t) sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t) n;
	}
	close(fd);
	if (got < (size_t) sb.st_size)
		rc = ps_error_set(err, PS_EIO, "cannot read time zone file %s", path);
	else
		rc = ps_tz_from_tzif(name, buf, got, out, err);
	free(buf);
	return rc;
}

void
ps_tz_free(ps_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->at);
	free(tz->utoff);
	free(tz);
}

const char *
ps_tz_name(const ps_tz *tz)
{
	return tz->name;
}

/* ---------------------------------------------------------------- lookups */

/* The index of the first transition after t (ntrans if none). */
static uint32_t
first_after(const ps_tz *tz, int64_t t)
{
	uint32_t	lo = 0;
	uint32_t	hi = tz->ntrans;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (tz->at[mid] > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int32_t
ps_tz_utc_offset(const ps_tz *tz, int64_t utc_s)
{
	uint32_t	i = first_after(tz, utc_s);

	return i == 0 ? tz->first_utoff : tz->utoff[i - 1];
}

/*
 * PostgreSQL's DetermineTimeZoneOffset: take the first transition after
 * local - 1 day (read as UTC; offsets are under a day and transitions are
 * days apart) and the offsets before and after it.  When both readings of
 * the local time fall on the same side of it, that side's offset applies;
 * otherwise the time is in a gap or a repeat, and the later UTC instant of
 * the two wins: the "before" reading in a gap, the "after" one in a repeat.
 */
int64_t
ps_tz_local_to_utc(const ps_tz *tz, int64_t local_s)
{
	uint32_t	i = first_after(tz, local_s - SECONDS_PER_DAY);
	int64_t		before = local_s - (i == 0 ? tz->first_utoff : tz->utoff[i - 1]);
	int64_t		after;

	if (i == tz->ntrans)
		return before;
	after = local_s - tz->utoff[i];
	if (before < tz->at[i] && after < tz->at[i])
		return before;
	if (before >= tz->at[i] && after >= tz->at[i])
		return after;
	return before > after ? before : after;
}

bool
ps_tz_abbrev_offset(const ps_tz *tz, const char *abbr, size_t len, int32_t *offset_s)
{
	for (uint32_t i = 0; i < tz->nabbrs; i++)
		if (strlen(tz->abbrs[i].name) == len && ps_ascii_equal_ci(tz->abbrs[i].name, abbr, len))
		{
			*offset_s = tz->abbrs[i].utoff;
			return true;
		}
	return false;
}
