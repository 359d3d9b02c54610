/*
 * ps_frame_int.h — what the modules of the protocol's frame layer share.
 * The layer is split by job: ps_frame_io.c (frames over sockets),
 * ps_frame_prim.c (payload primitives), ps_frame_filter.c (SCAN_OPEN's
 * series filters), ps_frame_msg.c (message names and per-message encoders
 * and decoders), ps_frame_agg.c (AGGREGATE), ps_frame_ops.c (backups and
 * loads in progress) and ps_frame_rows.c (the ROWS column vectors).  Not a
 * public header; linked into the PostgreSQL extension with them.
 */
#ifndef PS_FRAME_INT_H
#define PS_FRAME_INT_H

#include "ps_frame.h"

/* Smallest encodings of repeated items, for ps_frame_get_count. */
#define MIN_STR 1				/* varint 0 */
#define MIN_ERROR (2 + 8 + 4 + MIN_STR)

/* ps_frame_prim.c */
/* A string's bytes, borrowed: like ps_frame_get_bytes, but a NUL inside is malformed. */
ps_status	ps_frame_get_str_bytes(ps_reader *r, const uint8_t **p, size_t *n);

/* ps_frame_filter.c */
/* PS_EINVAL when filters cannot be sent (caps, types, missing arrays). */
ps_status	ps_frame_check_filters(const ps_filter_spec *filters, uint32_t n);
/* Append the filter count and the filters, which passed ps_frame_check_filters. */
ps_status	ps_frame_put_filters(ps_buf *b, const ps_filter_spec *filters, uint32_t n);
/* Decode the filter count and the filters into m->nfilters and m->filters. */
ps_status	ps_frame_get_filters(ps_reader *r, ps_msg_scan_open *m);

/* ps_frame_msg.c */
/* Zeroed array of n elements (never NULL for n == 0, so "decoded" is clear). */
void	   *ps_frame_alloc_array(uint32_t n, size_t size);
/* Free v[0..n) (entries may be NULL) and v. */
void		ps_frame_free_strings(char **v, uint32_t n);
/* The SCAN_START fields (SCAN_OPEN's, then the batch caps), which AGGREGATE begins with. */
ps_status	ps_frame_get_scan_start(ps_reader *r, ps_msg_scan_open *m);

#endif
