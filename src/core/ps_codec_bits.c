/*
 * ps_codec_bits.c — bit-packing, bitmaps and the BITMAP codec of booleans
 * (layouts in ps_codec.h).
 *
 * Every other codec packs and unpacks through here, so there is one copy
 * of the bit arithmetic.  Unpacking is the hot loop of every block scan: it
 * is instantiated once per width (1..64), so shifts and masks are
 * constants, and it works in groups of eight values, which span exactly w
 * bytes, fully unrolled.  A group reads up to 9 bytes past its own w bytes;
 * groups too near the end of the input are unpacked from a zero-padded
 * copy, so nothing is ever read past ps_bits_bytes(n, w).
 */
#include "ps_codec.h"

void
ps_bitpack(uint8_t *out, const uint64_t *v, uint32_t n, unsigned w)
{
	ps_bitw		bw;

	ps_bitw_init(&bw, out);
	for (uint32_t i = 0; i < n; i++)
		ps_bitw_put(&bw, v[i], w);
	ps_bitw_flush(&bw);
}

static inline __attribute__((always_inline)) void
unpack8(const uint8_t *in, uint64_t *out, const unsigned w)
{
	const uint64_t mask = w == 64 ? ~UINT64_C(0) : (UINT64_C(1) << w) - 1;

#pragma GCC unroll 8
	for (unsigned j = 0; j < 8; j++)
	{
		const unsigned bit = j * w;
		const unsigned byte = bit >> 3;
		const unsigned sh = bit & 7;
		uint64_t	x = ps_load64le(in + byte) >> sh;

		if (sh != 0 && w + sh > 64)
			x |= (uint64_t) in[byte + 8] << (64 - sh);
		out[j] = x & mask;
	}
}

static inline __attribute__((always_inline)) void
unpack_w(const uint8_t *in, uint32_t n, uint64_t *out, const unsigned w)
{
	const size_t in_len = ps_bits_bytes(n, w);
	const uint32_t groups = n / 8;
	uint32_t	fast;
	uint32_t	g;

	/* Group g reads below g*w + w + 9: keep 16 bytes of slack. */
	fast = in_len >= 16 + w ? (uint32_t) ((in_len - 16) / w) : 0;
	if (fast > groups)
		fast = groups;
	for (g = 0; g < fast; g++)
		unpack8(in + (size_t) g * w, out + (size_t) g * 8, w);
	if (g * 8 < n)
	{
		/* At most w + 16 bytes remain; a group reads w + 9 from its start. */
		uint8_t		pad[2 * 64 + 32] = {0};
		uint64_t	tmp[8];
		size_t		off = (size_t) g * w;

		memcpy(pad, in + off, in_len - off);
		for (uint32_t k = 0; g * 8 < n; g++, k++)
		{
			uint32_t	left = n - g * 8;

			unpack8(pad + (size_t) k * w, tmp, w);
			memcpy(out + (size_t) g * 8, tmp, (left < 8 ? left : 8) * sizeof(uint64_t));
		}
	}
}

#define UNPACK_CASE(W) case W: unpack_w(in, n, out, W); return;

void
ps_bitunpack(const uint8_t *in, uint32_t n, unsigned w, uint64_t *out)
{
	switch (w)
	{
		case 0:
			memset(out, 0, (size_t) n * sizeof(uint64_t));
			return;
		UNPACK_CASE(1) UNPACK_CASE(2) UNPACK_CASE(3) UNPACK_CASE(4)
		UNPACK_CASE(5) UNPACK_CASE(6) UNPACK_CASE(7) UNPACK_CASE(8)
		UNPACK_CASE(9) UNPACK_CASE(10) UNPACK_CASE(11) UNPACK_CASE(12)
		UNPACK_CASE(13) UNPACK_CASE(14) UNPACK_CASE(15) UNPACK_CASE(16)
		UNPACK_CASE(17) UNPACK_CASE(18) UNPACK_CASE(19) UNPACK_CASE(20)
		UNPACK_CASE(21) UNPACK_CASE(22) UNPACK_CASE(23) UNPACK_CASE(24)
		UNPACK_CASE(25) UNPACK_CASE(26) UNPACK_CASE(27) UNPACK_CASE(28)
		UNPACK_CASE(29) UNPACK_CASE(30) UNPACK_CASE(31) UNPACK_CASE(32)
		UNPACK_CASE(33) UNPACK_CASE(34) UNPACK_CASE(35) UNPACK_CASE(36)
		UNPACK_CASE(37) UNPACK_CASE(38) UNPACK_CASE(39) UNPACK_CASE(40)
		UNPACK_CASE(41) UNPACK_CASE(42) UNPACK_CASE(43) UNPACK_CASE(44)
		UNPACK_CASE(45) UNPACK_CASE(46) UNPACK_CASE(47) UNPACK_CASE(48)
		UNPACK_CASE(49) UNPACK_CASE(50) UNPACK_CASE(51) UNPACK_CASE(52)
		UNPACK_CASE(53) UNPACK_CASE(54) UNPACK_CASE(55) UNPACK_CASE(56)
		UNPACK_CASE(57) UNPACK_CASE(58) UNPACK_CASE(59) UNPACK_CASE(60)
		UNPACK_CASE(61) UNPACK_CASE(62) UNPACK_CASE(63) UNPACK_CASE(64)
		default:
			/* Callers check w <= 64; zeros rather than a wild read. */
			memset(out, 0, (size_t) n * sizeof(uint64_t));
			return;
	}
}

uint32_t
ps_bitmap_count(const uint8_t *bm, uint32_t nbits)
{
	uint32_t	c = 0;
	uint32_t	whole = nbits / 8;
	uint32_t	i = 0;

	for (; i + 8 <= whole; i += 8)
		c += (uint32_t) __builtin_popcountll(ps_load64le(bm + i));
	for (; i < whole; i++)
		c += (uint32_t) __builtin_popcount(bm[i]);
	if (nbits % 8)
		c += (uint32_t) __builtin_popcount(bm[whole] & ((1u << (nbits % 8)) - 1));
	return c;
}

bool
ps_bitmap_padding_ok(const uint8_t *bm, uint32_t nbits)
{
	return nbits % 8 == 0 || (bm[nbits / 8] >> (nbits % 8)) == 0;
}

/* ---------------------------------------------------------------- booleans */

ps_status
ps_codec_bool_encode(ps_buf *out, const uint8_t *b, uint32_t n)
{
	size_t		nb = ps_bits_bytes(n, 1);
	uint8_t    *p;

	if (n > PS_CODEC_MAX_VALUES)
		return PS_EINVAL;
	if (n == 0)
		return PS_OK;
	if (ps_buf_reserve(out, nb) != PS_OK)
		return PS_ENOMEM;
	p = out->data + out->len;
	memset(p, 0, nb);
	for (uint32_t i = 0; i < n; i++)
		p[i >> 3] |= (uint8_t) ((b[i] != 0) << (i & 7));
	out->len += nb;
	return PS_OK;
}

ps_status
ps_codec_bool_decode(ps_reader *r, uint32_t n, uint8_t *out)
{
	const uint8_t *bm;

	if (n > PS_CODEC_MAX_VALUES || ps_read_bytes(r, ps_bits_bytes(n, 1), &bm) != PS_OK)
		return PS_ECORRUPT;
	if (n && !ps_bitmap_padding_ok(bm, n))
		return PS_ECORRUPT;
	for (uint32_t i = 0; i < n; i++)
		out[i] = (bm[i >> 3] >> (i & 7)) & 1;
	return PS_OK;
}
