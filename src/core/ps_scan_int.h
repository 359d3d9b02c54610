/*
 * ps_scan_int.h — what the parts of the read path share: ps_scan.c
 * (merging blocks into the scan's order), ps_scan_blocks.c (choosing
 * them), ps_scan_batch.c (handing rows out as column vectors or encoded
 * rows) and ps_scan_estimate.c (row estimates from block metadata).
 * Not a public header.
 *
 * The contract between them: ps_scan_top makes the heap's top cursor a
 * decoded block positioned at the next row in scan order; ps_scan_run says
 * how many rows from there come before any row of another block, so they
 * can be copied as one run; ps_scan_consume moves past rows of the top
 * cursor.  The scan's offset and limit are the batch side's business.
 */
#ifndef PS_SCAN_INT_H
#define PS_SCAN_INT_H

#include "ps_block.h"
#include "ps_store_int.h"

typedef struct block_ref {
	uint8_t		key[PS_BLOCK_KEY_LEN];
	uint32_t	series;
	uint32_t	rows;
	int64_t		min_time, max_time;
	uint32_t	meta_off, meta_len;	/* in sc->metas, when the scan keeps them */
} block_ref;

typedef struct cursor {
	const block_ref *ref;
	ps_block_reader *r;			/* NULL until decoded; read-only when ce is set */
	ps_cached_block *ce;		/* r's entry in the store's decoded-block cache, or NULL */
	uint32_t	pos;			/* next row (descending: one past it) */
	uint32_t	end;			/* where pos stops: past the last row in range (descending: the first) */
	int64_t		at;				/* heap key: time of the next row (or block edge) */
	uint32_t	tuple_off, tuple_len;	/* in sc->tuples */
} cursor;

/* Column vectors of one batch, per schema column (ps_scan_batch.c). */
typedef struct batch_vectors {
	uint32_t	cap;			/* rows every array can hold */
	int64_t    *times;
	ps_scan_vector *cols;		/* per schema column; arrays owned here */
	uint8_t   **nulls;			/* per column: bitmap of cap bits */
	ps_buf	   *strings;		/* per STRING column: the batch's string bytes */
} batch_vectors;

struct ps_scan {
	ps_store   *st;
	ps_schema  *schema;
	uint32_t	table_id;
	uint32_t   *inflight;
	uint32_t	ninflight;
	uint64_t	meta_version;	/* the table's, with the snapshot (ps_meta_dir.h) */
	const rocksdb_snapshot_t *snap;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *meta_it;
	int64_t		lo, hi;			/* the slice being read (see next_slice) */
	int64_t		range_lo, range_hi;	/* the whole range, clipped to the table */
	int64_t		slice_width;	/* 0: one slice, the whole range */
	int64_t		span;			/* the table's max block span */
	bool		descending;
	bool		unordered;		/* one block at a time, in key order */
	uint64_t	to_skip;
	uint64_t	remaining;		/* UINT64_MAX = unlimited */

	bool		all_series;		/* no filter */
	uint32_t   *series;			/* sorted ids passing the filters */
	uint32_t	nseries;

	bool		started, finished;
	int32_t		partition;		/* the one being merged */
	block_ref  *refs;			/* the partition's blocks, in the order they join the merge */
	size_t		nrefs, refs_cap, next_ref;
	cursor	   *heap;
	size_t		nheap;
	ps_block_reader **pool;		/* decoded readers no cursor uses */
	size_t		npool, pool_cap;
	ps_block_cache *cache;		/* shared decoded blocks, or NULL (none configured) */
	size_t		cache_put;		/* bytes this scan entered in it */

	/* block and row layout */
	uint32_t	nblock;
	uint32_t   *block_cols;		/* per block column: its schema column */
	ps_type    *block_types;
	bool	   *block_want;		/* per block column: decode it */
	bool	   *want;			/* per schema column: hand it out */
	uint32_t	nvalue;
	ps_type    *value_types;
	uint32_t   *value_pos;		/* per schema column: its value index, or UINT32_MAX */
	ps_value   *row;			/* per schema column */
	ps_value   *vals;			/* value columns, for the row encoder */
	ps_buf		out;
	ps_buf		tuples;			/* key tuples of series seen, copied from the dictionary */
	uint32_t   *tuple_slots;	/* series id -> index into tuple_index + 1 (open addressing) */
	uint32_t	ntuple_slots, ntuples;
	uint32_t   *tuple_ids, *tuple_offs;	/* per cached tuple */
	rocksdb_pinnableslice_t *block_slice;
	bool		keep_meta;		/* keep the partition's meta bytes (aggregates) */
	ps_buf		metas;
	/* ps_scan_latest: 1 newest rows, -1 oldest, 0 every block in range */
	int			latest;
	uint32_t   *latest_series;	/* sorted ids of the series not found yet */
	uint32_t	nlatest;

	/* handing rows out (ps_scan_batch.c) */
	batch_vectors vec;
	ps_scan_batch batch;		/* what ps_scan_next_batch returned last */
	uint32_t	batch_pos;		/* ps_scan_next: next row of batch */
	bool		batch_done;		/* ps_scan_next: the scan ended with batch */
};

/*
 * Make the heap's top cursor a decoded block positioned at the scan's next
 * row, in *out; NULL when the scan has no more rows (sc->finished is then
 * set).
 */
ps_status	ps_scan_top(ps_scan *sc, cursor **out, ps_error *err);
/*
 * Rows (1..max) of the top cursor c, from its position, that come before
 * every row of the other blocks in the scan's order.
 */
uint32_t	ps_scan_run(const ps_scan *sc, const cursor *c, uint32_t max);
/* Move the top cursor past n rows (at most those ps_scan_run allowed). */
void		ps_scan_consume(ps_scan *sc, uint32_t n);

/*
 * Block by block, for aggregates (ps_agg.c), on an unordered scan: *out is
 * the top cursor as ps_scan_top's but not decoded yet (c->r NULL) when its
 * block is new; ps_scan_pass drops it unread (its rows answered from its
 * metadata), or ps_scan_top decodes it.  After ps_scan_keep_meta, called
 * before the first block, each ref's meta bytes are in sc->metas.
 */
ps_status	ps_scan_peek(ps_scan *sc, cursor **out, ps_error *err);
void		ps_scan_pass(ps_scan *sc);
void		ps_scan_keep_meta(ps_scan *sc);
/*
 * The key tuple of a series (ps_series.h) at sc->tuples[*off, *off + *len),
 * copied from the table's dictionary once per scan.
 */
ps_status	ps_scan_series_tuple(ps_scan *sc, uint32_t series, uint32_t *off, uint32_t *len,
								 ps_error *err);

void		ps_scan_vectors_free(batch_vectors *v, uint32_t ncolumns);

/*
 * The partition after (descending: before) p, or the first one in range
 * when first, in *next; false when there is none in the scan's range.
 */
bool		ps_scan_next_partition(ps_scan *sc, bool first, int32_t p, int32_t *next);
/* Collect partition p's blocks that may hold rows of the scan into sc->refs. */
ps_status	ps_scan_start_partition(ps_scan *sc, int32_t p, ps_error *err);
/* ps_scan_blocks.c: add the blocks of partition p the scan reads to sc->refs. */
ps_status	ps_scan_collect(ps_scan *sc, int32_t p, ps_error *err);
/* The meta iterator's error, if it has one. */
ps_status	ps_scan_iter_status(rocksdb_iterator_t *it, ps_error *err);
/* Is seq a load that was in flight when the scan opened (its blocks unseen)? */
bool		ps_scan_in_flight(const ps_scan *sc, uint32_t seq);
/*
 * Add the block of key k (decoded in bk; meta bytes v[0..vlen), whose row
 * count and time bounds are rows, mn, mx) to the partition's sc->refs.
 */
ps_status	ps_scan_add_block(ps_scan *sc, const uint8_t *k, const ps_block_key *bk,
							  const char *v, size_t vlen, uint32_t rows, int64_t mn, int64_t mx,
							  ps_error *err);

/*
 * Newest (oldest) rows only (ps_scan_latest.c), on an unordered scan before
 * its first block: partitions are walked from the newest (oldest) down (up)
 * and each series' blocks only while they may hold a row newer (older) than
 * one it is known to have in range; a series is done with the first
 * partition that holds such a row, and the scan with the last series.  For
 * aggregates whose answer is the newest (oldest) row of each series.
 */
ps_status	ps_scan_latest(ps_scan *sc, bool newest, ps_error *err);
ps_status	ps_scan_latest_collect(ps_scan *sc, int32_t p, ps_error *err);
bool		ps_scan_latest_done(const ps_scan *sc);

#endif
