/*
 * ps_row.c — encoding of row keys and row values (layout in ps_row.h).
 *
 * Invariants: an encoded value is canonical — one byte string per content
 * (zero bitmap padding, shortest varints, booleans 0/1, tag 0 only in the
 * untagged form) — because dedup tables hash it into the row id; decoders
 * reject anything else with PS_ECORRUPT and never read outside [val,
 * val+len).  Encoding validates strings (UTF-8) before writing anything, so a
 * failed encode leaves the output buffer as it was.  Decoding is the hot path
 * of every scan: it allocates nothing, borrows strings from the value bytes
 * and does not re-validate UTF-8 (it was checked when the row was encoded,
 * and RocksDB checksums its blocks).
 */
#include "ps_row.h"

#include <endian.h>
#include <string.h>

#include "ps_schema.h"			/* PS_MAX_COLUMNS bounds a projection */

/* ---------------------------------------------------------------- keys */

static inline void
store_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void
store_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static inline uint64_t
load_be64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/* Flipping the sign bit maps int64 order onto unsigned (memcmp) order. */
#define TIME_SIGN_FLIP (UINT64_C(1) << 63)

void
ps_key_prefix(uint8_t out[12], uint32_t table_id, int64_t time_ns)
{
	store_be32(out, table_id);
	store_be64(out + 4, (uint64_t) time_ns ^ TIME_SIGN_FLIP);
}

void
ps_key_encode(uint8_t out[PS_KEY_LEN], uint32_t table_id, int64_t time_ns, uint64_t row_id)
{
	ps_key_prefix(out, table_id, time_ns);
	store_be64(out + 12, row_id);
}

void
ps_key_decode(const uint8_t key[PS_KEY_LEN], uint32_t *table_id, int64_t *time_ns, uint64_t *row_id)
{
	uint32_t	t;

	memcpy(&t, key, 4);
	*table_id = be32toh(t);
	*time_ns = (int64_t) (load_be64(key + 4) ^ TIME_SIGN_FLIP);
	*row_id = load_be64(key + 12);
}

/* ---------------------------------------------------------------- values */

static inline size_t
bitmap_bytes(uint64_t ncols)
{
	return (size_t) (ncols / 8 + (ncols % 8 != 0));
}

static ps_status row_encode(const ps_type *types, uint32_t n, const ps_value *values,
							uint64_t tag, bool check_utf8, ps_buf *out, ps_error *err);

ps_status
ps_row_encode(const ps_type *types, uint32_t n, const ps_value *values,
			  uint64_t tag, ps_buf *out, ps_error *err)
{
	return row_encode(types, n, values, tag, true, out, err);
}

ps_status
ps_row_encode_stored(const ps_type *types, uint32_t n, const ps_value *values, ps_buf *out,
					 ps_error *err)
{
	return row_encode(types, n, values, 0, false, out, err);
}

static ps_status
row_encode(const ps_type *types, uint32_t n, const ps_value *values,
		   uint64_t tag, bool check_utf8, ps_buf *out, ps_error *err)
{
	size_t		size = 1 + 2 * PS_VARINT_MAX + bitmap_bytes(n);
	uint8_t    *start;
	uint8_t    *p;
	uint8_t    *bitmap;

	for (uint32_t j = 0; j < n; j++)
	{
		const ps_value *v = &values[j];

		if (v->is_null)
			continue;
		switch (types[j])
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
			case PS_TYPE_FLOAT:
				size += 8;
				break;
			case PS_TYPE_BOOLEAN:
				size += 1;
				break;
			case PS_TYPE_STRING:
				if (check_utf8 && !ps_utf8_valid(v->v.s.ptr, v->v.s.len))
					return ps_error_set(err, PS_EINVAL,
										"column %u: string is not valid UTF-8 (or contains a NUL byte)", j + 1);
				if (size > SIZE_MAX - PS_VARINT_MAX - v->v.s.len)
					return ps_error_set(err, PS_ETOOBIG, "row value too large");
				size += PS_VARINT_MAX + v->v.s.len;
				break;
			default:
				return ps_error_set(err, PS_EINVAL, "column %u: invalid type code %d",
									j + 1, (int) types[j]);
		}
	}
	if (ps_buf_reserve(out, size) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "out of memory encoding a row (%zu bytes)", size);

	start = p = out->data + out->len;
	*p++ = tag ? PS_ROW_V1_TAGGED : PS_ROW_V1;
	if (tag)
		p += ps_varint_encode(p, tag);
	p += ps_varint_encode(p, n);
	bitmap = p;
	memset(bitmap, 0, bitmap_bytes(n));
	p += bitmap_bytes(n);

	for (uint32_t j = 0; j < n; j++)
	{
		const ps_value *v = &values[j];
		uint64_t	u;

		if (v->is_null)
		{
			bitmap[j >> 3] |= (uint8_t) (1u << (j & 7));
			continue;
		}
		switch (types[j])
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
				u = htole64((uint64_t) v->v.i);
				memcpy(p, &u, 8);
				p += 8;
				break;
			case PS_TYPE_FLOAT:
				memcpy(&u, &v->v.f, 8);
				u = htole64(u);
				memcpy(p, &u, 8);
				p += 8;
				break;
			case PS_TYPE_BOOLEAN:
				*p++ = v->v.b ? 1 : 0;
				break;
			case PS_TYPE_STRING:
				p += ps_varint_encode(p, v->v.s.len);
				if (v->v.s.len)
					memcpy(p, v->v.s.ptr, v->v.s.len);
				p += v->v.s.len;
				break;
		}
	}
	out->len += (size_t) (p - start);
	return PS_OK;
}

/* Most varints in a value (lengths, counts) fit one byte: skip the call. */
static inline ps_status
read_varint_fast(ps_reader *r, uint64_t *out)
{
	if (r->p < r->end && *r->p < 0x80)
	{
		*out = *r->p++;
		return PS_OK;
	}
	return ps_read_varint(r, out);
}

/* Format byte, optional tag, column count and null bitmap. */
static ps_status
read_header(ps_reader *r, uint64_t *tag, uint64_t *ncols, const uint8_t **bitmap,
			ps_error *err)
{
	uint8_t		format;
	const uint8_t *bm;
	size_t		nb;

	/* Inline reads rather than ps_read_*: this runs once per scanned row. */
	if (r->p == r->end)
		return ps_error_set(err, PS_ECORRUPT, "corrupt row value: empty");
	format = *r->p++;
	*tag = 0;
	if (format == PS_ROW_V1_TAGGED)
	{
		if (read_varint_fast(r, tag) != PS_OK || *tag == 0)
			return ps_error_set(err, PS_ECORRUPT, "corrupt row value: bad load tag");
	}
	else if (format != PS_ROW_V1)
		return ps_error_set(err, PS_ECORRUPT, "corrupt row value: unknown format %u", format);
	if (read_varint_fast(r, ncols) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt row value: bad column count");
	nb = bitmap_bytes(*ncols);
	if (nb > ps_reader_left(r))
		return ps_error_set(err, PS_ECORRUPT, "corrupt row value: truncated null bitmap");
	bm = r->p;
	r->p += nb;
	/* Padding bits past the last column must be zero (canonical form). */
	if ((*ncols % 8) != 0 && (bm[nb - 1] >> (*ncols % 8)) != 0)
		return ps_error_set(err, PS_ECORRUPT, "corrupt row value: bad null bitmap padding");
	*bitmap = bm;
	return PS_OK;
}

ps_status
ps_row_decode(const ps_type *types, uint32_t ntypes, const void *val, size_t len,
			  ps_value *values, uint64_t *tag, ps_error *err)
{
	ps_reader	r;
	uint64_t	t;
	uint64_t	ncols;
	const uint8_t *bitmap;
	uint32_t	held;
	uint32_t	i;
	ps_status	st;

	ps_reader_init(&r, val, len);
	if ((st = read_header(&r, &t, &ncols, &bitmap, err)) != PS_OK)
		return st;
	held = ncols < ntypes ? (uint32_t) ncols : ntypes;

	for (i = 0; i < held; i++)
	{
		ps_value   *v = &values[i];
		uint64_t	u;

		if ((bitmap[i >> 3] >> (i & 7)) & 1)
		{
			v->is_null = true;
			continue;
		}
		v->is_null = false;
		switch (types[i])
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
				if (ps_reader_left(&r) < 8)
					goto truncated;
				memcpy(&u, r.p, 8);
				v->v.i = (int64_t) le64toh(u);
				r.p += 8;
				break;
			case PS_TYPE_FLOAT:
				if (ps_reader_left(&r) < 8)
					goto truncated;
				memcpy(&u, r.p, 8);
				u = le64toh(u);
				memcpy(&v->v.f, &u, 8);
				r.p += 8;
				break;
			case PS_TYPE_BOOLEAN:
				if (r.p >= r.end)
					goto truncated;
				if (*r.p > 1)
					return ps_error_set(err, PS_ECORRUPT,
										"corrupt row value: column %u: boolean byte %u", i + 1, *r.p);
				v->v.b = *r.p++;
				break;
			case PS_TYPE_STRING:
				if (read_varint_fast(&r, &u) != PS_OK || u > ps_reader_left(&r) || u > UINT32_MAX)
					goto truncated;
				v->v.s.ptr = (const char *) r.p;
				v->v.s.len = (uint32_t) u;
				r.p += u;
				break;
			default:
				return ps_error_set(err, PS_EINVAL, "column %u: invalid type code %d",
									i + 1, (int) types[i]);
		}
	}
	/* Columns added after this row was written. */
	for (; i < ntypes; i++)
		values[i].is_null = true;
	/* Extra columns beyond ntypes cannot be checked without their types. */
	if (ncols <= ntypes && r.p != r.end)
		return ps_error_set(err, PS_ECORRUPT, "corrupt row value: %zu trailing bytes",
							ps_reader_left(&r));
	if (tag)
		*tag = t;
	return PS_OK;

truncated:
	return ps_error_set(err, PS_ECORRUPT, "corrupt row value: column %u truncated", i + 1);
}

ps_status
ps_row_tag(const void *val, size_t len, uint64_t *tag)
{
	ps_reader	r;
	uint64_t	ncols;
	const uint8_t *bitmap;

	ps_reader_init(&r, val, len);
	return read_header(&r, tag, &ncols, &bitmap, NULL);
}

/*
 * Where each held column's encoding lies in a value: one validating pass
 * with the checks of ps_row_decode.  A NULL column gets len 0; *held is the
 * number of columns the value holds, capped at ntypes.
 */
typedef struct column_span {
	const uint8_t *p;
	uint32_t	len;			/* 0: NULL */
} column_span;

static ps_status
value_spans(const ps_type *types, uint32_t ntypes, const void *val, size_t len,
			column_span *spans, uint64_t *ncols_out, uint32_t *held_out, uint64_t *tag,
			ps_error *err)
{
	ps_reader	r;
	uint64_t	ncols;
	const uint8_t *bitmap;
	uint32_t	held;
	uint32_t	i;
	ps_status	st;

	ps_reader_init(&r, val, len);
	if ((st = read_header(&r, tag, &ncols, &bitmap, err)) != PS_OK)
		return st;
	held = ncols < ntypes ? (uint32_t) ncols : ntypes;
	for (i = 0; i < held; i++)
	{
		const uint8_t *at = r.p;
		uint64_t	u;

		if ((bitmap[i >> 3] >> (i & 7)) & 1)
		{
			spans[i].len = 0;
			continue;
		}
		switch (types[i])
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
			case PS_TYPE_FLOAT:
				if (ps_reader_left(&r) < 8)
					goto truncated;
				r.p += 8;
				break;
			case PS_TYPE_BOOLEAN:
				if (r.p >= r.end)
					goto truncated;
				if (*r.p > 1)
					return ps_error_set(err, PS_ECORRUPT,
										"corrupt row value: column %u: boolean byte %u", i + 1, *r.p);
				r.p++;
				break;
			case PS_TYPE_STRING:
				if (read_varint_fast(&r, &u) != PS_OK || u > ps_reader_left(&r) || u > UINT32_MAX)
					goto truncated;
				r.p += u;
				break;
			default:
				return ps_error_set(err, PS_EINVAL, "column %u: invalid type code %d",
									i + 1, (int) types[i]);
		}
		if (r.p - at > UINT32_MAX)
			goto truncated;
		spans[i].p = at;
		spans[i].len = (uint32_t) (r.p - at);
	}
	if (ncols <= ntypes && r.p != r.end)
		return ps_error_set(err, PS_ECORRUPT, "corrupt row value: %zu trailing bytes",
							ps_reader_left(&r));
	*ncols_out = ncols;
	*held_out = held;
	return PS_OK;

truncated:
	return ps_error_set(err, PS_ECORRUPT, "corrupt row value: column %u truncated", i + 1);
}

/*
 * The encoding of a non-NULL column is the same in every value (canonical
 * form), so projection copies the columns' bytes instead of decoding and
 * re-encoding them.
 */
ps_status
ps_row_project(const ps_type *types, uint32_t ntypes, const void *val, size_t len,
			   const uint32_t *cols, uint32_t ncols, ps_buf *out, ps_error *err)
{
	column_span spans[PS_MAX_COLUMNS];
	uint64_t	nvalue = 0;
	uint32_t	held = 0;
	uint64_t	tag;
	size_t		size;
	bool		identity;
	uint8_t    *p;
	uint8_t    *bitmap;
	ps_status	st;

	if (ntypes > PS_MAX_COLUMNS)
		return ps_error_set(err, PS_EINVAL, "projection of %u columns exceeds the maximum of %d",
							ntypes, PS_MAX_COLUMNS);
	for (uint32_t j = 0; j < ncols; j++)
		if (cols[j] >= ntypes)
			return ps_error_set(err, PS_EINVAL, "projected column index %u out of range (%u columns)",
								cols[j], ntypes);
	if ((st = value_spans(types, ntypes, val, len, spans, &nvalue, &held, &tag, err)) != PS_OK)
		return st;

	/* Every column the untagged value holds, in order: the value itself. */
	identity = tag == 0 && ncols == held && nvalue == held;
	for (uint32_t j = 0; identity && j < ncols; j++)
		identity = cols[j] == j;
	if (identity)
		return ps_buf_append(out, val, len) == PS_OK ? PS_OK
			: ps_error_set(err, PS_ENOMEM, "out of memory projecting a row (%zu bytes)", len);

	size = 1 + PS_VARINT_MAX + bitmap_bytes(ncols);
	for (uint32_t j = 0; j < ncols; j++)
		if (cols[j] < held)
			size += spans[cols[j]].len;
	if (ps_buf_reserve(out, size) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "out of memory projecting a row (%zu bytes)", size);
	p = out->data + out->len;
	*p++ = PS_ROW_V1;
	p += ps_varint_encode(p, ncols);
	bitmap = p;
	memset(bitmap, 0, bitmap_bytes(ncols));
	p += bitmap_bytes(ncols);
	for (uint32_t j = 0; j < ncols; j++)
	{
		uint32_t	c = cols[j];

		/* Columns added after the row was written are NULL, as in decoding. */
		if (c >= held || spans[c].len == 0)
		{
			bitmap[j >> 3] |= (uint8_t) (1u << (j & 7));
			continue;
		}
		memcpy(p, spans[c].p, spans[c].len);
		p += spans[c].len;
	}
	out->len = (size_t) (p - out->data);
	return PS_OK;
}

/* ---------------------------------------------------------------- hash */

/*
 * XXH64 (Yann Collet's xxHash, 64-bit variant, as specified in
 * xxhash_spec.md); no installed library exports it, and its output is part
 * of the storage format (dedup row ids), so it must never change.
 */
#define XXH_P1 UINT64_C(0x9E3779B185EBCA87)
#define XXH_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define XXH_P3 UINT64_C(0x165667B19E3779F9)
#define XXH_P4 UINT64_C(0x85EBCA77C2B2AE63)
#define XXH_P5 UINT64_C(0x27D4EB2F165667C5)

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline uint64_t
xxh64_round(uint64_t acc, uint64_t input)
{
	acc += input * XXH_P2;
	acc = rotl64(acc, 31);
	return acc * XXH_P1;
}

static inline uint64_t
xxh64_merge(uint64_t acc, uint64_t v)
{
	acc ^= xxh64_round(0, v);
	return acc * XXH_P1 + XXH_P4;
}

static uint64_t
xxh64(const uint8_t *p, size_t len, uint64_t seed)
{
	const uint8_t *end = p + len;
	uint64_t	h;

	if (len >= 32)
	{
		uint64_t	v1 = seed + XXH_P1 + XXH_P2;
		uint64_t	v2 = seed + XXH_P2;
		uint64_t	v3 = seed;
		uint64_t	v4 = seed - XXH_P1;

		do
		{
			v1 = xxh64_round(v1, load_le64(p));
			v2 = xxh64_round(v2, load_le64(p + 8));
			v3 = xxh64_round(v3, load_le64(p + 16));
			v4 = xxh64_round(v4, load_le64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xxh64_merge(h, v1);
		h = xxh64_merge(h, v2);
		h = xxh64_merge(h, v3);
		h = xxh64_merge(h, v4);
	}
	else
		h = seed + XXH_P5;
	h += (uint64_t) len;

	for (; end - p >= 8; p += 8)
	{
		h ^= xxh64_round(0, load_le64(p));
		h = rotl64(h, 27) * XXH_P1 + XXH_P4;
	}
	if (end - p >= 4)
	{
		uint32_t	w;

		memcpy(&w, p, 4);
		h ^= (uint64_t) le32toh(w) * XXH_P1;
		h = rotl64(h, 23) * XXH_P2 + XXH_P3;
		p += 4;
	}
	for (; p < end; p++)
	{
		h ^= *p * XXH_P5;
		h = rotl64(h, 11) * XXH_P1;
	}
	h ^= h >> 33;
	h *= XXH_P2;
	h ^= h >> 29;
	h *= XXH_P3;
	h ^= h >> 32;
	return h;
}

/* The time is the seed, so equal values at different times hash apart. */
uint64_t
ps_row_hash(int64_t time_ns, const void *val, size_t len)
{
	return xxh64((const uint8_t *) val, len, (uint64_t) time_ns);
}
