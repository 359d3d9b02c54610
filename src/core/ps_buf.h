/*
 * ps_buf.h — a growable byte buffer used by encoders and protocol frames.
 *
 * A ps_buf owns its data (malloc'd); ps_buf_free releases it.  Appends grow
 * the buffer geometrically; a failed allocation returns PS_ENOMEM and leaves
 * the buffer unchanged.  `len` bytes of `data` are valid; data may be NULL
 * while cap == 0.  Callers reuse one buffer across rows with ps_buf_reset,
 * which keeps the allocation, so steady-state encoding does not allocate.
 */
#ifndef PS_BUF_H
#define PS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "ps_error.h"

typedef struct ps_buf {
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} ps_buf;

#define PS_BUF_INIT {NULL, 0, 0}

void		ps_buf_free(ps_buf *b);
static inline void ps_buf_reset(ps_buf *b) { b->len = 0; }
ps_status	ps_buf_reserve(ps_buf *b, size_t extra);	/* room for extra more bytes */
ps_status	ps_buf_append(ps_buf *b, const void *p, size_t n);
ps_status	ps_buf_append_u8(ps_buf *b, uint8_t v);
ps_status	ps_buf_append_u32be(ps_buf *b, uint32_t v);
ps_status	ps_buf_append_u64be(ps_buf *b, uint64_t v);
ps_status	ps_buf_append_varint(ps_buf *b, uint64_t v);	/* LEB128 */

/*
 * Write the LEB128 encoding of v (1..PS_VARINT_MAX bytes) to out and return
 * its length; for encoders that reserve once and then write in place.
 */
#define PS_VARINT_MAX 10
size_t		ps_varint_encode(uint8_t out[PS_VARINT_MAX], uint64_t v);
ps_status	ps_buf_printf(ps_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Bounds-checked reading of a byte range.  A reader never reads past end;
 * every getter returns PS_ECORRUPT (leaving *out and the reader untouched)
 * on truncation.  ps_read_varint accepts only the canonical (shortest)
 * encoding of a value that fits in 64 bits, so overlong or overflowing
 * varints are PS_ECORRUPT too.
 */
typedef struct ps_reader {
	const uint8_t *p;
	const uint8_t *end;
} ps_reader;

static inline void ps_reader_init(ps_reader *r, const void *p, size_t n)
{
	r->p = (const uint8_t *) p;
	r->end = n ? r->p + n : r->p;	/* NULL + 0 is undefined in C */
}
static inline size_t ps_reader_left(const ps_reader *r) { return (size_t) (r->end - r->p); }
ps_status	ps_read_u8(ps_reader *r, uint8_t *out);
ps_status	ps_read_u32be(ps_reader *r, uint32_t *out);
ps_status	ps_read_u64be(ps_reader *r, uint64_t *out);
ps_status	ps_read_varint(ps_reader *r, uint64_t *out);
ps_status	ps_read_bytes(ps_reader *r, size_t n, const uint8_t **out);	/* no copy */

#endif
