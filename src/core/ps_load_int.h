/*
 * ps_load_int.h — a load's state, shared by ps_load.c (begin, append,
 * sealing blocks), ps_dedup.c (content hashes of dedup tables) and
 * ps_commit.c (commit and abort).  Not a public header.
 */
#ifndef PS_LOAD_INT_H
#define PS_LOAD_INT_H

#include "ps_block.h"
#include "ps_store_int.h"

typedef struct load_series {
	uint32_t	id;				/* in the table's dictionary */
	int32_t		partition;		/* of the builder's rows */
	ps_block_builder *b;		/* NULL while the series has no open block */
	size_t		bytes;			/* what b held at the last count */
	uint64_t   *hashes;			/* dedup: hashes of b's rows, in order */
	uint32_t	nhashes, hashes_cap;
} load_series;

struct ps_load {
	ps_store   *st;
	ps_table   *table;			/* stays valid: tables with loads are never freed */
	uint32_t	seq;
	bool		creates_table;
	bool		changes_schema;
	bool		dedup;
	ps_schema  *schema;			/* table schema this load writes */
	uint32_t   *input_map;

	uint32_t	nblock;			/* block columns (ps_block_layout) */
	uint32_t   *block_cols;
	ps_type    *block_types;
	ps_value   *block_vals;

	load_series *series;
	uint32_t	nseries, series_cap;
	ps_series_dict local;		/* the load's own: key tuple -> index in series */
	ps_buf		tuple;			/* the current row's tuple */
	size_t		open_bytes;		/* sum of the builders' bytes */

	uint64_t	rows;			/* rows appended (dedup: new rows only) */
	ps_progress *progress;		/* ps_load_spec.progress: told rows as they come */
	int64_t		min_time, max_time;
	int64_t		max_span;		/* widest block written */
	uint32_t	next_block_no;
	int32_t    *parts;			/* partitions written, for the merge */
	uint32_t	nparts, parts_cap;
	uint64_t	batch_rows;		/* rows in the blocks of wb */
	rocksdb_writebatch_t *wb;
	ps_buf		block_bytes, meta_bytes;

	/* dedup */
	uint32_t	nvalue;			/* value columns of the schema (all but time) */
	uint32_t   *value_cols;
	ps_type    *value_types;
	ps_value   *value_vals;
	ps_buf		enc;
	uint64_t   *pending;		/* hashes not yet in RocksDB: open addressing, 0 empty */
	size_t		pending_cap, npending;

	ps_status	wrc;			/* first storage failure: the load can only abort */
	ps_error	werr;
};

/* ps_load.c */
void		ps_load_free(ps_load *ld);
/* Remember the first storage failure; the load can then only abort. */
ps_status	ps_load_fail(ps_load *ld, ps_status rc, const ps_error *e, ps_error *err);
/* Seal every open block, free the builders, write the batch. */
ps_status	ps_load_seal_all(ps_load *ld, ps_error *err);

/* ps_dedup.c */
/*
 * The row's content hash and whether it is stored already (in RocksDB or
 * among the load's rows not yet written); a new one is remembered.
 */
ps_status	ps_dedup_check(ps_load *ld, int64_t time, const ps_value *values, uint64_t *hash,
						   bool *seen, ps_error *err);
/* Keep a hash with s's open block, and put the block's hashes into the batch at its seal. */
ps_status	ps_dedup_remember(load_series *s, uint64_t hash, ps_error *err);
void		ps_dedup_put_keys(ps_load *ld, load_series *s);

#endif
