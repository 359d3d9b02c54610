/*
 * ps_rollback.c — removing a load that did not commit: at abort, and at open
 * for every load a crash left in flight (its marker "L" still there).
 *
 * A load's blocks are found through its journal ("J" + table + seq + block
 * number -> block key), written in the same WriteBatch as each block, never
 * by scanning the table.  A load that created its table takes the whole
 * table id with it (blocks, metadata, dedup entries, series dictionary).
 * Deletions go in batches, so memory stays bounded whatever the load's
 * size; the marker goes last, so a rollback cut short by a crash is simply
 * done again at the next open.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_block.h"
#include "ps_row.h"
#include "ps_series.h"
#include "ps_store_int.h"

#define ROLLBACK_BATCH_KEYS 10000

static void
delete_table_id_range(ps_store *st, rocksdb_writebatch_t *wb, uint32_t table_id)
{
	uint8_t		lo[4], hi[4], slo[5], shi[5];

	ps_put_u32be(lo, table_id);
	ps_put_u32be(hi, table_id + 1);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_data, (const char *) lo, 4, (const char *) hi, 4);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_meta, (const char *) lo, 4, (const char *) hi, 4);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_dedup, (const char *) lo, 4, (const char *) hi, 4);
	slo[0] = shi[0] = 'S';
	memcpy(slo + 1, lo, 4);
	memcpy(shi + 1, hi, 4);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_catalog, (const char *) slo, 5,
									   (const char *) shi, 5);
}

/* Delete one journaled block (and, for dedup loads, its rows' dedup entries) into wb. */
static ps_status
forget_block(ps_store *st, rocksdb_writebatch_t *wb, const uint8_t key[PS_BLOCK_KEY_LEN],
			 uint32_t seq, bool dedup, const ps_schema *schema, ps_error *err)
{
	ps_status	rc = PS_OK;

	if (dedup && schema)
	{
		ps_block_key bk;
		char	   *rerr = NULL, *block;
		size_t		len;

		ps_block_key_decode(key, &bk);
		block = rocksdb_get_cf(st->db, st->ro, st->cf_data, (const char *) key, PS_BLOCK_KEY_LEN,
							   &len, &rerr);
		if (rerr)
			return ps_rocks_error(err, rerr, "cannot read a block to roll back");
		if (block)
		{
			const uint8_t *tuple = NULL;
			size_t		tuple_len = 0;
			ps_table   *t;

			pthread_mutex_lock(&st->lock);
			t = ps_table_by_id(st, bk.table_id);
			if (t && schema->nseries > 0 && bk.series < t->dict.n)
				ps_series_dict_tuple(&t->dict, bk.series, &tuple, &tuple_len);
			pthread_mutex_unlock(&st->lock);
			/* Dictionary tuples are never moved while a load of the table lives. */
			if (schema->nseries == 0 || tuple)
				rc = ps_dedup_forget_block(st, wb, bk.table_id, schema, tuple, tuple_len, block,
										   len, seq, err);
			free(block);
		}
	}
	rocksdb_writebatch_delete_cf(wb, st->cf_data, (const char *) key, PS_BLOCK_KEY_LEN);
	rocksdb_writebatch_delete_cf(wb, st->cf_meta, (const char *) key, PS_BLOCK_KEY_LEN);
	return rc;
}

ps_status
ps_rollback_load(ps_store *st, uint32_t table_id, uint32_t seq, uint8_t flags,
				 const ps_schema *schema, ps_error *err)
{
	uint8_t		lower[PS_JOURNAL_KEY_LEN], upper[PS_JOURNAL_KEY_LEN], mk[PS_MARKER_KEY_LEN];
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;

	ps_journal_key(lower, table_id, seq, 0);
	ps_journal_key(upper, table_id, seq + 1, 0);
	if (flags & PS_MARKER_CREATES_TABLE)
		delete_table_id_range(st, wb, table_id);
	else
	{
		ro = rocksdb_readoptions_create();
		rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) upper, 9);
		it = rocksdb_create_iterator_cf(st->db, ro, st->cf_catalog);
		for (rocksdb_iter_seek(it, (const char *) lower, 9); rc == PS_OK && rocksdb_iter_valid(it);
			 rocksdb_iter_next(it))
		{
			size_t		vlen;
			const char *v = rocksdb_iter_value(it, &vlen);

			if (vlen != PS_BLOCK_KEY_LEN)
			{
				rc = ps_error_set(err, PS_ECORRUPT, "a load journal entry of table id %u is corrupt",
								  table_id);
				break;
			}
			rc = forget_block(st, wb, (const uint8_t *) v, seq, (flags & PS_MARKER_DEDUP) != 0,
							  schema, err);
			if (rc == PS_OK && rocksdb_writebatch_count(wb) >= ROLLBACK_BATCH_KEYS)
			{
				rc = ps_store_write(st, st->wo_rows, wb, err);
				rocksdb_writebatch_clear(wb);
			}
		}
		rocksdb_iter_get_error(it, &rerr);
		if (rerr && rc == PS_OK)
			rc = ps_rocks_error(err, rerr, "cannot read a load journal");
		else
			free(rerr);
		rocksdb_iter_destroy(it);
		rocksdb_readoptions_destroy(ro);
	}
	if (rc == PS_OK)
	{
		rocksdb_writebatch_delete_range_cf(wb, st->cf_catalog, (const char *) lower, 9,
										   (const char *) upper, 9);
		ps_marker_key(mk, table_id, seq);
		rocksdb_writebatch_delete_cf(wb, st->cf_catalog, (const char *) mk, sizeof(mk));
		rc = ps_store_write(st, st->wo_commit, wb, err);
	}
	rocksdb_writebatch_destroy(wb);
	return rc;
}

ps_status
ps_rollback_recover(ps_store *st, ps_error *err)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_catalog);
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;

	for (rocksdb_iter_seek(it, "L", 1); rc == PS_OK && rocksdb_iter_valid(it); rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		const char *v;
		ps_reader	r;
		uint8_t		version, flags, has_schema;
		uint32_t	table_id, seq;
		ps_schema  *schema = NULL;
		ps_table   *t;

		if (klen < 1 || k[0] != 'L')
			break;
		if (klen != PS_MARKER_KEY_LEN)
			return ps_error_set(err, PS_ECORRUPT, "catalog holds a malformed load marker");
		table_id = ps_get_u32be(k + 1);
		seq = ps_get_u32be(k + 5);
		v = rocksdb_iter_value(it, &vlen);
		ps_reader_init(&r, v, vlen);
		if (ps_read_u8(&r, &version) || version != 2 || ps_read_u8(&r, &flags) ||
			ps_read_u8(&r, &has_schema) || has_schema > 1 ||
			(has_schema && ps_schema_deserialize(r.p, ps_reader_left(&r), &schema, err) != PS_OK))
		{
			rc = ps_error_set(err, PS_ECORRUPT, "load marker of table id %u is corrupt", table_id);
			break;
		}
		t = ps_table_by_id(st, table_id);
		rc = ps_rollback_load(st, table_id, seq, flags, schema ? schema : t ? t->schema : NULL,
							  err);
		ps_schema_free(schema);
		if (table_id >= st->next_table_id)
			st->next_table_id = table_id + 1;
	}
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && rc == PS_OK)
		rc = ps_rocks_error(err, rerr, "cannot read load markers");
	else
		free(rerr);
	rocksdb_iter_destroy(it);
	return rc;
}
