/*
 * ps_codec_int.c — the INT codec: frame of reference or delta, a common
 * divisor taken out, then bit-packing (layout in ps_codec.h).
 *
 * Frame of reference suits values scattered in a narrow range (volumes,
 * ids); delta suits values that wander (prices as scaled integers, times).
 * Both forms are costed exactly before anything is written and the smaller
 * is emitted.  Residuals are computed in uint64 with wrapping: the range of
 * any int64 set, max - min, is exact in uint64, and delta sequences rebuild
 * exactly whatever overflow happened in between, so every input
 * round-trips.  Taking out the gcd of the residuals turns milliseconds
 * stored as nanoseconds, or lots of 100 shares, into small integers; it is
 * found with multiplications (divisibility by a modular inverse), as are
 * the quotients, and stops at the first residual that makes it 1.
 */
#include "ps_codec.h"

typedef struct int_plan {
	bool		delta;
	unsigned	w;				/* bits per residual */
	uint64_t	base;			/* FOR: min; delta: v[0] */
	uint64_t	dmin;			/* delta: smallest delta */
	uint64_t	gcd;			/* >= 1 */
	size_t		bytes;			/* whole payload */
} int_plan;

static uint64_t
gcd64(uint64_t a, uint64_t b)
{
	while (b)
	{
		uint64_t	t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Exact division by g = o * 2^s (o odd) without a divide instruction: a
 * multiple of g, shifted right by s, times the inverse of o modulo 2^64, is
 * the quotient; and x is a multiple of g exactly when its low s bits are 0
 * and that product is at most UINT64_MAX / o (Granlund and Montgomery).
 */
typedef struct divisor {
	unsigned	s;
	uint64_t	inv;
	uint64_t	lim;
} divisor;

static void
divisor_init(divisor *d, uint64_t g)
{
	uint64_t	o;
	uint64_t	x;

	d->s = (unsigned) __builtin_ctzll(g);
	o = g >> d->s;
	x = o;						/* right to 3 bits; each step doubles them */
	for (int i = 0; i < 5; i++)
		x *= 2 - o * x;
	d->inv = x;
	d->lim = UINT64_MAX / o;
}

static inline bool
divides(const divisor *d, uint64_t x)
{
	return (x & ((UINT64_C(1) << d->s) - 1)) == 0 && (x >> d->s) * d->inv <= d->lim;
}

static inline uint64_t
exact_div(const divisor *d, uint64_t x)
{
	return (x >> d->s) * d->inv;
}

/* Running gcd of residuals: divisibility tests, a real gcd only when it shrinks. */
typedef struct gcd_acc {
	uint64_t	g;				/* 0 while every residual was 0 */
	divisor		d;
} gcd_acc;

static inline void
gcd_add(gcd_acc *a, uint64_t r)
{
	if (r == 0 || a->g == 1 || (a->g && divides(&a->d, r)))
		return;
	a->g = a->g ? gcd64(a->g, r) : r;
	divisor_init(&a->d, a->g);
}

static void
plan_finish(int_plan *p, uint64_t range, uint64_t g, uint32_t count)
{
	p->gcd = g ? g : 1;
	p->w = ps_bits_width(range / p->gcd);
	p->bytes += 1 + (p->w ? ps_varint_size(p->gcd) : 0) + ps_bits_bytes(count, p->w);
}

static void
plan_for(const int64_t *v, uint32_t n, int_plan *p)
{
	int64_t		min = v[0];
	int64_t		max = v[0];
	gcd_acc		g = {0};

	for (uint32_t i = 1; i < n; i++)
	{
		min = v[i] < min ? v[i] : min;
		max = v[i] > max ? v[i] : max;
	}
	if (min != max)
		for (uint32_t i = 0; i < n && g.g != 1; i++)
			gcd_add(&g, (uint64_t) v[i] - (uint64_t) min);
	p->delta = false;
	p->base = (uint64_t) min;
	p->bytes = ps_varint_size(ps_zigzag(min));
	plan_finish(p, (uint64_t) max - (uint64_t) min, g.g, n);
}

static void
plan_delta(const int64_t *v, uint32_t n, int_plan *p)
{
	int64_t		dmin = INT64_MAX;
	int64_t		dmax = INT64_MIN;
	gcd_acc		g = {0};

	p->delta = true;
	p->base = (uint64_t) v[0];
	p->bytes = ps_varint_size(ps_zigzag(v[0]));
	if (n == 1)
	{
		p->dmin = 0;
		p->gcd = 1;
		p->w = 0;
		p->bytes += 1;
		return;
	}
	for (uint32_t i = 1; i < n; i++)
	{
		int64_t		d = (int64_t) ((uint64_t) v[i] - (uint64_t) v[i - 1]);

		dmin = d < dmin ? d : dmin;
		dmax = d > dmax ? d : dmax;
	}
	if (dmin != dmax)
		for (uint32_t i = 1; i < n && g.g != 1; i++)
			gcd_add(&g, (uint64_t) v[i] - (uint64_t) v[i - 1] - (uint64_t) dmin);
	p->dmin = (uint64_t) dmin;
	p->bytes += ps_varint_size(ps_zigzag(dmin));
	plan_finish(p, (uint64_t) dmax - (uint64_t) dmin, g.g, n - 1);
}

static void
plan(const int64_t *v, uint32_t n, ps_codec_mode mode, int_plan *p)
{
	int_plan	d;

	if (mode == PS_CODEC_DELTA)
	{
		plan_delta(v, n, p);
		return;
	}
	plan_for(v, n, p);
	if (mode == PS_CODEC_AUTO && n > 1)
	{
		plan_delta(v, n, &d);
		if (d.bytes < p->bytes)
			*p = d;
	}
}

size_t
ps_codec_int_size(const int64_t *v, uint32_t n, ps_codec_mode mode)
{
	int_plan	p;

	if (n == 0)
		return 0;
	plan(v, n, mode, &p);
	return p.bytes;
}

ps_status
ps_codec_int_encode(ps_buf *out, const int64_t *v, uint32_t n, ps_codec_mode mode)
{
	int_plan	p;
	uint8_t    *start;
	uint8_t    *q;
	ps_bitw		bw;
	divisor		d;

	if (n > PS_CODEC_MAX_VALUES)
		return PS_EINVAL;
	if (n == 0)
		return PS_OK;
	plan(v, n, mode, &p);
	if (ps_buf_reserve(out, p.bytes) != PS_OK)
		return PS_ENOMEM;
	start = q = out->data + out->len;
	*q++ = (uint8_t) (p.w | (p.delta ? 0x80 : 0));
	q += ps_varint_encode(q, ps_zigzag((int64_t) p.base));
	if (p.delta && n > 1)
		q += ps_varint_encode(q, ps_zigzag((int64_t) p.dmin));
	if (p.w)
		q += ps_varint_encode(q, p.gcd);
	ps_bitw_init(&bw, q);
	divisor_init(&d, p.gcd);
	/* Bases and deltas as uint64: the residuals are exact modulo 2^64. */
	if (p.w == 0)
		;
	else if (!p.delta && p.gcd == 1)
		for (uint32_t i = 0; i < n; i++)
			ps_bitw_put(&bw, (uint64_t) v[i] - p.base, p.w);
	else if (!p.delta)
		for (uint32_t i = 0; i < n; i++)
			ps_bitw_put(&bw, exact_div(&d, (uint64_t) v[i] - p.base), p.w);
	else if (p.gcd == 1)
		for (uint32_t i = 1; i < n; i++)
			ps_bitw_put(&bw, (uint64_t) v[i] - (uint64_t) v[i - 1] - p.dmin, p.w);
	else
		for (uint32_t i = 1; i < n; i++)
			ps_bitw_put(&bw, exact_div(&d, (uint64_t) v[i] - (uint64_t) v[i - 1] - p.dmin), p.w);
	q = ps_bitw_flush(&bw);
	out->len += (size_t) (q - start);
	return PS_OK;
}

/* Most header varints are one byte. */
static inline ps_status
read_varint(ps_reader *r, uint64_t *v)
{
	if (r->p < r->end && *r->p < 0x80)
	{
		*v = *r->p++;
		return PS_OK;
	}
	return ps_read_varint(r, v);
}

/* Residuals: n values of w bits at the reader, times gcd, plus add. */
static ps_status
read_residuals(ps_reader *r, uint32_t n, unsigned w, uint64_t gcd, uint64_t add, uint64_t *out)
{
	const uint8_t *bits;

	if (ps_read_bytes(r, ps_bits_bytes(n, w), &bits) != PS_OK)
		return PS_ECORRUPT;
	ps_bitunpack(bits, n, w, out);
	if (gcd == 1)
		for (uint32_t i = 0; i < n; i++)
			out[i] += add;
	else
		for (uint32_t i = 0; i < n; i++)
			out[i] = out[i] * gcd + add;
	return PS_OK;
}

ps_status
ps_codec_int_decode(ps_reader *r, uint32_t n, int64_t *out)
{
	uint64_t   *u = (uint64_t *) out;	/* same object, unsigned view: wrapping sums */
	uint8_t		h;
	unsigned	w;
	uint64_t	base;
	uint64_t	dmin = 0;
	uint64_t	gcd = 1;

	if (n == 0)
		return PS_OK;
	if (n > PS_CODEC_MAX_VALUES || ps_read_u8(r, &h) != PS_OK)
		return PS_ECORRUPT;
	w = h & 0x7f;
	if (w > 64 || read_varint(r, &base) != PS_OK)
		return PS_ECORRUPT;
	base = (uint64_t) ps_unzigzag(base);
	if (!(h & 0x80))
	{
		if (w && (read_varint(r, &gcd) != PS_OK || gcd == 0))
			return PS_ECORRUPT;
		return read_residuals(r, n, w, gcd, base, u);
	}
	u[0] = base;
	if (n == 1)
		return w == 0 ? PS_OK : PS_ECORRUPT;
	if (read_varint(r, &dmin) != PS_OK)
		return PS_ECORRUPT;
	dmin = (uint64_t) ps_unzigzag(dmin);
	if (w && (read_varint(r, &gcd) != PS_OK || gcd == 0))
		return PS_ECORRUPT;
	if (read_residuals(r, n - 1, w, gcd, dmin, u + 1) != PS_OK)
		return PS_ECORRUPT;
	for (uint32_t i = 1; i < n; i++)
		u[i] += u[i - 1];
	return PS_OK;
}
