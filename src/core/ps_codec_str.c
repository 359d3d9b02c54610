/*
 * ps_codec_str.c — strings: a per-block dictionary with bit-packed
 * indexes, or plain lengths and bytes (layouts in ps_codec.h).
 *
 * Columns such as exchange or side hold a handful of values: the
 * dictionary stores each once and a row costs bits(ndict - 1) bits.  Free
 * text has few repeats, where the dictionary only adds indexes: both sizes
 * are computed exactly and the smaller is written.  Dictionary entries are
 * in order of first appearance, so one content has one encoding.
 *
 * Decoding materialises every row's bytes contiguously (the reader's
 * str_off/str_data form).  A dictionary lets a few payload bytes stand for
 * many output bytes, so the caller's max_bytes bounds the output; plain
 * strings are bounded by the payload itself.
 */
#include "ps_codec.h"

#define HASH_SLOTS (2 * PS_CODEC_MAX_VALUES)	/* power of two, load <= 1/2 */
#define SMALL_DICT 1024			/* dictionary bytes copied to the stack to decode */

static inline uint32_t
str_hash(const char *p, uint32_t len)
{
	uint64_t	h = 0x9E3779B97F4A7C15ULL ^ len;

	/* Word at a time: long free-text values should not cost a byte loop. */
	for (; len >= 8; len -= 8, p += 8)
		h = (h ^ ps_load64le((const uint8_t *) p)) * 0xff51afd7ed558ccdULL;
	for (; len; len--, p++)
		h = (h ^ (uint8_t) *p) * 0x100000001b3ULL;
	h ^= h >> 29;
	return (uint32_t) h;
}

/* Dictionary of s[0..n): entry e is s[first[e]]; idx[i] is row i's entry. */
static uint32_t
build_dict(const ps_strref *s, uint32_t n, uint16_t *first, uint16_t *idx)
{
	uint16_t	slot[HASH_SLOTS];	/* entry + 1, 0 = empty */
	uint32_t	nd = 0;

	memset(slot, 0, sizeof slot);
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	h = str_hash(s[i].ptr, s[i].len) & (HASH_SLOTS - 1);

		for (;;)
		{
			uint16_t	e = slot[h];

			if (e == 0)
			{
				first[nd] = (uint16_t) i;
				slot[h] = (uint16_t) ++nd;
				idx[i] = (uint16_t) (nd - 1);
				break;
			}
			if (s[first[e - 1]].len == s[i].len &&
				(s[i].len == 0 || memcmp(s[first[e - 1]].ptr, s[i].ptr, s[i].len) == 0))
			{
				idx[i] = (uint16_t) (e - 1);
				break;
			}
			h = (h + 1) & (HASH_SLOTS - 1);
		}
	}
	return nd;
}

static ps_status
append_strings(ps_buf *out, const ps_strref *s, const uint16_t *which, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
	{
		const ps_strref *e = &s[which ? which[i] : i];

		if (ps_buf_append(out, e->ptr, e->len) != PS_OK)
			return PS_ENOMEM;
	}
	return PS_OK;
}

ps_status
ps_codec_str_encode(ps_buf *out, const ps_strref *s, uint32_t n, ps_codec_mode mode,
					uint8_t *codec)
{
	int64_t		lens[PS_CODEC_MAX_VALUES];
	int64_t		dlens[PS_CODEC_MAX_VALUES];
	uint16_t	first[PS_CODEC_MAX_VALUES];
	uint16_t	idx[PS_CODEC_MAX_VALUES];
	uint64_t	total = 0;
	uint64_t	dtotal = 0;
	uint64_t	plain_size;
	uint64_t	dict_size;
	uint32_t	nd;
	unsigned	w;
	size_t		len0 = out->len;
	ps_status	st;

	if (n > PS_CODEC_MAX_VALUES)
		return PS_EINVAL;
	*codec = PS_CODEC_PLAIN;
	if (n == 0)
		return PS_OK;
	for (uint32_t i = 0; i < n; i++)
	{
		lens[i] = s[i].len;
		total += s[i].len;
	}
	nd = build_dict(s, n, first, idx);
	for (uint32_t e = 0; e < nd; e++)
	{
		dlens[e] = s[first[e]].len;
		dtotal += s[first[e]].len;
	}
	w = ps_bits_width(nd - 1);
	plain_size = ps_codec_int_size(lens, n, PS_CODEC_AUTO) + total;
	dict_size = ps_varint_size(nd) + ps_codec_int_size(dlens, nd, PS_CODEC_AUTO) + dtotal +
		ps_bits_bytes(n, w);
	if (mode == PS_CODEC_FORCE_PLAIN || (mode != PS_CODEC_FORCE_DICT && plain_size <= dict_size))
	{
		if ((st = ps_codec_int_encode(out, lens, n, PS_CODEC_AUTO)) != PS_OK ||
			(st = append_strings(out, s, NULL, n)) != PS_OK)
			goto fail;
		return PS_OK;
	}
	if ((st = ps_buf_append_varint(out, nd)) != PS_OK ||
		(st = ps_codec_int_encode(out, dlens, nd, PS_CODEC_AUTO)) != PS_OK ||
		(st = append_strings(out, s, first, nd)) != PS_OK ||
		(st = ps_buf_reserve(out, ps_bits_bytes(n, w))) != PS_OK)
		goto fail;
	{
		ps_bitw		bw;

		ps_bitw_init(&bw, out->data + out->len);
		for (uint32_t i = 0; i < n; i++)
			ps_bitw_put(&bw, idx[i], w);
		out->len = (size_t) (ps_bitw_flush(&bw) - out->data);
	}
	*codec = PS_CODEC_DICT;
	return PS_OK;

fail:
	out->len = len0;
	return st;
}

/* n lengths through INT, each within the bytes left; *total their sum. */
static ps_status
read_lengths(ps_reader *r, uint32_t n, int64_t *lens, uint64_t *total)
{
	uint64_t	sum = 0;
	size_t		left;

	if (ps_codec_int_decode(r, n, lens) != PS_OK)
		return PS_ECORRUPT;
	left = ps_reader_left(r);
	for (uint32_t i = 0; i < n; i++)
	{
		/* Unsigned compare: negative lengths are huge. */
		if ((uint64_t) lens[i] > left)
			return PS_ECORRUPT;
		sum += (uint64_t) lens[i];
	}
	if (sum > left)
		return PS_ECORRUPT;
	*total = sum;
	return PS_OK;
}

static ps_status
decode_plain(ps_reader *r, uint32_t n, uint32_t *off, ps_buf *data, size_t max_bytes)
{
	int64_t		lens[PS_CODEC_MAX_VALUES];
	const uint8_t *bytes;
	uint64_t	total;

	if (read_lengths(r, n, lens, &total) != PS_OK || total > max_bytes ||
		ps_read_bytes(r, (size_t) total, &bytes) != PS_OK)
		return PS_ECORRUPT;
	if (ps_buf_reserve(data, (size_t) total + 16) != PS_OK)
		return PS_ENOMEM;
	memcpy(data->data, bytes, (size_t) total);
	data->len = (size_t) total;
	off[0] = 0;
	for (uint32_t i = 0; i < n; i++)
		off[i + 1] = off[i] + (uint32_t) lens[i];
	return PS_OK;
}

static ps_status
decode_dict(ps_reader *r, uint32_t n, uint32_t *off, ps_buf *data, size_t max_bytes)
{
	int64_t		dlens[PS_CODEC_MAX_VALUES];
	uint32_t	dstart[PS_CODEC_MAX_VALUES];
	uint64_t	idx[PS_CODEC_MAX_VALUES];
	const uint8_t *dict;
	const uint8_t *bits;
	uint64_t	nd;
	uint64_t	dtotal;
	uint64_t	total = 0;
	uint64_t	maxlen = 0;
	unsigned	w;
	char	   *dst;

	if (ps_read_varint(r, &nd) != PS_OK || nd == 0 || nd > n ||
		read_lengths(r, (uint32_t) nd, dlens, &dtotal) != PS_OK ||
		ps_read_bytes(r, (size_t) dtotal, &dict) != PS_OK)
		return PS_ECORRUPT;
	dstart[0] = 0;
	for (uint32_t e = 1; e < nd; e++)
		dstart[e] = dstart[e - 1] + (uint32_t) dlens[e - 1];
	for (uint32_t e = 0; e < nd; e++)
		maxlen = (uint64_t) dlens[e] > maxlen ? (uint64_t) dlens[e] : maxlen;
	w = ps_bits_width(nd - 1);
	if (ps_read_bytes(r, ps_bits_bytes(n, w), &bits) != PS_OK)
		return PS_ECORRUPT;
	ps_bitunpack(bits, n, w, idx);
	for (uint32_t i = 0; i < n; i++)
	{
		if (idx[i] >= nd)
			return PS_ECORRUPT;
		total += (uint64_t) dlens[idx[i]];
	}
	if (total > max_bytes)
		return PS_ECORRUPT;
	if (ps_buf_reserve(data, (size_t) total + 16) != PS_OK)
		return PS_ENOMEM;
	dst = (char *) data->data;
	off[0] = 0;
	if (dtotal <= SMALL_DICT && maxlen <= 16)
	{
		/*
		 * Short entries (venues, sides): fixed 16-byte copies from a padded
		 * copy of the dictionary into data's 16 bytes of slack, no memcpy
		 * call per row.
		 */
		uint8_t		pad[SMALL_DICT + 16];

		memcpy(pad, dict, (size_t) dtotal);
		for (uint32_t i = 0; i < n; i++)
		{
			uint32_t	len = (uint32_t) dlens[idx[i]];

			memcpy(dst + off[i], pad + dstart[idx[i]], 16);
			off[i + 1] = off[i] + len;
		}
	}
	else
		for (uint32_t i = 0; i < n; i++)
		{
			uint32_t	len = (uint32_t) dlens[idx[i]];

			memcpy(dst + off[i], dict + dstart[idx[i]], len);
			off[i + 1] = off[i] + len;
		}
	data->len = (size_t) total;
	return PS_OK;
}

ps_status
ps_codec_str_decode(ps_reader *r, uint8_t codec, uint32_t n, uint32_t *off, ps_buf *data,
					size_t max_bytes)
{
	data->len = 0;
	if (max_bytes > UINT32_MAX - 16)
		max_bytes = UINT32_MAX - 16;	/* offsets are 32-bit */
	if (n > PS_CODEC_MAX_VALUES)
		return PS_ECORRUPT;
	off[0] = 0;
	if (n == 0)
		return ps_buf_reserve(data, 16);
	if (codec == PS_CODEC_PLAIN)
		return decode_plain(r, n, off, data, max_bytes);
	if (codec == PS_CODEC_DICT)
		return decode_dict(r, n, off, data, max_bytes);
	return PS_ECORRUPT;
}
