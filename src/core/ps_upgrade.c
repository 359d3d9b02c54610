/*
 * ps_upgrade.c — format 1 to format 2, in place and crash-safe.  See
 * ps_upgrade.h.
 *
 * Format 1 (read here only): column families "catalog" ("F" version, "N"
 * next id, "T" + name -> u8 1 | u32 id | u8 dedup | u32 next seq | u64 rows
 * | i64 min | i64 max | schema, "L" + id + seq -> in-flight load) and "data"
 * (ps_row.h keys and values).  Rows of loads still in flight are skipped:
 * they were never committed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* renameat2 */
#endif
#include "ps_upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_row.h"
#include "ps_store_int.h"

#define NEW_DB "db.upgrade"

typedef struct old_store {
	rocksdb_t  *db;
	rocksdb_options_t *opts;
	rocksdb_column_family_handle_t **cfs;	/* every column family the store has */
	size_t		ncfs;
	rocksdb_column_family_handle_t *catalog, *data;
	rocksdb_readoptions_t *ro;
	uint64_t   *inflight;		/* table << 32 | seq of loads left in flight */
	size_t		ninflight;
} old_store;

typedef struct old_table {
	char		name[PS_MAX_NAME + 1];
	uint32_t	id;
	bool		dedup;
	uint64_t	rows;
	ps_schema  *schema;
} old_table;

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static ps_status
remove_tree(const char *path, ps_error *err)
{
	struct stat sb;

	if (lstat(path, &sb) != 0 && errno == ENOENT)
		return PS_OK;
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return ps_error_set(err, PS_EIO, "cannot remove %s: %s", path, strerror(errno));
	return PS_OK;
}

static void
old_close(old_store *o)
{
	for (size_t i = 0; i < o->ncfs; i++)
		if (o->cfs[i])
			rocksdb_column_family_handle_destroy(o->cfs[i]);
	free(o->cfs);
	if (o->db)
		rocksdb_close(o->db);
	if (o->opts)
		rocksdb_options_destroy(o->opts);
	if (o->ro)
		rocksdb_readoptions_destroy(o->ro);
	free(o->inflight);
}

static ps_status
old_open(const char *dir, old_store *o, uint32_t *version, ps_error *err)
{
	const rocksdb_options_t **opts;
	char		path[4096];
	char	   *rerr = NULL, *v, **names;
	size_t		vlen, n = 0;

	snprintf(path, sizeof(path), "%s/db", dir);
	o->opts = rocksdb_options_create();
	names = rocksdb_list_column_families(o->opts, path, &n, &rerr);
	if (rerr)
		return ps_rocks_error(err, rerr, "cannot open the store to upgrade");
	opts = malloc((n + 1) * sizeof(*opts));
	o->cfs = calloc(n + 1, sizeof(*o->cfs));
	if (!opts || !o->cfs)
	{
		free(opts);
		rocksdb_list_column_families_destroy(names, n);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		opts[i] = o->opts;
	o->db = rocksdb_open_column_families(o->opts, path, (int) n, (const char *const *) names, opts,
										 o->cfs, &rerr);
	free(opts);
	if (!rerr)
	{
		o->ncfs = n;
		for (size_t i = 0; i < n; i++)
			if (strcmp(names[i], "catalog") == 0)
				o->catalog = o->cfs[i];
			else if (strcmp(names[i], "data") == 0)
				o->data = o->cfs[i];
	}
	rocksdb_list_column_families_destroy(names, n);
	if (rerr)
	{
		o->db = NULL;
		return ps_rocks_error(err, rerr, "cannot open the store to upgrade");
	}
	if (!o->catalog || !o->data)
		return ps_error_set(err, PS_ECORRUPT, "%s holds no Pulsora store", path);
	o->ro = rocksdb_readoptions_create();
	v = rocksdb_get_cf(o->db, o->ro, o->catalog, "F", 1, &vlen, &rerr);
	if (rerr)
		return ps_rocks_error(err, rerr, "cannot read the catalog");
	*version = v && vlen == 4 ? ps_get_u32be((uint8_t *) v) : 0;
	free(v);
	return PS_OK;
}

/* The v1 tables and in-flight markers. */
static ps_status
old_catalog(old_store *o, old_table **tables, size_t *ntables, ps_error *err)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(o->db, o->ro, o->catalog);
	ps_status	rc = PS_OK;
	size_t		cap = 0;

	*tables = NULL;
	*ntables = 0;
	for (rocksdb_iter_seek(it, "L", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it))
	{
		size_t		klen;
		const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		uint64_t   *n;

		if (klen != 9 || k[0] != 'L')
			break;
		if (!(n = realloc(o->inflight, (o->ninflight + 1) * sizeof(*n))))
		{
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
			goto out;
		}
		o->inflight = n;
		n[o->ninflight++] = ((uint64_t) ps_get_u32be(k + 1) << 32) | ps_get_u32be(k + 5);
	}
	for (rocksdb_iter_seek(it, "T", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);
		ps_reader	r;
		uint8_t		version, dedup;
		uint32_t	seq;
		uint64_t	mn, mx;
		old_table  *t;

		if (klen < 1 || k[0] != 'T')
			break;
		if (*ntables == cap)
		{
			old_table  *n = realloc(*tables, (cap = cap ? cap * 2 : 8) * sizeof(*n));

			if (!n)
			{
				rc = ps_error_set(err, PS_ENOMEM, "out of memory");
				goto out;
			}
			*tables = n;
		}
		t = &(*tables)[*ntables];
		memset(t, 0, sizeof(*t));
		ps_reader_init(&r, v, vlen);
		if (klen - 1 > PS_MAX_NAME || ps_read_u8(&r, &version) || version != 1 ||
			ps_read_u32be(&r, &t->id) || ps_read_u8(&r, &dedup) || ps_read_u32be(&r, &seq) ||
			ps_read_u64be(&r, &t->rows) || ps_read_u64be(&r, &mn) || ps_read_u64be(&r, &mx) ||
			ps_schema_deserialize(r.p, ps_reader_left(&r), &t->schema, err) != PS_OK)
		{
			rc = ps_error_set(err, PS_ECORRUPT, "catalog record of table \"%.*s\" is corrupt",
							  (int) (klen - 1), k + 1);
			goto out;
		}
		memcpy(t->name, k + 1, klen - 1);
		t->dedup = dedup != 0;
		(*ntables)++;
	}
	{
		char	   *rerr = NULL;

		rocksdb_iter_get_error(it, &rerr);
		if (rerr)
			rc = ps_rocks_error(err, rerr, "cannot read the catalog");
	}
out:
	rocksdb_iter_destroy(it);
	return rc;
}

static bool
old_in_flight(const old_store *o, uint32_t table_id, uint64_t seq)
{
	for (size_t i = 0; i < o->ninflight; i++)
		if (o->inflight[i] == (((uint64_t) table_id << 32) | seq))
			return true;
	return false;
}

/* Copy every committed row of one table into a load of the new store. */
static ps_status
copy_table(old_store *o, ps_store *ns, const old_table *t, ps_upgrade_progress progress,
		   void *arg, ps_error *err)
{
	ps_load_spec spec = {.table = t->name, .input = t->schema, .dedup = t->dedup};
	const ps_schema *s = t->schema;
	uint32_t	nvalue = ps_schema_value_count(s);
	ps_type    *types = malloc((nvalue + 1) * sizeof(ps_type));
	ps_value   *vals = calloc(nvalue + 1, sizeof(ps_value));
	ps_value   *row = calloc(s->ncolumns, sizeof(ps_value));
	uint8_t		lower[4], upper[4];
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	ps_load    *ld = NULL;
	uint64_t	done = 0;
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;

	if (!types || !vals || !row)
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	else
		rc = ps_load_begin(ns, &spec, &ld, err);
	if (rc != PS_OK)
	{
		free(types);
		free(vals);
		free(row);
		rocksdb_readoptions_destroy(ro);
		return rc;
	}
	ps_schema_value_types(s, types);
	ps_put_u32be(lower, t->id);
	ps_put_u32be(upper, t->id + 1);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) upper, 4);
	rocksdb_readoptions_set_fill_cache(ro, 0);
	it = rocksdb_create_iterator_cf(o->db, ro, o->data);
	for (rocksdb_iter_seek(it, (const char *) lower, 4); rc == PS_OK && rocksdb_iter_valid(it);
		 rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);
		uint32_t	tid;
		int64_t		time;
		uint64_t	row_id, tag;

		if (klen != PS_KEY_LEN)
			continue;
		ps_key_decode((const uint8_t *) k, &tid, &time, &row_id);
		if ((rc = ps_row_decode(types, nvalue, v, vlen, vals, &tag, err)) != PS_OK)
			break;
		if (o->ninflight > 0 && old_in_flight(o, t->id, t->dedup ? tag : row_id >> 32))
			continue;
		for (uint32_t c = 0, n = 0; c < s->ncolumns; c++)
			if (c == s->time_index)
			{
				row[c].is_null = false;
				row[c].v.i = time;
			}
			else
				row[c] = vals[n++];
		if ((rc = ps_load_append(ld, row, err)) != PS_OK)
			break;
		if (++done % PS_UPGRADE_PROGRESS_ROWS == 0 && progress)
			progress(arg, t->name, done, t->rows);
	}
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && rc == PS_OK)
		rc = ps_rocks_error(err, rerr, "cannot read the store to upgrade");
	else
		free(rerr);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	free(types);
	free(vals);
	free(row);
	if (rc != PS_OK)
	{
		ps_load_abort(ld);
		return rc;
	}
	if (done != t->rows)
	{
		ps_load_abort(ld);
		return ps_error_set(err, PS_ECORRUPT, "table \"%s\" holds %llu committed rows, its catalog says %llu",
							t->name, (unsigned long long) done, (unsigned long long) t->rows);
	}
	if (progress)
		progress(arg, t->name, done, t->rows);
	return ps_load_commit(ld, err);
}

/* fsync a directory so renames in it are durable. */
static void
sync_dir(const char *dir)
{
	int			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
	{
		fsync(fd);
		close(fd);
	}
}

ps_status
ps_store_upgrade(const char *dir, const ps_store_options *opts, ps_upgrade_progress progress,
				 void *arg, bool *upgraded, ps_error *err)
{
	old_store	o;
	old_table  *tables = NULL;
	size_t		ntables = 0;
	uint32_t	version = 0;
	char		old_path[4096], new_path[4096], ingest[4096];
	ps_store   *ns = NULL;
	ps_store_options so;
	ps_status	rc;

	*upgraded = false;
	memset(&o, 0, sizeof(o));
	snprintf(old_path, sizeof(old_path), "%s/db", dir);
	snprintf(new_path, sizeof(new_path), "%s/" NEW_DB, dir);
	snprintf(ingest, sizeof(ingest), "%s/ingest", dir);
	if ((rc = old_open(dir, &o, &version, err)) != PS_OK)
		goto out;
	if (version == PS_STORE_FORMAT_VERSION)
	{
		rc = remove_tree(new_path, err);	/* what an interrupted run left */
		goto out;
	}
	if (version != 1)
	{
		rc = ps_error_set(err, PS_ECORRUPT, "%s holds no store of format 1 to upgrade", old_path);
		goto out;
	}
	if ((rc = old_catalog(&o, &tables, &ntables, err)) != PS_OK ||
		(rc = remove_tree(new_path, err)) != PS_OK)
		goto out;
	if (opts)
		so = *opts;
	else
		ps_store_options_default(&so);
	so.sync = false;			/* made durable at the end, before the exchange */
	if ((rc = ps_store_open_db(dir, NEW_DB, &so, &ns, err)) != PS_OK)
		goto out;
	for (size_t i = 0; i < ntables && rc == PS_OK; i++)
		rc = copy_table(&o, ns, &tables[i], progress, arg, err);
	if (rc == PS_OK)
	{
		char	   *rerr = NULL;
		rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
		rocksdb_column_family_handle_t *cfs[4] = {ns->cf_catalog, ns->cf_data, ns->cf_meta,
		ns->cf_dedup};

		rocksdb_flushoptions_set_wait(fo, 1);
		for (int i = 0; i < 4 && !rerr; i++)
			rocksdb_flush_cf(ns->db, fo, cfs[i], &rerr);
		rocksdb_flushoptions_destroy(fo);
		if (rerr)
			rc = ps_rocks_error(err, rerr, "cannot flush the upgraded store");
	}
	ps_store_close(ns);
	ns = NULL;
	old_close(&o);
	memset(&o, 0, sizeof(o));
	if (rc != PS_OK)
		goto out;
	if (renameat2(AT_FDCWD, old_path, AT_FDCWD, new_path, RENAME_EXCHANGE) != 0)
	{
		rc = ps_error_set(err, PS_EIO, "cannot swap %s and %s: %s", old_path, new_path,
						  strerror(errno));
		goto out;
	}
	sync_dir(dir);
	*upgraded = true;
	/* Now the old store: gone for good, like the 0.1 bulk-load directory. */
	if ((rc = remove_tree(new_path, err)) == PS_OK)
		rc = remove_tree(ingest, err);
out:
	for (size_t i = 0; i < ntables; i++)
		ps_schema_free(tables[i].schema);
	free(tables);
	ps_store_close(ns);
	old_close(&o);
	return rc;
}
