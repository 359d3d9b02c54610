/*
 * upper_state.c — the transition states of partial aggregates computed by
 * an owner.  When PostgreSQL aggregates a partitioned table partially per
 * partition (partitionwise aggregation whose grouping spans partitions:
 * time ranges grouped by symbol), each partition's Partial Aggregate
 * outputs transition states, serialized when the state type is internal,
 * and a Finalize Aggregate above the Append combines them.  A pushed
 * partial aggregate (upper_plan.c) must output exactly those states, so
 * that the Finalize Aggregate cannot tell the owner's groups from its own
 * Partial Aggregate's:
 *
 *   count, min, max, sum(double precision): the state is the value itself
 *     (upper_exec.c's plain conversion);
 *   sum(bigint), avg(bigint): int8_avg_accum's state (count of non-NULL
 *     inputs, exact sum), serialized as int8_avg_serialize writes it;
 *   avg(double precision): float8_accum's array {N, sum(x), Sxx};
 *   first, last: first_last.c's serialized state (time, value).
 *
 * These formats are PostgreSQL 15's (int8_avg_serialize: the count as
 * int64, then the sum as numericvar_serialize writes a NumericVar: int32
 * ndigits, weight, sign and dscale, then int16 base-10000 digits, all in
 * network order).  They never leave the backend: a serialized state goes
 * from this scan to the Finalize Aggregate of the same query.  The
 * regression tests compare pushed partial aggregates with local ones,
 * sums beyond 64 bits and negative ones included.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/float.h"

#include "pulsora_fdw.h"
#include "upper.h"

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "upper_state.c writes PostgreSQL 15's serialized aggregate states"
#endif

#define NUMERIC_BASE 10000
#define NUMERIC_SIGN_POS 0x0000
#define NUMERIC_SIGN_NEG 0x4000

Datum
pulsora_int8_sum_state(int64 count, int64 sum_hi, int64 sum_lo)
{
	__int128	sum = (__int128) (((unsigned __int128) (uint64) sum_hi << 64) | (uint64) sum_lo);
	unsigned __int128 magnitude = sum < 0 ? -(unsigned __int128) sum : (unsigned __int128) sum;
	int16		digits[12];		/* 2^127 < 10000^10 */
	int			ndigits = 0;
	StringInfoData buf;

	/* Base-10000 digits, least significant first; none for zero. */
	while (magnitude > 0)
	{
		digits[ndigits++] = (int16) (magnitude % NUMERIC_BASE);
		magnitude /= NUMERIC_BASE;
	}
	pq_begintypsend(&buf);
	pq_sendint64(&buf, count);
	pq_sendint32(&buf, ndigits);
	pq_sendint32(&buf, ndigits > 0 ? ndigits - 1 : 0);	/* weight of the first digit */
	pq_sendint32(&buf, sum < 0 ? NUMERIC_SIGN_NEG : NUMERIC_SIGN_POS);
	pq_sendint32(&buf, 0);		/* dscale: an integer */
	for (int i = ndigits - 1; i >= 0; i--)
		pq_sendint16(&buf, digits[i]);
	return PointerGetDatum(pq_endtypsend(&buf));
}

Datum
pulsora_float8_avg_state(int64 count, double sum)
{
	/*
	 * Sxx (the sum of squared deviations) is not computed by the owner; avg
	 * never reads it, and the plan pushes this state for avg only.  It is
	 * 0, or NaN once the sum is not finite, as float8_accum leaves it then:
	 * float8_combine reports an overflow when Sxx becomes infinite from
	 * finite parts, which an infinite or NaN value must not make it do.
	 */
	Datum		values[3] = {Float8GetDatum((double) count), Float8GetDatum(sum),
		Float8GetDatum(isfinite(sum) ? 0.0 : get_float8_nan())};

	return PointerGetDatum(construct_array(values, 3, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}
