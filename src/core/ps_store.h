/*
 * ps_store.h — the storage engine: one RocksDB per data directory holding
 * tables as series-partitioned columnar blocks (store format 2, see
 * ps_store_int.h and DESIGN §2), and the transactional load, scan, delete
 * and drop operations on them.
 *
 * Invariants:
 *  - One ps_store per data directory per machine: ps_store_open takes
 *    RocksDB's LOCK file; a second opener gets PS_ELOCKED.
 *  - All functions are thread-safe: any number of loads, scans and catalog
 *    calls may run at once on one ps_store from different threads.  A single
 *    ps_load or ps_scan handle is used by one thread at a time.
 *  - A load is a transaction.  It takes a load sequence from its table
 *    (never reused) and writes blocks whose keys carry it; the catalog marks
 *    the load "in flight" before any block is written and journals every
 *    block it writes; scans skip blocks of in-flight loads; commit is one
 *    catalog WriteBatch that removes the mark and the journal and updates
 *    the table's count and time bounds; abort and crash recovery (at open)
 *    delete the journaled blocks, then the mark.
 *  - Table count/min/max in the catalog always equal what a full scan sees.
 *  - A load that creates a table or adds columns changes the schema only at
 *    commit; until then the table (or the columns) are invisible to others.
 *    Only one such schema-changing load per table runs at a time (PS_EBUSY).
 *  - Deleting a range or dropping a table while a load is in flight on that
 *    table is refused with PS_EBUSY.
 *
 * Ownership: every pointer returned through an out-parameter is owned by the
 * caller and freed with the matching *_free/close function unless stated.
 */
#ifndef PS_STORE_H
#define PS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ps_error.h"
#include "ps_schema.h"
#include "ps_time_format.h"
#include "ps_types.h"
#include "ps_tz.h"

typedef struct ps_store ps_store;
typedef struct ps_load ps_load;
typedef struct ps_progress ps_progress;
typedef struct ps_scan ps_scan;

typedef struct ps_store_options {
	bool		sync;					/* fsync WAL before a commit returns (default true) */
	uint32_t	write_buffer_size_mb;	/* default 64 */
	uint32_t	block_cache_mb;			/* default 128 */
	uint32_t	max_background_jobs;	/* default 2 */
	int			compression;			/* 0 none, 1 lz4 (default), 2 zstd */
	int			bottommost_compression;	/* of the last level, where compaction
										 * leaves most rows: same codes, default 2 */
	uint32_t	batch_size;				/* rows a load's WriteBatch of blocks gathers, default 10000 */
	/*
	 * The background merge (ps_merge.c) looks for work this often, in
	 * milliseconds; 0 = no merge thread (ps_store_merge_all still works).
	 * Default 1000.
	 */
	uint32_t	merge_interval_ms;
	/*
	 * Budget of the cache of decoded blocks that scans share
	 * (ps_block_cache.h), in MiB; 0 = none.  Default 256.
	 */
	uint32_t	decoded_cache_mb;
	/*
	 * Budget of the partition directories (ps_meta_dir.h), in KiB, a
	 * quarter of which one directory may take; 0 = none.  Default 32768.
	 */
	uint32_t	partition_dirs_kb;
} ps_store_options;

void		ps_store_options_default(ps_store_options *o);

/*
 * Open (creating if needed) the store in dir/db.  Runs crash recovery: every
 * load still marked in flight is rolled back before this returns.
 */
ps_status	ps_store_open(const char *dir, const ps_store_options *o, ps_store **out, ps_error *err);
void		ps_store_close(ps_store *st);	/* waits for nothing: callers end loads/scans first */

/* ---- catalog ---- */

typedef struct ps_table_info {
	char		name[PS_MAX_NAME + 1];
	uint32_t	id;
	uint64_t	row_count;
	int64_t		min_time;		/* valid only when row_count > 0 */
	int64_t		max_time;
	bool		dedup;
	uint64_t	nseries;		/* distinct series-key values (0 without a key) */
	/*
	 * Defaults for later loads that do not name these options, as the load
	 * that created the table named them ("" = none).
	 */
	char		time_format[PS_TIME_FORMAT_MAX + 1];
	char		timezone[PS_TZ_NAME_MAX + 1];
} ps_table_info;

/* All committed tables, sorted by name.  *out is one malloc'd array (free()). */
ps_status	ps_store_list_tables(ps_store *st, ps_table_info **out, size_t *n, ps_error *err);
/* One table's info and (if schema_out) a copy of its schema (ps_schema_free). */
ps_status	ps_store_table_info(ps_store *st, const char *table, ps_table_info *info,
								ps_schema **schema_out, ps_error *err);
/*
 * What the store holds open right now: scans (each pins a RocksDB snapshot
 * and an iterator until ps_scan_close) and loads neither committed nor
 * aborted.  Lets tests and operators see that abandoned work was released.
 */
typedef struct ps_store_activity {
	uint64_t	open_scans;
	uint64_t	open_loads;
	uint64_t	merge_backlog;			/* partitions loads committed into, not merged yet */
	uint64_t	decoded_cache_bytes;	/* in the cache of decoded blocks */
	uint64_t	decoded_cache_budget;	/* its budget (0: no cache) */
} ps_store_activity;
void		ps_store_activity_get(ps_store *st, ps_store_activity *out);
/* Committed blocks the table is stored in now (tests, metrics). */
ps_status	ps_store_table_blocks(ps_store *st, const char *table, uint64_t *blocks, ps_error *err);
/* Approximate bytes on disk (SST + WAL) of the store. */
uint64_t	ps_store_disk_size(ps_store *st);
/*
 * Approximate bytes of one table (by ps_table_info.id) in the store's
 * flushed files: its blocks, block metadata and dedup entries.  Rows still
 * in the memtable count once flushed (RocksDB sizes SST files only), and
 * the estimate goes by RocksDB's data blocks (32 KiB for ours), so a table
 * smaller than one that shares a file with others may show 0.
 */
uint64_t	ps_store_table_bytes(ps_store *st, uint32_t table_id);
/*
 * Compact both column families fully, the last level included, so every
 * row ends up with the bottommost codec (pulsorad --compact, benchmarks).
 */
ps_status	ps_store_compact(ps_store *st, ps_error *err);

/*
 * Merge every table's overlapping and short blocks now (as the background
 * merge does bit by bit); *runs counts the rewrites.  pulsorad --compact.
 */
ps_status	ps_store_merge_all(ps_store *st, uint64_t *runs, ps_error *err);

/* Remove rows with lo <= time <= hi; *removed receives the count. */
ps_status	ps_store_delete_range(ps_store *st, const char *table, int64_t lo, int64_t hi,
								  uint64_t *removed, ps_error *err);
/* Drop the table and all its rows (PS_ENOTFOUND if absent). */
ps_status	ps_store_drop_table(ps_store *st, const char *table, ps_error *err);

/* ---- loads ---- */

typedef struct ps_load_spec {
	const char *table;
	/*
	 * The columns the input carries, in input order.  When the table does
	 * not exist it is created with exactly these columns (time_index names
	 * the time column, which must be TIMESTAMP).  When it exists, columns are
	 * matched by name: unknown names are PS_ESCHEMA unless add_columns, a
	 * type mismatch is PS_ESCHEMA, and the input must include the table's
	 * time column.  Borrowed for the duration of ps_load_begin only.
	 */
	const ps_schema *input;
	bool		add_columns;
	bool		dedup;			/* only used when the load creates the table */
	/*
	 * Only used when the load creates the table: the series key as the load
	 * option series_key gives it ("a,b"; "" = none, ps_series_key_set), or
	 * NULL to infer it (ps_series_key_infer).  Borrowed for ps_load_begin.
	 */
	const char *series_key;
	/*
	 * Only used when the load creates the table: the time_format and
	 * timezone options the load named, kept as the table's defaults
	 * (ps_table_info); NULL or "" = none.  At most PS_TIME_FORMAT_MAX and
	 * PS_TZ_NAME_MAX bytes (longer is PS_EINVAL).  Borrowed for ps_load_begin.
	 */
	const char *time_format;
	const char *timezone;
	/*
	 * Where the load reports the rows it has taken (ps_progress_set_rows),
	 * or NULL.  Borrowed: it must outlive the load's commit or abort.
	 */
	ps_progress *progress;
} ps_load_spec;

ps_status	ps_load_begin(ps_store *st, const ps_load_spec *spec, ps_load **out, ps_error *err);

/*
 * The table schema this load writes (existing columns plus any added ones),
 * and for each input column i, map[i] = its index in that schema.  Both are
 * owned by the load and valid until commit/abort.
 */
const ps_schema *ps_load_schema(const ps_load *ld);
const uint32_t *ps_load_input_map(const ps_load *ld);

/*
 * Append one row: values[0..ncolumns of ps_load_schema) in table-schema
 * order (the time column's value is the row time and must not be NULL).
 * Rows are buffered per series in open blocks (ps_block.h); sealed blocks
 * are written in WriteBatches of about batch_size rows (or 4 MiB).  Errors: PS_EINVAL for a bad value (NULL time, invalid UTF-8); the
 * load stays usable (the row is not added).  Storage errors make the load
 * unusable (abort it); they surface at a later append or at commit.
 */
ps_status	ps_load_append(ps_load *ld, const ps_value *values, ps_error *err);

uint64_t	ps_load_rows(const ps_load *ld);	/* rows appended so far (dedup: new rows) */

/* Commit: make every appended row visible at once.  Frees ld in all cases. */
ps_status	ps_load_commit(ps_load *ld, ps_error *err);
/*
 * Commit a load into a table that another load is still creating (an open
 * SQL transaction's) once that load has committed: wait up to wait_ms for
 * it, then commit as ps_load_commit.  PS_EBUSY if the creator rolled back
 * (ld's rows went with it) or has not committed by then.  Frees ld.
 */
ps_status	ps_load_commit_waiting(ps_load *ld, uint32_t wait_ms, ps_error *err);
/* Commit several loads (any tables) atomically in one catalog write.  Frees all. */
ps_status	ps_load_commit_many(ps_load **lds, size_t n, ps_error *err);
/* Abort: delete everything the load wrote.  Frees ld.  NULL ok. */
void		ps_load_abort(ps_load *ld);

/*
 * ---- loads in progress (ps_progress.c) ----
 *
 * The register GET /loads and pulsora_loads() list.  Whoever runs a load
 * registers it when its input starts and ends the entry after the commit or
 * abort; the load sets the rows (ps_load_spec.progress) and the reader of
 * the input adds the bytes.  Entries must be ended before ps_store_close.
 */
#define PS_PROGRESS_SOURCE_MAX 15

typedef struct ps_progress_info {
	uint64_t	id;				/* unique in this process, from 1 */
	char		table[PS_MAX_NAME + 1];
	char		source[PS_PROGRESS_SOURCE_MAX + 1];	/* rest, sql, copy, insert, cli... */
	uint64_t	rows;			/* taken so far (dedup: new rows) */
	uint64_t	bytes;			/* input bytes read so far */
	int64_t		started_ns;		/* wall clock, ns since the epoch */
	double		rows_per_second;	/* since it started; 0 under a millisecond old */
} ps_progress_info;

/* Register a load into table from source (truncated to PS_PROGRESS_SOURCE_MAX; "" = unknown). */
ps_status	ps_progress_begin(ps_store *st, const char *table, const char *source,
							  ps_progress **out, ps_error *err);
/* Both take any thread, without a lock; NULL p is a no-op. */
void		ps_progress_add_bytes(ps_progress *p, uint64_t n);
void		ps_progress_set_rows(ps_progress *p, uint64_t rows);
uint64_t	ps_progress_rows(const ps_progress *p);
uint64_t	ps_progress_bytes(const ps_progress *p);
/* Unregister and free.  NULL ok. */
void		ps_progress_end(ps_progress *p);
/* The loads registered now, by id.  *out is one malloc'd array (free()), even when *n is 0. */
ps_status	ps_store_loads(ps_store *st, ps_progress_info **out, size_t *n, ps_error *err);

/* ---- scans ---- */

/*
 * A series filter: rows whose series-key column `column` equals one of
 * values[0..nvalues) (none: no row).  Values have the column's type; a NULL
 * value matches NULL keys.  Borrowed for ps_scan_open only.
 */
typedef struct ps_series_filter {
	const char *column;
	const ps_value *values;
	uint32_t	nvalues;
} ps_series_filter;

typedef struct ps_scan_spec {
	const char *table;
	int64_t		lo, hi;			/* inclusive time bounds */
	bool		descending;
	/*
	 * Rows may come in any order (a caller that aggregates, or sorts
	 * itself): blocks are read one after another in key order, with no
	 * merge.  descending is then ignored; offset and limit still hold.
	 */
	bool		unordered;
	uint64_t	offset;
	uint64_t	limit;			/* 0 = no limit */
	/*
	 * Filters on series-key columns, all of which a row must pass.  A
	 * column that is not in the table's series key is PS_EINVAL.
	 */
	const ps_series_filter *filters;
	uint32_t	nfilters;
} ps_scan_spec;

/*
 * Rows come back in the stored encoding, holding the value columns of
 * ps_scan_schema (ps_schema_value_types); callers decode them (ps_row_decode)
 * or keep only some columns (ps_row_project).
 */
typedef struct ps_scan_row {
	int64_t		time;
	const void *value;		/* stored value bytes, valid until the next call */
	size_t		value_len;
} ps_scan_row;

/*
 * Or rows come back as column vectors (ps_scan_next_batch): row r of a batch
 * has time times[r] and, for each wanted column c of ps_scan_schema (not the
 * time column), the value at r of columns[c].  nulls is a bitmap (bit r of
 * byte r / 8, LSB first, set = NULL), or NULL when no row of the batch is
 * NULL; values of NULL rows are unspecified.  Exactly the array of the
 * column's type is set: i (INTEGER, TIMESTAMP), f (FLOAT), b (BOOLEAN, 0 or
 * 1 per row) or str_off/str_data (STRING: row r is str_data[str_off[r] ..
 * str_off[r + 1])).  Columns not wanted have wanted false and no arrays.
 * Everything is owned by the scan and valid until its next call.
 */
typedef struct ps_scan_vector {
	ps_type		type;
	bool		wanted;
	const uint8_t *nulls;
	const int64_t *i;
	const double *f;
	const uint8_t *b;
	const uint32_t *str_off;
	const char *str_data;
} ps_scan_vector;

typedef struct ps_scan_batch {
	uint32_t	rows;
	const int64_t *times;
	uint32_t	ncolumns;		/* those of ps_scan_schema */
	const ps_scan_vector *columns;
	size_t		bytes;			/* times, wanted values and string bytes */
} ps_scan_batch;

/* Open a scan on a consistent snapshot; only committed rows are seen. */
ps_status	ps_scan_open(ps_store *st, const ps_scan_spec *spec, ps_scan **out, ps_error *err);
/* The table schema as of the scan's snapshot (owned by the scan). */
const ps_schema *ps_scan_schema(const ps_scan *sc);
/*
 * Before the first ps_scan_next: only the columns c of ps_scan_schema with
 * want[c] (want has one entry per column) are decoded; the others read as
 * NULL in the rows returned.  Without a call every column is decoded.
 */
void		ps_scan_want(ps_scan *sc, const bool *want);
/* Next row; PS_OK with *done=true at the end. */
ps_status	ps_scan_next(ps_scan *sc, ps_scan_row *row, bool *done, ps_error *err);
/*
 * The next rows, as column vectors in *out: at most max_rows (> 0), and
 * past about max_bytes (batch->bytes) no more; at least one row unless the
 * scan ends.  *done when the scan has no rows after these (the batch may
 * still hold some).  Do not mix with ps_scan_next on one scan.
 */
ps_status	ps_scan_next_batch(ps_scan *sc, uint32_t max_rows, size_t max_bytes,
							   const ps_scan_batch **out, bool *done, ps_error *err);
void		ps_scan_close(ps_scan *sc);	/* NULL ok */

/*
 * Rows a scan of spec (its table, range and series filters; order, offset
 * and limit aside) would return, estimated from block metadata alone:
 * blocks partly in the range count in proportion to the share of their
 * time span inside it.  PS_ETOOBIG when more than max_blocks blocks would
 * have to be looked at.
 */
ps_status	ps_store_estimate(ps_store *st, const ps_scan_spec *spec, uint64_t max_blocks,
							  double *rows, ps_error *err);

/* ---- backups (ps_backup.c) ---- */

/* The file that makes a backup directory a complete backup; written last. */
#define PS_BACKUP_MARKER "PULSORA_BACKUP"
/* The settings file's name inside a backup (and in the data directory). */
#define PS_BACKUP_CONFIG_NAME "pulsora.toml"

typedef struct ps_backup_spec {
	const char *parent;			/* directory holding the backups; created 0700 if absent */
	const char *config_path;	/* copied into the backup when it exists; NULL = none */
	uint32_t	keep;			/* after a backup, keep only the newest keep; 0 = all */
} ps_backup_spec;

typedef struct ps_backup_info {
	char		name[48];		/* UTC time, 20261204T110503Z, "-2" etc. when taken twice in a second */
	char		path[4096];		/* parent/name */
	uint64_t	bytes;			/* apparent size of its files (hard links counted in full) */
	int64_t		created_ns;		/* UTC, when it was started */
	double		elapsed_ms;		/* how long taking it took */
} ps_backup_info;

/*
 * Take an online backup of st into spec->parent/<UTC time>: a RocksDB
 * checkpoint in its db/ (hard links where the filesystem allows) and a copy
 * of spec->config_path.  Loads, scans and merges go on meanwhile; loads in
 * flight are removed when a store opens on it, so it holds exactly the
 * loads committed at one instant (see ps_backup.c).  Then prunes to
 * spec->keep.  *out describes the new backup (a plain value).
 */
ps_status	ps_store_backup(ps_store *st, const ps_backup_spec *spec, ps_backup_info *out,
							ps_error *err);
/*
 * The complete backups in parent, oldest first (none when parent does not
 * exist).  *out is one malloc'd array (free()), NULL when *n is 0.
 */
ps_status	ps_backup_list(const char *parent, ps_backup_info **out, size_t *n, ps_error *err);
/*
 * Copy the backup at path backup into newdir (absent, then created 0700, or
 * an empty directory), open it once so crash recovery removes loads that
 * were in flight, and close it: `pulsorad -D newdir` then starts on it.
 * PS_ENOTFOUND when backup is not a complete backup, PS_EEXISTS when newdir
 * is not empty; on failure newdir is left as it was found.  No store may be
 * open on newdir.
 */
ps_status	ps_backup_restore(const char *backup, const char *newdir, ps_error *err);

#endif
