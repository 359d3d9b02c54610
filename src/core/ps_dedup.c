/*
 * ps_dedup.c — dedup tables: identical rows (same time and values) are
 * stored once, so a retried load adds nothing.
 *
 * Every row of a dedup table has an entry in the dedup column family,
 * table + content hash (ps_row_hash of the time and every value column) ->
 * the load sequence that wrote it, put in the same batch as the row's
 * block.  A load looks each row up there and among its own rows not yet
 * written (a set cleared whenever all of them are); only one load per dedup
 * table runs at a time.  Rows removed by an abort, a recovery or a
 * delete_range take their entries with them (ps_dedup_forget_block).
 */
#include <stdlib.h>
#include <string.h>

#include "ps_load_int.h"
#include "ps_row.h"
#include "ps_series.h"

void
ps_dedup_put_keys(ps_load *ld, load_series *s)
{
	uint8_t		k[PS_DEDUP_KEY_LEN], v[4];

	ps_put_u32be(k, ld->table->id);
	ps_put_u32be(v, ld->seq);
	for (uint32_t i = 0; i < s->nhashes; i++)
	{
		ps_put_u32be(k + 4, (uint32_t) (s->hashes[i] >> 32));
		ps_put_u32be(k + 8, (uint32_t) s->hashes[i]);
		rocksdb_writebatch_put_cf(ld->wb, ld->st->cf_dedup, (const char *) k, sizeof(k),
								  (const char *) v, 4);
	}
	s->nhashes = 0;
}


/*
 * The row's content hash (time and every value column, as ps_row_hash
 * defines it), and whether it is stored already: in RocksDB (committed or
 * written by this load) or among this load's pending rows.
 */
ps_status
ps_dedup_check(ps_load *ld, int64_t time, const ps_value *values, uint64_t *hash, bool *seen,
			ps_error *err)
{
	uint8_t		k[PS_DEDUP_KEY_LEN];
	size_t		mask = ld->pending_cap - 1, i, vlen;
	char	   *rerr = NULL, *v;
	ps_status	rc;

	for (uint32_t c = 0; c < ld->nvalue; c++)
		ld->value_vals[c] = values[ld->value_cols[c]];
	ps_buf_reset(&ld->enc);
	if ((rc = ps_row_encode(ld->value_types, ld->nvalue, ld->value_vals, 0, &ld->enc, err)) != PS_OK)
		return rc;
	*hash = ps_row_hash(time, ld->enc.data, ld->enc.len);
	if (*hash == 0)
		*hash = 1;				/* 0 marks an empty slot */
	for (i = (size_t) (*hash * UINT64_C(0x9E3779B97F4A7C15) >> 20) & mask; ld->pending[i] != 0;
		 i = (i + 1) & mask)
		if (ld->pending[i] == *hash)
		{
			*seen = true;
			return PS_OK;
		}
	ps_put_u32be(k, ld->table->id);
	ps_put_u32be(k + 4, (uint32_t) (*hash >> 32));
	ps_put_u32be(k + 8, (uint32_t) *hash);
	v = rocksdb_get_cf(ld->st->db, ld->st->ro, ld->st->cf_dedup, (const char *) k, sizeof(k),
					   &vlen, &rerr);
	if (rerr)
		return ps_rocks_error(err, rerr, "dedup lookup failed");
	*seen = v != NULL;
	free(v);
	if (*seen)
		return PS_OK;
	if ((ld->npending + 1) * 2 > ld->pending_cap)
	{
		size_t		cap = ld->pending_cap * 2;
		uint64_t   *n = calloc(cap, sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		for (size_t j = 0; j < ld->pending_cap; j++)
			if (ld->pending[j] != 0)
			{
				size_t		p = (size_t) (ld->pending[j] * UINT64_C(0x9E3779B97F4A7C15) >> 20) & (cap - 1);

				while (n[p] != 0)
					p = (p + 1) & (cap - 1);
				n[p] = ld->pending[j];
			}
		free(ld->pending);
		ld->pending = n;
		ld->pending_cap = cap;
		mask = cap - 1;
		for (i = (size_t) (*hash * UINT64_C(0x9E3779B97F4A7C15) >> 20) & mask; ld->pending[i] != 0;
			 i = (i + 1) & mask)
			;
	}
	ld->pending[i] = *hash;
	ld->npending++;
	return PS_OK;
}

ps_status
ps_dedup_remember(load_series *s, uint64_t hash, ps_error *err)
{
	if (s->nhashes == s->hashes_cap)
	{
		uint32_t	cap = s->hashes_cap ? s->hashes_cap * 2 : 16;
		uint64_t   *n = realloc(s->hashes, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		s->hashes = n;
		s->hashes_cap = cap;
	}
	s->hashes[s->nhashes++] = hash;
	return PS_OK;
}

ps_status
ps_dedup_forget_block(ps_store *st, rocksdb_writebatch_t *wb, uint32_t table_id,
					  const ps_schema *schema, const uint8_t *tuple, size_t tuple_len,
					  const void *block, size_t block_len, uint32_t seq, ps_error *err)
{
	uint32_t   *cols = NULL, ncols, nvalue = ps_schema_value_count(schema);
	ps_type    *types = NULL, *vtypes = malloc((nvalue + 1) * sizeof(ps_type));
	ps_value   *row = calloc(schema->ncolumns, sizeof(ps_value));
	ps_value   *vals = calloc(nvalue + 1, sizeof(ps_value));
	ps_block_reader *r = NULL;
	ps_buf		enc = PS_BUF_INIT;
	ps_status	rc;

	if (!vtypes || !row || !vals)
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	else if ((rc = ps_block_layout(schema, &cols, &types, &ncols, err)) == PS_OK &&
			 (rc = ps_block_reader_new(&r, err)) == PS_OK &&
			 (rc = ps_series_tuple_decode(schema, tuple, tuple_len, row, err)) == PS_OK)
		rc = ps_block_decode(r, block, block_len, types, ncols, NULL, err);
	if (rc == PS_OK)
	{
		const int64_t *times = ps_block_reader_times(r);
		uint8_t		k[PS_DEDUP_KEY_LEN];

		ps_schema_value_types(schema, vtypes);
		ps_put_u32be(k, table_id);
		for (uint32_t i = 0; i < ps_block_reader_rows(r) && rc == PS_OK; i++)
		{
			uint64_t	h;
			char	   *rerr = NULL, *v;
			size_t		vlen;

			for (uint32_t c = 0; c < ncols; c++)
				ps_block_reader_value(r, c, i, &row[cols[c]]);
			for (uint32_t c = 0, n = 0; c < schema->ncolumns; c++)
				if (c != schema->time_index)
					vals[n++] = row[c];
			ps_buf_reset(&enc);
			if ((rc = ps_row_encode(vtypes, nvalue, vals, 0, &enc, err)) != PS_OK)
				break;
			h = ps_row_hash(times[i], enc.data, enc.len);
			if (h == 0)
				h = 1;
			ps_put_u32be(k + 4, (uint32_t) (h >> 32));
			ps_put_u32be(k + 8, (uint32_t) h);
			if (seq != 0)
			{
				v = rocksdb_get_cf(st->db, st->ro, st->cf_dedup, (const char *) k, sizeof(k),
								   &vlen, &rerr);
				if (rerr)
				{
					rc = ps_rocks_error(err, rerr, "dedup lookup failed");
					break;
				}
				if (!v || vlen != 4 || ps_get_u32be((uint8_t *) v) != seq)
				{
					free(v);
					continue;	/* another load's row with the same content */
				}
				free(v);
			}
			rocksdb_writebatch_delete_cf(wb, st->cf_dedup, (const char *) k, sizeof(k));
		}
	}
	ps_buf_free(&enc);
	ps_block_reader_free(r);
	free(cols);
	free(types);
	free(vtypes);
	free(row);
	free(vals);
	return rc;
}
