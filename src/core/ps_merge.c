/*
 * ps_merge.c — the background merge: rewriting a series' overlapping or
 * small blocks into sealed, non-overlapping blocks of up to PS_BLOCK_ROWS
 * rows.
 *
 * Out-of-order and repeated loads leave blocks of one series whose time
 * spans overlap (readers merge them row by row), and small loads leave
 * short blocks.  Per partition and series, the merge finds runs of
 * committed blocks that overlap each other or are all short, decodes a run,
 * orders its rows by (time, load sequence, block, position) — the order
 * scans give them — and writes them as new blocks under a fresh load
 * sequence, deleting the old ones, in one WriteBatch with the table record
 * (whose next load sequence moves on): a scan, whose snapshot sees one side
 * or the other, and a crash both find either the old blocks or the new,
 * never a mix.  Counts, bounds and dedup entries do not change; the
 * table's max_span widens when a new block spans more than any before
 * (joined short blocks can), in the same batch.
 *
 * Exclusion: a table's `merging` flag keeps delete_range and drop (which
 * wait for it) off the blocks being merged; blocks of loads in flight are
 * never touched, and loads go on meanwhile.  The merge thread works on the
 * partitions loads committed into (the tables' dirty lists), one run at a
 * time, sleeping between runs as long as a run took times MERGE_IDLE_FACTOR,
 * so it takes a bounded share of the machine; ps_store_merge_all (pulsorad
 * --compact) does every partition at once.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps_block.h"
#include "ps_store_int.h"

#define MERGE_RUN_BLOCKS_MAX 64		/* blocks rewritten in one batch */
#define MERGE_IDLE_FACTOR 4

typedef struct merge_block {
	uint8_t		key[PS_BLOCK_KEY_LEN];
	ps_block_key bk;
	uint32_t	rows;
	int64_t		min_time, max_time;
} merge_block;

typedef struct merge_row {
	int64_t		time;
	uint32_t	block;			/* index in the run */
	uint32_t	pos;
} merge_row;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int
merge_row_cmp(const void *a, const void *b, void *arg)
{
	const merge_row *x = a, *y = b;
	const merge_block *blocks = arg;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (blocks[x->block].bk.seq != blocks[y->block].bk.seq)
		return blocks[x->block].bk.seq < blocks[y->block].bk.seq ? -1 : 1;
	if (blocks[x->block].bk.block_no != blocks[y->block].bk.block_no)
		return blocks[x->block].bk.block_no < blocks[y->block].bk.block_no ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Rewrite blocks[0..n) (one series of one partition) as new blocks under
 * sequence seq.  Puts and deletes go into wb.  *span is the widest time
 * span of the new blocks: joining short blocks can make one wider than any
 * a load wrote, and scans seek by the table's max_span.
 */
static ps_status
rewrite_run(ps_store *st, const ps_schema *schema, const merge_block *blocks, uint32_t n,
			uint32_t seq, rocksdb_writebatch_t *wb, int64_t *span, ps_error *err)
{
	uint32_t   *cols = NULL, ncols = 0, total = 0, block_no = 0;
	ps_type    *types = NULL;
	ps_block_reader **readers = calloc(n, sizeof(*readers));
	merge_row  *rows = NULL;
	ps_value   *vals = NULL;
	ps_block_builder *b = NULL;
	ps_buf		bytes = PS_BUF_INIT, meta = PS_BUF_INIT;
	ps_status	rc;

	for (uint32_t i = 0; i < n; i++)
		total += blocks[i].rows;
	if (!readers || !(rows = malloc((total + 1) * sizeof(*rows))))
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	else if ((rc = ps_block_layout(schema, &cols, &types, &ncols, err)) == PS_OK &&
			 !(vals = calloc(ncols + 1, sizeof(ps_value))))
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	if (rc == PS_OK)
		rc = ps_block_builder_new(types, ncols, &b, err);
	total = 0;
	for (uint32_t i = 0; i < n && rc == PS_OK; i++)
	{
		char	   *rerr = NULL, *data;
		size_t		len;

		data = rocksdb_get_cf(st->db, st->ro, st->cf_data, (const char *) blocks[i].key,
							  PS_BLOCK_KEY_LEN, &len, &rerr);
		if (rerr)
			rc = ps_rocks_error(err, rerr, "cannot read a block to merge");
		else if (!data)
			rc = ps_error_set(err, PS_ECORRUPT, "a block to merge is missing");
		else if ((rc = ps_block_reader_new(&readers[i], err)) == PS_OK &&
				 (rc = ps_block_decode(readers[i], data, len, types, ncols, NULL, err)) == PS_OK)
		{
			const int64_t *times = ps_block_reader_times(readers[i]);

			for (uint32_t r = 0; r < ps_block_reader_rows(readers[i]); r++)
				rows[total++] = (merge_row) {times[r], i, r};
		}
		free(data);
	}
	if (rc == PS_OK)
		qsort_r(rows, total, sizeof(*rows), merge_row_cmp, (void *) blocks);
	for (uint32_t k = 0; k <= total && rc == PS_OK; k++)
	{
		if (k == total || ps_block_builder_full(b))
		{
			ps_block_key nk = blocks[0].bk;
			uint8_t		key[PS_BLOCK_KEY_LEN];

			if (ps_block_builder_rows(b) == 0)
				break;
			nk.first_time = ps_block_builder_min_time(b);
			if (ps_time_span(nk.first_time, rows[k - 1].time) > *span)
				*span = ps_time_span(nk.first_time, rows[k - 1].time);
			nk.seq = seq;
			nk.block_no = block_no++;
			ps_buf_reset(&bytes);
			ps_buf_reset(&meta);
			if ((rc = ps_block_builder_encode(b, &bytes, &meta, err)) != PS_OK)
				break;
			ps_block_key_encode(key, &nk);
			rocksdb_writebatch_put_cf(wb, st->cf_data, (const char *) key, sizeof(key),
									  (const char *) bytes.data, bytes.len);
			rocksdb_writebatch_put_cf(wb, st->cf_meta, (const char *) key, sizeof(key),
									  (const char *) meta.data, meta.len);
			if (k == total)
				break;
		}
		for (uint32_t c = 0; c < ncols; c++)
			ps_block_reader_value(readers[rows[k].block], c, rows[k].pos, &vals[c]);
		rc = ps_block_builder_append(b, rows[k].time, vals, err);
	}
	for (uint32_t i = 0; i < n && rc == PS_OK; i++)
	{
		rocksdb_writebatch_delete_cf(wb, st->cf_data, (const char *) blocks[i].key, PS_BLOCK_KEY_LEN);
		rocksdb_writebatch_delete_cf(wb, st->cf_meta, (const char *) blocks[i].key, PS_BLOCK_KEY_LEN);
	}
	for (uint32_t i = 0; i < n && readers; i++)
		ps_block_reader_free(readers[i]);
	free(readers);
	free(rows);
	free(vals);
	free(cols);
	free(types);
	ps_block_builder_free(b);
	ps_buf_free(&bytes);
	ps_buf_free(&meta);
	return rc;
}

static bool
seq_in_flight(const ps_table *t, uint32_t seq)
{
	for (uint32_t i = 0; i < t->ninflight; i++)
		if (t->inflight[i] == seq)
			return true;
	return false;
}

/*
 * Write one run: a fresh sequence from the table, the new blocks, the old
 * ones deleted, in one batch.  Called with t->merging set, lock not held.
 */
static ps_status
commit_run(ps_store *st, ps_table *t, const merge_block *run, uint32_t n, ps_error *err)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	ps_schema  *schema;
	uint32_t	seq = 0;
	int64_t		span = 0;
	ps_status	rc = PS_OK;

	/*
	 * Take a sequence now, in memory only: it reaches disk with the run (the
	 * table record written below holds a later next sequence), and if the
	 * run never does, nothing used it.
	 */
	pthread_mutex_lock(&st->lock);
	schema = ps_schema_copy(t->schema);
	if (t->next_load_seq == UINT32_MAX)
		rc = ps_error_set(err, PS_ETOOBIG, "table \"%s\" has no load sequence numbers left", t->name);
	else
		seq = t->next_load_seq++;
	pthread_mutex_unlock(&st->lock);
	if (rc == PS_OK && !schema)
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	if (rc == PS_OK)
		rc = rewrite_run(st, schema, run, n, seq, wb, &span, err);
	pthread_mutex_lock(&st->lock);
	if (span < t->max_span)
		span = t->max_span;
	if (rc == PS_OK)
		rc = ps_catalog_put_table(st, wb, t, t->schema, t->row_count, t->min_time, t->max_time,
								  span, t->next_load_seq, err);
	if (rc == PS_OK)
		rc = ps_store_write(st, st->wo_commit, wb, err);
	/* (Under the lock with the write: a scan's snapshot, max_span and meta version agree.) */
	if (rc == PS_OK)
	{
		t->max_span = span;
		ps_table_meta_changed(st, t);
	}
	pthread_mutex_unlock(&st->lock);
	rocksdb_writebatch_destroy(wb);
	ps_schema_free(schema);
	return rc;
}

/*
 * Merge what needs it in partition p of t; at most max_runs runs (0: all).
 * *runs counts the runs written.
 */
static ps_status
merge_partition(ps_store *st, ps_table *t, int32_t p, uint32_t max_runs, uint64_t *runs,
				ps_error *err)
{
	uint8_t		lower[8], upper[8];
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	merge_block run[MERGE_RUN_BLOCKS_MAX];
	uint32_t	n = 0, done_runs = 0, run_rows = 0;
	int64_t		run_max = 0;
	bool		overlap = false;
	ps_status	rc = PS_OK;

	ps_block_key_prefix(lower, t->id, p, 0, 8);
	ps_block_key_partition_end(upper, t->id, p);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) upper, 8);
	it = rocksdb_create_iterator_cf(st->db, ro, st->cf_meta);
	for (rocksdb_iter_seek(it, (const char *) lower, 8);; rocksdb_iter_next(it))
	{
		merge_block mb;
		bool		valid = rocksdb_iter_valid(it), joins = false, in_flight;

		if (valid)
		{
			size_t		klen, vlen;
			const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &klen);
			const char *v = rocksdb_iter_value(it, &vlen);

			if (klen != PS_BLOCK_KEY_LEN ||
				ps_block_meta_peek(v, vlen, &mb.rows, &mb.min_time, &mb.max_time) != PS_OK)
			{
				rc = ps_error_set(err, PS_ECORRUPT, "corrupt block metadata in table \"%s\"", t->name);
				break;
			}
			memcpy(mb.key, k, PS_BLOCK_KEY_LEN);
			ps_block_key_decode(k, &mb.bk);
			pthread_mutex_lock(&st->lock);
			in_flight = seq_in_flight(t, mb.bk.seq);
			pthread_mutex_unlock(&st->lock);
			if (in_flight)
				continue;
			/*
			 * Blocks overlap when one starts before another ends.  Blocks
			 * that only touch (equal times across the boundary, as a
			 * rewrite leaves them) are in order already.
			 */
			joins = n > 0 && n < MERGE_RUN_BLOCKS_MAX && mb.bk.series == run[0].bk.series &&
				(mb.min_time < run_max ||
				 (run_rows < PS_BLOCK_ROWS && mb.rows < PS_BLOCK_ROWS));
		}
		if (joins)
		{
			overlap |= mb.min_time < run_max;
			run[n++] = mb;
			run_rows += mb.rows;
			if (mb.max_time > run_max)
				run_max = mb.max_time;
			continue;
		}
		/* The run ends here: rewrite it if it is worth it. */
		if (n > 1 && (overlap || run_rows <= PS_BLOCK_ROWS || n > (run_rows + PS_BLOCK_ROWS - 1) / PS_BLOCK_ROWS))
		{
			if ((rc = commit_run(st, t, run, n, err)) != PS_OK)
				break;
			(*runs)++;
			if (max_runs && ++done_runs >= max_runs)
				break;
		}
		if (!valid)
			break;
		run[0] = mb;
		n = 1;
		run_rows = mb.rows;
		run_max = mb.max_time;
		overlap = false;
	}
	if (rc == PS_OK)
	{
		char	   *rerr = NULL;

		rocksdb_iter_get_error(it, &rerr);
		if (rerr)
			rc = ps_rocks_error(err, rerr, "cannot read block metadata to merge");
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rc;
}

/* Take t for merging (false if it is busy or gone), and give it back. */
static bool
merge_begin(ps_store *st, uint32_t table_id, ps_table **out)
{
	ps_table   *t;

	pthread_mutex_lock(&st->lock);
	t = ps_table_by_id(st, table_id);
	if (t && (!t->visible || t->deleting || t->merging))
		t = NULL;
	if (t)
		t->merging = true;
	pthread_mutex_unlock(&st->lock);
	*out = t;
	return t != NULL;
}

static void
merge_end(ps_store *st, ps_table *t)
{
	pthread_mutex_lock(&st->lock);
	t->merging = false;
	pthread_cond_broadcast(&st->merge_cv);
	pthread_mutex_unlock(&st->lock);
}

ps_table   *
ps_table_find_unmerged(ps_store *st, const char *name, ps_error *err)
{
	ps_table   *t;

	while ((t = ps_table_find_visible(st, name, err)) && t->merging)
		pthread_cond_wait(&st->merge_cv, &st->lock);
	return t;
}

ps_status
ps_store_merge_all(ps_store *st, uint64_t *runs, ps_error *err)
{
	uint32_t   *ids;
	size_t		n = 0;
	ps_status	rc = PS_OK;

	*runs = 0;
	pthread_mutex_lock(&st->lock);
	ids = malloc((st->ntables + 1) * sizeof(uint32_t));
	for (size_t i = 0; ids && i < st->ntables; i++)
		ids[n++] = st->tables[i]->id;
	pthread_mutex_unlock(&st->lock);
	if (!ids)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == PS_OK; i++)
	{
		ps_table   *t;
		int32_t		p;
		bool		more;
		uint8_t		k[8];

		if (!merge_begin(st, ids[i], &t))
			continue;
		/* Every partition, found by seeking past the last. */
		ps_block_key_prefix(k, t->id, INT32_MIN, 0, 8);
		for (more = true; more && rc == PS_OK;)
		{
			rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_meta);
			size_t		klen;
			const uint8_t *key;
			ps_block_key bk;

			rocksdb_iter_seek(it, (const char *) k, 8);
			more = rocksdb_iter_valid(it);
			if (more)
			{
				key = (const uint8_t *) rocksdb_iter_key(it, &klen);
				more = klen == PS_BLOCK_KEY_LEN && ps_get_u32be(key) == t->id;
				if (more)
				{
					ps_block_key_decode(key, &bk);
					p = bk.partition;
				}
			}
			rocksdb_iter_destroy(it);
			if (!more)
				break;
			rc = merge_partition(st, t, p, 0, runs, err);
			if (p == INT32_MAX)
				break;
			ps_block_key_prefix(k, t->id, p + 1, 0, 8);
		}
		merge_end(st, t);
	}
	free(ids);
	return rc;
}

/* ------------------------------------------------------------------ the thread */

/* Pop one (table, partition) a load committed into; false when there is none. */
static bool
next_dirty(ps_store *st, uint32_t *table_id, int32_t *p)
{
	bool		found = false;

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->ntables && !found; i++)
	{
		ps_table   *t = st->tables[i];

		if (t->ndirty > 0 && !t->deleting)
		{
			*table_id = t->id;
			*p = t->dirty[--t->ndirty];
			found = true;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return found;
}

static void *
merge_main(void *arg)
{
	ps_store   *st = arg;

	pthread_mutex_lock(&st->merge_mu);
	while (!st->merge_stop)
	{
		uint32_t	table_id;
		int32_t		p;
		ps_table   *t;
		double		t0, took = 0;
		struct timespec until;

		pthread_mutex_unlock(&st->merge_mu);
		if (next_dirty(st, &table_id, &p) && merge_begin(st, table_id, &t))
		{
			ps_error	err;
			uint64_t	runs = 0;
			ps_status	rc;

			t0 = now_ms();
			/* A partition may need several runs: do one, and come back. */
			rc = merge_partition(st, t, p, 1, &runs, &err);
			if (rc == PS_OK && runs > 0)
			{
				pthread_mutex_lock(&st->lock);
				ps_table_mark_dirty(t, p);
				pthread_mutex_unlock(&st->lock);
			}
			merge_end(st, t);
			took = now_ms() - t0;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		{
			double		wait_ms = took > 0 ? took * MERGE_IDLE_FACTOR : st->opts.merge_interval_ms;
			long long	ns = (long long) until.tv_nsec + (long long) (wait_ms * 1e6);

			until.tv_sec += (time_t) (ns / 1000000000);
			until.tv_nsec = (long) (ns % 1000000000);
		}
		pthread_mutex_lock(&st->merge_mu);
		if (!st->merge_stop)
			pthread_cond_timedwait(&st->merge_wake, &st->merge_mu, &until);
	}
	pthread_mutex_unlock(&st->merge_mu);
	return NULL;
}

void
ps_table_mark_dirty(ps_table *t, int32_t p)
{
	for (uint32_t i = 0; i < t->ndirty; i++)
		if (t->dirty[i] == p)
			return;
	if (t->ndirty == t->dirty_cap)
	{
		uint32_t	cap = t->dirty_cap ? t->dirty_cap * 2 : 8;
		int32_t    *n = realloc(t->dirty, cap * sizeof(*n));

		if (!n)
			return;				/* only a merge missed; --compact still finds it */
		t->dirty = n;
		t->dirty_cap = cap;
	}
	t->dirty[t->ndirty++] = p;
}

void
ps_merge_start(ps_store *st)
{
	if (st->opts.merge_interval_ms == 0)
		return;
	pthread_mutex_init(&st->merge_mu, NULL);
	pthread_cond_init(&st->merge_wake, NULL);
	st->merge_running = pthread_create(&st->merge_thread, NULL, merge_main, st) == 0;
}

void
ps_merge_stop(ps_store *st)
{
	if (!st->merge_running)
		return;
	pthread_mutex_lock(&st->merge_mu);
	st->merge_stop = true;
	pthread_cond_broadcast(&st->merge_wake);
	pthread_mutex_unlock(&st->merge_mu);
	pthread_join(st->merge_thread, NULL);
	st->merge_running = false;
}
