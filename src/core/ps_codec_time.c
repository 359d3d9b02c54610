/*
 * ps_codec_time.c — the time column of a block: the first time, then the
 * deltas through the INT codec, whose delta form makes this
 * delta-of-delta (layout in ps_codec.h).
 *
 * Regular series (bars, sampled sensors) have constant deltas: their
 * delta-of-delta is zero and packs into zero bits.  Irregular ticks have
 * deltas scattered over a range, where the INT codec's frame-of-reference
 * form of the deltas is smaller than their differences; it picks per block.
 * Either way the deltas' gcd takes out the unit, so millisecond times
 * stored as nanoseconds cost what milliseconds would.  Deltas wrap modulo
 * 2^64: INT64_MIN followed by INT64_MAX round-trips.
 */
#include "ps_codec.h"

ps_status
ps_codec_time_encode(ps_buf *out, const int64_t *t, uint32_t n, ps_codec_mode mode)
{
	int64_t		d[PS_CODEC_MAX_VALUES];
	size_t		len0;
	ps_status	st;

	if (n > PS_CODEC_MAX_VALUES || (mode != PS_CODEC_AUTO && mode != PS_CODEC_FOR &&
									 mode != PS_CODEC_DELTA))
		return PS_EINVAL;
	if (n == 0)
		return PS_OK;
	len0 = out->len;
	for (uint32_t i = 1; i < n; i++)
		d[i - 1] = (int64_t) ((uint64_t) t[i] - (uint64_t) t[i - 1]);
	if ((st = ps_buf_append_varint(out, ps_zigzag(t[0]))) != PS_OK)
		return st;
	if ((st = ps_codec_int_encode(out, d, n - 1, mode)) != PS_OK)
		out->len = len0;
	return st;
}

ps_status
ps_codec_time_decode(ps_reader *r, uint32_t n, int64_t *out)
{
	uint64_t   *u = (uint64_t *) out;
	uint64_t	t0;

	if (n == 0)
		return PS_OK;
	if (n > PS_CODEC_MAX_VALUES || ps_read_varint(r, &t0) != PS_OK)
		return PS_ECORRUPT;
	u[0] = (uint64_t) ps_unzigzag(t0);
	if (ps_codec_int_decode(r, n - 1, out + 1) != PS_OK)
		return PS_ECORRUPT;
	for (uint32_t i = 1; i < n; i++)
		u[i] += u[i - 1];
	return PS_OK;
}
