/*
 * ps_store.c — opening and closing a store (RocksDB with its four column
 * families, see ps_store_int.h), its options, and the read-only catalog
 * calls: list tables, table info, activity, sizes, compaction.
 *
 * The rest of the engine is split by job: ps_catalog.c (catalog records),
 * ps_series_dict.c (series dictionaries), ps_load.c (loads), ps_commit.c
 * (commit and abort), ps_dedup.c (dedup tables), ps_rollback.c (abort and
 * crash recovery), ps_scan.c (the block read path), ps_series_match.c
 * (which series a filter selects), ps_delete.c
 * (delete_range, drop), ps_merge.c (the background merge), ps_upgrade.c
 * (format 1 to 2), ps_backup.c (backups and restore); blocks themselves
 * are ps_block.c.
 */
#include "ps_store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_store_int.h"

/* ------------------------------------------------------------------ helpers */

ps_status
ps_rocks_error(ps_error *err, char *rerr, const char *what)
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

ps_status
ps_store_write(ps_store *st, rocksdb_writeoptions_t *wo, rocksdb_writebatch_t *wb, ps_error *err)
{
	char	   *rerr = NULL;

	rocksdb_write(st->db, wo, wb, &rerr);
	if (rerr)
		return ps_rocks_error(err, rerr, "write failed");
	return PS_OK;
}

void
ps_put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

uint32_t
ps_get_u32be(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
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
	o->merge_interval_ms = 1000;
	o->decoded_cache_mb = 256;
	o->partition_dirs_kb = 32768;
}

static ps_status
check_format(ps_store *st, ps_error *err)
{
	char	   *rerr = NULL;
	size_t		vlen;
	char	   *v = rocksdb_get_cf(st->db, st->ro, st->cf_catalog, "F", 1, &vlen, &rerr);
	ps_status	rc = PS_OK;
	uint32_t	version;

	if (rerr)
		return ps_rocks_error(err, rerr, "cannot read catalog");
	if (!v)
	{
		uint8_t		b[4];
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();

		ps_put_u32be(b, PS_STORE_FORMAT_VERSION);
		rocksdb_writebatch_put_cf(wb, st->cf_catalog, "F", 1, (const char *) b, 4);
		rc = ps_store_write(st, st->wo_commit, wb, err);
		rocksdb_writebatch_destroy(wb);
		return rc;
	}
	version = vlen == 4 ? ps_get_u32be((uint8_t *) v) : 0;
	free(v);
	if (version == 1)
		return ps_error_set(err, PS_EFORMAT,
							"data directory \"%s\" holds a store of format 1 (Pulsora 0.1); convert it with: pulsorad --upgrade -D %s",
							st->dir, st->dir);
	if (version != PS_STORE_FORMAT_VERSION)
		return ps_error_set(err, PS_ECORRUPT,
							"unsupported store format version %u in \"%s\" (this build reads version %d)",
							version, st->dir, PS_STORE_FORMAT_VERSION);
	return PS_OK;
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

	/* Blocks are read by range scans and point reads of whole values: no bloom filter. */
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

	/* Block metadata: small values read in key order by every scan. */
	st->meta_table_opts = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(st->meta_table_opts, st->cache);
	rocksdb_block_based_options_set_block_size(st->meta_table_opts, 16 << 10);
	st->cf_meta_opts = rocksdb_options_create();
	rocksdb_options_set_block_based_table_factory(st->cf_meta_opts, st->meta_table_opts);
	rocksdb_options_set_compression(st->cf_meta_opts, rocksdb_lz4_compression);
	rocksdb_options_set_write_buffer_size(st->cf_meta_opts, 16 << 20);

	/* Dedup entries are read by point lookups: bloom filter, like the catalog. */
	st->cf_dedup_opts = rocksdb_options_create();
	rocksdb_options_set_block_based_table_factory(st->cf_dedup_opts, st->catalog_table_opts);
	rocksdb_options_set_write_buffer_size(st->cf_dedup_opts, 16 << 20);

	st->wo_rows = rocksdb_writeoptions_create();
	st->wo_commit = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(st->wo_commit, o->sync ? 1 : 0);
	st->ro = rocksdb_readoptions_create();
}

ps_status
ps_store_open(const char *dir, const ps_store_options *o, ps_store **out, ps_error *err)
{
	return ps_store_open_db(dir, "db", o, out, err);
}

ps_status
ps_store_open_db(const char *dir, const char *db_name, const ps_store_options *o,
				 ps_store **out, ps_error *err)
{
	ps_store   *st;
	char	   *path, *rerr = NULL;
	const char *cf_names[5] = {"default", "catalog", "data", "meta", "dedup"};
	const rocksdb_options_t *cf_opts[5];
	rocksdb_column_family_handle_t *handles[5];
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
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->progress_mu, NULL);
	pthread_cond_init(&st->merge_cv, NULL);
	{
		pthread_condattr_t ca;

		/* ps_load_commit_waiting's deadline is on the monotonic clock. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&st->created_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	configure_rocksdb(st);
	if ((st->opts.decoded_cache_mb > 0 &&
		 (rc = ps_block_cache_new((size_t) st->opts.decoded_cache_mb << 20, &st->decoded,
								  err)) != PS_OK) ||
		(st->opts.partition_dirs_kb > 0 &&
		 (rc = ps_meta_dir_cache_new((size_t) st->opts.partition_dirs_kb << 10,
									 (size_t) st->opts.partition_dirs_kb << 8, &st->dirs,
									 err)) != PS_OK))
	{
		ps_store_close(st);
		return rc;
	}

	if (asprintf(&path, "%s/%s", dir, db_name) < 0)
	{
		ps_store_close(st);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	cf_opts[0] = st->dbopts;
	cf_opts[1] = st->cf_catalog_opts;
	cf_opts[2] = st->cf_data_opts;
	cf_opts[3] = st->cf_meta_opts;
	cf_opts[4] = st->cf_dedup_opts;
	st->db = rocksdb_open_column_families(st->dbopts, path, 5, cf_names, cf_opts, handles, &rerr);
	free(path);
	if (rerr)
	{
		rc = ps_rocks_error(err, rerr, "cannot open the store");
		if (rc == PS_ELOCKED)
			ps_error_set(err, PS_ELOCKED, "data directory \"%s\" is locked by another process", dir);
		ps_store_close(st);
		return rc;
	}
	st->cf_default = handles[0];
	st->cf_catalog = handles[1];
	st->cf_data = handles[2];
	st->cf_meta = handles[3];
	st->cf_dedup = handles[4];

	if ((rc = check_format(st, err)) != PS_OK ||
		(rc = ps_catalog_load(st, err)) != PS_OK ||
		(rc = ps_rollback_recover(st, err)) != PS_OK)
	{
		ps_store_close(st);
		return rc;
	}
	ps_merge_start(st);
	*out = st;
	return PS_OK;
}

void
ps_store_close(ps_store *st)
{
	if (!st)
		return;
	ps_merge_stop(st);
	if (st->db)
	{
		rocksdb_column_family_handle_destroy(st->cf_default);
		rocksdb_column_family_handle_destroy(st->cf_catalog);
		rocksdb_column_family_handle_destroy(st->cf_data);
		rocksdb_column_family_handle_destroy(st->cf_meta);
		rocksdb_column_family_handle_destroy(st->cf_dedup);
		rocksdb_close(st->db);
	}
	rocksdb_writeoptions_destroy(st->wo_rows);
	rocksdb_writeoptions_destroy(st->wo_commit);
	rocksdb_readoptions_destroy(st->ro);
	rocksdb_options_destroy(st->dbopts);
	rocksdb_options_destroy(st->cf_catalog_opts);
	rocksdb_options_destroy(st->cf_data_opts);
	rocksdb_options_destroy(st->cf_meta_opts);
	rocksdb_options_destroy(st->cf_dedup_opts);
	rocksdb_block_based_options_destroy(st->catalog_table_opts);
	rocksdb_block_based_options_destroy(st->data_table_opts);
	rocksdb_block_based_options_destroy(st->meta_table_opts);
	rocksdb_cache_destroy(st->cache);
	ps_block_cache_free(st->decoded);
	ps_meta_dir_cache_free(st->dirs);
	for (size_t i = 0; i < st->ntables; i++)
		ps_table_free(st->tables[i]);
	free(st->tables);
	pthread_cond_destroy(&st->merge_cv);
	pthread_cond_destroy(&st->created_cv);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->progress_mu);
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
	info->nseries = t->schema->nseries > 0 ? t->dict.ncommitted : 0;
	memcpy(info->time_format, t->time_format, sizeof info->time_format);
	memcpy(info->timezone, t->timezone, sizeof info->timezone);
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
	t = ps_table_find_visible(st, table, err);
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

uint64_t
ps_dir_bytes(const char *path, int max_depth, bool apparent)
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
		if (S_ISDIR(sb.st_mode) && max_depth > 0)
			total += ps_dir_bytes(child, max_depth - 1, apparent);
		else if (S_ISREG(sb.st_mode))
			total += apparent ? (uint64_t) sb.st_size : (uint64_t) sb.st_blocks * 512;
	}
	closedir(d);
	return total;
}

void
ps_store_activity_get(ps_store *st, ps_store_activity *out)
{
	out->open_scans = atomic_load_explicit(&st->open_scans, memory_order_relaxed);
	out->open_loads = 0;
	out->merge_backlog = 0;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->ntables; i++)
	{
		out->open_loads += st->tables[i]->ninflight;
		out->merge_backlog += st->tables[i]->ndirty;
	}
	pthread_mutex_unlock(&st->lock);
	out->decoded_cache_bytes = st->decoded ? ps_block_cache_bytes(st->decoded) : 0;
	out->decoded_cache_budget = st->decoded ? ps_block_cache_budget(st->decoded) : 0;
}

ps_status
ps_store_table_blocks(ps_store *st, const char *table, uint64_t *blocks, ps_error *err)
{
	ps_table   *t;
	uint8_t		lower[4], upper[4];
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	char	   *rerr = NULL;

	*blocks = 0;
	pthread_mutex_lock(&st->lock);
	t = ps_table_find_visible(st, table, err);
	if (t)
		ps_put_u32be(lower, t->id), ps_put_u32be(upper, t->id + 1);
	pthread_mutex_unlock(&st->lock);
	if (!t)
		return PS_ENOTFOUND;
	ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) upper, 4);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf_meta);
	for (rocksdb_iter_seek(it, (const char *) lower, 4); rocksdb_iter_valid(it); rocksdb_iter_next(it))
		(*blocks)++;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rerr ? ps_rocks_error(err, rerr, "cannot count blocks") : PS_OK;
}

uint64_t
ps_store_disk_size(ps_store *st)
{
	char		path[4096];

	if (snprintf(path, sizeof(path), "%s/db", st->dir) >= (int) sizeof(path))
		return 0;
	return ps_dir_bytes(path, 4, false);
}

uint64_t
ps_store_table_bytes(ps_store *st, uint32_t table_id)
{
	/* A table's keys in data, meta and dedup all start with its id (ps_store_int.h). */
	rocksdb_column_family_handle_t *cfs[3] = {st->cf_data, st->cf_meta, st->cf_dedup};
	uint8_t		lo[4], hi[4];
	const char *los[1] = {(const char *) lo}, *his[1] = {(const char *) hi};
	const size_t lens[1] = {4};
	uint64_t	total = 0;

	ps_put_u32be(lo, table_id);
	ps_put_u32be(hi, table_id + 1);	/* table ids stay below UINT32_MAX */
	for (int i = 0; i < 3; i++)
	{
		uint64_t	size = 0;
		char	   *rerr = NULL;

		rocksdb_approximate_sizes_cf(st->db, cfs[i], 1, los, lens, his, lens, &size, &rerr);
		/* It fails only on bad arguments: then this family counts nothing. */
		if (!rerr)
			total += size;
		free(rerr);
	}
	return total;
}

ps_status
ps_store_compact(ps_store *st, ps_error *err)
{
	rocksdb_compactoptions_t *co;
	uint64_t	runs;
	ps_status	rc = ps_store_merge_all(st, &runs, err);

	if (rc != PS_OK)
		return rc;
	co = rocksdb_compactoptions_create();
	/*
	 * Rewrite the last level too (RocksDB skips it by default), so every
	 * block ends up with the bottommost codec.  3 = BottommostLevelCompaction::kForceOptimized.
	 */
	rocksdb_compactoptions_set_bottommost_level_compaction(co, 3);
	rocksdb_compact_range_cf_opt(st->db, st->cf_data, co, NULL, 0, NULL, 0);
	rocksdb_compact_range_cf_opt(st->db, st->cf_meta, co, NULL, 0, NULL, 0);
	rocksdb_compact_range_cf_opt(st->db, st->cf_dedup, co, NULL, 0, NULL, 0);
	rocksdb_compact_range_cf_opt(st->db, st->cf_catalog, co, NULL, 0, NULL, 0);
	rocksdb_compactoptions_destroy(co);
	return PS_OK;
}

