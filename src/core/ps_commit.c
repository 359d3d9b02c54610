/*
 * ps_commit.c — how a load ends: commit, several loads committed atomically
 * together (a PostgreSQL transaction's loads), or abort.
 *
 * Commit seals and writes every open block, then writes one catalog batch:
 * the markers and journals of the loads go, and each table's record gets
 * its new count, time bounds, widest block span and, for a load that
 * created or extended it, its schema.  Only then does memory change, under
 * the store lock, and the partitions the loads wrote go on the merge's list.
 * Abort leaves the blocks never written to vanish and has ps_rollback.c
 * remove the rest.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps_load_int.h"

static void
load_rollback(ps_load *ld)
{
	ps_store   *st = ld->st;
	ps_error	ignored;

	/* Blocks never written were never visible; the journal names the rest. */
	rocksdb_writebatch_clear(ld->wb);
	ps_rollback_load(st, ld->table->id, ld->seq,
					 (ld->creates_table ? PS_MARKER_CREATES_TABLE : 0) |
					 (ld->dedup ? PS_MARKER_DEDUP : 0), ld->schema, &ignored);
	/* On failure the marker stays and the next open finishes the rollback. */
	pthread_mutex_lock(&st->lock);
	ps_inflight_remove(ld->table, ld->seq);
	ps_table_meta_changed(st, ld->table);
	if (ld->changes_schema)
		ld->table->ddl_busy = false;
	/*
	 * A table being created goes with its creator; loads that joined it (their
	 * blocks went with the creator's range delete) fail from now on, and the
	 * last of them to leave frees it.
	 */
	if (ld->creates_table)
	{
		ld->table->doomed = true;
		pthread_cond_broadcast(&st->created_cv);
	}
	if (ld->table->doomed && ld->table->ninflight == 0)
		ps_tables_remove(st, ld->table);
	pthread_mutex_unlock(&st->lock);
}

void
ps_load_abort(ps_load *ld)
{
	if (!ld)
		return;
	load_rollback(ld);
	ps_load_free(ld);
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
	int64_t		max_span;
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
	d->max_span = t->max_span;
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
		if (ld->max_span > d->max_span)
			d->max_span = ld->max_span;
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
ps_load_commit_waiting(ps_load *ld, uint32_t wait_ms, ps_error *err)
{
	ps_store   *st = ld->st;
	ps_table   *t = ld->table;
	struct timespec deadline;
	bool		doomed;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L)
	{
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	/* t stays allocated while ld is in flight on it, doomed or not. */
	pthread_mutex_lock(&st->lock);
	while (!ld->creates_table && !t->visible && !t->doomed &&
		   pthread_cond_timedwait(&st->created_cv, &st->lock, &deadline) == 0)
		;
	doomed = t->doomed;
	pthread_mutex_unlock(&st->lock);
	if (doomed)
	{
		ps_error_set(err, PS_EBUSY, "the load that created table \"%s\" was rolled back", t->name);
		ps_load_abort(ld);
		return PS_EBUSY;
	}
	/* Still not created past the wait: the commit says so. */
	return ps_load_commit(ld, err);
}

/* Everything appended is in RocksDB, or an error says why not. */
static ps_status
load_drain(ps_load *ld, ps_error *err)
{
	ps_status	rc;
	ps_error	e;

	if (ld->wrc != PS_OK)
		return ps_load_fail(ld, ld->wrc, &ld->werr, err);
	if ((rc = ps_load_seal_all(ld, &e)) != PS_OK)
		return ps_load_fail(ld, rc, &e, err);
	return PS_OK;
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
		ps_load    *ld = lds[i];
		uint8_t		mk[PS_MARKER_KEY_LEN], jk[PS_JOURNAL_KEY_LEN];

		ps_marker_key(mk, ld->table->id, ld->seq);
		rocksdb_writebatch_delete_cf(wb, st->cf_catalog, (const char *) mk, sizeof(mk));
		for (uint32_t b = 0; b < ld->next_block_no; b++)
		{
			ps_journal_key(jk, ld->table->id, ld->seq, b);
			rocksdb_writebatch_delete_cf(wb, st->cf_catalog, (const char *) jk, sizeof(jk));
		}
		for (uint32_t k = 0; k < ld->nseries; k++)
		{
			bool		newly;

			ps_series_dict_commit_put(st, wb, ld->table, ld->series[k].id, &newly);
		}
		if (first_load_of_table(lds, i))
		{
			table_delta d;

			if ((rc = sum_table_loads(lds, n, ld->table, &d, err)) == PS_OK)
				rc = ps_catalog_put_table(st, wb, d.table, d.schema, d.row_count, d.min_time,
										  d.max_time, d.max_span, d.table->next_load_seq, err);
		}
	}
	if (rc == PS_OK)
		rc = ps_store_write(st, st->wo_commit, wb, err);
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
				t->max_span = d.max_span;
				if (d.schema_load)
				{
					ps_schema_free(t->schema);
					t->schema = d.schema_load->schema;
					d.schema_load->schema = NULL;
					t->ddl_busy = false;
				}
				if (!t->visible)
					pthread_cond_broadcast(&st->created_cv);
				t->visible = true;
			}
			ps_inflight_remove(t, lds[i]->seq);
			ps_table_meta_changed(st, t);
			if (t->schema->nseries > 0)
				for (uint32_t k = 0; k < lds[i]->nseries; k++)
					ps_series_dict_committed(&t->dict, lds[i]->series[k].id);
			for (uint32_t p = 0; p < lds[i]->nparts; p++)
				ps_table_mark_dirty(t, lds[i]->parts[p]);
		}
		pthread_mutex_unlock(&st->lock);
		for (size_t i = 0; i < n; i++)
			ps_load_free(lds[i]);
		return PS_OK;
	}
	pthread_mutex_unlock(&st->lock);
	for (size_t i = 0; i < n; i++)
		ps_load_abort(lds[i]);
	return rc;
}
