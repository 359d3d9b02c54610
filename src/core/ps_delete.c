/*
 * ps_delete.c — removing rows: delete_range over a time range, and dropping
 * a whole table.
 *
 * delete_range works on whole blocks wherever it can: a partition wholly
 * inside the range goes with one range deletion (its row count summed from
 * block metadata), a block wholly inside goes by its key, and only a block
 * that straddles an edge of the range is decoded and rewritten with the
 * rows it keeps (same series, load and block number, so its key stays
 * unique).  Everything, the new table count and bounds included, goes in one
 * WriteBatch: a delete is all-or-nothing.  It runs without the store lock
 * (the table's `deleting` flag keeps loads, drops and other deletes away),
 * so loads into other tables commit meanwhile.  Dedup tables also forget
 * the content hashes of the removed rows, so a row deleted can be loaded
 * again; their blocks are always handled one by one.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_block.h"
#include "ps_store_int.h"

typedef struct delete_state {
	ps_store   *st;
	uint32_t	table_id;
	const ps_schema *schema;
	ps_series_dict *dict;		/* read under st->lock */
	bool		dedup;
	int64_t		lo, hi;
	rocksdb_writebatch_t *wb;
	uint32_t	seq;			/* for the blocks it rewrites: their keys are new */
	uint32_t	next_block;
	uint64_t	removed;
	int64_t		kept_min, kept_max;	/* over rows kept in the partitions visited */
	bool		kept_any;
	uint32_t   *cols;
	ps_type    *types;
	uint32_t	ncols;
	ps_block_reader *r;
	ps_block_builder *keep, *gone;
	ps_value   *vals;
	ps_buf		block, meta, gone_block, gone_meta;
} delete_state;

static void
kept(delete_state *ds, int64_t mn, int64_t mx)
{
	if (!ds->kept_any || mn < ds->kept_min)
		ds->kept_min = mn;
	if (!ds->kept_any || mx > ds->kept_max)
		ds->kept_max = mx;
	ds->kept_any = true;
}

/* Forget the dedup entries of the rows in block bytes p[0..n) of series. */
static ps_status
forget_rows(delete_state *ds, uint32_t series, const void *p, size_t n, ps_error *err)
{
	const uint8_t *tuple = NULL;
	size_t		tuple_len = 0;

	if (!ds->dedup)
		return PS_OK;
	if (ds->schema->nseries > 0)
	{
		pthread_mutex_lock(&ds->st->lock);
		if (series < ds->dict->n)
			ps_series_dict_tuple(ds->dict, series, &tuple, &tuple_len);
		pthread_mutex_unlock(&ds->st->lock);
		if (!tuple)
			return ps_error_set(err, PS_ECORRUPT, "a block names an unknown series");
	}
	return ps_dedup_forget_block(ds->st, ds->wb, ds->table_id, ds->schema, tuple, tuple_len, p, n,
								 0, err);
}

/* One block that overlaps the range: delete it whole, or rewrite it with the rows it keeps. */
static ps_status
delete_in_block(delete_state *ds, const uint8_t *key, uint32_t rows, int64_t mn, int64_t mx,
				ps_error *err)
{
	ps_store   *st = ds->st;
	ps_block_key bk;
	char	   *rerr = NULL, *data = NULL;
	size_t		len = 0;
	ps_status	rc = PS_OK;
	bool		whole = ds->lo <= mn && mx <= ds->hi;

	ps_block_key_decode(key, &bk);
	if (!whole || ds->dedup)
	{
		data = rocksdb_get_cf(st->db, st->ro, st->cf_data, (const char *) key, PS_BLOCK_KEY_LEN,
							  &len, &rerr);
		if (rerr)
			return ps_rocks_error(err, rerr, "cannot read a block to delete from");
		if (!data)
			return ps_error_set(err, PS_ECORRUPT, "a block of table id %u is missing", ds->table_id);
	}
	if (whole)
	{
		rc = forget_rows(ds, bk.series, data, len, err);
		rocksdb_writebatch_delete_cf(ds->wb, st->cf_data, (const char *) key, PS_BLOCK_KEY_LEN);
		rocksdb_writebatch_delete_cf(ds->wb, st->cf_meta, (const char *) key, PS_BLOCK_KEY_LEN);
		ds->removed += rows;
		free(data);
		return rc;
	}
	if ((rc = ps_block_decode(ds->r, data, len, ds->types, ds->ncols, NULL, err)) == PS_OK)
	{
		const int64_t *times = ps_block_reader_times(ds->r);
		uint32_t	n = ps_block_reader_rows(ds->r);

		ps_block_builder_reset(ds->keep);
		ps_block_builder_reset(ds->gone);
		for (uint32_t i = 0; i < n && rc == PS_OK; i++)
		{
			for (uint32_t c = 0; c < ds->ncols; c++)
				ps_block_reader_value(ds->r, c, i, &ds->vals[c]);
			rc = ps_block_builder_append(times[i] < ds->lo || times[i] > ds->hi ? ds->keep : ds->gone,
										 times[i], ds->vals, err);
		}
	}
	free(data);
	if (rc != PS_OK || ps_block_builder_rows(ds->gone) == 0)
	{
		if (rc == PS_OK)
			kept(ds, mn, mx);
		return rc;
	}
	ds->removed += ps_block_builder_rows(ds->gone);
	ps_buf_reset(&ds->gone_block);
	ps_buf_reset(&ds->gone_meta);
	if (ds->dedup &&
		((rc = ps_block_builder_encode(ds->gone, &ds->gone_block, &ds->gone_meta, err)) != PS_OK ||
		 (rc = forget_rows(ds, bk.series, ds->gone_block.data, ds->gone_block.len, err)) != PS_OK))
		return rc;
	rocksdb_writebatch_delete_cf(ds->wb, st->cf_data, (const char *) key, PS_BLOCK_KEY_LEN);
	rocksdb_writebatch_delete_cf(ds->wb, st->cf_meta, (const char *) key, PS_BLOCK_KEY_LEN);
	if (ps_block_builder_rows(ds->keep) > 0)
	{
		uint8_t		nk[PS_BLOCK_KEY_LEN];
		int64_t		first = ps_block_builder_min_time(ds->keep);

		/*
		 * A new key, never the old one even when the first time stays: a
		 * key's block never changes (decoded blocks are cached by key).
		 */
		bk.first_time = first;
		bk.seq = ds->seq;
		bk.block_no = ds->next_block++;
		ps_block_key_encode(nk, &bk);
		ps_buf_reset(&ds->block);
		ps_buf_reset(&ds->meta);
		if ((rc = ps_block_builder_encode(ds->keep, &ds->block, &ds->meta, err)) != PS_OK)
			return rc;
		rocksdb_writebatch_put_cf(ds->wb, st->cf_data, (const char *) nk, PS_BLOCK_KEY_LEN,
								  (const char *) ds->block.data, ds->block.len);
		rocksdb_writebatch_put_cf(ds->wb, st->cf_meta, (const char *) nk, PS_BLOCK_KEY_LEN,
								  (const char *) ds->meta.data, ds->meta.len);
		{
			uint32_t	r;
			int64_t		kmn, kmx;

			if (ps_block_meta_peek(ds->meta.data, ds->meta.len, &r, &kmn, &kmx) == PS_OK)
				kept(ds, kmn, kmx);
		}
	}
	return PS_OK;
}

/* Visit partition p's blocks: delete what the range covers, note what stays. */
static ps_status
delete_in_partition(delete_state *ds, int32_t p, ps_error *err)
{
	ps_store   *st = ds->st;
	uint8_t		lower[8], upper[8];
	bool		inside = !ds->dedup && ds->lo <= ps_partition_start(p) &&
		(p == INT32_MAX || ps_partition_start(p + 1) - 1 <= ds->hi);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_meta);
	ps_status	rc = PS_OK;

	ps_block_key_prefix(lower, ds->table_id, p, 0, 8);
	ps_block_key_partition_end(upper, ds->table_id, p);
	for (rocksdb_iter_seek(it, (const char *) lower, 8); rc == PS_OK && rocksdb_iter_valid(it);
		 rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		const char *v;
		uint32_t	rows;
		int64_t		mn, mx;

		if (klen != PS_BLOCK_KEY_LEN || memcmp(k, upper, 8) >= 0)
			break;
		v = rocksdb_iter_value(it, &vlen);
		if (ps_block_meta_peek(v, vlen, &rows, &mn, &mx) != PS_OK)
			rc = ps_error_set(err, PS_ECORRUPT, "corrupt block metadata in table id %u", ds->table_id);
		else if (inside)
			ds->removed += rows;
		else if (mx < ds->lo || mn > ds->hi)
			kept(ds, mn, mx);
		else
			rc = delete_in_block(ds, k, rows, mn, mx, err);
	}
	if (rc == PS_OK)
	{
		char	   *rerr = NULL;

		rocksdb_iter_get_error(it, &rerr);
		if (rerr)
			rc = ps_rocks_error(err, rerr, "cannot scan the range to delete");
	}
	rocksdb_iter_destroy(it);
	if (rc == PS_OK && inside)
	{
		rocksdb_writebatch_delete_range_cf(ds->wb, st->cf_data, (const char *) lower, 8,
										   (const char *) upper, 8);
		rocksdb_writebatch_delete_range_cf(ds->wb, st->cf_meta, (const char *) lower, 8,
										   (const char *) upper, 8);
	}
	return rc;
}

/*
 * The smallest (or largest) time in the nearest partition holding blocks
 * after partition p (or before it); false when there is none.
 */
static bool
neighbour_bound(delete_state *ds, int32_t p, bool after, int64_t *bound)
{
	ps_store   *st = ds->st;
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_meta);
	uint8_t		k[8];
	bool		found = false;
	int32_t		q = 0;

	if (after && p == INT32_MAX)
		goto out;
	ps_block_key_prefix(k, ds->table_id, after ? p + 1 : p, 0, 8);
	if (after)
		rocksdb_iter_seek(it, (const char *) k, 8);
	else
		rocksdb_iter_seek_for_prev(it, (const char *) k, 8);
	while (rocksdb_iter_valid(it))
	{
		size_t		klen, vlen;
		const uint8_t *key = (const uint8_t *) rocksdb_iter_key(it, &klen);
		const char *v;
		ps_block_key bk;
		uint32_t	rows;
		int64_t		mn, mx;

		if (klen != PS_BLOCK_KEY_LEN || ps_get_u32be(key) != ds->table_id)
			break;
		ps_block_key_decode(key, &bk);
		if (found && bk.partition != q)
			break;
		q = bk.partition;
		v = rocksdb_iter_value(it, &vlen);
		if (ps_block_meta_peek(v, vlen, &rows, &mn, &mx) == PS_OK)
		{
			if (!found || (after ? mn < *bound : mx > *bound))
				*bound = after ? mn : mx;
			found = true;
		}
		if (after)
			rocksdb_iter_next(it);
		else
			rocksdb_iter_prev(it);
	}
out:
	rocksdb_iter_destroy(it);
	return found;
}

static void
delete_state_free(delete_state *ds)
{
	if (ds->wb)
		rocksdb_writebatch_destroy(ds->wb);
	free(ds->cols);
	free(ds->types);
	free(ds->vals);
	ps_block_reader_free(ds->r);
	ps_block_builder_free(ds->keep);
	ps_block_builder_free(ds->gone);
	ps_buf_free(&ds->block);
	ps_buf_free(&ds->meta);
	ps_buf_free(&ds->gone_block);
	ps_buf_free(&ds->gone_meta);
}

/*
 * The visible table `name`, once no merge works on it, provided no load or
 * delete is in progress on it (PS_EBUSY naming what); lock held.
 */
static ps_status
take_idle_table(ps_store *st, const char *name, const char *verb, ps_table **out, ps_error *err)
{
	ps_table   *t = ps_table_find_unmerged(st, name, err);

	if (!t)
		return PS_ENOTFOUND;
	if (t->ninflight > 0 || t->deleting)
		return ps_error_set(err, PS_EBUSY, "cannot %s table \"%s\" while a %s it is in progress",
							verb, name, t->deleting ? "delete from" : "load into");
	*out = t;
	return PS_OK;
}

ps_status
ps_store_delete_range(ps_store *st, const char *table, int64_t lo, int64_t hi, uint64_t *removed,
					  ps_error *err)
{
	ps_table   *t;
	delete_state ds;
	int64_t		new_min, new_max;
	int32_t		p_lo, p_hi;
	ps_status	rc = PS_OK;

	*removed = 0;
	if (lo > hi)
		return ps_error_set(err, PS_EINVAL, "range start is after its end");
	pthread_mutex_lock(&st->lock);
	if ((rc = take_idle_table(st, table, "delete from", &t, err)) != PS_OK)
	{
		pthread_mutex_unlock(&st->lock);
		return rc;
	}
	if (t->row_count == 0 || hi < t->min_time || lo > t->max_time)
	{
		pthread_mutex_unlock(&st->lock);
		return PS_OK;
	}
	if (t->next_load_seq == UINT32_MAX)
	{
		pthread_mutex_unlock(&st->lock);
		return ps_error_set(err, PS_ETOOBIG, "table \"%s\" has no load sequence numbers left", table);
	}
	memset(&ds, 0, sizeof(ds));
	/* In memory only: it reaches disk with the table record written below. */
	ds.seq = t->next_load_seq++;
	/* t stays allocated (only a drop frees it, and `deleting` keeps drops away). */
	t->deleting = true;
	pthread_mutex_unlock(&st->lock);

	ds.st = st;
	ds.table_id = t->id;
	ds.schema = t->schema;		/* no load runs, so it cannot change */
	ds.dict = &t->dict;
	ds.dedup = t->dedup;
	ds.lo = lo > t->min_time ? lo : t->min_time;
	ds.hi = hi < t->max_time ? hi : t->max_time;
	ds.wb = rocksdb_writebatch_create();
	if ((rc = ps_block_layout(t->schema, &ds.cols, &ds.types, &ds.ncols, err)) == PS_OK &&
		(rc = ps_block_reader_new(&ds.r, err)) == PS_OK &&
		(rc = ps_block_builder_new(ds.types, ds.ncols, &ds.keep, err)) == PS_OK &&
		(rc = ps_block_builder_new(ds.types, ds.ncols, &ds.gone, err)) == PS_OK &&
		!(ds.vals = calloc(ds.ncols + 1, sizeof(ps_value))))
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	p_lo = ps_partition_of(ds.lo);
	p_hi = ps_partition_of(ds.hi);
	for (int64_t p = p_lo; p <= p_hi && rc == PS_OK; p++)
		rc = delete_in_partition(&ds, (int32_t) p, err);

	new_min = t->min_time;
	new_max = t->max_time;
	if (rc == PS_OK && ds.removed > 0 && ds.removed < t->row_count)
	{
		/* Rows before lo (after hi) remain in their partitions if lo (hi) cuts into the table. */
		int64_t		b;

		if (lo <= t->min_time)
		{
			new_min = ds.kept_any ? ds.kept_min : INT64_MAX;
			if (neighbour_bound(&ds, p_hi, true, &b) && b < new_min)
				new_min = b;
		}
		if (hi >= t->max_time)
		{
			new_max = ds.kept_any ? ds.kept_max : INT64_MIN;
			if (neighbour_bound(&ds, p_lo, false, &b) && b > new_max)
				new_max = b;
		}
	}
	else if (ds.removed == t->row_count)
		new_min = new_max = 0;

	pthread_mutex_lock(&st->lock);
	t->deleting = false;
	if (rc == PS_OK && ds.removed > 0)
	{
		rc = ps_catalog_put_table(st, ds.wb, t, t->schema, t->row_count - ds.removed, new_min,
								  new_max, t->max_span, t->next_load_seq, err);
		if (rc == PS_OK)
			rc = ps_store_write(st, st->wo_commit, ds.wb, err);
		if (rc == PS_OK)
		{
			t->row_count -= ds.removed;
			t->min_time = new_min;
			t->max_time = new_max;
			ps_table_meta_changed(st, t);
			*removed = ds.removed;
		}
	}
	pthread_mutex_unlock(&st->lock);
	delete_state_free(&ds);
	return rc;
}

ps_status
ps_store_drop_table(ps_store *st, const char *table, ps_error *err)
{
	ps_table   *t;
	uint8_t		lower[4], upper[4];
	rocksdb_writebatch_t *wb;
	ps_status	rc;

	pthread_mutex_lock(&st->lock);
	if ((rc = take_idle_table(st, table, "drop", &t, err)) != PS_OK)
	{
		pthread_mutex_unlock(&st->lock);
		return rc;
	}
	ps_put_u32be(lower, t->id);
	ps_put_u32be(upper, t->id + 1);
	wb = rocksdb_writebatch_create();
	ps_catalog_delete_table(st, wb, t);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_data, (const char *) lower, 4, (const char *) upper, 4);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_meta, (const char *) lower, 4, (const char *) upper, 4);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_dedup, (const char *) lower, 4, (const char *) upper, 4);
	rc = ps_store_write(st, st->wo_commit, wb, err);
	rocksdb_writebatch_destroy(wb);
	if (rc == PS_OK)
		ps_tables_remove(st, t);
	pthread_mutex_unlock(&st->lock);
	return rc;
}
