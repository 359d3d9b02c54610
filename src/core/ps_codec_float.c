/*
 * ps_codec_float.c — floats: Gorilla XOR, or scaled decimals through the
 * INT codec (layouts in ps_codec.h).
 *
 * Market data floats are mostly short decimals (150.25): scaled by 10^k
 * they are small integers that move little from row to row, which the INT
 * codec's delta form packs into a few bits, and they decode with one
 * division each instead of a bit-serial walk.  A block is DECIMAL only when
 * (double) m / 10^k reproduces every value bit for bit — the very
 * expression the decoder evaluates, both sides rounding the same way in
 * IEEE binary64 (ps_types.c refuses x87 excess precision) — and |m| <= 2^53
 * so the int-to-double conversion is exact.  -0.0 (which m = 0 would turn
 * into 0.0), NaN and infinities therefore always go to Gorilla, which keeps
 * any 64-bit pattern.  When both apply, the smaller payload wins.
 */
#include "ps_codec.h"

#include <math.h>

static const double pow10_table[10] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
#define DECIMAL_MAX_K 9
#define DECIMAL_MAX_M 9007199254740992.0	/* 2^53 */

static inline uint64_t
f2u(double d)
{
	uint64_t	u;

	memcpy(&u, &d, 8);
	return u;
}

static inline double
u2f(uint64_t u)
{
	double		d;

	memcpy(&d, &u, 8);
	return d;
}

/* ---------------------------------------------------------------- decimal */

/* m with m / 10^k == v exactly, if there is one. */
static inline bool
decimal_at(double v, int k, int64_t *m)
{
	double		x = v * pow10_table[k];
	int64_t		r;

	if (!(fabs(x) <= DECIMAL_MAX_M) || (v == 0 && signbit(v)))
		return false;			/* also NaN; -0.0 would come back as 0.0 */
	r = (int64_t) (x + (x < 0 ? -0.5 : 0.5));
	*m = r;
	return (double) r / pow10_table[k] == v;
}

int
ps_codec_decimal_scale(const double *v, uint32_t n, int64_t *m)
{
	int			k = 0;

	/*
	 * If v fits at k it fits at k + 1 (10m / 10^(k+1) is the same real
	 * number) unless |10m| passes 2^53: so a value that needs a larger k
	 * raises k and the pass starts over, at most DECIMAL_MAX_K times.
	 */
restart:
	for (uint32_t i = 0; i < n; i++)
	{
		if (decimal_at(v[i], k, &m[i]))
			continue;
		if (v[i] == 0)
			return -1;			/* -0.0: 0.0 fits at any k */
		do
		{
			if (++k > DECIMAL_MAX_K)
				return -1;
		} while (!decimal_at(v[i], k, &m[i]));
		goto restart;
	}
	return k;
}

/* ---------------------------------------------------------------- gorilla */

#define GORILLA_MAX_LEAD 31

/*
 * The Gorilla walk, writing to bw, or only counting bits when bw is NULL
 * (always inlined, so each use is its own loop): sizing first lets a
 * float column skip writing a Gorilla payload that would lose.
 */
static inline __attribute__((always_inline)) uint64_t
gorilla_walk(const double *v, uint32_t n, ps_bitw *bw)
{
	uint64_t	prev = f2u(v[0]);
	uint64_t	bits = 64;
	unsigned	lead = 65;		/* no window yet */
	unsigned	trail = 0;

	if (bw)
		ps_bitw_put(bw, prev, 64);
	for (uint32_t i = 1; i < n; i++)
	{
		uint64_t	cur = f2u(v[i]);
		uint64_t	x = cur ^ prev;
		unsigned	l;
		unsigned	t;

		prev = cur;
		if (x == 0)
		{
			bits += 1;
			if (bw)
				ps_bitw_put(bw, 0, 1);
			continue;
		}
		l = (unsigned) __builtin_clzll(x);
		t = (unsigned) __builtin_ctzll(x);
		if (l > GORILLA_MAX_LEAD)
			l = GORILLA_MAX_LEAD;
		if (lead <= 64 && l >= lead && t >= trail)
		{
			/* Control 1 then 0: the previous window holds x. */
			bits += 2 + 64 - lead - trail;
			if (bw)
			{
				ps_bitw_put(bw, 1, 2);
				ps_bitw_put(bw, x >> trail, 64 - lead - trail);
			}
		}
		else
		{
			unsigned	len = 64 - l - t;

			bits += 13 + len;
			if (bw)
			{
				ps_bitw_put(bw, 3 | (uint64_t) l << 2 | (uint64_t) (len - 1) << 7, 13);
				ps_bitw_put(bw, x >> t, len);
			}
			lead = l;
			trail = t;
		}
	}
	return bits;
}

static size_t
gorilla_size(const double *v, uint32_t n)
{
	return (size_t) ((gorilla_walk(v, n, NULL) + 7) / 8);
}

static ps_status
gorilla_encode(ps_buf *out, const double *v, uint32_t n)
{
	size_t		size = gorilla_size(v, n);
	ps_bitw		bw;

	if (ps_buf_reserve(out, size) != PS_OK)
		return PS_ENOMEM;
	ps_bitw_init(&bw, out->data + out->len);
	gorilla_walk(v, n, &bw);
	out->len = (size_t) (ps_bitw_flush(&bw) - out->data);
	return PS_OK;
}

static ps_status
gorilla_decode(ps_reader *r, uint32_t n, double *out)
{
	const uint8_t *start = r->p;
	ps_bitr		br;
	uint64_t	prev;
	unsigned	lead = 0;
	unsigned	len = 64;
	size_t		used;

	ps_bitr_init(&br, r->p, ps_reader_left(r));
	prev = ps_bitr_get64(&br, 64);
	out[0] = u2f(prev);
	for (uint32_t i = 1; i < n; i++)
	{
		if (ps_bitr_get(&br, 1))
		{
			if (ps_bitr_get(&br, 1))
			{
				uint64_t	h = ps_bitr_get(&br, 11);

				lead = (unsigned) (h & 31);
				len = (unsigned) (h >> 5) + 1;
				if (lead + len > 64)
					return PS_ECORRUPT;
			}
			prev ^= ps_bitr_get64(&br, len) << (64 - lead - len);
		}
		out[i] = u2f(prev);
	}
	if (br.over)
		return PS_ECORRUPT;
	used = ps_bitr_used(&br, start);
	/* The last byte's unused bits must be zero: one encoding per content. */
	if (br.nacc % 8 && (br.acc & ((UINT64_C(1) << (br.nacc % 8)) - 1)) != 0)
		return PS_ECORRUPT;
	r->p = start + used;
	return PS_OK;
}

/* ---------------------------------------------------------------- dispatch */

ps_status
ps_codec_float_encode(ps_buf *out, const double *v, uint32_t n, ps_codec_mode mode,
					  uint8_t *codec)
{
	int64_t		m[PS_CODEC_MAX_VALUES];
	size_t		len0 = out->len;
	size_t		dec_len;
	int			k = -1;
	ps_status	st;

	if (n > PS_CODEC_MAX_VALUES)
		return PS_EINVAL;
	*codec = mode == PS_CODEC_FORCE_DECIMAL ? PS_CODEC_DECIMAL : PS_CODEC_GORILLA;
	if (n == 0)
		return PS_OK;
	if (mode != PS_CODEC_FORCE_GORILLA)
		k = ps_codec_decimal_scale(v, n, m);
	if (k < 0)
		return mode == PS_CODEC_FORCE_DECIMAL ? PS_EINVAL : gorilla_encode(out, v, n);

	if ((st = ps_buf_append_u8(out, (uint8_t) k)) != PS_OK ||
		(st = ps_codec_int_encode(out, m, n, PS_CODEC_AUTO)) != PS_OK)
	{
		out->len = len0;
		return st;
	}
	*codec = PS_CODEC_DECIMAL;
	dec_len = out->len - len0;
	if (mode == PS_CODEC_FORCE_DECIMAL || dec_len <= gorilla_size(v, n))
		return PS_OK;
	out->len = len0;
	*codec = PS_CODEC_GORILLA;
	return gorilla_encode(out, v, n);
}

/*
 * out[i] = (double) m[i] / p, two at a time: |m| < 2^51 converts exactly by
 * adding it to the bits of 1.5 * 2^52 and subtracting that double, which
 * vectorises where int64-to-double conversion does not (SSE2).  Larger
 * (hostile) m take the plain conversion, which may round: no harm.
 */
typedef double v2df __attribute__((vector_size(16)));
typedef int64_t v2di __attribute__((vector_size(16)));

static void
decimal_scale_down(const int64_t *m, uint32_t n, double p, double *out)
{
	const int64_t magic_bits = INT64_C(0x4338000000000000);
	const double magic = 6755399441055744.0;	/* 1.5 * 2^52 */
	const uint64_t bound = UINT64_C(1) << 51;
	uint32_t	i = 0;

	for (; i + 2 <= n; i += 2)
	{
		v2di		x;
		v2df		d;

		if ((uint64_t) m[i] + bound >= 2 * bound || (uint64_t) m[i + 1] + bound >= 2 * bound)
			break;
		memcpy(&x, m + i, sizeof x);
		x += magic_bits;
		memcpy(&d, &x, sizeof d);
		d = (d - magic) / p;
		memcpy(out + i, &d, sizeof d);
	}
	for (; i < n; i++)
		out[i] = (double) m[i] / p;
}

ps_status
ps_codec_float_decode(ps_reader *r, uint8_t codec, uint32_t n, double *out)
{
	int64_t		m[PS_CODEC_MAX_VALUES];
	uint8_t		k;
	double		p;

	if (n > PS_CODEC_MAX_VALUES)
		return PS_ECORRUPT;
	if (n == 0)
		return PS_OK;
	if (codec == PS_CODEC_GORILLA)
		return gorilla_decode(r, n, out);
	if (codec != PS_CODEC_DECIMAL || ps_read_u8(r, &k) != PS_OK || k > DECIMAL_MAX_K ||
		ps_codec_int_decode(r, n, m) != PS_OK)
		return PS_ECORRUPT;
	p = pow10_table[k];
	decimal_scale_down(m, n, p, out);
	return PS_OK;
}
