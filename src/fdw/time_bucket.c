/*
 * time_bucket.c — time_bucket(bucket_width interval, ts [, origin]) for
 * timestamptz and timestamp, with TimescaleDB's name and semantics so that
 * queries port (DESIGN §5).  Plain SQL functions, usable on any table; they
 * know nothing of the store.
 *
 * A bucket is [start, start + width); time_bucket returns the start of the
 * bucket holding ts.  Two kinds of width:
 *
 *   fixed   days and time only (1 week = 7 days = 7 * 24 h): buckets are
 *           origin + k * width for every integer k, counted in microseconds
 *           on the UTC timeline for timestamptz (a day is always 24 hours;
 *           the session TimeZone plays no part) and on the naive timeline for
 *           timestamp.  Default origin 2000-01-03 00:00:00 (UTC for
 *           timestamptz), a Monday, so week buckets start on Mondays;
 *   months  months and years only: buckets are calendar months, starting on
 *           the first of a month at 00:00 (UTC for timestamptz), counted from
 *           the origin's month; only the origin's year and month count (its
 *           day and time of day are ignored, as in TimescaleDB).  Default
 *           origin 2000-01-01, so 3 months are calendar quarters.
 *
 * Invariants: the start is the greatest bucket boundary <= ts (a floor, also
 * for ts before the origin or before 1970/2000, never a truncation toward
 * zero), so start <= ts < start + width.  Every step is integer arithmetic
 * that cannot wrap: a width or result beyond the timestamp range is an error
 * (datetime_value_out_of_range), never a wrapped value.  Checks, in order: a
 * width mixing months with days or time, a width <= 0, an infinite origin
 * (all invalid_parameter_value, whatever ts is); then NULL in, NULL out (the
 * functions are STRICT) and ±infinity in, the same infinity out.  Nothing
 * depends on the session (TimeZone, DateStyle), so all four are IMMUTABLE.
 */
#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(pulsora_time_bucket_timestamptz);
PG_FUNCTION_INFO_V1(pulsora_time_bucket_timestamp);

/* 2000-01-03 00:00:00, a Monday: PostgreSQL's epoch is 2000-01-01. */
#define TIME_BUCKET_DEFAULT_ORIGIN (2 * USECS_PER_DAY)

/* Month index (year * 12 + month - 1) of the default origin, 2000-01. */
#define TIME_BUCKET_DEFAULT_ORIGIN_MONTH (INT64CONST(2000) * 12)

static void
result_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("time_bucket result out of range"),
			 errdetail("The bucket would start before the earliest timestamp, 4714-11-24 00:00:00 BC.")));
}

/* Floor division and its non-negative remainder (divisor > 0). */
static inline int64
floor_div(int64 a, int64 b, int64 *rem)
{
	int64		q = a / b;
	int64		r = a % b;

	if (r < 0)
	{
		r += b;
		q -= 1;
	}
	if (rem)
		*rem = r;
	return q;
}

/* Month index (year * 12 + month - 1) of the date of t, a finite timestamp. */
static int64
month_index(Timestamp t)
{
	int64		days = floor_div(t, USECS_PER_DAY, NULL);
	int			year,
				month,
				day;

	j2date((int) (days + POSTGRES_EPOCH_JDATE), &year, &month, &day);
	return (int64) year * 12 + (month - 1);
}

/*
 * The start of the bucket of ts.  ts is finite; origin is finite when
 * has_origin.  Both are microseconds on one timeline (UTC for timestamptz).
 */
static Timestamp
bucket_start(Interval *width, Timestamp ts, bool has_origin, Timestamp origin)
{
	if (width->month != 0)
	{
		int64		n = width->month;
		int64		t = month_index(ts);
		int64		o = has_origin ? month_index(origin) : TIME_BUCKET_DEFAULT_ORIGIN_MONTH;
		int64		b = o + floor_div(t - o, n, NULL) * n;
		int64		year = floor_div(b, 12, NULL);
		int			month = (int) (b - year * 12) + 1;
		Timestamp	result;

		/* b <= t, so only the lower end of the range can be crossed. */
		if (!IS_VALID_JULIAN(year, month, 1))
			result_out_of_range();
		result = (Timestamp) (date2j((int) year, month, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
		if (!IS_VALID_TIMESTAMP(result))
			result_out_of_range();
		return result;
	}
	else
	{
		int64		period = width->day * USECS_PER_DAY + width->time;	/* checked */
		int64		offset;
		int64		rem;
		int64		delta;
		Timestamp	result;

		/*
		 * Boundaries are offset + k * period with offset in [0, period); ts =
		 * q * period + rem with rem in [0, period).  The start is ts - delta,
		 * delta in [0, period): no intermediate value can wrap.
		 */
		floor_div(has_origin ? origin : TIME_BUCKET_DEFAULT_ORIGIN, period, &offset);
		floor_div(ts, period, &rem);
		delta = rem >= offset ? rem - offset : rem - offset + period;
		if (pg_sub_s64_overflow(ts, delta, &result) || !IS_VALID_TIMESTAMP(result))
			result_out_of_range();
		return result;
	}
}

/* Rejects widths that define no buckets; see the header for the order. */
static void
check_width(Interval *width)
{
	if (width->month != 0)
	{
		if (width->day != 0 || width->time != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_bucket width cannot mix months or years with days or time"),
					 errhint("Use a width of whole months (such as '3 months' or '1 year'), or one without months (such as '7 days').")));
		if (width->month < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_bucket width must be greater than zero")));
	}
	else
	{
		int64		period;

		if (pg_mul_s64_overflow((int64) width->day, USECS_PER_DAY, &period) ||
			pg_add_s64_overflow(period, width->time, &period))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_bucket width out of range")));
		if (period <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_bucket width must be greater than zero")));
	}
}

static Datum
time_bucket_common(FunctionCallInfo fcinfo)
{
	Interval   *width = PG_GETARG_INTERVAL_P(0);
	Timestamp	ts = PG_GETARG_TIMESTAMP(1);
	bool		has_origin = PG_NARGS() > 2;
	Timestamp	origin = has_origin ? PG_GETARG_TIMESTAMP(2) : 0;

	check_width(width);
	if (has_origin && TIMESTAMP_NOT_FINITE(origin))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_bucket origin must be finite")));
	if (TIMESTAMP_NOT_FINITE(ts))
		PG_RETURN_TIMESTAMP(ts);
	PG_RETURN_TIMESTAMP(bucket_start(width, ts, has_origin, origin));
}

/*
 * time_bucket(interval, timestamptz [, timestamptz]) returns timestamptz.
 * A timestamptz is microseconds since 2000-01-01 00:00 UTC, so the shared
 * arithmetic works on the UTC timeline without looking at TimeZone.
 */
Datum
pulsora_time_bucket_timestamptz(PG_FUNCTION_ARGS)
{
	return time_bucket_common(fcinfo);
}

/* time_bucket(interval, timestamp [, timestamp]) returns timestamp. */
Datum
pulsora_time_bucket_timestamp(PG_FUNCTION_ARGS)
{
	return time_bucket_common(fcinfo);
}
