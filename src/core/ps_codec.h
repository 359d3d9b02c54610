/*
 * ps_codec.h — the column codecs of a block (ps_block.h): bit-packing and
 * bitmaps, integers, times, floats, booleans and strings.
 *
 * A codec never sees NULLs: the block keeps them in a bitmap and hands a
 * codec only the non-NULL values of a column, in row order.  An encoder
 * appends one payload to a ps_buf; a decoder reads it back from a ps_reader
 * given the value count n, which the block stores once.  Payloads are
 * self-delimiting given n: a decoder consumes exactly the bytes its encoder
 * wrote and leaves the reader just past them.  n is at most
 * PS_CODEC_MAX_VALUES (larger is PS_EINVAL on encode, PS_ECORRUPT on
 * decode), which bounds every array a decoder writes.  n == 0 is an empty
 * payload for every codec.
 *
 * Decoders treat input as hostile: any malformed or truncated payload is
 * PS_ECORRUPT, never a read outside the reader's range, never a write past
 * n values (n + 1 string offsets).  The only allocation a decoder makes is
 * the string bytes, bounded by the caller's max_bytes.  Arithmetic wraps
 * modulo 2^64, so every int64 sequence round-trips, however large its
 * deltas; floats round-trip bit for bit (NaN payloads, -0.0, denormals).
 *
 * Layouts (varint = LEB128 as in ps_buf.h, zz() = zigzag; bit streams are
 * LSB first; padding bits are zero):
 *   packed(n, w)  n values of w bits (0..64) in ceil(n*w/8) bytes.
 *   INT           u8 (w | 0x80 for delta), then
 *                   frame of reference: varint zz(min) | [w > 0: varint gcd]
 *                     | packed(n, w) of (v - min) / gcd
 *                   delta: varint zz(v[0]) | [n > 1: varint zz(dmin)
 *                     | [w > 0: varint gcd] | packed(n - 1, w) of
 *                     (d - dmin) / gcd], d[i] = v[i] - v[i-1]
 *                 The encoder picks whichever form is smaller.
 *   time          varint zz(t[0]) | INT of the n - 1 deltas t[i] - t[i-1].
 *                 In its delta form that is delta-of-delta; the gcd takes
 *                 out the unit (milliseconds stored as nanoseconds).
 *   GORILLA       a bit stream: v[0] in 64 bits, then per value x = bits ^
 *                 previous bits: 0 if x == 0; else 1, then 0 and the
 *                 window's len bits of x (previous window), or 1, 5 bits
 *                 leading zeros (<= 31), 6 bits len - 1, len bits of x.
 *   DECIMAL       u8 k (0..9) | INT of m[i], where v[i] == (double) m[i] /
 *                 10^k exactly and |m[i]| <= 2^53 (so no -0.0, NaN or Inf).
 *   BITMAP        booleans, packed(n, 1).
 *   DICT          varint ndict (1..n) | INT of the ndict entry lengths
 *                 | the entries' bytes | packed(n, bits(ndict - 1)) indexes.
 *   PLAIN         INT of the n lengths | the strings' bytes.
 */
#ifndef PS_CODEC_H
#define PS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <endian.h>
#include "ps_buf.h"
#include "ps_error.h"
#include "ps_types.h"

#define PS_CODEC_MAX_VALUES 1024	/* = PS_BLOCK_ROWS */

/* Codec byte of a block column; stored on disk: never renumber. */
#define PS_CODEC_INT		1		/* INTEGER, TIMESTAMP */
#define PS_CODEC_GORILLA	2		/* FLOAT */
#define PS_CODEC_DECIMAL	3		/* FLOAT */
#define PS_CODEC_BITMAP		4		/* BOOLEAN */
#define PS_CODEC_DICT		5		/* STRING */
#define PS_CODEC_PLAIN		6		/* STRING */
#define PS_CODEC_NULLS		0x80	/* flag: a null bitmap leads the payload */

/* Candidate forms, for tests and measurements; AUTO is what blocks use. */
typedef enum ps_codec_mode {
	PS_CODEC_AUTO = 0,
	PS_CODEC_FOR,				/* INT: frame of reference; time: delta */
	PS_CODEC_DELTA,				/* INT: delta; time: delta-of-delta */
	PS_CODEC_FORCE_GORILLA,		/* floats */
	PS_CODEC_FORCE_DECIMAL,		/* floats (PS_EINVAL if not decimal) */
	PS_CODEC_FORCE_DICT,		/* strings */
	PS_CODEC_FORCE_PLAIN		/* strings */
} ps_codec_mode;

/* ------------------------------------------------------------------ bits */

static inline uint64_t
ps_load64le(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline void
ps_store64le(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* Bits needed for values up to max: 0 for 0, 64 for >= 2^63. */
static inline unsigned
ps_bits_width(uint64_t max)
{
	return max ? 64 - (unsigned) __builtin_clzll(max) : 0;
}

static inline size_t
ps_bits_bytes(uint64_t n, unsigned w)
{
	return (size_t) ((n * w + 7) / 8);
}

static inline uint64_t ps_zigzag(int64_t v) { return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63); }
static inline int64_t ps_unzigzag(uint64_t u) { return (int64_t) ((u >> 1) ^ (~(u & 1) + 1)); }

/* Bytes of the varint of v. */
static inline size_t
ps_varint_size(uint64_t v)
{
	return (size_t) (ps_bits_width(v | 1) + 6) / 7;
}

/*
 * Bit writer into memory the caller reserved: exactly ceil(bits/8) bytes
 * are written by the puts and the final flush.
 */
typedef struct ps_bitw {
	uint8_t    *p;
	uint64_t	acc;
	unsigned	nacc;			/* bits in acc, < 64 */
} ps_bitw;

static inline void
ps_bitw_init(ps_bitw *w, uint8_t *p)
{
	w->p = p;
	w->acc = 0;
	w->nacc = 0;
}

/* Append the low `bits` (0..64) bits of v; v must have no higher bits. */
static inline void
ps_bitw_put(ps_bitw *w, uint64_t v, unsigned bits)
{
	if (bits == 0)
		return;
	w->acc |= v << w->nacc;
	if (w->nacc + bits >= 64)
	{
		ps_store64le(w->p, w->acc);
		w->p += 8;
		w->acc = w->nacc ? v >> (64 - w->nacc) : 0;
		w->nacc = w->nacc + bits - 64;
	}
	else
		w->nacc += bits;
}

/* Write the last partial bytes; returns the end of what was written. */
static inline uint8_t *
ps_bitw_flush(ps_bitw *w)
{
	for (unsigned i = 0; i < w->nacc; i += 8)
		*w->p++ = (uint8_t) (w->acc >> i);
	w->acc = 0;
	w->nacc = 0;
	return w->p;
}

/*
 * Bit reader over [p, end).  Reading past the end yields zeros and sets
 * `over`, checked once at the end rather than at every get.
 */
typedef struct ps_bitr {
	const uint8_t *p;
	const uint8_t *end;
	uint64_t	acc;
	unsigned	nacc;
	bool		over;
} ps_bitr;

static inline void
ps_bitr_init(ps_bitr *r, const uint8_t *p, size_t n)
{
	r->p = p;
	r->end = p + n;
	r->acc = 0;
	r->nacc = 0;
	r->over = false;
}

static inline void
ps_bitr_refill(ps_bitr *r)
{
	if (r->end - r->p >= 8)
	{
		/* Take the whole bytes that fit; acc then holds 56..63 bits. */
		unsigned	take = (63 - r->nacc) >> 3;

		r->acc |= ps_load64le(r->p) << r->nacc;
		r->p += take;
		r->nacc += take * 8;
	}
	else
		while (r->nacc <= 56 && r->p < r->end)
		{
			r->acc |= (uint64_t) *r->p++ << r->nacc;
			r->nacc += 8;
		}
}

/* Next `bits` (0..56) bits. */
static inline uint64_t
ps_bitr_get(ps_bitr *r, unsigned bits)
{
	uint64_t	v;

	if (r->nacc < bits)
	{
		ps_bitr_refill(r);
		if (r->nacc < bits)
		{
			r->over = true;
			return 0;
		}
	}
	v = r->acc & ((UINT64_C(1) << bits) - 1);
	r->acc >>= bits;
	r->nacc -= bits;
	return v;
}

/* Next `bits` (0..64) bits. */
static inline uint64_t
ps_bitr_get64(ps_bitr *r, unsigned bits)
{
	uint64_t	lo;

	if (bits <= 56)
		return ps_bitr_get(r, bits);
	lo = ps_bitr_get(r, 32);
	return lo | ps_bitr_get(r, bits - 32) << 32;
}

/* Bytes consumed so far, counting a partly read byte. */
static inline size_t
ps_bitr_used(const ps_bitr *r, const uint8_t *start)
{
	return (size_t) (r->p - start) - r->nacc / 8;
}

/* Pack v[0..n) at w bits each (values must fit) into out, ps_bits_bytes(n, w) bytes. */
void		ps_bitpack(uint8_t *out, const uint64_t *v, uint32_t n, unsigned w);
/* Unpack n values of w bits from in, which holds at least ps_bits_bytes(n, w) bytes. */
void		ps_bitunpack(const uint8_t *in, uint32_t n, unsigned w, uint64_t *out);

/* Set bits among the first nbits bits of bitmap bm. */
uint32_t	ps_bitmap_count(const uint8_t *bm, uint32_t nbits);
/* True when the bits of bm past nbits in its last byte are zero. */
bool		ps_bitmap_padding_ok(const uint8_t *bm, uint32_t nbits);

/* ------------------------------------------------------------------ codecs */

/* INT: encoded size in mode (AUTO: the smaller), and the encoder. */
size_t		ps_codec_int_size(const int64_t *v, uint32_t n, ps_codec_mode mode);
ps_status	ps_codec_int_encode(ps_buf *out, const int64_t *v, uint32_t n, ps_codec_mode mode);
ps_status	ps_codec_int_decode(ps_reader *r, uint32_t n, int64_t *out);

/* Times (any int64 order; a block's are ascending).  mode: AUTO, FOR or DELTA. */
ps_status	ps_codec_time_encode(ps_buf *out, const int64_t *t, uint32_t n, ps_codec_mode mode);
ps_status	ps_codec_time_decode(ps_reader *r, uint32_t n, int64_t *out);

/*
 * Floats: *codec receives PS_CODEC_GORILLA or PS_CODEC_DECIMAL (AUTO: the
 * smaller, DECIMAL only when every value is a short decimal).
 */
ps_status	ps_codec_float_encode(ps_buf *out, const double *v, uint32_t n, ps_codec_mode mode,
								  uint8_t *codec);
ps_status	ps_codec_float_decode(ps_reader *r, uint8_t codec, uint32_t n, double *out);
/* The smallest k (0..9) that makes every v[i] a DECIMAL, filling m[i]; -1 if none. */
int			ps_codec_decimal_scale(const double *v, uint32_t n, int64_t *m);

/* Booleans (bytes 0/1; any non-zero byte counts as true on encode). */
ps_status	ps_codec_bool_encode(ps_buf *out, const uint8_t *b, uint32_t n);
ps_status	ps_codec_bool_decode(ps_reader *r, uint32_t n, uint8_t *out);

/* Strings: *codec receives PS_CODEC_DICT or PS_CODEC_PLAIN. */
typedef struct ps_strref {
	const char *ptr;
	uint32_t	len;
} ps_strref;

ps_status	ps_codec_str_encode(ps_buf *out, const ps_strref *s, uint32_t n, ps_codec_mode mode,
								uint8_t *codec);
/*
 * Decode n strings: string i is data->data[off[i] .. off[i+1]), off[0] = 0.
 * data is reset first and gets 16 bytes of slack past the strings (so it
 * is never NULL after a success).  More than max_bytes of strings in all
 * is PS_ECORRUPT (a dictionary repeats entries: the payload size alone does
 * not bound them).
 */
ps_status	ps_codec_str_decode(ps_reader *r, uint8_t codec, uint32_t n, uint32_t *off,
								ps_buf *data, size_t max_bytes);

/*
 * Block statistics (ps_block_meta.c), for the builder: append to meta the
 * statistics of one column of type t from its m dense non-NULL values, in
 * time order, of a block of n rows; rows 0 and n - 1 are non-NULL when
 * first_ok / last_ok.
 */
ps_status	ps_block_stats_put(ps_buf *meta, ps_type t, const void *vals, uint32_t n, uint32_t m,
							   bool first_ok, bool last_ok);

#endif
