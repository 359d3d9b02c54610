/*
 * ps_store.c — the storage engine over RocksDB's C API.
 *
 * Layout on disk (DIR/db): column family "catalog" holds
 *   "F"                      format version (u32 BE)
 *   "N"                      next table id (u32 BE)
 *   "T" + table name         table record (see table_record_*)
 *   "L" + id u32 + seq u32   in-flight load marker (see marker_*)
 * and column family "data" holds the rows (ps_row.h keys and values).
 *
 * In memory, the store keeps every table (committed or being created by a
 * load) in `tables`, guarded by `lock`.  The lock protects catalog state only:
 * row batches are written without it.  Every catalog mutation (load begin,
 * commit, abort, delete, drop) takes the lock, computes the new state, writes
 * one WriteBatch and only then updates memory, so memory never runs ahead of
 * disk.  Scans copy what they need (schema, the table's in-flight load
 * sequences) under the lock together with a RocksDB snapshot; in-flight sets
 * are added to before a load writes rows and removed from after its commit is
 * on disk, so a scan can never see a row of a load that has not committed.
 *
 * Loads.  ps_load_append encodes rows into a batch; full batches go to the
 * load's writer thread, which puts one into RocksDB while the caller fills
 * the other (dedup loads write in the caller: their lookups must see every
 * earlier row).  Past bulk_min_rows, rows that keep time order (so keys keep
 * increasing) go to an SST file in DIR/ingest instead, ingested into the
 * data column family when it is big enough and at commit: no WAL, no
 * memtable, and no compaction when it overlaps nothing.  Rows out of order
 * go through WriteBatches as before.  Either way the marker spans the rows
 * before they reach RocksDB: a WriteBatch carries the updated marker, and an
 * ingestion is preceded by a synced marker write, so abort and recovery find
 * every row, and the in-flight skip hides them from scans until commit.
 * Files never ingested are simply deleted (at abort, or at the next open).
 */
#include "ps_store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "ps_buf.h"
#include "ps_row.h"
#include "ps_series.h"

#define STORE_FORMAT_VERSION 1
#define TABLE_RECORD_VERSION 1
#define MARKER_VERSION 1
#define ROWS_PER_LOAD_MAX UINT32_MAX
#define DELETE_BATCH_KEYS 10000
/* A batch is handed to the writer at batch_size rows or at this many bytes. */
#define BATCH_BYTES_MAX ((size_t) 8 << 20)
#define INGEST_DIR "ingest"
/* Rough size of a row in the block cache, to tell scans that would flood it. */
#define CACHED_ROW_BYTES 64

typedef struct ps_table {
	char		name[PS_MAX_NAME + 1];
	uint32_t	id;
	bool		dedup;
	bool		visible;		/* committed; false while its creating load runs */
	bool		ddl_busy;		/* a load that changes the schema is running */
	bool		doomed;			/* its creating load aborted while others ran */
	bool		deleting;		/* a delete_range counts its rows without the lock */
	ps_schema  *schema;
	uint64_t	row_count;
	int64_t		min_time, max_time;
	uint32_t	next_load_seq;
	uint32_t   *inflight;		/* sequences of loads not yet committed/aborted */
	uint32_t	ninflight, inflight_cap;
} ps_table;

struct ps_store {
	char	   *dir;
	ps_store_options opts;
	rocksdb_t  *db;
	rocksdb_options_t *dbopts;
	rocksdb_options_t *cf_catalog_opts;
	rocksdb_options_t *cf_data_opts;
	rocksdb_options_t *bulk_file_opts;	/* SST files of bulk loads */
	rocksdb_block_based_table_options_t *catalog_table_opts;
	rocksdb_block_based_table_options_t *data_table_opts;
	rocksdb_cache_t *cache;
	rocksdb_column_family_handle_t *cf_default, *cf_catalog, *cf_data;
	rocksdb_writeoptions_t *wo_rows;	/* row batches: WAL, no fsync */
	rocksdb_writeoptions_t *wo_commit;	/* catalog commits: fsync if opts.sync */
	rocksdb_writeoptions_t *wo_sync;	/* markers before an ingestion: always fsync */
	rocksdb_readoptions_t *ro;
	rocksdb_envoptions_t *envopts;		/* for SST file writers */
	rocksdb_ingestexternalfileoptions_t *ingest_opts;
	char	   *ingest_dir;		/* DIR/ingest: bulk files being written */

	atomic_uint_fast64_t open_scans;	/* scans holding a snapshot */
	pthread_mutex_t lock;
	ps_table  **tables;
	size_t		ntables, tables_cap;
	uint32_t	next_table_id;
};

/*
 * Rows encoded by ps_load_append and not yet written, back to back in one
 * buffer: key (PS_KEY_LEN) | value length (u32, native order) | value.
 */
typedef struct row_batch {
	ps_buf		bytes;
	size_t	   *starts;			/* offset of each row in bytes */
	uint32_t	nrows, cap;
	int64_t		min_time, max_time;
	int64_t		last_time;		/* time of the last row appended */
	bool		ordered;		/* times never decrease from one row to the next */
} row_batch;

/* A row of a batch in (time, arrival) order, for batches that arrive unordered. */
typedef struct ordered_row {
	int64_t		time;
	size_t		start;
} ordered_row;

struct ps_load {
	ps_store   *st;
	ps_table   *table;			/* stays valid: tables with loads are never freed */
	uint32_t	seq;
	bool		creates_table;
	bool		changes_schema;
	bool		dedup;
	ps_schema  *schema;			/* table schema this load writes */
	uint32_t   *input_map;
	uint32_t	nvalue;			/* value columns */
	ps_type    *value_types;
	uint32_t   *value_columns;	/* schema index of each value column */
	ps_value   *scratch;		/* value columns of the current row */
	ps_buf		enc;			/* dedup: the untagged encoding that is hashed */
	uint64_t	rows;			/* rows appended (dedup: new rows only) */
	int64_t		min_time, max_time;	/* over all appended rows */
	uint64_t   *dedup_ids;		/* open-addressing set of row ids in `fill` */
	size_t		dedup_cap;
	row_batch	batches[2];
	row_batch  *fill;			/* the batch ps_load_append fills */

	/*
	 * The writer puts full batches into RocksDB: a thread of the load's own
	 * (started with the first full batch) while the caller fills the next
	 * batch, or the caller itself for dedup loads, whose lookups must see
	 * every earlier row.  mu/cv guard queued, stop and wrc/werr.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t	thread;
	bool		threaded;
	bool		stop;
	row_batch  *queued;			/* handed to the writer; NULL once written */
	ps_status	wrc;			/* first write failure: the load is unusable */
	ps_error	werr;

	/* The writer's own state (the caller touches it only once the thread ended). */
	uint64_t	written_rows;	/* rows the writer has taken (the marker's count) */
	int64_t		written_min, written_max;	/* their span (the marker's) */
	rocksdb_writebatch_t *wb;
	rocksdb_sstfilewriter_t *sst;	/* open bulk file, NULL if none */
	char	   *sst_path;
	uint64_t	sst_bytes;		/* key and value bytes put in the open file */
	uint32_t	sst_files;		/* bulk files started, for their names */
	bool		sst_started;	/* an SST row was written: sst_last_time is set */
	int64_t		sst_last_time;	/* time of the last row put in a bulk file */
	ordered_row *order;
	size_t		order_cap;
};

struct ps_scan {
	ps_store   *st;
	ps_schema  *schema;
	uint32_t	table_id;
	bool		tagged;			/* dedup table: load tag lives in the value */
	uint32_t   *inflight;
	uint32_t	ninflight;
	const rocksdb_snapshot_t *snap;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	uint8_t		lower[PS_KEY_LEN], upper[PS_KEY_LEN];
	size_t		upper_len;
	bool		descending;
	bool		started;
	uint64_t	to_skip;
	uint64_t	remaining;		/* UINT64_MAX = unlimited */
	/* Series filters: per filter, its value column and accepted values. */
	uint32_t	nfilters;
	uint32_t	filter_col[PS_MAX_SERIES_COLUMNS];
	uint32_t	filter_nvalues[PS_MAX_SERIES_COLUMNS];
	ps_value   *filter_values[PS_MAX_SERIES_COLUMNS];
	ps_buf		filter_strings;	/* the filter values' string bytes */
	ps_type    *value_types;
	ps_value   *decoded;
	uint32_t	nvalue;
};

/* ------------------------------------------------------------------ helpers */

static ps_status
rocks_error(ps_error *err, char *rerr, const char *what)
{
	ps_status	code = PS_EIO;

	if (rerr && (strstr(rerr, "lock") || strstr(rerr, "LOCK")))
		code = PS_ELOCKED;
	if (rerr && strstr(rerr, "Corruption"))
		code = PS_ECORRUPT;
	ps_error_set(err, code, "%s: %s", what, rerr ? rerr : "unknown RocksDB error");
	free(rerr);
	return code;
}

static ps_status
write_batch(ps_store *st, rocksdb_writeoptions_t *wo, rocksdb_writebatch_t *wb, ps_error *err)
{
	char	   *rerr = NULL;

	rocksdb_write(st->db, wo, wb, &rerr);
	if (rerr)
		return rocks_error(err, rerr, "write failed");
	return PS_OK;
}

static void
put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

static uint32_t
get_u32be(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

/* Key range [lower, upper) of a table's rows with lo <= time <= hi. */
static size_t
range_bounds(uint32_t table_id, int64_t lo, int64_t hi, uint8_t lower[PS_KEY_LEN],
			 uint8_t upper[PS_KEY_LEN])
{
	ps_key_encode(lower, table_id, lo, 0);
	if (hi < INT64_MAX)
	{
		ps_key_encode(upper, table_id, hi + 1, 0);
		return PS_KEY_LEN;
	}
	put_u32be(upper, table_id + 1);	/* table ids stay below UINT32_MAX */
	return 4;
}

static ps_table *
find_table(ps_store *st, const char *name)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (strcmp(st->tables[i]->name, name) == 0)
			return st->tables[i];
	return NULL;
}

static ps_table *
find_visible_table(ps_store *st, const char *name, ps_error *err)
{
	ps_table   *t = find_table(st, name);

	if (!t || !t->visible)
	{
		ps_error_set(err, PS_ENOTFOUND, "table \"%s\" does not exist", name);
		return NULL;
	}
	return t;
}

static void
table_free(ps_table *t)
{
	if (!t)
		return;
	ps_schema_free(t->schema);
	free(t->inflight);
	free(t);
}

static ps_status
tables_add(ps_store *st, ps_table *t, ps_error *err)
{
	if (st->ntables == st->tables_cap)
	{
		size_t		cap = st->tables_cap ? st->tables_cap * 2 : 16;
		ps_table  **n = realloc(st->tables, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		st->tables = n;
		st->tables_cap = cap;
	}
	st->tables[st->ntables++] = t;
	return PS_OK;
}

static void
tables_remove(ps_store *st, ps_table *t)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (st->tables[i] == t)
		{
			st->tables[i] = st->tables[--st->ntables];
			table_free(t);
			return;
		}
}

static ps_status
inflight_add(ps_table *t, uint32_t seq, ps_error *err)
{
	if (t->ninflight == t->inflight_cap)
	{
		uint32_t	cap = t->inflight_cap ? t->inflight_cap * 2 : 4;
		uint32_t   *n = realloc(t->inflight, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		t->inflight = n;
		t->inflight_cap = cap;
	}
	t->inflight[t->ninflight++] = seq;
	return PS_OK;
}

static void
inflight_remove(ps_table *t, uint32_t seq)
{
	for (uint32_t i = 0; i < t->ninflight; i++)
		if (t->inflight[i] == seq)
		{
			t->inflight[i] = t->inflight[--t->ninflight];
			return;
		}
}

/* ------------------------------------------------------------ catalog records */

static ps_status
table_key(ps_buf *k, const char *name)
{
	ps_buf_reset(k);
	if (ps_buf_append_u8(k, 'T') != PS_OK || ps_buf_append(k, name, strlen(name)) != PS_OK)
		return PS_ENOMEM;
	return PS_OK;
}

/* Serialize t, but with the given schema/stats (the state about to be written). */
static ps_status
table_record_encode(ps_buf *out, const ps_table *t, const ps_schema *schema, uint64_t row_count,
					int64_t min_time, int64_t max_time, uint32_t next_load_seq)
{
	ps_buf_reset(out);
	if (ps_buf_append_u8(out, TABLE_RECORD_VERSION) ||
		ps_buf_append_u32be(out, t->id) ||
		ps_buf_append_u8(out, t->dedup ? 1 : 0) ||
		ps_buf_append_u32be(out, next_load_seq) ||
		ps_buf_append_u64be(out, row_count) ||
		ps_buf_append_u64be(out, (uint64_t) min_time) ||
		ps_buf_append_u64be(out, (uint64_t) max_time) ||
		ps_schema_serialize(schema, out))
		return PS_ENOMEM;
	return PS_OK;
}

static ps_status
table_record_decode(const char *name, size_t namelen, const void *p, size_t n, ps_table **out,
					ps_error *err)
{
	ps_reader	r;
	uint8_t		version, dedup;
	uint64_t	count, mn, mx;
	ps_table   *t;

	if (namelen == 0 || namelen > PS_MAX_NAME)
		return ps_error_set(err, PS_ECORRUPT, "catalog holds a table with an invalid name");
	t = calloc(1, sizeof(*t));
	if (!t)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	memcpy(t->name, name, namelen);
	ps_reader_init(&r, p, n);
	if (ps_read_u8(&r, &version) || version != TABLE_RECORD_VERSION ||
		ps_read_u32be(&r, &t->id) || ps_read_u8(&r, &dedup) ||
		ps_read_u32be(&r, &t->next_load_seq) || ps_read_u64be(&r, &count) ||
		ps_read_u64be(&r, &mn) || ps_read_u64be(&r, &mx) ||
		ps_schema_deserialize(r.p, ps_reader_left(&r), &t->schema, err) != PS_OK)
	{
		table_free(t);
		return ps_error_set(err, PS_ECORRUPT, "catalog record of table \"%.*s\" is corrupt",
							(int) namelen, name);
	}
	t->dedup = dedup != 0;
	t->row_count = count;
	t->min_time = (int64_t) mn;
	t->max_time = (int64_t) mx;
	t->visible = true;
	*out = t;
	return PS_OK;
}

static void
marker_key(uint8_t k[9], uint32_t table_id, uint32_t seq)
{
	k[0] = 'L';
	put_u32be(k + 1, table_id);
	put_u32be(k + 5, seq);
}

/*
 * Marker: version | flags (1 creates table, 2 tagged rows) | rows u64 | min |
 * max.  The span covers every row already handed to RocksDB for the load.
 */
static ps_status
marker_encode(ps_buf *out, const ps_load *ld)
{
	uint8_t		flags = (ld->creates_table ? 1 : 0) | (ld->dedup ? 2 : 0);

	ps_buf_reset(out);
	if (ps_buf_append_u8(out, MARKER_VERSION) || ps_buf_append_u8(out, flags) ||
		ps_buf_append_u64be(out, ld->written_rows) ||
		ps_buf_append_u64be(out, (uint64_t) ld->written_min) ||
		ps_buf_append_u64be(out, (uint64_t) ld->written_max))
		return PS_ENOMEM;
	return PS_OK;
}

/* --------------------------------------------------------------- row removal */

/*
 * Delete the rows a load wrote: for a load that created its table, the whole
 * table id range; otherwise every key in the load's time span whose row id
 * (or, for tagged rows, value tag) names the load.  Batched, so memory stays
 * bounded whatever the load's size.
 */
static ps_status
delete_load_rows(ps_store *st, uint32_t table_id, uint32_t seq, bool creates_table, bool tagged,
				 uint64_t rows, int64_t min_time, int64_t max_time, ps_error *err)
{
	uint8_t		lower[PS_KEY_LEN], upper[PS_KEY_LEN];
	size_t		upper_len;
	rocksdb_writebatch_t *wb;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;

	if (creates_table)
	{
		ps_key_prefix(lower, table_id, INT64_MIN);
		put_u32be(upper, table_id + 1);
		wb = rocksdb_writebatch_create();
		rocksdb_writebatch_delete_range_cf(wb, st->cf_data, (const char *) lower, 4,
										   (const char *) upper, 4);
		rc = write_batch(st, st->wo_rows, wb, err);
		rocksdb_writebatch_destroy(wb);
		return rc;
	}
	if (rows == 0)
		return PS_OK;

	upper_len = range_bounds(table_id, min_time, max_time, lower, upper);
	ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) upper, upper_len);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf_data);
	wb = rocksdb_writebatch_create();
	for (rocksdb_iter_seek(it, (const char *) lower, PS_KEY_LEN); rocksdb_iter_valid(it);
		 rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		uint32_t	tid;
		int64_t		t;
		uint64_t	row_id, tag;
		bool		mine;

		if (klen != PS_KEY_LEN)
			continue;
		ps_key_decode((const uint8_t *) k, &tid, &t, &row_id);
		if (tagged)
		{
			const char *v = rocksdb_iter_value(it, &vlen);

			mine = ps_row_tag(v, vlen, &tag) == PS_OK && tag == seq;
		}
		else
			mine = (uint32_t) (row_id >> 32) == seq;
		if (!mine)
			continue;
		rocksdb_writebatch_delete_cf(wb, st->cf_data, k, klen);
		if (rocksdb_writebatch_count(wb) >= DELETE_BATCH_KEYS)
		{
			if ((rc = write_batch(st, st->wo_rows, wb, err)) != PS_OK)
				break;
			rocksdb_writebatch_clear(wb);
		}
	}
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && rc == PS_OK)
		rc = rocks_error(err, rerr, "scan for rollback failed");
	else
		free(rerr);
	if (rc == PS_OK && rocksdb_writebatch_count(wb) > 0)
		rc = write_batch(st, st->wo_rows, wb, err);
	rocksdb_writebatch_destroy(wb);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rc;
}

/* ------------------------------------------------------------------ open/close */

void
ps_store_options_default(ps_store_options *o)
{
	o->sync = true;
	o->write_buffer_size_mb = 64;
	o->block_cache_mb = 128;
	o->max_background_jobs = 2;
	o->compression = 1;
	o->bottommost_compression = 2;
	o->batch_size = 10000;
	o->bulk_min_rows = 65536;
	o->bulk_file_bytes = (uint64_t) 128 << 20;
}

static ps_status
load_catalog(ps_store *st, ps_error *err)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_catalog);
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;
	size_t		vlen;
	char	   *v;

	v = rocksdb_get_cf(st->db, st->ro, st->cf_catalog, "N", 1, &vlen, &rerr);
	if (rerr)
	{
		rocksdb_iter_destroy(it);
		return rocks_error(err, rerr, "cannot read catalog");
	}
	st->next_table_id = (v && vlen == 4) ? get_u32be((uint8_t *) v) : 1;
	free(v);

	for (rocksdb_iter_seek(it, "T", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it))
	{
		size_t		klen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *val;
		ps_table   *t = NULL;

		if (klen < 1 || k[0] != 'T')
			break;
		val = rocksdb_iter_value(it, &vlen);
		if ((rc = table_record_decode(k + 1, klen - 1, val, vlen, &t, err)) != PS_OK)
			break;
		if ((rc = tables_add(st, t, err)) != PS_OK)
		{
			table_free(t);
			break;
		}
	}
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && rc == PS_OK)
		rc = rocks_error(err, rerr, "cannot read catalog");
	else
		free(rerr);
	rocksdb_iter_destroy(it);
	return rc;
}

/* Roll back every load a crash left in flight (markers "L..."). */
static ps_status
recover_loads(ps_store *st, ps_error *err)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_catalog);
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;

	for (rocksdb_iter_seek(it, "L", 1); rc == PS_OK && rocksdb_iter_valid(it); rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v;
		ps_reader	r;
		uint8_t		version, flags;
		uint64_t	rows, mn, mx;
		uint32_t	table_id, seq;
		rocksdb_writebatch_t *wb;

		if (klen < 1 || k[0] != 'L')
			break;
		if (klen != 9)
			return ps_error_set(err, PS_ECORRUPT, "catalog holds a malformed load marker");
		table_id = get_u32be((const uint8_t *) k + 1);
		seq = get_u32be((const uint8_t *) k + 5);
		v = rocksdb_iter_value(it, &vlen);
		ps_reader_init(&r, v, vlen);
		if (ps_read_u8(&r, &version) || version != MARKER_VERSION || ps_read_u8(&r, &flags) ||
			ps_read_u64be(&r, &rows) || ps_read_u64be(&r, &mn) || ps_read_u64be(&r, &mx))
		{
			rc = ps_error_set(err, PS_ECORRUPT, "load marker of table id %u is corrupt", table_id);
			break;
		}
		rc = delete_load_rows(st, table_id, seq, (flags & 1) != 0, (flags & 2) != 0, rows,
							  (int64_t) mn, (int64_t) mx, err);
		if (rc != PS_OK)
			break;
		wb = rocksdb_writebatch_create();
		rocksdb_writebatch_delete_cf(wb, st->cf_catalog, k, klen);
		rc = write_batch(st, st->wo_commit, wb, err);
		rocksdb_writebatch_destroy(wb);
		if (table_id >= st->next_table_id)
			st->next_table_id = table_id + 1;
	}
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && rc == PS_OK)
		rc = rocks_error(err, rerr, "cannot read load markers");
	else
		free(rerr);
	rocksdb_iter_destroy(it);
	return rc;
}

static ps_status
check_format(ps_store *st, ps_error *err)
{
	char	   *rerr = NULL;
	size_t		vlen;
	char	   *v = rocksdb_get_cf(st->db, st->ro, st->cf_catalog, "F", 1, &vlen, &rerr);
	ps_status	rc = PS_OK;

	if (rerr)
		return rocks_error(err, rerr, "cannot read catalog");
	if (!v)
	{
		uint8_t		b[4];
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();

		put_u32be(b, STORE_FORMAT_VERSION);
		rocksdb_writebatch_put_cf(wb, st->cf_catalog, "F", 1, (const char *) b, 4);
		rc = write_batch(st, st->wo_commit, wb, err);
		rocksdb_writebatch_destroy(wb);
		return rc;
	}
	if (vlen != 4 || get_u32be((uint8_t *) v) != STORE_FORMAT_VERSION)
		rc = ps_error_set(err, PS_ECORRUPT,
						  "unsupported store format version in \"%s\" (this build reads version %d)",
						  st->dir, STORE_FORMAT_VERSION);
	free(v);
	return rc;
}

static int
rocksdb_compression(int code)
{
	return code == 0 ? rocksdb_no_compression
		: code == 2 ? rocksdb_zstd_compression : rocksdb_lz4_compression;
}

static void
configure_rocksdb(ps_store *st)
{
	const ps_store_options *o = &st->opts;

	st->dbopts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(st->dbopts, 1);
	rocksdb_options_set_create_missing_column_families(st->dbopts, 1);
	rocksdb_options_set_max_background_jobs(st->dbopts, (int) o->max_background_jobs);
	rocksdb_options_set_keep_log_file_num(st->dbopts, 3);
	/*
	 * The catalog takes only small writes, so its memtable would pin every WAL
	 * file written since its last flush; capping the WAL forces that flush.
	 */
	rocksdb_options_set_max_total_wal_size(st->dbopts, UINT64_C(256) << 20);

	st->cache = rocksdb_cache_create_lru((size_t) o->block_cache_mb << 20);

	/* The catalog is read by point lookups: bloom filter, no compression. */
	st->catalog_table_opts = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(st->catalog_table_opts, st->cache);
	rocksdb_block_based_options_set_filter_policy(st->catalog_table_opts,
												  rocksdb_filterpolicy_create_bloom(10));
	st->cf_catalog_opts = rocksdb_options_create();
	rocksdb_options_set_block_based_table_factory(st->cf_catalog_opts, st->catalog_table_opts);
	rocksdb_options_set_write_buffer_size(st->cf_catalog_opts, 4 << 20);

	/* Rows are read by range scans: no bloom filter, larger blocks, compression. */
	st->data_table_opts = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(st->data_table_opts, st->cache);
	rocksdb_block_based_options_set_block_size(st->data_table_opts, 32 << 10);
	st->cf_data_opts = rocksdb_options_create();
	rocksdb_options_set_block_based_table_factory(st->cf_data_opts, st->data_table_opts);
	rocksdb_options_set_write_buffer_size(st->cf_data_opts, (size_t) o->write_buffer_size_mb << 20);
	/*
	 * Fast LZ4 where data is young and rewritten soon; the last level, which
	 * holds most rows once compacted, trades some decompression speed for
	 * size (zstd by default).
	 */
	rocksdb_options_set_compression(st->cf_data_opts, rocksdb_compression(o->compression));
	rocksdb_options_set_bottommost_compression(st->cf_data_opts,
											   rocksdb_compression(o->bottommost_compression));
	rocksdb_options_set_level_compaction_dynamic_level_bytes(st->cf_data_opts, 1);
	/*
	 * An SST file writer compresses with the bottommost codec when one is
	 * set; bulk files use the fast one, so loads stay fast and compaction
	 * recompresses them later.
	 */
	st->bulk_file_opts = rocksdb_options_create_copy(st->cf_data_opts);
	rocksdb_options_set_bottommost_compression(st->bulk_file_opts,
											   rocksdb_compression(o->compression));

	st->wo_rows = rocksdb_writeoptions_create();
	st->wo_commit = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(st->wo_commit, o->sync ? 1 : 0);
	st->wo_sync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(st->wo_sync, 1);
	st->ro = rocksdb_readoptions_create();

	/* Bulk files are hard-linked into the store, not copied. */
	st->envopts = rocksdb_envoptions_create();
	st->ingest_opts = rocksdb_ingestexternalfileoptions_create();
	rocksdb_ingestexternalfileoptions_set_move_files(st->ingest_opts, 1);
}

/*
 * DIR/ingest holds the bulk files of running loads.  Called with RocksDB's
 * lock held, so whatever it still holds was left by a crashed owner and is
 * not part of the store (ingested files live in DIR/db): remove it.
 */
static ps_status
prepare_ingest_dir(ps_store *st, ps_error *err)
{
	DIR		   *d;
	struct dirent *e;

	if (asprintf(&st->ingest_dir, "%s/" INGEST_DIR, st->dir) < 0)
	{
		st->ingest_dir = NULL;
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	if (mkdir(st->ingest_dir, 0700) != 0 && errno != EEXIST)
		return ps_error_set(err, PS_EIO, "cannot create %s: %s", st->ingest_dir, strerror(errno));
	if (!(d = opendir(st->ingest_dir)))
		return ps_error_set(err, PS_EIO, "cannot open %s: %s", st->ingest_dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return PS_OK;
}

ps_status
ps_store_open(const char *dir, const ps_store_options *o, ps_store **out, ps_error *err)
{
	ps_store   *st;
	char	   *path, *rerr = NULL;
	const char *cf_names[3] = {"default", "catalog", "data"};
	const rocksdb_options_t *cf_opts[3];
	rocksdb_column_family_handle_t *handles[3];
	ps_status	rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->dir = strdup(dir)))
	{
		free(st);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	if (o)
		st->opts = *o;
	else
		ps_store_options_default(&st->opts);
	if (st->opts.batch_size == 0)
		st->opts.batch_size = 10000;
	if (st->opts.bulk_file_bytes == 0)
		st->opts.bulk_file_bytes = (uint64_t) 128 << 20;
	pthread_mutex_init(&st->lock, NULL);
	configure_rocksdb(st);

	if (asprintf(&path, "%s/db", dir) < 0)
	{
		ps_store_close(st);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	cf_opts[0] = st->dbopts;
	cf_opts[1] = st->cf_catalog_opts;
	cf_opts[2] = st->cf_data_opts;
	st->db = rocksdb_open_column_families(st->dbopts, path, 3, cf_names, cf_opts, handles, &rerr);
	free(path);
	if (rerr)
	{
		rc = rocks_error(err, rerr, "cannot open the store");
		if (rc == PS_ELOCKED)
			ps_error_set(err, PS_ELOCKED, "data directory \"%s\" is locked by another process", dir);
		ps_store_close(st);
		return rc;
	}
	st->cf_default = handles[0];
	st->cf_catalog = handles[1];
	st->cf_data = handles[2];

	if ((rc = check_format(st, err)) != PS_OK ||
		(rc = prepare_ingest_dir(st, err)) != PS_OK ||
		(rc = load_catalog(st, err)) != PS_OK ||
		(rc = recover_loads(st, err)) != PS_OK)
	{
		ps_store_close(st);
		return rc;
	}
	*out = st;
	return PS_OK;
}

void
ps_store_close(ps_store *st)
{
	if (!st)
		return;
	if (st->db)
	{
		rocksdb_column_family_handle_destroy(st->cf_default);
		rocksdb_column_family_handle_destroy(st->cf_catalog);
		rocksdb_column_family_handle_destroy(st->cf_data);
		rocksdb_close(st->db);
	}
	rocksdb_writeoptions_destroy(st->wo_rows);
	rocksdb_writeoptions_destroy(st->wo_commit);
	rocksdb_writeoptions_destroy(st->wo_sync);
	rocksdb_readoptions_destroy(st->ro);
	rocksdb_envoptions_destroy(st->envopts);
	rocksdb_ingestexternalfileoptions_destroy(st->ingest_opts);
	free(st->ingest_dir);
	rocksdb_options_destroy(st->dbopts);
	rocksdb_options_destroy(st->cf_catalog_opts);
	rocksdb_options_destroy(st->cf_data_opts);
	rocksdb_options_destroy(st->bulk_file_opts);
	rocksdb_block_based_options_destroy(st->catalog_table_opts);
	rocksdb_block_based_options_destroy(st->data_table_opts);
	rocksdb_cache_destroy(st->cache);
	for (size_t i = 0; i < st->ntables; i++)
		table_free(st->tables[i]);
	free(st->tables);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}

/* ------------------------------------------------------------------ catalog API */

static void
info_from_table(const ps_table *t, ps_table_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", t->name);
	info->id = t->id;
	info->row_count = t->row_count;
	info->min_time = t->min_time;
	info->max_time = t->max_time;
	info->dedup = t->dedup;
}

static int
info_cmp(const void *a, const void *b)
{
	return strcmp(((const ps_table_info *) a)->name, ((const ps_table_info *) b)->name);
}

ps_status
ps_store_list_tables(ps_store *st, ps_table_info **out, size_t *n, ps_error *err)
{
	ps_table_info *arr;
	size_t		k = 0;

	pthread_mutex_lock(&st->lock);
	arr = malloc((st->ntables ? st->ntables : 1) * sizeof(*arr));
	if (!arr)
	{
		pthread_mutex_unlock(&st->lock);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < st->ntables; i++)
		if (st->tables[i]->visible)
			info_from_table(st->tables[i], &arr[k++]);
	pthread_mutex_unlock(&st->lock);
	qsort(arr, k, sizeof(*arr), info_cmp);
	*out = arr;
	*n = k;
	return PS_OK;
}

ps_status
ps_store_table_info(ps_store *st, const char *table, ps_table_info *info, ps_schema **schema_out,
					ps_error *err)
{
	ps_table   *t;
	ps_status	rc = PS_OK;

	pthread_mutex_lock(&st->lock);
	t = find_visible_table(st, table, err);
	if (!t)
		rc = PS_ENOTFOUND;
	else
	{
		if (info)
			info_from_table(t, info);
		if (schema_out && !(*schema_out = ps_schema_copy(t->schema)))
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static uint64_t
dir_size(const char *path, int depth)
{
	DIR		   *d = opendir(path);
	struct dirent *e;
	uint64_t	total = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
	{
		char		child[4096];
		struct stat sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) >= (int) sizeof(child))
			continue;
		if (lstat(child, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode) && depth < 4)
			total += dir_size(child, depth + 1);
		else if (S_ISREG(sb.st_mode))
			total += (uint64_t) sb.st_blocks * 512;
	}
	closedir(d);
	return total;
}

void
ps_store_activity_get(ps_store *st, ps_store_activity *out)
{
	out->open_scans = atomic_load_explicit(&st->open_scans, memory_order_relaxed);
	out->open_loads = 0;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->ntables; i++)
		out->open_loads += st->tables[i]->ninflight;
	pthread_mutex_unlock(&st->lock);
}

uint64_t
ps_store_disk_size(ps_store *st)
{
	char		path[4096];

	if (snprintf(path, sizeof(path), "%s/db", st->dir) >= (int) sizeof(path))
		return 0;
	return dir_size(path, 0);
}

ps_status
ps_store_compact(ps_store *st, ps_error *err)
{
	rocksdb_compactoptions_t *co = rocksdb_compactoptions_create();

	(void) err;
	/*
	 * Rewrite the last level too (RocksDB skips it by default): bulk-loaded
	 * files sit there with the fast codec until recompressed with the
	 * bottommost one.  3 = BottommostLevelCompaction::kForceOptimized.
	 */
	rocksdb_compactoptions_set_bottommost_level_compaction(co, 3);
	rocksdb_compact_range_cf_opt(st->db, st->cf_data, co, NULL, 0, NULL, 0);
	rocksdb_compact_range_cf_opt(st->db, st->cf_catalog, co, NULL, 0, NULL, 0);
	rocksdb_compactoptions_destroy(co);
	return PS_OK;
}

/* First (or last) key time of a table in [lo, hi] as of now; false if none. */
static bool
edge_time(ps_store *st, uint32_t table_id, int64_t lo, int64_t hi, bool last, int64_t *time_out)
{
	uint8_t		lower[PS_KEY_LEN], upper[PS_KEY_LEN];
	size_t		upper_len = range_bounds(table_id, lo, hi, lower, upper);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	bool		found = false;

	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *) lower, PS_KEY_LEN);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) upper, upper_len);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf_data);
	if (last)
		rocksdb_iter_seek_to_last(it);
	else
		rocksdb_iter_seek_to_first(it);
	if (rocksdb_iter_valid(it))
	{
		size_t		klen;
		const char *k = rocksdb_iter_key(it, &klen);
		uint32_t	tid;
		uint64_t	row_id;

		if (klen == PS_KEY_LEN)
		{
			ps_key_decode((const uint8_t *) k, &tid, time_out, &row_id);
			found = true;
		}
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return found;
}

static ps_status
write_table_record(ps_store *st, rocksdb_writebatch_t *wb, const ps_table *t,
				   const ps_schema *schema, uint64_t row_count, int64_t min_time,
				   int64_t max_time, uint32_t next_load_seq, ps_error *err)
{
	ps_buf		k = PS_BUF_INIT, v = PS_BUF_INIT;

	if (table_key(&k, t->name) || table_record_encode(&v, t, schema, row_count, min_time,
													   max_time, next_load_seq))
	{
		ps_buf_free(&k);
		ps_buf_free(&v);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	rocksdb_writebatch_put_cf(wb, st->cf_catalog, (const char *) k.data, k.len,
							  (const char *) v.data, v.len);
	ps_buf_free(&k);
	ps_buf_free(&v);
	return PS_OK;
}

ps_status
ps_store_delete_range(ps_store *st, const char *table, int64_t lo, int64_t hi, uint64_t *removed,
					  ps_error *err)
{
	ps_table   *t;
	uint8_t		lower[PS_KEY_LEN], upper[PS_KEY_LEN];
	size_t		upper_len;
	uint64_t	count = 0;
	int64_t		new_min, new_max;
	ps_status	rc;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	rocksdb_writebatch_t *wb;
	char	   *rerr = NULL;

	*removed = 0;
	if (lo > hi)
		return ps_error_set(err, PS_EINVAL, "range start is after its end");
	pthread_mutex_lock(&st->lock);
	if (!(t = find_visible_table(st, table, err)))
	{
		pthread_mutex_unlock(&st->lock);
		return PS_ENOTFOUND;
	}
	if (t->ninflight > 0 || t->deleting)
	{
		pthread_mutex_unlock(&st->lock);
		return ps_error_set(err, PS_EBUSY,
							"cannot delete from table \"%s\" while a %s it is in progress",
							table, t->deleting ? "delete from" : "load into");
	}
	if (t->row_count == 0 || hi < t->min_time || lo > t->max_time)
	{
		pthread_mutex_unlock(&st->lock);
		return PS_OK;
	}

	/*
	 * Count what the range holds, and find the new bounds, without the store
	 * lock, so loads into other tables commit meanwhile; `deleting` keeps
	 * loads, drops and other deletes off this table (which stays allocated:
	 * only a drop frees a table), and no load is in flight, so every key
	 * seen is committed.
	 */
	t->deleting = true;
	pthread_mutex_unlock(&st->lock);
	upper_len = range_bounds(t->id, lo, hi, lower, upper);
	ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) upper, upper_len);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf_data);
	for (rocksdb_iter_seek(it, (const char *) lower, PS_KEY_LEN); rocksdb_iter_valid(it);
		 rocksdb_iter_next(it))
		count++;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	new_min = t->min_time;
	new_max = t->max_time;
	if (!rerr && count > 0 && count < t->row_count)
	{
		/* Rows remain outside [lo, hi], so a bound inside it has a successor. */
		if (lo <= t->min_time)
			edge_time(st, t->id, hi + 1, INT64_MAX, false, &new_min);
		if (hi >= t->max_time)
			edge_time(st, t->id, INT64_MIN, lo - 1, true, &new_max);
	}
	pthread_mutex_lock(&st->lock);
	t->deleting = false;
	if (rerr)
	{
		pthread_mutex_unlock(&st->lock);
		return rocks_error(err, rerr, "cannot scan the range to delete");
	}
	if (count == 0)
	{
		pthread_mutex_unlock(&st->lock);
		return PS_OK;
	}
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_range_cf(wb, st->cf_data, (const char *) lower, PS_KEY_LEN,
									   (const char *) upper, upper_len);
	rc = write_table_record(st, wb, t, t->schema, t->row_count - count, new_min, new_max,
							t->next_load_seq, err);
	if (rc == PS_OK)
		rc = write_batch(st, st->wo_commit, wb, err);
	rocksdb_writebatch_destroy(wb);
	if (rc == PS_OK)
	{
		t->row_count -= count;
		t->min_time = new_min;
		t->max_time = new_max;
		*removed = count;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

ps_status
ps_store_drop_table(ps_store *st, const char *table, ps_error *err)
{
	ps_table   *t;
	ps_buf		k = PS_BUF_INIT;
	uint8_t		lower[4], upper[4];
	rocksdb_writebatch_t *wb;
	ps_status	rc;

	pthread_mutex_lock(&st->lock);
	if (!(t = find_visible_table(st, table, err)))
	{
		pthread_mutex_unlock(&st->lock);
		return PS_ENOTFOUND;
	}
	if (t->ninflight > 0 || t->deleting)
	{
		pthread_mutex_unlock(&st->lock);
		return ps_error_set(err, PS_EBUSY,
							"cannot drop table \"%s\" while a %s it is in progress", table,
							t->deleting ? "delete from" : "load into");
	}
	if (table_key(&k, t->name) != PS_OK)
	{
		pthread_mutex_unlock(&st->lock);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	put_u32be(lower, t->id);
	put_u32be(upper, t->id + 1);
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_cf(wb, st->cf_catalog, (const char *) k.data, k.len);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_data, (const char *) lower, 4,
									   (const char *) upper, 4);
	rc = write_batch(st, st->wo_commit, wb, err);
	rocksdb_writebatch_destroy(wb);
	ps_buf_free(&k);
	if (rc == PS_OK)
		tables_remove(st, t);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ------------------------------------------------------------------------ loads */

static void
row_batch_free(row_batch *b)
{
	ps_buf_free(&b->bytes);
	free(b->starts);
}

static void
load_free(ps_load *ld)
{
	if (!ld)
		return;
	ps_schema_free(ld->schema);
	free(ld->input_map);
	free(ld->value_types);
	free(ld->value_columns);
	free(ld->scratch);
	free(ld->dedup_ids);
	ps_buf_free(&ld->enc);
	row_batch_free(&ld->batches[0]);
	row_batch_free(&ld->batches[1]);
	if (ld->wb)
		rocksdb_writebatch_destroy(ld->wb);
	free(ld->order);
	pthread_mutex_destroy(&ld->mu);
	pthread_cond_destroy(&ld->cv);
	free(ld);
}

/*
 * Work out the schema the load writes and the input->schema column map.
 * Called under st->lock.  Sets ld->schema, ld->input_map, ld->changes_schema.
 */
static ps_status
plan_load_schema(ps_load *ld, const ps_table *t, const ps_load_spec *spec, ps_error *err)
{
	const ps_schema *in = spec->input;
	const char *time_name = in->columns[in->time_index].name;

	ld->input_map = malloc(in->ncolumns * sizeof(uint32_t));
	if (!ld->input_map)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (!t)
	{
		if (!(ld->schema = ps_schema_copy(in)))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		for (uint32_t i = 0; i < in->ncolumns; i++)
			ld->input_map[i] = i;
		if (!spec->series_key)
			ps_series_key_infer(ld->schema);
		else
			return ps_series_key_set(ld->schema, spec->series_key, err);
		return PS_OK;
	}

	if (!(ld->schema = ps_schema_copy(t->schema)))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (strcmp(time_name, t->schema->columns[t->schema->time_index].name) != 0 &&
		ps_schema_find(in, t->schema->columns[t->schema->time_index].name) < 0)
		return ps_error_set(err, PS_ESCHEMA, "input lacks the time column \"%s\" of table \"%s\"",
							t->schema->columns[t->schema->time_index].name, t->name);
	for (uint32_t i = 0; i < in->ncolumns; i++)
	{
		const ps_column *c = &in->columns[i];
		int			idx = ps_schema_find(ld->schema, c->name);
		ps_status	rc;

		if (idx < 0)
		{
			if (!spec->add_columns)
				return ps_error_set(err, PS_ESCHEMA,
									"column \"%s\" does not exist in table \"%s\" (set add_columns=true to add it)",
									c->name, t->name);
			if ((rc = ps_schema_add_column(ld->schema, c->name, c->type, err)) != PS_OK)
				return rc;
			idx = (int) ld->schema->ncolumns - 1;
			ld->changes_schema = true;
		}
		else if (ld->schema->columns[idx].type != c->type)
			return ps_error_set(err, PS_ESCHEMA,
								"column \"%s\" of table \"%s\" has type %s, not %s",
								c->name, t->name, ps_type_name(ld->schema->columns[idx].type),
								ps_type_name(c->type));
		ld->input_map[i] = (uint32_t) idx;
	}
	return PS_OK;
}

static ps_status
prepare_value_layout(ps_load *ld, ps_error *err)
{
	const ps_schema *s = ld->schema;

	ld->nvalue = ps_schema_value_count(s);
	ld->value_types = malloc((ld->nvalue + 1) * sizeof(ps_type));
	ld->value_columns = malloc((ld->nvalue + 1) * sizeof(uint32_t));
	ld->scratch = calloc(ld->nvalue + 1, sizeof(ps_value));
	if (!ld->value_types || !ld->value_columns || !ld->scratch)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	ps_schema_value_types(s, ld->value_types);
	for (uint32_t c = 0, k = 0; c < s->ncolumns; c++)
		if (c != s->time_index)
			ld->value_columns[k++] = c;
	if (ld->dedup)
	{
		ld->dedup_cap = 1;
		while (ld->dedup_cap < (size_t) ld->st->opts.batch_size * 2)
			ld->dedup_cap <<= 1;
		if (!(ld->dedup_ids = calloc(ld->dedup_cap, sizeof(uint64_t))))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	return PS_OK;
}

ps_status
ps_load_begin(ps_store *st, const ps_load_spec *spec, ps_load **out, ps_error *err)
{
	ps_load    *ld;
	ps_table   *t, *created = NULL;
	ps_status	rc;
	rocksdb_writebatch_t *wb = NULL;
	ps_buf		v = PS_BUF_INIT;
	uint8_t		mk[9], idb[4];

	*out = NULL;
	if (!spec->table || !ps_table_name_valid(spec->table))
		return ps_error_set(err, PS_EINVAL,
							"invalid table name \"%.64s\": use 1 to %d letters, digits, '_' or '-'",
							spec->table ? spec->table : "", PS_MAX_NAME);
	if (!spec->input || spec->input->ncolumns == 0 || spec->input->time_index >= spec->input->ncolumns ||
		spec->input->columns[spec->input->time_index].type != PS_TYPE_TIMESTAMP)
		return ps_error_set(err, PS_EINVAL, "a load needs a timestamp time column");
	if (!(ld = calloc(1, sizeof(*ld))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	ld->st = st;
	ld->min_time = ld->written_min = INT64_MAX;
	ld->max_time = ld->written_max = INT64_MIN;
	ld->fill = &ld->batches[0];
	ld->fill->ordered = true;
	ld->batches[1].ordered = true;
	pthread_mutex_init(&ld->mu, NULL);
	pthread_cond_init(&ld->cv, NULL);

	pthread_mutex_lock(&st->lock);
	t = find_table(st, spec->table);
	if (t && t->doomed)
	{
		rc = ps_error_set(err, PS_EBUSY, "table \"%s\" is being rolled back", spec->table);
		goto fail;
	}
	if (t && t->deleting)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "cannot load into table \"%s\" while a delete from it is in progress",
						  spec->table);
		goto fail;
	}
	if ((rc = plan_load_schema(ld, t, spec, err)) != PS_OK)
		goto fail;
	/*
	 * More loads may join a table that is still being created (a transaction's
	 * savepoints), but they can only commit together with, or after, its
	 * creator, and cannot change its schema.
	 */
	if (t && !t->visible && ld->changes_schema)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "cannot add columns to table \"%s\" while it is being created",
						  spec->table);
		goto fail;
	}
	if (t && t->dedup && t->ninflight > 0)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "another load into dedup table \"%s\" is in progress", spec->table);
		goto fail;
	}
	if (t && ld->changes_schema && t->ddl_busy)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "another load is adding columns to table \"%s\"", spec->table);
		goto fail;
	}
	if (!t)
	{
		if (st->next_table_id == UINT32_MAX)
		{
			rc = ps_error_set(err, PS_ETOOBIG, "no table ids left");
			goto fail;
		}
		if (!(created = calloc(1, sizeof(*created))))
		{
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
			goto fail;
		}
		snprintf(created->name, sizeof(created->name), "%s", spec->table);
		created->id = st->next_table_id;
		created->dedup = spec->dedup;
		created->next_load_seq = 1;
		if (!(created->schema = ps_schema_copy(ld->schema)))
		{
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
			goto fail;
		}
		ld->creates_table = true;
		t = created;
	}
	if (t->next_load_seq == UINT32_MAX)
	{
		rc = ps_error_set(err, PS_ETOOBIG, "table \"%s\" has no load sequence numbers left",
						  t->name);
		goto fail;
	}
	ld->table = t;
	ld->seq = t->next_load_seq;
	ld->dedup = t->dedup;
	if ((rc = prepare_value_layout(ld, err)) != PS_OK)
		goto fail;

	/* Persist the marker, and the consumed sequence/table id, before any row. */
	wb = rocksdb_writebatch_create();
	marker_key(mk, t->id, ld->seq);
	if (marker_encode(&v, ld) != PS_OK)
	{
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
		goto fail;
	}
	rocksdb_writebatch_put_cf(wb, st->cf_catalog, (const char *) mk, 9, (const char *) v.data, v.len);
	if (created)
	{
		put_u32be(idb, created->id + 1);
		rocksdb_writebatch_put_cf(wb, st->cf_catalog, "N", 1, (const char *) idb, 4);
	}
	else if ((rc = write_table_record(st, wb, t, t->schema, t->row_count, t->min_time,
									  t->max_time, t->next_load_seq + 1, err)) != PS_OK)
		goto fail;
	if ((rc = inflight_add(t, ld->seq, err)) != PS_OK)
		goto fail;
	if (created && (rc = tables_add(st, created, err)) != PS_OK)
	{
		inflight_remove(t, ld->seq);
		goto fail;
	}
	if ((rc = write_batch(st, st->wo_rows, wb, err)) != PS_OK)
	{
		inflight_remove(t, ld->seq);
		if (created)
		{
			tables_remove(st, created);	/* frees it */
			created = NULL;
		}
		goto fail;
	}
	if (created)
		st->next_table_id++;
	t->next_load_seq++;
	if (ld->changes_schema)
		t->ddl_busy = true;
	pthread_mutex_unlock(&st->lock);

	rocksdb_writebatch_destroy(wb);
	ps_buf_free(&v);
	ld->wb = rocksdb_writebatch_create();
	*out = ld;
	return PS_OK;

fail:
	pthread_mutex_unlock(&st->lock);
	if (wb)
		rocksdb_writebatch_destroy(wb);
	ps_buf_free(&v);
	table_free(created);
	load_free(ld);
	return rc;
}

const ps_schema *
ps_load_schema(const ps_load *ld)
{
	return ld->schema;
}

const uint32_t *
ps_load_input_map(const ps_load *ld)
{
	return ld->input_map;
}

uint64_t
ps_load_rows(const ps_load *ld)
{
	return ld->rows;
}

/* ---------------------------------------------------------------- load writer */

static void
row_batch_reset(row_batch *b)
{
	ps_buf_reset(&b->bytes);
	b->nrows = 0;
	b->ordered = true;
}

static int
ordered_row_cmp(const void *a, const void *b)
{
	const ordered_row *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	/* Arrival order: row ids grow with it, so keys stay strictly increasing. */
	return x->start < y->start ? -1 : x->start > y->start;
}

static int64_t
row_time(const row_batch *b, size_t start)
{
	uint32_t	tid;
	int64_t		t;
	uint64_t	row_id;

	ps_key_decode(b->bytes.data + start, &tid, &t, &row_id);
	return t;
}

/* Point *order at b's rows in (time, arrival) order: sorts only unordered batches. */
static ps_status
order_rows(ps_load *ld, const row_batch *b, ps_error *err)
{
	if (ld->order_cap < b->nrows)
	{
		ordered_row *n = realloc(ld->order, b->nrows * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		ld->order = n;
		ld->order_cap = b->nrows;
	}
	for (uint32_t i = 0; i < b->nrows; i++)
	{
		ld->order[i].start = b->starts[i];
		ld->order[i].time = row_time(b, b->starts[i]);
	}
	if (!b->ordered)
		qsort(ld->order, b->nrows, sizeof(*ld->order), ordered_row_cmp);
	return PS_OK;
}

/* Put one row into the open bulk file, starting a file if none is open. */
static ps_status
sst_put(ps_load *ld, const uint8_t *key, const uint8_t *val, size_t vlen, ps_error *err)
{
	ps_store   *st = ld->st;
	char	   *rerr = NULL;

	if (!ld->sst)
	{
		if (asprintf(&ld->sst_path, "%s/%u-%u-%u.sst", st->ingest_dir, ld->table->id, ld->seq,
					 ld->sst_files) < 0)
		{
			ld->sst_path = NULL;
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		}
		ld->sst_files++;
		ld->sst = rocksdb_sstfilewriter_create(st->envopts, st->bulk_file_opts);
		rocksdb_sstfilewriter_open(ld->sst, ld->sst_path, &rerr);
		if (rerr)
			return rocks_error(err, rerr, "cannot create a bulk load file");
	}
	rocksdb_sstfilewriter_put(ld->sst, (const char *) key, PS_KEY_LEN, (const char *) val, vlen,
							  &rerr);
	if (rerr)
		return rocks_error(err, rerr, "cannot write a bulk load file");
	return PS_OK;
}

/* Forget the open bulk file (never ingested, so never visible). */
static void
sst_discard(ps_load *ld)
{
	if (ld->sst)
		rocksdb_sstfilewriter_destroy(ld->sst);
	if (ld->sst_path)
		unlink(ld->sst_path);
	free(ld->sst_path);
	ld->sst = NULL;
	ld->sst_path = NULL;
	ld->sst_bytes = 0;
}

/*
 * Finish the open bulk file and ingest it.  The marker, synced first, already
 * spans its rows (the writer counts rows as it takes them), so a crash after
 * the ingestion rolls them back.
 */
static ps_status
sst_ingest(ps_load *ld, ps_error *err)
{
	ps_store   *st = ld->st;
	rocksdb_writebatch_t *wb;
	ps_buf		v = PS_BUF_INIT;
	uint8_t		mk[9];
	char	   *rerr = NULL;
	const char *path = ld->sst_path;
	ps_status	rc;

	rocksdb_sstfilewriter_finish(ld->sst, &rerr);
	if (rerr)
	{
		rc = rocks_error(err, rerr, "cannot finish a bulk load file");
		sst_discard(ld);
		return rc;
	}
	if (marker_encode(&v, ld) != PS_OK)
	{
		sst_discard(ld);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	marker_key(mk, ld->table->id, ld->seq);
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(wb, st->cf_catalog, (const char *) mk, 9, (const char *) v.data, v.len);
	ps_buf_free(&v);
	rc = write_batch(st, st->wo_sync, wb, err);
	rocksdb_writebatch_destroy(wb);
	if (rc == PS_OK)
	{
		rocksdb_ingest_external_file_cf(st->db, st->cf_data, &path, 1, st->ingest_opts, &rerr);
		if (rerr)
			rc = rocks_error(err, rerr, "cannot ingest a bulk load file");
	}
	sst_discard(ld);
	return rc;
}

/*
 * Put one batch into RocksDB (the writer's side).  Rows of a bulk load that
 * keep time order go to the bulk file; the others, and every row of a small
 * or dedup load, go to one WriteBatch with the updated marker.
 */
static ps_status
write_rows(ps_load *ld, const row_batch *b, ps_error *err)
{
	ps_store   *st = ld->st;
	bool		bulk = !ld->dedup && ld->written_rows >= st->opts.bulk_min_rows;
	ps_status	rc;

	if (b->nrows == 0)
		return PS_OK;
	/* Counted before anything is written: the marker must cover every row. */
	ld->written_rows += b->nrows;
	if (b->min_time < ld->written_min)
		ld->written_min = b->min_time;
	if (b->max_time > ld->written_max)
		ld->written_max = b->max_time;
	if (bulk && (rc = order_rows(ld, b, err)) != PS_OK)
		return rc;
	for (uint32_t i = 0; i < b->nrows; i++)
	{
		size_t		start = bulk ? ld->order[i].start : b->starts[i];
		const uint8_t *key = b->bytes.data + start;
		uint32_t	vlen;

		memcpy(&vlen, key + PS_KEY_LEN, 4);
		if (bulk && (!ld->sst_started || ld->order[i].time >= ld->sst_last_time))
		{
			if ((rc = sst_put(ld, key, key + PS_KEY_LEN + 4, vlen, err)) != PS_OK)
				return rc;
			ld->sst_started = true;
			ld->sst_last_time = ld->order[i].time;
			ld->sst_bytes += PS_KEY_LEN + vlen;
		}
		else
			rocksdb_writebatch_put_cf(ld->wb, st->cf_data, (const char *) key, PS_KEY_LEN,
									  (const char *) key + PS_KEY_LEN + 4, vlen);
	}
	if (rocksdb_writebatch_count(ld->wb) > 0)
	{
		ps_buf		v = PS_BUF_INIT;
		uint8_t		mk[9];

		if (marker_encode(&v, ld) != PS_OK)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		marker_key(mk, ld->table->id, ld->seq);
		rocksdb_writebatch_put_cf(ld->wb, st->cf_catalog, (const char *) mk, 9,
								  (const char *) v.data, v.len);
		ps_buf_free(&v);
		rc = write_batch(st, st->wo_rows, ld->wb, err);
		rocksdb_writebatch_clear(ld->wb);
		if (rc != PS_OK)
			return rc;
	}
	if (ld->sst && ld->sst_bytes >= st->opts.bulk_file_bytes)
		return sst_ingest(ld, err);
	return PS_OK;
}

static void *
writer_main(void *arg)
{
	ps_load    *ld = arg;

	pthread_mutex_lock(&ld->mu);
	for (;;)
	{
		row_batch  *b;
		ps_error	e;
		ps_status	rc = PS_OK;

		while (!ld->queued && !ld->stop)
			pthread_cond_wait(&ld->cv, &ld->mu);
		if (ld->stop)
			break;
		b = ld->queued;
		pthread_mutex_unlock(&ld->mu);
		/* After a failure the rest is dropped: the load can only abort. */
		if (ld->wrc == PS_OK)
			rc = write_rows(ld, b, &e);
		row_batch_reset(b);
		pthread_mutex_lock(&ld->mu);
		if (rc != PS_OK)
		{
			ld->wrc = rc;
			ld->werr = e;
		}
		ld->queued = NULL;
		pthread_cond_broadcast(&ld->cv);
	}
	pthread_mutex_unlock(&ld->mu);
	return NULL;
}

/* Wait until the writer has written what it was handed (when finishing), then end it. */
static void
writer_stop(ps_load *ld, bool finish)
{
	if (!ld->threaded)
		return;
	pthread_mutex_lock(&ld->mu);
	while (finish && ld->queued)
		pthread_cond_wait(&ld->cv, &ld->mu);
	ld->stop = true;
	pthread_cond_broadcast(&ld->cv);
	pthread_mutex_unlock(&ld->mu);
	pthread_join(ld->thread, NULL);
	ld->threaded = false;
	ld->stop = false;
	if (ld->queued)
	{
		row_batch_reset(ld->queued);
		ld->queued = NULL;
	}
}

static ps_status
writer_failure(const ps_load *ld, ps_error *err)
{
	if (err)
		*err = ld->werr;
	return ld->wrc;
}

/*
 * Hand the filled batch to the writer.  The thread writes one batch while
 * the caller fills the other; a dedup load (or one whose thread could not
 * start) writes in the caller.  A write failure surfaces here or at commit.
 */
static ps_status
hand_off(ps_load *ld, ps_error *err)
{
	row_batch  *b = ld->fill;
	ps_status	rc;

	if (b->nrows == 0)
		return PS_OK;
	if (!ld->threaded && !ld->dedup)
		ld->threaded = pthread_create(&ld->thread, NULL, writer_main, ld) == 0;
	if (!ld->threaded)
	{
		if (ld->wrc == PS_OK && (rc = write_rows(ld, b, &ld->werr)) != PS_OK)
			ld->wrc = rc;
		row_batch_reset(b);
		if (ld->dedup_ids)
			memset(ld->dedup_ids, 0, ld->dedup_cap * sizeof(uint64_t));
		return ld->wrc == PS_OK ? PS_OK : writer_failure(ld, err);
	}
	pthread_mutex_lock(&ld->mu);
	while (ld->queued && ld->wrc == PS_OK)
		pthread_cond_wait(&ld->cv, &ld->mu);
	rc = ld->wrc;
	if (rc == PS_OK)
	{
		ld->queued = b;
		ld->fill = b == &ld->batches[0] ? &ld->batches[1] : &ld->batches[0];
		pthread_cond_broadcast(&ld->cv);
	}
	pthread_mutex_unlock(&ld->mu);
	return rc == PS_OK ? PS_OK : writer_failure(ld, err);
}

/* Everything appended is in RocksDB (and the writer ended) or an error says why not. */
static ps_status
load_drain(ps_load *ld, ps_error *err)
{
	ps_status	rc = hand_off(ld, err);

	writer_stop(ld, true);
	if (rc != PS_OK)
		return rc;
	if (ld->wrc != PS_OK)
		return writer_failure(ld, err);
	if (ld->sst)
		return sst_ingest(ld, err);
	return PS_OK;
}

/*
 * Dedup: true when the row id is already stored (committed, or earlier in
 * this load) or already in the pending batch; otherwise remember it.  Id 0 is
 * the set's empty slot, so a row whose hash is 0 is stored as 1.
 */
static ps_status
dedup_seen(ps_load *ld, const uint8_t key[PS_KEY_LEN], uint64_t row_id, bool *seen, ps_error *err)
{
	size_t		mask = ld->dedup_cap - 1;
	size_t		i = (size_t) (row_id * UINT64_C(0x9E3779B97F4A7C15) >> 20) & mask;
	char	   *rerr = NULL;
	size_t		vlen;
	char	   *v;

	for (;; i = (i + 1) & mask)
	{
		if (ld->dedup_ids[i] == row_id)
		{
			*seen = true;
			return PS_OK;
		}
		if (ld->dedup_ids[i] == 0)
			break;
	}
	v = rocksdb_get_cf(ld->st->db, ld->st->ro, ld->st->cf_data, (const char *) key, PS_KEY_LEN,
					   &vlen, &rerr);
	if (rerr)
		return rocks_error(err, rerr, "dedup lookup failed");
	*seen = v != NULL;
	free(v);
	if (!*seen)
		ld->dedup_ids[i] = row_id;
	return PS_OK;
}

ps_status
ps_load_append(ps_load *ld, const ps_value *values, ps_error *err)
{
	const ps_value *tv = &values[ld->schema->time_index];
	int64_t		time = tv->v.i;
	row_batch  *b = ld->fill;
	uint8_t		key[PS_KEY_LEN];
	uint64_t	row_id, tag = 0;
	size_t		start, vlen;
	ps_status	rc;

	if (ld->table->doomed)
		return ps_error_set(err, PS_EBUSY, "the load that created table \"%s\" was rolled back",
							ld->table->name);
	if (tv->is_null)
		return ps_error_set(err, PS_EINVAL, "time column \"%s\" is null",
							ld->schema->columns[ld->schema->time_index].name);
	for (uint32_t k = 0; k < ld->nvalue; k++)
		ld->scratch[k] = values[ld->value_columns[k]];

	if (ld->dedup)
	{
		bool		seen;

		/* Hash the untagged encoding so identical rows of any load collide. */
		ps_buf_reset(&ld->enc);
		if ((rc = ps_row_encode(ld->value_types, ld->nvalue, ld->scratch, 0, &ld->enc, err)) != PS_OK)
			return rc;
		row_id = ps_row_hash(time, ld->enc.data, ld->enc.len);
		if (row_id == 0)
			row_id = 1;
		ps_key_encode(key, ld->table->id, time, row_id);
		if ((rc = dedup_seen(ld, key, row_id, &seen, err)) != PS_OK)
			return rc;
		if (seen)
			return PS_OK;
		tag = ld->seq;
	}
	else
	{
		if (ld->rows >= ROWS_PER_LOAD_MAX)
			return ps_error_set(err, PS_ETOOBIG, "a single load is limited to %u rows",
								ROWS_PER_LOAD_MAX);
		row_id = ((uint64_t) ld->seq << 32) | ld->rows;
		ps_key_encode(key, ld->table->id, time, row_id);
	}
	if (b->nrows == b->cap)
	{
		uint32_t	cap = b->cap ? b->cap * 2 : 1024;
		size_t	   *n = realloc(b->starts, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		b->starts = n;
		b->cap = cap;
	}
	/* key | length | value, encoded in place. */
	start = b->bytes.len;
	if (ps_buf_append(&b->bytes, key, PS_KEY_LEN) != PS_OK ||
		ps_buf_append(&b->bytes, "\0\0\0\0", 4) != PS_OK)
	{
		b->bytes.len = start;
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	if ((rc = ps_row_encode(ld->value_types, ld->nvalue, ld->scratch, tag, &b->bytes, err)) != PS_OK)
	{
		b->bytes.len = start;
		return rc;
	}
	vlen = b->bytes.len - start - PS_KEY_LEN - 4;
	if (vlen > UINT32_MAX)
	{
		b->bytes.len = start;
		return ps_error_set(err, PS_ETOOBIG, "row value of %zu bytes is too large", vlen);
	}
	memcpy(b->bytes.data + start + PS_KEY_LEN, &(uint32_t) {(uint32_t) vlen}, 4);
	b->starts[b->nrows] = start;
	if (b->nrows == 0 || time < b->min_time)
		b->min_time = time;
	if (b->nrows == 0 || time > b->max_time)
		b->max_time = time;
	if (b->nrows > 0 && time < b->last_time)
		b->ordered = false;
	b->last_time = time;
	b->nrows++;
	ld->rows++;
	if (time < ld->min_time)
		ld->min_time = time;
	if (time > ld->max_time)
		ld->max_time = time;
	if (b->nrows >= ld->st->opts.batch_size || b->bytes.len >= BATCH_BYTES_MAX)
		return hand_off(ld, err);
	return PS_OK;
}

/* Remove every trace of a load; called with st->lock NOT held. */
static void
load_rollback(ps_load *ld)
{
	ps_store   *st = ld->st;
	ps_error	ignored;
	uint8_t		mk[9];
	rocksdb_writebatch_t *wb;

	/* Stop writing first; a bulk file not ingested yet was never visible. */
	writer_stop(ld, false);
	sst_discard(ld);
	/* The span covers every appended row, so it covers every written one. */
	if (delete_load_rows(st, ld->table->id, ld->seq, ld->creates_table, ld->dedup,
						 ld->written_rows, ld->min_time, ld->max_time, &ignored) == PS_OK)
	{
		marker_key(mk, ld->table->id, ld->seq);
		wb = rocksdb_writebatch_create();
		rocksdb_writebatch_delete_cf(wb, st->cf_catalog, (const char *) mk, 9);
		write_batch(st, st->wo_rows, wb, &ignored);
		rocksdb_writebatch_destroy(wb);
	}
	/* On failure the marker stays and the next open finishes the rollback. */
	pthread_mutex_lock(&st->lock);
	inflight_remove(ld->table, ld->seq);
	if (ld->changes_schema)
		ld->table->ddl_busy = false;
	/*
	 * A table being created goes with its creator; loads that joined it (their
	 * rows went with the creator's range delete) fail from now on, and the
	 * last of them to leave frees it.
	 */
	if (ld->creates_table)
		ld->table->doomed = true;
	if (ld->table->doomed && ld->table->ninflight == 0)
		tables_remove(st, ld->table);
	pthread_mutex_unlock(&st->lock);
}

void
ps_load_abort(ps_load *ld)
{
	if (!ld)
		return;
	load_rollback(ld);
	load_free(ld);
}

static bool
creator_among(ps_load **lds, size_t n, const ps_table *t)
{
	for (size_t i = 0; i < n; i++)
		if (lds[i]->table == t && lds[i]->creates_table)
			return true;
	return false;
}

/* The state a table reaches when a set of its loads commits together. */
typedef struct table_delta {
	ps_table   *table;
	uint64_t	row_count;
	int64_t		min_time, max_time;
	const ps_schema *schema;	/* schema to persist */
	ps_load    *schema_load;	/* the load that created or extended it, if any */
} table_delta;

static bool
first_load_of_table(ps_load **lds, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (lds[j]->table == lds[i]->table)
			return false;
	return true;
}

/*
 * Add up every load of t among lds[0..n).  Called under st->lock.  A table
 * still being created commits only with its creator.
 */
static ps_status
sum_table_loads(ps_load **lds, size_t n, ps_table *t, table_delta *d, ps_error *err)
{
	d->table = t;
	d->row_count = t->row_count;
	d->min_time = t->min_time;
	d->max_time = t->max_time;
	d->schema = t->schema;
	d->schema_load = NULL;
	for (size_t i = 0; i < n; i++)
	{
		ps_load    *ld = lds[i];

		if (ld->table != t)
			continue;
		if (ld->creates_table || ld->changes_schema)
		{
			d->schema = ld->schema;
			d->schema_load = ld->changes_schema ? ld : NULL;
		}
		if (ld->rows == 0)
			continue;
		if (d->row_count == 0 || ld->min_time < d->min_time)
			d->min_time = ld->min_time;
		if (d->row_count == 0 || ld->max_time > d->max_time)
			d->max_time = ld->max_time;
		d->row_count += ld->rows;
	}
	if (d->row_count == 0)
		d->min_time = d->max_time = 0;
	if (!t->visible && !creator_among(lds, n, t))
		return ps_error_set(err, PS_EBUSY,
							"table \"%s\" is still being created by a load that has not committed",
							t->name);
	return PS_OK;
}

ps_status
ps_load_commit(ps_load *ld, ps_error *err)
{
	return ps_load_commit_many(&ld, 1, err);
}

ps_status
ps_load_commit_many(ps_load **lds, size_t n, ps_error *err)
{
	ps_store   *st;
	rocksdb_writebatch_t *wb;
	ps_status	rc = PS_OK;

	if (n == 0)
		return PS_OK;
	st = lds[0]->st;
	for (size_t i = 0; i < n && rc == PS_OK; i++)
	{
		if (lds[i]->st != st)
			rc = ps_error_set(err, PS_EINVAL, "loads of different stores cannot commit together");
		else
			rc = load_drain(lds[i], err);
	}
	if (rc != PS_OK)
	{
		for (size_t i = 0; i < n; i++)
			ps_load_abort(lds[i]);
		return rc;
	}

	pthread_mutex_lock(&st->lock);
	wb = rocksdb_writebatch_create();
	for (size_t i = 0; i < n && rc == PS_OK; i++)
	{
		uint8_t		mk[9];

		marker_key(mk, lds[i]->table->id, lds[i]->seq);
		rocksdb_writebatch_delete_cf(wb, st->cf_catalog, (const char *) mk, 9);
		if (first_load_of_table(lds, i))
		{
			table_delta d;

			if ((rc = sum_table_loads(lds, n, lds[i]->table, &d, err)) == PS_OK)
				rc = write_table_record(st, wb, d.table, d.schema, d.row_count, d.min_time,
										d.max_time, d.table->next_load_seq, err);
		}
	}
	if (rc == PS_OK)
		rc = write_batch(st, st->wo_commit, wb, err);
	rocksdb_writebatch_destroy(wb);
	if (rc == PS_OK)
	{
		for (size_t i = 0; i < n; i++)
		{
			ps_table   *t = lds[i]->table;
			table_delta d;

			if (first_load_of_table(lds, i))
			{
				sum_table_loads(lds, n, t, &d, NULL);
				t->row_count = d.row_count;
				t->min_time = d.min_time;
				t->max_time = d.max_time;
				if (d.schema_load)
				{
					ps_schema_free(t->schema);
					t->schema = d.schema_load->schema;
					d.schema_load->schema = NULL;
					t->ddl_busy = false;
				}
				t->visible = true;
			}
			inflight_remove(t, lds[i]->seq);
		}
		pthread_mutex_unlock(&st->lock);
		for (size_t i = 0; i < n; i++)
			load_free(lds[i]);
		return PS_OK;
	}
	pthread_mutex_unlock(&st->lock);
	for (size_t i = 0; i < n; i++)
		ps_load_abort(lds[i]);
	return rc;
}

/* ------------------------------------------------------------------------ scans */

/* Rows a scan will read, assuming rows spread evenly over the table's time span. */
static uint64_t
scan_rows_estimate(const ps_table *t, const ps_scan_spec *spec)
{
	int64_t		lo = spec->lo > t->min_time ? spec->lo : t->min_time;
	int64_t		hi = spec->hi < t->max_time ? spec->hi : t->max_time;
	double		share;
	uint64_t	rows;

	if (t->row_count == 0 || lo > hi)
		return 0;
	share = ((double) hi - (double) lo + 1) / ((double) t->max_time - (double) t->min_time + 1);
	rows = (uint64_t) ((double) t->row_count * share);
	if (spec->limit > 0 && spec->limit < UINT64_MAX - spec->offset && spec->offset + spec->limit < rows)
		rows = spec->offset + spec->limit;
	return rows;
}

/*
 * A scan expected to read more rows than a quarter of the block cache holds
 * reads around it: it would evict what small scans reuse and gain nothing.
 */
static uint64_t
big_scan_rows(const ps_store *st)
{
	return ((uint64_t) st->opts.block_cache_mb << 20) / CACHED_ROW_BYTES / 4;
}

/* Resolve spec's series filters against the scan's schema and copy their values. */
static ps_status
scan_set_filters(ps_scan *sc, const ps_scan_spec *spec, ps_error *err)
{
	const ps_schema *s = sc->schema;
	size_t		bytes = 0;

	if (spec->nfilters > PS_MAX_SERIES_COLUMNS)
		return ps_error_set(err, PS_EINVAL, "too many series filters (at most %d)",
							PS_MAX_SERIES_COLUMNS);
	sc->nvalue = ps_schema_value_count(s);
	sc->value_types = malloc((sc->nvalue + 1) * sizeof(ps_type));
	sc->decoded = malloc((sc->nvalue + 1) * sizeof(ps_value));
	if (!sc->value_types || !sc->decoded)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	ps_schema_value_types(s, sc->value_types);
	for (uint32_t f = 0; f < spec->nfilters; f++)
		for (uint32_t i = 0; i < spec->filters[f].nvalues; i++)
			if (!spec->filters[f].values[i].is_null &&
				ps_schema_find(s, spec->filters[f].column) >= 0 &&
				s->columns[ps_schema_find(s, spec->filters[f].column)].type == PS_TYPE_STRING)
				bytes += spec->filters[f].values[i].v.s.len;
	if (ps_buf_reserve(&sc->filter_strings, bytes + 1) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t f = 0; f < spec->nfilters; f++)
	{
		const ps_series_filter *flt = &spec->filters[f];
		int			col = flt->column ? ps_schema_find(s, flt->column) : -1;

		if (col < 0 || !ps_schema_is_series(s, (uint32_t) col))
			return ps_error_set(err, PS_EINVAL, "column \"%s\" is not in the series key of table \"%s\"",
								flt->column ? flt->column : "", spec->table);
		sc->filter_col[f] = ps_schema_value_index(s, (uint32_t) col);
		sc->filter_nvalues[f] = flt->nvalues;
		if (!(sc->filter_values[f] = malloc((flt->nvalues + 1) * sizeof(ps_value))))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		for (uint32_t i = 0; i < flt->nvalues; i++)
		{
			ps_value	v = flt->values[i];

			if (!v.is_null && s->columns[col].type == PS_TYPE_STRING)
			{
				/* Reserved above: the buffer does not move. */
				v.v.s.ptr = (const char *) sc->filter_strings.data + sc->filter_strings.len;
				ps_buf_append(&sc->filter_strings, flt->values[i].v.s.ptr, v.v.s.len);
			}
			sc->filter_values[f][i] = v;
		}
		sc->nfilters++;
	}
	return PS_OK;
}

static bool
value_equal(ps_type t, const ps_value *a, const ps_value *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null;
	if (t == PS_TYPE_STRING)
		return a->v.s.len == b->v.s.len && memcmp(a->v.s.ptr, b->v.s.ptr, a->v.s.len) == 0;
	if (t == PS_TYPE_BOOLEAN)
		return a->v.b == b->v.b;
	return a->v.i == b->v.i;
}

/* Does a stored row pass every series filter? */
static bool
row_passes_filters(ps_scan *sc, const char *v, size_t vlen)
{
	if (ps_row_decode(sc->value_types, sc->nvalue, v, vlen, sc->decoded, NULL, NULL) != PS_OK)
		return false;
	for (uint32_t f = 0; f < sc->nfilters; f++)
	{
		uint32_t	c = sc->filter_col[f];
		bool		hit = false;

		for (uint32_t i = 0; i < sc->filter_nvalues[f] && !hit; i++)
			hit = value_equal(sc->value_types[c], &sc->decoded[c], &sc->filter_values[f][i]);
		if (!hit)
			return false;
	}
	return true;
}

ps_status
ps_scan_open(ps_store *st, const ps_scan_spec *spec, ps_scan **out, ps_error *err)
{
	ps_scan    *sc;
	ps_table   *t;
	bool		no_memory, big_scan;
	ps_status	rc;

	*out = NULL;
	if (spec->lo > spec->hi)
		return ps_error_set(err, PS_EINVAL, "scan range start is after its end");
	if (!(sc = calloc(1, sizeof(*sc))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	sc->st = st;
	pthread_mutex_lock(&st->lock);
	if (!(t = find_visible_table(st, spec->table, err)))
	{
		pthread_mutex_unlock(&st->lock);
		free(sc);
		return PS_ENOTFOUND;
	}
	sc->table_id = t->id;
	sc->tagged = t->dedup;
	sc->schema = ps_schema_copy(t->schema);
	if (t->ninflight > 0)
	{
		sc->inflight = malloc(t->ninflight * sizeof(uint32_t));
		if (sc->inflight)
		{
			memcpy(sc->inflight, t->inflight, t->ninflight * sizeof(uint32_t));
			sc->ninflight = t->ninflight;
		}
	}
	sc->snap = rocksdb_create_snapshot(st->db);
	atomic_fetch_add_explicit(&st->open_scans, 1, memory_order_relaxed);
	/* Per-row perf counters cost a thread-local lookup each: off (per thread). */
	rocksdb_set_perf_level(rocksdb_disable);
	/* Decided under the lock: once it is released, t may change or go. */
	no_memory = !sc->schema || (t->ninflight > 0 && !sc->inflight);
	big_scan = scan_rows_estimate(t, spec) >= big_scan_rows(st);
	pthread_mutex_unlock(&st->lock);
	if (no_memory)
	{
		ps_scan_close(sc);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	sc->upper_len = range_bounds(sc->table_id, spec->lo, spec->hi, sc->lower, sc->upper);
	sc->ro = rocksdb_readoptions_create();
	if (big_scan)
		rocksdb_readoptions_set_fill_cache(sc->ro, 0);
	rocksdb_readoptions_set_snapshot(sc->ro, sc->snap);
	rocksdb_readoptions_set_iterate_lower_bound(sc->ro, (const char *) sc->lower, PS_KEY_LEN);
	rocksdb_readoptions_set_iterate_upper_bound(sc->ro, (const char *) sc->upper, sc->upper_len);
	sc->it = rocksdb_create_iterator_cf(st->db, sc->ro, st->cf_data);
	if (spec->nfilters > 0 && (rc = scan_set_filters(sc, spec, err)) != PS_OK)
	{
		ps_scan_close(sc);
		return rc;
	}
	sc->descending = spec->descending;
	sc->to_skip = spec->offset;
	sc->remaining = spec->limit ? spec->limit : UINT64_MAX;
	*out = sc;
	return PS_OK;
}

const ps_schema *
ps_scan_schema(const ps_scan *sc)
{
	return sc->schema;
}

static bool
row_in_flight(const ps_scan *sc, uint64_t row_id, const char *v, size_t vlen)
{
	uint64_t	seq = row_id >> 32;

	if (sc->tagged && ps_row_tag(v, vlen, &seq) != PS_OK)
		return false;
	for (uint32_t i = 0; i < sc->ninflight; i++)
		if (sc->inflight[i] == seq)
			return true;
	return false;
}

ps_status
ps_scan_next(ps_scan *sc, ps_scan_row *row, bool *done, ps_error *err)
{
	*done = false;
	while (sc->remaining > 0)
	{
		size_t		klen, vlen;
		const char *k, *v;
		uint32_t	tid;

		if (!sc->started)
		{
			if (sc->descending)
				rocksdb_iter_seek_to_last(sc->it);
			else
				rocksdb_iter_seek_to_first(sc->it);
			sc->started = true;
		}
		else if (sc->descending)
			rocksdb_iter_prev(sc->it);
		else
			rocksdb_iter_next(sc->it);
		if (!rocksdb_iter_valid(sc->it))
		{
			char	   *rerr = NULL;

			rocksdb_iter_get_error(sc->it, &rerr);
			if (rerr)
				return rocks_error(err, rerr, "scan failed");
			break;
		}
		k = rocksdb_iter_key(sc->it, &klen);
		v = rocksdb_iter_value(sc->it, &vlen);
		if (klen != PS_KEY_LEN)
			return ps_error_set(err, PS_ECORRUPT, "malformed row key in table id %u", sc->table_id);
		ps_key_decode((const uint8_t *) k, &tid, &row->time, &row->row_id);
		if (sc->ninflight > 0 && row_in_flight(sc, row->row_id, v, vlen))
			continue;
		if (sc->nfilters > 0 && !row_passes_filters(sc, v, vlen))
			continue;
		if (sc->to_skip > 0)
		{
			sc->to_skip--;
			continue;
		}
		if (sc->remaining != UINT64_MAX)
			sc->remaining--;
		row->value = v;
		row->value_len = vlen;
		return PS_OK;
	}
	*done = true;
	return PS_OK;
}

void
ps_scan_close(ps_scan *sc)
{
	if (!sc)
		return;
	if (sc->it)
		rocksdb_iter_destroy(sc->it);
	if (sc->ro)
		rocksdb_readoptions_destroy(sc->ro);
	if (sc->snap)
	{
		rocksdb_release_snapshot(sc->st->db, sc->snap);
		atomic_fetch_sub_explicit(&sc->st->open_scans, 1, memory_order_relaxed);
	}
	ps_schema_free(sc->schema);
	free(sc->inflight);
	for (uint32_t f = 0; f < PS_MAX_SERIES_COLUMNS; f++)
		free(sc->filter_values[f]);
	ps_buf_free(&sc->filter_strings);
	free(sc->value_types);
	free(sc->decoded);
	free(sc);
}
