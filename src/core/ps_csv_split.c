/*
 * ps_csv_split.c — the quote-free fast path of CSV loads: records at CR/LF,
 * fields at the delimiter, found 64 bytes at a time.
 *
 * libcsv reads a byte at a time through a state machine and copies every
 * field; on input without a quote character that machine only ever splits
 * at CR, LF and the delimiter.  Here those bytes are found as a bit mask per
 * 64-byte block (SSE2 compares where the compiler has them, a byte loop
 * elsewhere and for the last partial block), and fields are written out as
 * offsets, so nothing is copied.  ps_csv_fast.c calls this only for bytes
 * that hold no quote, start at a record boundary and end with a line end:
 * every record seen here is whole.
 *
 * Invariants.
 *  - What is written out is exactly what libcsv (CSV_STRICT,
 *    CSV_EMPTY_IS_NULL, no trimming) gives for the same bytes.  A record
 *    that is not regular (a field count other than ncols, more than
 *    max_record bytes: bad rows, whose reasons the loader words) is left to
 *    the caller, which parses it field by field as libcsv would.
 *  - s->pos only moves to a record boundary (just after a line end, or the
 *    start of an irregular record), and s->line is always that byte's line.
 */
#include "ps_csv.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BLOCK 64

/* Bit i set: p[i] is the delimiter, CR or LF (n <= BLOCK bytes). */
static inline uint64_t
mask_bytes(const unsigned char *p, size_t n, unsigned char delim)
{
	uint64_t	m = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i] == delim || p[i] == '\n' || p[i] == '\r')
			m |= (uint64_t) 1 << i;
	return m;
}

/* The same for a whole block. */
static inline uint64_t
mask_block(const unsigned char *p, unsigned char delim)
{
#if defined(__SSE2__)
	const __m128i d = _mm_set1_epi8((char) delim);
	const __m128i lf = _mm_set1_epi8('\n');
	const __m128i cr = _mm_set1_epi8('\r');
	uint64_t	m = 0;

	for (int k = 0; k < BLOCK / 16; k++)
	{
		__m128i		v = _mm_loadu_si128((const __m128i *) (const void *) (p + 16 * k));
		__m128i		x = _mm_or_si128(_mm_cmpeq_epi8(v, d),
									 _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));

		m |= (uint64_t) (uint16_t) _mm_movemask_epi8(x) << (16 * k);
	}
	return m;
#else
	return mask_bytes(p, BLOCK, delim);
#endif
}

size_t
ps_csv_line_end(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *) p;
	size_t		i = 0;

	/* The delimiter is never CR or LF: passing LF finds line ends only. */
	for (; len - i >= BLOCK; i += BLOCK)
	{
		uint64_t	m = mask_block(u + i, '\n');

		if (m != 0)
			return i + (size_t) __builtin_ctzll(m);
	}
	for (; i < len; i++)
		if (u[i] == '\n' || u[i] == '\r')
			return i;
	return len;
}

static inline ps_csv_field
field_at(const ps_csv_split *s, size_t start, size_t from, size_t to)
{
	ps_csv_field f;

	f.off = s->base + (uint32_t) (from - start);
	f.len = (uint32_t) (to - from);
	f.is_null = to == from;
	return f;
}

void
ps_csv_split_records(ps_csv_split *s)
{
	const unsigned char *d = (const unsigned char *) s->data;
	const unsigned char delim = (unsigned char) s->delim;
	const uint32_t ncols = s->ncols;
	const size_t start = s->pos;
	size_t		rec = start;	/* first byte after the last line end */
	size_t		field = start;	/* first byte of the current field */
	uint32_t	nf = 0;			/* fields of the current record ended so far */
	size_t		nrec = 0;
	ps_csv_field *out = s->fields;
	int64_t		line = s->line;
	size_t		q = 0;

	s->nrecords = 0;
	s->irregular_end = 0;
	for (size_t blk = start; blk < s->len; blk += BLOCK)
	{
		size_t		n = s->len - blk;
		uint64_t	m = n >= BLOCK ? mask_block(d + blk, delim) : mask_bytes(d + blk, n, delim);

		while (m != 0)
		{
			q = blk + (size_t) __builtin_ctzll(m);
			m &= m - 1;
			if (d[q] == delim)
			{
				/* Ends field nf and opens one more: at most ncols in all. */
				if (nf + 1 >= ncols)
					goto irregular;
				out[nf++] = field_at(s, start, field, q);
				field = q + 1;
				continue;
			}
			/* CR or LF: the end of a record, or of an empty line (ignored). */
			if (q > rec)
			{
				if (nf + 1 != ncols || q - rec > s->max_record)
					goto irregular;
				out[nf] = field_at(s, start, field, q);
				out += ncols;
				s->lines[nrec++] = line;
				nf = 0;
			}
			if (d[q] == '\n')
				line++;
			rec = field = q + 1;
			if (nrec == s->max_records || rec - start >= s->max_bytes)
				goto done;
		}
	}
done:
	/* The input ends with a line end, so here rec is past the last record. */
	s->pos = rec;
	s->line = line;
	s->nrecords = nrec;
	return;

irregular:
	s->pos = rec;
	s->line = line;
	s->nrecords = nrec;
	if (d[q] == '\n' || d[q] == '\r')
		s->irregular_end = q;
	else
		s->irregular_end = q + 1 + ps_csv_line_end(s->data + q + 1, s->len - q - 1);
}
