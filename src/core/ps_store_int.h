/*
 * ps_store_int.h — what the store's modules share: the store and table
 * structs, the catalog's key forms, and the functions one module offers the
 * others.  Not a public header: only the store's own modules include it
 * (ps_store.c, ps_catalog.c, ps_series_dict.c, ps_load.c, ps_commit.c,
 * ps_dedup.c, ps_rollback.c, ps_scan.c, ps_series_match.c, ps_delete.c, ps_merge.c,
 * ps_upgrade.c, ps_backup.c, ps_progress.c).
 *
 * Store format 2 (DIR/db).  Column families:
 *   catalog  "F"                          format version (u32 BE) = 2
 *            "N"                          next table id (u32 BE)
 *            "T" + table name             table record (ps_catalog.c)
 *            "L" + table u32 + seq u32    in-flight load marker
 *            "J" + table u32 + seq u32 + block u32   journal: a block an
 *                                         in-flight load wrote (its key)
 *            "S" + table u32 + series u32 series dictionary: key tuple
 *   data     block key (ps_key.h) -> block bytes (ps_block.h)
 *   meta     block key -> block metadata (same keys as data)
 *   dedup    table u32 + hash u64 -> load sequence u32 (dedup tables only)
 *
 * Locking: st->lock guards the in-memory catalog (tables, their counts,
 * in-flight sets, series dictionaries).  Every catalog mutation takes the
 * lock, builds one WriteBatch, writes it, and only then changes memory, so
 * memory never runs ahead of disk.  Block writes need no lock.
 */
#ifndef PS_STORE_INT_H
#define PS_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rocksdb/c.h>

#include "ps_block_cache.h"
#include "ps_buf.h"
#include "ps_key.h"
#include "ps_meta_dir.h"
#include "ps_store.h"

#define PS_STORE_FORMAT_VERSION 2
#define PS_DEDUP_KEY_LEN 12

/*
 * A table's series dictionary: ids 0..n-1, each a key tuple (ps_series.h),
 * found by tuple through an open-addressing hash (slots hold id + 1, 0 is
 * empty).  Entries are persisted as soon as they are made ("S" + table + id
 * -> u8 committed | tuple), so rollback always finds a block's key, and kept
 * if the load that made them aborts; an entry counts as a series of the
 * table (ncommitted) only once a load using it commits, which rewrites it
 * with the flag set in its commit batch.  So a failed load changes no
 * figure a user sees.  Tables without a series key put every row in series
 * 0 and have no entries.
 */
typedef struct ps_series_dict {
	uint32_t	n;
	uint32_t	ncommitted;		/* ids some committed load used */
	uint8_t    *committed;		/* per id, 0 or 1 */
	uint32_t	cap;			/* entries offs can hold */
	uint32_t   *offs;			/* tuple of id i: bytes[offs[i] .. offs[i + 1]) */
	ps_buf		bytes;
	uint32_t   *slots;
	uint32_t	nslots;			/* a power of two, kept > 2n */
} ps_series_dict;

typedef struct ps_table {
	char		name[PS_MAX_NAME + 1];
	uint32_t	id;
	bool		dedup;
	bool		visible;		/* committed; false while its creating load runs */
	bool		ddl_busy;		/* a load that changes the schema is running */
	bool		doomed;			/* its creating load aborted while others ran */
	bool		deleting;		/* a delete_range works on it without the lock */
	ps_schema  *schema;
	/* Load defaults the creating load named ("" = none): catalog record version 3. */
	char		time_format[PS_TIME_FORMAT_MAX + 1];
	char		timezone[PS_TZ_NAME_MAX + 1];
	uint64_t	row_count;
	int64_t		min_time, max_time;
	/*
	 * The widest time span (last - first time) of any block the table ever
	 * had: a block holding time t starts no earlier than t - max_span, so
	 * a scan seeks each series there instead of reading all its blocks.
	 */
	int64_t		max_span;
	uint32_t	next_load_seq;
	bool		merging;		/* the merge is rewriting some of its blocks */
	int32_t    *dirty;			/* partitions loads committed into, for the merge */
	uint32_t	ndirty, dirty_cap;
	uint32_t   *inflight;		/* sequences of loads not yet committed/aborted */
	uint32_t	ninflight, inflight_cap;
	uint64_t	meta_version;	/* which blocks are committed: ps_meta_dir.h */
	ps_series_dict dict;
} ps_table;

struct ps_store {
	char	   *dir;
	ps_store_options opts;
	rocksdb_t  *db;
	rocksdb_options_t *dbopts;
	rocksdb_options_t *cf_catalog_opts, *cf_data_opts, *cf_meta_opts, *cf_dedup_opts;
	rocksdb_block_based_table_options_t *catalog_table_opts, *data_table_opts;
	rocksdb_block_based_table_options_t *meta_table_opts;
	rocksdb_cache_t *cache;
	ps_block_cache *decoded;	/* NULL when opts.decoded_cache_mb is 0 */
	ps_meta_dir_cache *dirs;	/* partition directories */
	uint64_t	meta_clock;		/* under lock: the last meta version given out */
	rocksdb_column_family_handle_t *cf_default, *cf_catalog, *cf_data, *cf_meta, *cf_dedup;
	rocksdb_writeoptions_t *wo_rows;	/* block batches: WAL, no fsync */
	rocksdb_writeoptions_t *wo_commit;	/* catalog commits: fsync if opts.sync */
	rocksdb_readoptions_t *ro;

	atomic_uint_fast64_t open_scans;	/* scans holding a snapshot */
	pthread_mutex_t lock;
	pthread_cond_t merge_cv;	/* with lock: a table's `merging` went false */
	pthread_cond_t created_cv;	/* with lock: a table being created became visible, or doomed */
	/* The merge thread (ps_merge.c): merge_mu guards merge_stop. */
	pthread_t	merge_thread;
	bool		merge_running, merge_stop;
	pthread_mutex_t merge_mu;
	pthread_cond_t merge_wake;
	ps_table  **tables;
	size_t		ntables, tables_cap;
	uint32_t	next_table_id;
	/* Loads in progress (ps_progress.c), under progress_mu. */
	pthread_mutex_t progress_mu;
	ps_progress *progress;
	uint64_t	progress_last_id;
};

/* ---- ps_store.c ---- */
/* ps_store_open on dir/db_name (the upgrade builds its new store beside the old). */
ps_status	ps_store_open_db(const char *dir, const char *db_name, const ps_store_options *o,
							 ps_store **out, ps_error *err);
ps_status	ps_rocks_error(ps_error *err, char *rerr, const char *what);	/* frees rerr */
ps_status	ps_store_write(ps_store *st, rocksdb_writeoptions_t *wo, rocksdb_writebatch_t *wb,
						   ps_error *err);
void		ps_put_u32be(uint8_t *p, uint32_t v);
uint32_t	ps_get_u32be(const uint8_t *p);

/* ---- ps_catalog.c: tables in memory and their catalog records (lock held) ---- */
ps_table   *ps_table_find(ps_store *st, const char *name);
ps_table   *ps_table_find_visible(ps_store *st, const char *name, ps_error *err);
ps_table   *ps_table_by_id(ps_store *st, uint32_t id);
/*
 * Bytes of the regular files under path, descending max_depth levels of
 * directories: their sizes (apparent) or the disk blocks they take.
 */
uint64_t	ps_dir_bytes(const char *path, int max_depth, bool apparent);
void		ps_table_free(ps_table *t);
ps_status	ps_tables_add(ps_store *st, ps_table *t, ps_error *err);
void		ps_tables_remove(ps_store *st, ps_table *t);	/* frees t */
ps_status	ps_inflight_add(ps_table *t, uint32_t seq, ps_error *err);
/*
 * Which of t's blocks are committed changed (a commit, rollback, merge run
 * or delete), with the write that changed it: a new meta version, so that
 * scans from now on use no partition directory of before (ps_meta_dir.h).
 */
void		ps_table_meta_changed(ps_store *st, ps_table *t);
void		ps_inflight_remove(ps_table *t, uint32_t seq);
/* Put t's record, with the given state, into wb. */
ps_status	ps_catalog_put_table(ps_store *st, rocksdb_writebatch_t *wb, const ps_table *t,
								 const ps_schema *schema, uint64_t row_count, int64_t min_time,
								 int64_t max_time, int64_t max_span, uint32_t next_load_seq,
								 ps_error *err);
void		ps_catalog_delete_table(ps_store *st, rocksdb_writebatch_t *wb, const ps_table *t);
/* Read every table record and series dictionary into st->tables (at open). */
ps_status	ps_catalog_load(ps_store *st, ps_error *err);

/* Load markers: flags and, for a load that creates a table or adds columns, its schema. */
#define PS_MARKER_CREATES_TABLE 1
#define PS_MARKER_DEDUP 2
#define PS_MARKER_KEY_LEN 9
#define PS_JOURNAL_KEY_LEN 13
void		ps_marker_key(uint8_t k[PS_MARKER_KEY_LEN], uint32_t table_id, uint32_t seq);
ps_status	ps_marker_encode(ps_buf *out, uint8_t flags, const ps_schema *schema);
void		ps_journal_key(uint8_t k[PS_JOURNAL_KEY_LEN], uint32_t table_id, uint32_t seq,
						   uint32_t block_no);

/* ---- ps_series_dict.c (a table's dictionary: lock held; a load's private one: no lock) ---- */
void		ps_series_dict_clear(ps_series_dict *d);
/* The id of a tuple, or UINT32_MAX if absent. */
uint32_t	ps_series_dict_find(const ps_series_dict *d, const void *tuple, size_t len);
/* The tuple of an id (id < d->n). */
void		ps_series_dict_tuple(const ps_series_dict *d, uint32_t id, const uint8_t **p, size_t *len);
/* Add a tuple in memory only (catalog load); its id is d->n before the call. */
ps_status	ps_series_dict_add(ps_series_dict *d, const void *tuple, size_t len, bool committed,
							   ps_error *err);
/*
 * For a commit: put the entry of id, flagged committed, into wb if it is
 * not yet (lock held); *newly tells the caller to call
 * ps_series_dict_committed once wb is written.
 */
void		ps_series_dict_commit_put(ps_store *st, rocksdb_writebatch_t *wb, const ps_table *t,
									  uint32_t id, bool *newly);
void		ps_series_dict_committed(ps_series_dict *d, uint32_t id);
/*
 * The id of a tuple of t, made (and persisted at once) if new.  Takes
 * st->lock itself.
 */
ps_status	ps_series_dict_intern(ps_store *st, ps_table *t, const void *tuple, size_t len,
								  uint32_t *id, ps_error *err);
void		ps_series_dict_catalog_key(uint8_t k[9], uint32_t table_id, uint32_t id);

/* ---- ps_merge.c ---- */
void		ps_merge_start(ps_store *st);	/* if opts.merge_interval_ms > 0 */
void		ps_merge_stop(ps_store *st);
/* Note that a load committed into partition p of t (lock held). */
void		ps_table_mark_dirty(ps_table *t, int32_t p);
/*
 * ps_table_find_visible, once the merge leaves the table alone (lock held;
 * released while waiting, so the table is looked up again each time).
 */
ps_table   *ps_table_find_unmerged(ps_store *st, const char *name, ps_error *err);

/* ---- ps_series_match.c ---- */
/*
 * The ids, sorted, of t's series that pass every series filter of spec
 * (*ids malloc'd), or *all when spec has none.  PS_EINVAL for a filter on a
 * column outside the key.  Lock held.
 */
ps_status	ps_series_match(const ps_table *t, const ps_schema *schema, const ps_scan_spec *spec,
							uint32_t **ids, uint32_t *n, bool *all, ps_error *err);

/* ---- ps_rollback.c ---- */
/*
 * Remove every block a load wrote (found through its journal), its dedup
 * entries, its journal and its marker.  schema: the schema its blocks were
 * written with (NULL for a load that created its table: the whole table id
 * goes).  Lock not held.
 */
ps_status	ps_rollback_load(ps_store *st, uint32_t table_id, uint32_t seq, uint8_t flags,
							 const ps_schema *schema, ps_error *err);
/* Roll back every load a crash left in flight (at open, after ps_catalog_load). */
ps_status	ps_rollback_recover(ps_store *st, ps_error *err);
/*
 * Delete the dedup entries of a block's rows (those whose entry names seq,
 * or any when seq is 0) into wb.  tuple: the block's series key tuple.
 */
ps_status	ps_dedup_forget_block(ps_store *st, rocksdb_writebatch_t *wb, uint32_t table_id,
								  const ps_schema *schema, const uint8_t *tuple, size_t tuple_len,
								  const void *block, size_t block_len, uint32_t seq,
								  ps_error *err);

/*
 * Value-column layout of a schema for blocks: the columns a block holds
 * (neither the time column nor a series-key column), as schema indexes and
 * types.  cols/types are malloc'd (free both); PS_ENOMEM.
 */
ps_status	ps_block_layout(const ps_schema *s, uint32_t **cols, ps_type **types, uint32_t *n,
							ps_error *err);

#endif
